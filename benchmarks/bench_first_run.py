"""The first run after install against a warm one: ``stress run --paths 1000`` with an empty and a filled numba cache.

    python benchmarks/bench_first_run.py [--paths 1000] [--scheduler threads] [--no-profile]

1. **Cold / warm**: ``stress run --paths N -q`` (base scenario, default
   options) in a fresh process with ``STRESS_CACHE_DIR`` pointing at a new,
   empty folder (cold: every kernel compiles), then again with that folder
   (warm: every kernel loads). Issue 18's target: cold <= 1.5 x warm.
   A fresh virtual environment is approximated by the empty numba cache in a
   new interpreter: the package's ``.pyc`` files and the operating system's
   file cache stay warm, so ``pip install`` and the first byte-compilation of
   the imports (a second or two) are not counted.
2. **What compiles** (``--no-profile`` skips it): the same cold start in one
   process with the warm-up child off, so every kernel compiles in turn and
   numba's ``numba:compile`` events time each: seconds per top-level kernel
   (the kernels it calls included), the number of specializations each got,
   and the collateral kernel's share.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    from benchmarks.machine import describe
except ImportError:  # run as a script (``python benchmarks/x.py``): its folder is on sys.path, the checkout not,
    from machine import describe  # so ``stress`` is the interpreter's install: another venv's gives "before" figures

# Runs in a child with an empty cache: a run's kernels compiled one after the other, each timed.
PROFILE = """
import json, sys, time
import numpy as np
from numba.core import event
from stress.accelerate import KERNELS
from stress.engine import build_context, chunk_ranges, simulate_chunk
from stress.scenario import load_scenario
try:
    from stress import warmup
except ImportError:  # a checkout from before the warm-up: the first chunk's first paths compile the same kernels
    warmup = None

seconds, depth, starts = {}, [0], []
class Timer(event.Listener):
    def on_start(self, ev):
        depth[0] += 1
        starts.append(time.perf_counter())
    def on_end(self, ev):
        depth[0] -= 1
        elapsed = time.perf_counter() - starts.pop()
        if depth[0] == 0:  # top level: the kernels it calls are inside
            f = ev.data["dispatcher"].py_func
            name = f.__module__ + "." + f.__name__
            seconds[name] = seconds.get(name, 0.0) + elapsed
event.register("numba:compile", Timer())
ctx = build_context(load_scenario(sys.argv[1]))
first_chunk = chunk_ranges(int(sys.argv[2]), ctx.scenario.simulation.chunk_size)[0][1]
start = time.perf_counter()
if warmup is not None:
    warmup._start_child = lambda ctx, ids: None  # everything in this process, one kernel after another
    warmup.precompile(ctx, first_chunk)
else:
    simulate_chunk(ctx, np.arange(min(2, first_chunk)))
total = time.perf_counter() - start
signatures = {k.py_func.__module__ + "." + k.py_func.__name__: len(k.signatures) for k in KERNELS if k.signatures}
print(json.dumps({"seconds": seconds, "signatures": signatures, "total": total}))
"""


def timed_run(n_paths: int, cache: Path, scheduler: str) -> float:
    """Wall seconds of ``stress run --paths n_paths -q`` in a fresh process with numba's cache in ``cache``."""
    env = {**os.environ, "STRESS_CACHE_DIR": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stress.cli", "run", "--paths", str(n_paths), "-q", "--scheduler",
                    scheduler], check=True, cwd=tempfile.gettempdir(), env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def compile_profile(n_paths: int, cache: Path) -> dict:
    env = {**os.environ, "STRESS_CACHE_DIR": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", PROFILE, str(ROOT / "scenarios" / "base.toml"), str(n_paths)],
                          check=True, cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--scheduler", default="threads", help="threads | processes | synchronous")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-kernel compile profile")
    args = parser.parse_args(argv)
    print(describe())
    folder = Path(tempfile.mkdtemp(prefix="stress_bench_first_run_"))
    try:
        cold = timed_run(args.paths, folder / "cache", args.scheduler)
        warm = timed_run(args.paths, folder / "cache", args.scheduler)
        print(f"`stress run --paths {args.paths:,d} -q --scheduler {args.scheduler}` (base scenario), fresh process:")
        print(f"  cold (empty numba cache) {cold:6.1f} s   warm {warm:6.1f} s   cold / warm {cold / warm:4.2f} "
              f"(target <= 1.5)")
        if args.no_profile:
            return
        profile = compile_profile(args.paths, folder / "profile_cache")
        total = profile["total"]
        print(f"what a first run compiles, one kernel after another in one process ({total:.1f} s in all):")
        for name, seconds in sorted(profile["seconds"].items(), key=lambda item: -item[1]):
            share = "  <- collateral (h17k)" if "collateral" in name else ""
            print(f"  {name:48s} {seconds:6.2f} s  {profile['signatures'].get(name, 0)} specialization(s){share}")
        collateral = sum(s for name, s in profile["seconds"].items() if "collateral" in name)
        print(f"  collateral kernel share of the compile time: {collateral / max(total, 1e-9):.0%}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
