"""Benchmark a full deterministic run: one speed in-process, and the CLI end to end.

    python benchmarks/bench_cashflows.py

Prints the time of :func:`stress.cashflows.run_cashflows` on the built-in
3,951-loan tape at 100% PPC (kernel, waterfall and analytics, after the
numba caches are warm), split into its stages, and the wall time of
``stress cashflows`` (five speeds, to call) as a user would run it, including
interpreter start-up and imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def main() -> None:
    from stress.assumptions import Assumptions
    from stress.cashflows import run_cashflows
    from stress.collateral.reference_pool import reference_tape
    from stress.deal import load_deal
    from stress.pool import loan_arrays, project_pool
    from stress.rates.curves import forward_curve

    deal, tape, curve = load_deal(), reference_tape(), forward_curve()
    a = Assumptions(prepayment="100 PPC")
    run_cashflows(deal, tape, curve, a)  # warm the numba caches
    loans = loan_arrays(tape, master_servicing_fee_rate=deal.collateral.master_servicing_fee_rate,
                        trustee_fee_rate=deal.collateral.trustee_fee_rate)
    repeat = 10
    t0 = time.perf_counter()
    for _ in range(repeat):
        project_pool(loans, curve.rates, a, n_periods=360)
    kernel = (time.perf_counter() - t0) / repeat
    t0 = time.perf_counter()
    for _ in range(repeat):
        run = run_cashflows(deal, tape, curve, a)
    total = (time.perf_counter() - t0) / repeat
    t0 = time.perf_counter()
    run.class_summary()
    analytics = time.perf_counter() - t0
    loan_months = len(tape) * 360
    print(f"machine: {os.cpu_count()} cores")
    print(f"deterministic run, {len(tape):,} loans x 360 months, 100% PPC, to call:")
    print(f"  collateral kernel      {kernel * 1e3:8.1f} ms  ({loan_months / kernel / 1e6:.0f} M loan-months/s, one core)")
    print(f"  whole run_cashflows    {total * 1e3:8.1f} ms  (schedule, tape arrays, kernel, derivatives, waterfall)")
    print(f"  class analytics        {analytics * 1e3:8.1f} ms  (WAL, DM root search, duration for 6 classes)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stress.cli", "cashflows"], check=True, capture_output=True)
    print(f"  `stress cashflows` (5 speeds, CLI wall time incl. start-up)  {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
