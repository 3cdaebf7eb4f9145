"""Run every benchmark and print its figures: ``python -m benchmarks [--full]``.

Runs each ``benchmarks/bench_*.py`` in turn, after one line naming the CPU
model and cores. The default takes about 10 minutes on the 2-core dev
machine: the end-to-end CLI run at 1,000 paths, to call and to maturity at
2,000 paths, the cold and warm first run at 1,000 paths, and the batch
benchmark at 200 paths. ``--full`` adds the 10,000-path end-to-end runs, to
call and to maturity (several minutes each), and runs the batch at its own
default (1,000 paths x 10 scenarios, several minutes).
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

#: Arguments per script: (default, --full). The 10,000-path run to maturity is the heaviest case (``--full`` only).
ARGS = {
    "bench_end_to_end": (["--paths", "1000"], ["--paths", "1000,10000", "--to", "call,maturity"]),
    "bench_horizon": (["--paths", "2000"], ["--paths", "2000"]),
    "bench_first_run": (["--paths", "1000"], ["--paths", "1000"]),
}
QUICK_BATCH_PATHS = "200"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the 10,000-path run; the batch at full size")
    args = parser.parse_args()
    if not args.full:
        os.environ.setdefault("STRESS_BENCH_BATCH_PATHS", QUICK_BATCH_PATHS)
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))  # so the scripts can import benchmarks.*
    from benchmarks.machine import describe

    print(describe(), flush=True)
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.stem} ===", flush=True)
        default, full = ARGS.get(script.stem, ([], []))
        sys.argv = [str(script)] + (full if args.full else default)
        start = time.perf_counter()
        runpy.run_path(str(script), run_name="__main__")
        print(f"({script.stem}: {time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
