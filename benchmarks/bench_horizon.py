"""Runs to maturity against runs to call: wall time of ``stress run`` and where each horizon's time goes.

    python benchmarks/bench_horizon.py [--paths 2000] [--modes expected] [--stage-paths 250] [--no-cli]

1. **Where the time goes**, in this process on one thread, for one chunk of
   ``--stage-paths`` base paths (the default chunk size), to call and to
   maturity: path generation (rates, home prices), the collateral kernel,
   call dates, the loans' value for the economic call, the waterfall inputs,
   the waterfall kernel, the reduction to per-path results, and the Dataset
   + Zarr region write; the chunk's rest is what no stage claims.
2. **Wall time**, ``stress run --paths N --to call|maturity -q --out TMPDIR``
   (base scenario, default options, numba cache warm) in a fresh process,
   as a user runs it, and the maturity / call ratio (issue 18 target: <= 1.5).

``--modes`` takes the collateral-draws modes to compare, each a set of extra
``stress run`` arguments in :data:`MODES`; a new mode (loan-level draws) is
one entry there.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
try:
    from benchmarks.machine import describe
except ImportError:  # run as a script (``python benchmarks/x.py``): its folder is on sys.path, the checkout not,
    from machine import describe  # so ``stress`` is the interpreter's install: another venv's gives "before" figures

#: Collateral-draws modes: name -> extra ``stress run`` arguments (and scenario overrides for the stage split).
MODES: dict[str, list[str]] = {
    "expected": ["--collateral-draws", "expected"],  # expected-value hazards
    "loan": ["--collateral-draws", "loan"],  # loan-level draws (stress.kernels.counter_rng)
}

#: Stages of a chunk: (module, function as the engine looks it up, label). Missing names are skipped.
STAGES = (
    ("stress.engine", "generate_paths", "path generation (rates, HPI)"),
    ("stress.engine", "project_collateral", "collateral kernel"),
    ("stress.engine", "clean_up_call_period", "call dates"),
    ("stress.call_value", "pool_value", "loans' value (economic call)"),
    ("stress.engine", "bond_inputs", "waterfall inputs"),
    ("stress.engine", "run_waterfall", "waterfall kernel"),
    ("stress.engine", "reduce_chunk", "reduce to per-path results"),
    ("stress.engine", "chunk_dataset", "results Dataset"),
    ("stress.engine", "write_chunk", "Zarr region write"),
)


def stage_seconds(scenario, to: str, n_paths: int) -> tuple[dict[str, float], float]:
    """Seconds per stage of one chunk of ``n_paths`` run to ``to``, and the chunk's total (one thread)."""
    import importlib

    from stress import engine
    from stress.store import prepare_store

    ctx = engine.build_context(scenario, to=to)
    engine.simulate_chunk(ctx, np.arange(2))  # compile / load the kernels
    seconds: dict[str, float] = {}

    def timed(label, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
        return wrapper

    originals = []
    for module_name, name, label in STAGES:
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            originals.append((module, name, getattr(module, name)))
            setattr(module, name, timed(label, getattr(module, name)))
    out = Path(tempfile.mkdtemp(prefix="stress_bench_stages_"))
    try:
        prepare_store(out, ctx, n_paths, n_paths, False, True)
        start = time.perf_counter()
        engine._run_chunk_task(ctx, 0, 0, n_paths, str(out / "results.zarr"))
        total = time.perf_counter() - start
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)
        shutil.rmtree(out, ignore_errors=True)
    seconds["rest of the chunk"] = max(total - sum(seconds.values()), 0.0)
    return seconds, total


def run_cli(n_paths: int, to: str, extra: list[str]) -> float:
    """Wall seconds of ``stress run --paths n_paths --to to -q --out TMPDIR`` in a fresh process."""
    out = Path(tempfile.mkdtemp(prefix="stress_bench_horizon_"))
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "stress.cli", "run", "--paths", str(n_paths), "--to", to, "-q",
                        "--out", str(out / "run"), *extra], check=True, cwd=tempfile.gettempdir(),
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=2000, help="paths of the CLI runs (default 2000)")
    parser.add_argument("--modes", default="expected", help=f"comma-separated draws modes of {sorted(MODES)}")
    parser.add_argument("--stage-paths", type=int, default=250, help="paths of the profiled chunk (0: skip)")
    parser.add_argument("--no-cli", action="store_true", help="only the stage split, no CLI runs")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"--modes {','.join(unknown)}: must be among {', '.join(sorted(MODES))}")
    print(describe())
    if args.stage_paths:
        from stress.engine import with_collateral_draws
        from stress.scenario import load_scenario

        base = load_scenario(str(ROOT / "scenarios" / "base.toml"))
        for mode in modes:
            scenario = with_collateral_draws(base, mode)
            split = {to: stage_seconds(scenario, to, args.stage_paths) for to in ("call", "maturity")}
            print(f"where the time goes, one chunk of {args.stage_paths} base paths, one thread, draws {mode} [s]:")
            print(f"  {'stage':34s} {'to call':>9s} {'to maturity':>12s}")
            labels = [label for _, _, label in STAGES] + ["rest of the chunk"]
            for label in (label for label in labels if label in split["call"][0] or label in split["maturity"][0]):
                call, maturity = split["call"][0].get(label, 0.0), split["maturity"][0].get(label, 0.0)
                print(f"  {label:34s} {call:9.3f} {maturity:12.3f}")
            print(f"  {'chunk':34s} {split['call'][1]:9.3f} {split['maturity'][1]:12.3f}")
    if args.no_cli:
        return
    run_cli(2, "call", [])  # compile / load the kernels outside the timed runs
    print(f"`stress run --paths {args.paths:,d} --to call|maturity -q --out DIR` (base scenario), fresh process:")
    for mode in modes:
        call = run_cli(args.paths, "call", MODES[mode])
        maturity = run_cli(args.paths, "maturity", MODES[mode])
        print(f"  draws {mode:9s} to call {call:7.1f} s   to maturity {maturity:7.1f} s   "
              f"maturity / call {maturity / call:4.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
