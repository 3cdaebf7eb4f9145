"""End to end: ``stress run`` on the base scenario, wall time and peak memory, and where the time goes.

    python benchmarks/bench_end_to_end.py [--paths 1000,10000] [--to call,maturity] [--profile-paths 250]

1. **Runs**: for each path count, ``stress run --paths N -q --out TMPDIR``
   (base scenario: Hull-White rates, loan-level behaviour models, to call,
   chunks of 250 paths on dask's threaded scheduler, results streamed to
   Zarr, ``summary.json`` at the end) in a fresh subprocess, as a user would
   run it, including interpreter start-up and imports. Wall time from the
   parent; peak memory = the child's ``ru_maxrss``. Targets (10,000 paths on
   a 2-core machine): <= 90 s wall (stretch 45 s), <= 4 GiB. ``--to
   maturity`` runs the same to maturity (no call); 10,000 paths to maturity
   is the heavy case, run only by ``python -m benchmarks --full``.
2. **Where the time goes**: one chunk in-process, split into the stages of
   :func:`benchmarks.bench_horizon.stage_seconds` (path generation,
   collateral kernel, call dates, waterfall, reduction, Dataset + Zarr
   region write), plus the run's
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

ROOT = Path(__file__).resolve().parents[1]
try:
    from benchmarks.machine import describe
except ImportError:  # run as a script (``python benchmarks/x.py``): its folder is on sys.path, the checkout not,
    from machine import describe  # so ``stress`` is the interpreter's install: another venv's gives "before" figures


def run_cli(n_paths: int, to: str = "call") -> tuple[float, float]:
    """Wall seconds and peak RSS [GiB] of ``stress run --paths n_paths --to to`` in a fresh child process."""
    out = Path(tempfile.mkdtemp(prefix=f"stress_bench_{n_paths}_"))
    # A child per case: ru_maxrss of RUSAGE_CHILDREN is the largest child so far, so each case runs
    # under its own small Python parent that reports its one child.
    probe = (
        "import resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"subprocess.run([sys.executable, '-m', 'stress.cli', 'run', '--paths', '{n_paths}', '--to', '{to}', "
        "'-q', '--out', "
        f"{str(out / 'run')!r}], check=True)\n"
        "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                              cwd=tempfile.gettempdir())
        wall, rss_kb = done.stdout.split()[-2:]
        return float(wall), float(rss_kb) / 2**20
    finally:
        shutil.rmtree(out, ignore_errors=True)


def profile(n_paths: int) -> None:
    """Time each stage of one chunk, and the dask overhead of a whole run, for the base scenario."""
    import xarray as xr

    try:
        from benchmarks.bench_horizon import stage_seconds
    except ImportError:  # run as a script
        from bench_horizon import stage_seconds
    from stress import engine
    from stress import store as run_store
    from stress.metrics import summary
    from stress.scenario import load_scenario

    scenario = load_scenario(str(ROOT / "scenarios" / "base.toml"))
    t0 = time.perf_counter()
    ctx = engine.build_context(scenario)
    t_context = time.perf_counter() - t0
    stages, per_chunk = stage_seconds(scenario, ctx.to, n_paths)  # the stage split of bench_horizon
    out = Path(tempfile.mkdtemp(prefix="stress_prof_"))
    once = {}
    try:
        start = time.perf_counter()
        run_store.prepare_store(out, ctx, n_paths, n_paths, False, True)
        once["store template"] = time.perf_counter() - start
        engine._run_chunk_task(ctx, 0, 0, n_paths, str(out / "results.zarr"))
        start = time.perf_counter()
        summary(xr.open_zarr(str(out / "results.zarr"), consolidated=False).load())
        once[f"summary.json (per {n_paths} paths)"] = time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)
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
    parser.add_argument("--to", default="call", help="comma-separated horizons: call, maturity (10,000 paths to "
                                                     "maturity is the heavy case: python -m benchmarks --full)")
    args = parser.parse_args(argv)
    print(describe())
    profile(args.profile_paths)
    print(f"`stress run --paths N --to call|maturity -q --out DIR` (base scenario), fresh process, "
          f"{os.cpu_count()} cores:")
    for to in (x.strip() for x in args.to.split(",") if x.strip()):
        for n_paths in (int(x) for x in args.paths.split(",")):
            wall, rss = run_cli(n_paths, to)
            print(f"  to {to:8s} {n_paths:6,d} paths  {wall:7.1f} s wall  peak memory {rss:5.2f} GiB  "
                  f"({n_paths / wall:6.1f} paths/s)")


if __name__ == "__main__":
    main()
