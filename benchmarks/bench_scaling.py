"""Scaling of the multi-path collateral kernel, behaviour models (mode 1), and its numpy twin.

    python benchmarks/bench_scaling.py [--quick]

Prints, for the reference tape (3,951 loans) and rate / home-price paths
around the January 2004 forward curve:

1. **numba vs numpy, one core, one run**: the kernel and
   :mod:`benchmarks.numpy_twin` (arrays over paths x loans, a Python loop over
   months) on the same inputs, their largest relative difference, and the
   time ratio (target: the kernel >= 3x faster, aim 5x).
2. **threads**: loan-months per second per core with 1 and 2 threads, each
   thread running its own share of the paths (the kernel releases the GIL,
   as dask's threaded scheduler uses it); target 2 threads >= 1.8x one.
3. **linearity**: time per loan-month as paths (64 / 256), loans (1k / 4k /
   16k, the tape replicated) and months (120 / 360) grow; time should be
   linear in each (constant per loan-month).

"Loan-months" count every loan on every path in every month of the horizon
(``loans x paths x months``), whether or not the loan has paid off: the
kernel's early exit for paid-off loans counts as speed. Times are CPU-bound;
on a shared machine run it alone (other processes take cores and L3).

Where the time goes inside the kernel (mode 1, 16 ns per loan-month on one
core, 32-path tiles; measured by replacing parts and by mode 0, which runs
only the cash flows): about 55% the cash flows (pass B: 16 accumulators read
and written per path and month, memory-op bound), 23% the two table
logistics (pass A2, scalar: a gather from the table cannot be vectorized as
LLVM cannot bound its index against the stores), 22% the rest of the models
(passes A1 / A3, vectorized: three divisions per path). The per-loan-month
work outside the path loops (resets, seasoning, the age ``log`` before the
peak age) is under 10% at 32 paths per tile. Next candidates: vectorizing
the logistics (precomputed index and weight in A1, a gather the compiler can
prove safe), fewer accumulators in modes 1 and 2 (derive what is linear in
others at the pool level).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

import sys
from pathlib import Path

import numpy as np

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: benchmarks.* importable

from benchmarks.machine import describe  # noqa: E402
from stress.behaviour.params import load_behaviour
from stress.behaviour.prep import coefficients, prepare_loans
from stress.behaviour.prepayment import mortgage_rate
from stress.collateral.reference_pool import reference_tape
from stress.collateral_model import BehaviourModel
from stress.pool_paths import base_hpi, project_pool_paths
from stress.rates.curves import forward_curve


def inputs(n_paths: int, n_months: int, seed: int = 0):
    """Index-rate and HPI paths: the forward curve plus a random tilt per path; HPI drifting 3% a year."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, n_months)
    rates = forward_curve(n_months=max(420, n_months)).rates[None, :, :n_months] \
        + rng.normal(0.0, 0.01, (n_paths, 1, 1)) * ramp
    hpi = base_hpi(n_paths, n_months, drift=0.03) * np.exp(rng.normal(0.0, 0.1, (n_paths, 2, 1)) * ramp)
    return rates, hpi


