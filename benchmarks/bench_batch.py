"""Benchmark a batch: a set of scenarios on the full pool, as one batch and one by one.

    python benchmarks/bench_batch.py [--paths 1000] [--scenarios 10]

Runs the first N named scenarios (Monte Carlo ones first) with ``run_batch``,
then each alone with ``run_monte_carlo``, and prints both wall times: the
batch should cost no more than 10% over the sum of the single runs (its extra
work is the manifest, hashing and the comparison table). With the default
1,000 paths x 10 scenarios this takes several minutes on a 2-core machine;
``python -m benchmarks`` runs it with fewer paths unless ``--full`` is given.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    from stress.batch import run_batch
    from stress.engine import run_monte_carlo
    from stress.scenario import builtin_scenarios, load_scenario

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=int(os.environ.get("STRESS_BENCH_BATCH_PATHS", 1000)))
    parser.add_argument("--scenarios", type=int, default=10)
    args = parser.parse_args(argv)
    scenarios = [load_scenario(p) for p in builtin_scenarios()]
    # the Monte Carlo scenarios first, then deterministic ones (which run a single path whatever --paths says)
    scenarios.sort(key=lambda s: (s.rates.model == "deterministic", s.name))
    chosen = scenarios[: args.scenarios]
    names = [s.name for s in chosen]
    run_monte_carlo(chosen[0], n_paths=8, chunk_size=8)  # warm the numba caches
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for s in chosen:
            run_monte_carlo(s, n_paths=args.paths, out=Path(tmp) / "single" / s.name)
        singles = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_batch(names, out=Path(tmp) / "batch", n_paths=args.paths)
        batch = time.perf_counter() - t0
    print(f"machine: {os.cpu_count()} cores; {len(names)} scenarios x {args.paths:,} paths on the full pool")
    print(f"  scenarios: {', '.join(names)}")
    print(f"  sum of single runs  {singles:8.1f} s")
    print(f"  batch               {batch:8.1f} s  ({100 * (batch / singles - 1):+.1f}% vs the singles)")


if __name__ == "__main__":
    main()
