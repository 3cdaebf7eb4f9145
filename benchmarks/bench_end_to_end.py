"""End to end: ``stress run`` on the base scenario, wall time and peak memory, and where the time goes.

    python benchmarks/bench_end_to_end.py [--paths 1000,10000] [--profile-paths 250]

1. **Runs**: for each path count, ``stress run --paths N -q --out TMPDIR``
   (base scenario: Hull-White rates, loan-level behaviour models, to call,
   chunks of 250 paths on dask's threaded scheduler, results streamed to
   Zarr, ``summary.json`` at the end) in a fresh subprocess, as a user would
   run it, including interpreter start-up and imports. Wall time from the
   parent; peak memory = the child's ``ru_maxrss``. Targets (10,000 paths on
   a 2-core machine): <= 90 s wall (stretch 45 s), <= 4 GiB.
2. **Where the time goes**: one chunk in-process, split into path
   generation, collateral kernel, call dates, waterfall (with the derivatives),
   reduction to results, and writing (Dataset + Zarr region), plus the run's
   fixed costs (imports, context, store template, summary) and the dask
   overhead as the rest of the measured run wall time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def run_cli(n_paths: int) -> tuple[float, float]:
    """Wall seconds and peak RSS [GiB] of ``stress run --paths n_paths`` in a fresh child process."""
    out = Path(tempfile.mkdtemp(prefix=f"stress_bench_{n_paths}_"))
    # A child per case: ru_maxrss of RUSAGE_CHILDREN is the largest child so far, so each case runs
    # under its own small Python parent that reports its one child.
    probe = (
        "import resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"subprocess.run([sys.executable, '-m', 'stress.cli', 'run', '--paths', '{n_paths}', '-q', '--out', "
        f"{str(out / 'run')!r}], check=True)\n"
        "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=ROOT)
        wall, rss_kb = done.stdout.split()[-2:]
        return float(wall), float(rss_kb) / 2**20
    finally:
        shutil.rmtree(out, ignore_errors=True)


def profile(n_paths: int) -> None:
    """Time each stage of one chunk, and the dask overhead of a whole run, for the base scenario."""
    import xarray as xr

    from stress import engine
    from stress import results as run_results
    from stress import store as run_store
    from stress.metrics import summary
    from stress.scenario import load_scenario

    scenario = load_scenario(str(ROOT / "scenarios" / "base.toml"))
    t0 = time.perf_counter()
    ctx = engine.build_context(scenario)
    t_context = time.perf_counter() - t0
    ids = np.arange(n_paths, dtype=np.int64)
    engine.simulate_chunk(ctx, ids[:2])  # compile / load the numba caches

    stages: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - start
        return wrapper

    # Wrap the stages where simulate_chunk looks them up, run one chunk, put them back.
    wrapped = {"generate_paths": "path generation (rates, HPI)", "project_collateral": "collateral kernel",
               "clean_up_call_period": "call dates",
               "run_waterfall": "waterfall", "reduce_chunk": "reduce to per-path results"}
    originals = {name: getattr(engine, name) for name in wrapped}
    for name, label in wrapped.items():
        setattr(engine, name, timed(label, originals[name]))
    try:
        start = time.perf_counter()
        arrays = engine.simulate_chunk(ctx, ids)
        total = time.perf_counter() - start
    finally:
        for name, fn in originals.items():
            setattr(engine, name, fn)
    stages["rest of the chunk (AFR inputs, copies)"] = max(total - sum(stages.values()), 0.0)
    out = Path(tempfile.mkdtemp(prefix="stress_prof_"))
    once = {}
    try:
        store = out / "results.zarr"
        start = time.perf_counter()
        run_store.prepare_store(out, ctx, n_paths, n_paths, False, True)
        once["store template"] = time.perf_counter() - start
        start = time.perf_counter()
        ds = run_results.chunk_dataset(ctx, ids, arrays)
        ds.drop_vars(["period", "tranche", "contract", "date"]).to_zarr(str(store), region={"path": slice(0, n_paths)},
                                                             mode="r+", consolidated=False)
        stages["write results (Dataset + Zarr region)"] = time.perf_counter() - start
        start = time.perf_counter()
        summary(xr.open_zarr(str(store), consolidated=False).load())
        once["summary.json (per 250 paths)"] = time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)
    per_chunk = sum(stages.values())
    print(f"where the time goes, one chunk of {n_paths} paths, base scenario, one thread:")
    for name, seconds in stages.items():
        print(f"  {name:42s} {seconds:7.3f} s  {seconds / per_chunk:6.1%}")
    print(f"  {'per chunk':42s} {per_chunk:7.3f} s  ({per_chunk / n_paths * 1e3:.2f} ms per path)")
    print(f"  once per run: context {t_context:.2f} s, " + ", ".join(f"{k} {v:.2f} s" for k, v in once.items()))

    # dask overhead: a whole in-process run on one dask thread vs the time spent inside its chunk tasks.
    n_chunks = 4
    task_seconds = []
    original_task = engine._run_chunk_task

    def task(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original_task(*args, **kwargs)
        finally:
            task_seconds.append(time.perf_counter() - start)

    engine._run_chunk_task = task
    run_dir = Path(tempfile.mkdtemp(prefix="stress_prof_run_"))
    try:
        start = time.perf_counter()
        engine.run_monte_carlo(scenario, n_paths=n_chunks * n_paths, chunk_size=n_paths, scheduler="threads",
                               workers=1, out=run_dir / "run")
        wall = time.perf_counter() - start
    finally:
        engine._run_chunk_task = original_task
        shutil.rmtree(run_dir, ignore_errors=True)
    inside = sum(task_seconds)
    print(f"  run of {n_chunks} chunks on 1 dask thread: {wall:.2f} s wall, {inside:.2f} s inside the chunk tasks, "
          f"{wall - inside:.2f} s outside (context, store template, summary, dask)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="1000,10000", help="comma-separated path counts for the CLI runs")
    parser.add_argument("--profile-paths", type=int, default=250, help="paths in the profiled chunk")
    args = parser.parse_args(argv)
    profile(args.profile_paths)
    print(f"`stress run --paths N -q --out DIR` (base scenario, to call), fresh process, {os.cpu_count()} cores:")
    for n_paths in (int(x) for x in args.paths.split(",")):
        wall, rss = run_cli(n_paths)
        print(f"  {n_paths:6,d} paths  {wall:7.1f} s wall  peak memory {rss:5.2f} GiB  "
              f"({n_paths / wall:6.1f} paths/s)")


if __name__ == "__main__":
    main()