def _timed(fn, repeat: int = 1, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def numba_vs_numpy(bl, params, n_paths: int, n_months: int) -> None:
    from benchmarks.numpy_twin import project_pool_paths_numpy
    from stress.assumptions import reference_collateral

    rates, hpi = inputs(n_paths, n_months)
    sv = params.servicing
    project_pool_paths(bl, rates[:1], hpi[:1], BehaviourModel(params), n_periods=n_months)  # compile / load the cache
    result = {}

    def kernel():
        result["k"] = project_pool_paths(bl, rates, hpi, BehaviourModel(params), n_periods=n_months)

    def twin():
        result["n"] = project_pool_paths_numpy(bl, rates, mortgage_rate(rates, params), hpi, coefficients(params),
                                               n_periods=n_months, lag=sv.liquidation_lag,
                                               advancing=sv.advancing, rounding=reference_collateral().rate_rounding,
                                               options=sv.options)

    t_kernel = _timed(kernel, 2, time.process_time)
    t_twin = _timed(twin, 1, time.process_time)
    worst = 0.0
    for name, value in result["n"].items():
        k = getattr(result["k"], name)
        scale = np.maximum(np.abs(value), 1.0)  # relative, with a $1 floor for values near zero
        worst = max(worst, float(np.max(np.abs(k - value) / scale)))
    work = bl.n_loans * n_paths * n_months
    print(f"numba vs numpy twin, mode 1, {bl.n_loans:,} loans x {n_paths} paths x {n_months} months, one core "
          f"(CPU time):")
    print(f"  numba kernel  {t_kernel:7.2f} s  {work / t_kernel / 1e6:6.1f} M loan-months/s")
    print(f"  numpy twin    {t_twin:7.2f} s  {work / t_twin / 1e6:6.1f} M loan-months/s")
    ratio = t_twin / t_kernel
    verdict = "meets the aim" if ratio >= 5 else "meets the target, short of the aim" if ratio >= 3 else "BELOW TARGET"
    print(f"  kernel / twin speed: {ratio:.1f}x (target >= 3x, aim 5x: {verdict}); largest relative difference "
          f"{worst:.1e}")


def threads(bl, params, n_paths: int, n_months: int) -> None:
    rates, hpi = inputs(n_paths, n_months, seed=1)
    project_pool_paths(bl, rates[:1], hpi[:1], BehaviourModel(params), n_periods=n_months)
    work = bl.n_loans * n_paths * n_months
    print(f"threads (nogil), mode 1, {bl.n_loans:,} loans x {n_paths} paths x {n_months} months, "
          f"{os.cpu_count()} cores on this machine:")
    speeds = {}
    for n_threads in (1, 2):
        parts = np.array_split(np.arange(n_paths), n_threads * 2)

        def run_part(rows):
            project_pool_paths(bl, rates[rows], hpi[rows], BehaviourModel(params), n_periods=n_months)

        def run_all():
            with ThreadPoolExecutor(n_threads) as pool:
                list(pool.map(run_part, parts))

        wall = _timed(run_all, 3)
        speeds[n_threads] = work / wall
        print(f"  {n_threads} thread{'s' if n_threads > 1 else ' '}  {wall:6.2f} s wall  "
              f"{work / wall / 1e6:6.1f} M loan-months/s  ({work / wall / n_threads / 1e6:5.1f} M per core)")
    print(f"  2 threads / 1: {speeds[2] / speeds[1]:.2f}x (target >= 1.8x)")


def linearity(bl, params, quick: bool) -> None:
    print("linearity, mode 1, one core (CPU time; ns per loan-month should stay flat):")
    cases = [("paths", 64, bl, 122), ("paths", 256, bl, 122)]
    for n in (1_000, 4_000, 16_000):
        cases.append(("loans", 64, bl.subset(np.resize(np.arange(bl.n_loans), n)), 122))
    for months in (120, 360):
        cases.append(("months", 64, bl, months))
    if quick:
        cases = cases[:1] + cases[2:4] + cases[-2:]
    for label, n_paths, pool, months in cases:
        rates, hpi = inputs(n_paths, months, seed=2)
        project_pool_paths(pool, rates[:1], hpi[:1], BehaviourModel(params), n_periods=months)
        seconds = _timed(lambda: project_pool_paths(pool, rates, hpi, BehaviourModel(params), n_periods=months), 2,
                         time.process_time)
        work = pool.n_loans * n_paths * months
        print(f"  {label:6s} {pool.n_loans:6,d} loans x {n_paths:4d} paths x {months:3d} months  {seconds:6.2f} s  "
              f"{seconds / work * 1e9:5.2f} ns/loan-month  ({work / seconds / 1e6:5.1f} M/s)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller cases")
    args = parser.parse_args(argv)
    print(describe())
    params = load_behaviour()
    bl = prepare_loans(reference_tape(), params)
    numba_vs_numpy(bl, params, 32 if args.quick else 64, 360)
    threads(bl, params, 128 if args.quick else 256, 122)
    linearity(bl, params, args.quick)


if __name__ == "__main__":
    main()
