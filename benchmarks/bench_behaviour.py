"""Benchmark the multi-path collateral kernel: vectors (mode 0) vs behaviour models (mode 1).

Loan-months per second per core (loan x path x month per second, one thread)
for a 3,951-loan pool (the reference tape if available, else the synthetic
pool of :mod:`benchmarks.bench_collateral` with neutral behaviour inputs),
100 paths x 360 months. The target: the models within 2x of the vectors.

    python benchmarks/bench_behaviour.py [--paths 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from stress.assumptions import Assumptions  # noqa: E402
from stress.behaviour.params import load_behaviour  # noqa: E402
from stress.collateral_model import BehaviourModel, VectorModel  # noqa: E402
from stress.pool_paths import base_hpi, project_pool_paths  # noqa: E402

N_PERIODS = 360


def pool(params):
    try:
        from stress.behaviour.prep import prepare_loans
        from stress.collateral.reference_pool import reference_tape

        return prepare_loans(reference_tape(), params), "reference tape"
    except ImportError:
        from benchmarks.bench_collateral import synthetic_loans
        from stress.behaviour.prep import BehaviourLoans

        loans = synthetic_loans()
        n = loans.n_loans
        rng = np.random.default_rng(1)
        bl = BehaviourLoans(loans, (rng.random(n) < 0.55).astype(np.int64), 0.8 / loans.balance,
                            rng.uniform(-8.5, -6.0, n), np.zeros(n), rng.choice([0, 12, 24, 36], n),
                            np.where(loans.initial_cap > 0.01, loans.months_to_reset, -1))
        return bl, "synthetic pool"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    params = load_behaviour()
    bl, label = pool(params)
    rng = np.random.default_rng(0)
    from stress.rates.curves import forward_curve

    base = forward_curve(n_months=420).rates[:, :N_PERIODS]
    rates = base[None] + rng.normal(0.0, 0.01, (args.paths, 1, 1)) * np.linspace(0, 1, N_PERIODS)
    hpi = base_hpi(args.paths, N_PERIODS, drift=0.05) * np.exp(
        rng.normal(0.0, 0.1, (args.paths, 2, 1)) * np.linspace(0, 1, N_PERIODS))
    vectors = Assumptions(prepayment=0.30, default=0.01, severity=0.35, liquidation_lag=12)
    with_options = params.replace(servicing={"buyout_share": 1.0, "fair_value_share": 1.0, "purchase_limit": 0.01})
    runs = {
        "mode 0 (constant vectors)": lambda: project_pool_paths(bl.loans, rates, None, VectorModel(vectors),
                                                                 n_periods=N_PERIODS),
        "mode 1 (behaviour models)": lambda: project_pool_paths(bl, rates, hpi, BehaviourModel(params),
                                                                 n_periods=N_PERIODS),
        # every servicer option on by value (stress.servicing): pass A4 and, for the 1% cap, a second pass
        "mode 1 + servicer options": lambda: project_pool_paths(bl, rates, hpi, BehaviourModel(with_options),
                                                                 n_periods=N_PERIODS),
    }
    work = bl.n_loans * args.paths * N_PERIODS
    print(f"{label}: {bl.n_loans} loans x {args.paths} paths x {N_PERIODS} months, one thread")
    speeds = {}
    for name, run in runs.items():
        run()  # compile / warm up
        best = min(_timed(run) for _ in range(args.repeat))
        speeds[name] = work / best
        print(f"  {name}: {best:.2f} s, {work / best / 1e6:.1f} M loan-months/s per core")
    a, b = list(speeds.values())[:2]
    print(f"  models / vectors time ratio: {a / b:.2f}x")


def _timed(run):
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
