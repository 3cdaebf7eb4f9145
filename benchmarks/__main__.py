"""Run every benchmark and print its figures: ``python -m benchmarks [--full]``.

Runs each ``benchmarks/bench_*.py`` in turn. The default takes about 4
minutes on the 2-core dev machine: the end-to-end CLI run at 1,000 paths and
the batch benchmark at 200 paths. ``--full`` adds the 10,000-path end-to-end
run (about a minute) and runs the batch at its own default (1,000 paths x 10
scenarios, several minutes).
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

#: Arguments per script: (default, --full).
ARGS = {
    "bench_end_to_end": (["--paths", "1000"], ["--paths", "1000,10000"]),
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
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.stem} ===", flush=True)
        default, full = ARGS.get(script.stem, ([], []))
        sys.argv = [str(script)] + (full if args.full else default)
        start = time.perf_counter()
        runpy.run_path(str(script), run_name="__main__")
        print(f"({script.stem}: {time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
