"""Benchmark the collateral kernel: loan-months per second on one core.

Runs the full pool (the reference pool if :mod:`stress.collateral.reference_pool`
provides one, else a synthetic 3,951-loan pool shaped like Impac CMB 2004-1)
for 360 months under a few assumption sets and prints the throughput.

    python benchmarks/bench_collateral.py [--repeat 20] [--tape TAPE.parquet]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from stress.assumptions import Assumptions
from stress.pool import LoanArrays, project_pool

N_LOANS = 3951
N_PERIODS = 360


def synthetic_loans(n: int = N_LOANS, seed: int = 20040101) -> LoanArrays:
    """A random pool resembling the reference deal's strats (products, rates, caps)."""
    rng = np.random.default_rng(seed)
    # product: (index_id, first reset months, frequency, initial cap, weight)
    products = [
        (1, 3, 6, 0.01, 0.30),   # 30Y LIB6M (seasoned-like)
        (1, 22, 6, 0.03, 0.30),  # 2/28
        (1, 34, 6, 0.03, 0.20),  # 3/27
        (1, 58, 6, 0.05, 0.10),  # 5/25
        (2, 35, 12, 0.02, 0.05), # 3/1 LIB12M
        (3, 59, 12, 0.05, 0.05), # 5/1 CMT1Y
    ]
    weights = np.array([p[4] for p in products])
    pick = rng.choice(len(products), size=n, p=weights / weights.sum())
    table = np.array([p[:4] for p in products])
    index_id = table[pick, 0].astype(np.int64)
    first = table[pick, 1].astype(np.int64) - rng.integers(0, 3, n)
    gross = rng.uniform(0.045, 0.07, n)
    age = rng.integers(0, 4, n)
    return LoanArrays(
        balance=rng.lognormal(np.log(230_000), 0.5, n),
        gross_rate=gross,
        servicing_fee_rate=np.where(rng.random(n) < 0.9842, 0.00375, 0.005),
        lpmi_rate=np.where(rng.random(n) < 0.1, 0.0049, 0.0),
        margin=rng.uniform(0.0225, 0.035, n),
        index_id=index_id,
        months_to_reset=np.maximum(first, 1),
        reset_frequency=table[pick, 2].astype(np.int64),
        initial_cap=table[pick, 3],
        periodic_cap=np.where(table[pick, 2] == 6, 0.01, 0.02),
        max_rate=gross + 0.06,
        min_rate=np.full(n, 0.0225),
        remaining_term=360 - age,
        age=age,
        master_servicing_fee_rate=0.0003,
        trustee_fee_rate=0.000043,
    )


def reference_or_synthetic(tape_path: str | None = None) -> tuple[LoanArrays, str]:
    from stress.pool import loan_arrays

    if tape_path:
        from stress.collateral.tape import read_tape

        tape = read_tape(tape_path)
        return loan_arrays(tape, master_servicing_fee_rate=0.0003, trustee_fee_rate=0.000043), tape_path
    try:  # another module may provide the representative tape
        from stress.collateral import reference_pool  # type: ignore[attr-defined]

        tape = reference_pool.reference_tape()  # pragma: no cover - depends on that module's API
        return loan_arrays(tape, master_servicing_fee_rate=0.0003, trustee_fee_rate=0.000043), "reference tape"
    except Exception:
        return synthetic_loans(), "synthetic tape"


def index_path(n_periods: int) -> np.ndarray:
    months = np.arange(n_periods)
    base = 0.0112 + 0.04 * (1 - np.exp(-months / 36))  # rising curve
    return np.vstack([base, base + 0.0010, base + 0.0025, base + 0.0015])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--tape", help="a loan tape (.csv or .parquet) to run instead of the synthetic pool")
    args = parser.parse_args()
    loans, source = reference_or_synthetic(args.tape)
    rates = index_path(N_PERIODS)
    cases = {
        "30% CPR, no defaults": Assumptions(prepayment=0.30),
        "100 PPC, 2% CDR, 35% sev, lag 12": Assumptions(prepayment="100 PPC", default=0.02, severity=0.35,
                                                        liquidation_lag=12),
        "5% CPR, 150 SDA, 45% sev, lag 12": Assumptions(prepayment=0.05, default="150 SDA", severity=0.45,
                                                        liquidation_lag=12),
        "0% CPR, 0% CDR (full term)": Assumptions(),
    }
    project_pool(loans, rates, cases["30% CPR, no defaults"], n_periods=N_PERIODS)  # compile / load cache
    loan_months = loans.n_loans * N_PERIODS
    print(f"{source}: {loans.n_loans} loans x {N_PERIODS} months = {loan_months:,} loan-months per run")
    for name, assumptions in cases.items():
        best = np.inf
        for _ in range(args.repeat):
            start = time.perf_counter()
            project_pool(loans, rates, assumptions, n_periods=N_PERIODS)
            best = min(best, time.perf_counter() - start)
        print(f"  {name:<36s} {best * 1e3:7.2f} ms  {loan_months / best / 1e6:7.1f} M loan-months/s")


if __name__ == "__main__":
    main()
