"""Benchmark the scenario generator: paths x months of all indices and home prices.

Target (issue 4): 10,000 paths x 360 months, all four indices and home prices,
in under 2 seconds on one core. Prints the best of ``--repeat`` runs for each
model and randomness option, and the split between drawing the normals and
the rest. Numba kernels are compiled (or loaded from cache) before timing.

    python benchmarks/bench_rates.py [--paths 10000] [--months 360] [--repeat 3]

Run on one core with e.g. ``taskset -c 0 python benchmarks/bench_rates.py``
(the generator itself is single-threaded; dask supplies parallelism).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from stress.rates.config import ScenarioDrivers
from stress.rates.curves import forward_curve
from stress.rates.generator import draw_normals, generate_paths

CASES = {
    "hull_white": {"rates": {"model": "hull_white"}},
    "hull_white + CA + rate corr": {"rates": {"model": "hull_white"},
                                    "home_prices": {"california": {"enabled": True}, "rate_correlation": -0.3}},
    "g2pp + CA": {"rates": {"model": "g2pp"}, "home_prices": {"california": {"enabled": True}}},
    "hull_white antithetic": {"randomness": {"antithetic": True}},
    "hull_white sobol": {"randomness": {"quasi_random": "sobol"}},
    "hull_white sobol + bridge": {"randomness": {"quasi_random": "sobol", "brownian_bridge": True}},
}


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=360)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    curve = forward_curve(n_months=max(420, args.months))
    ids = np.arange(args.paths)
    generate_paths(ScenarioDrivers(), path_ids=ids[:2], seed=1, n_months=args.months, curve=curve)  # compile
    print(f"{args.paths:,} paths x {args.months} months (best of {args.repeat})")
    for label, tables in CASES.items():
        config = ScenarioDrivers.from_toml_tables(tables)
        seconds = _best(lambda: generate_paths(config, path_ids=ids, seed=1, n_months=args.months, curve=curve),
                        args.repeat)
        rate = args.paths * args.months / seconds / 1e6
        print(f"  {label:30s} {seconds:6.3f} s   ({rate:5.2f} M path-months/s)")
    draws = _best(lambda: draw_normals(ids, seed=1, n_steps=args.months - 1), args.repeat)
    print(f"  of which drawing the normals (pseudo-random): {draws:.3f} s")


if __name__ == "__main__":
    main()
