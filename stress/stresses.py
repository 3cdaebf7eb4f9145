"""Rating-style credit stresses: a cumulative default with a timing curve, as a CDR vector.

Agencies quote credit stresses as "x% of the original pool defaults, y% of
it in year 1, z% in year 2, ..., at s% severity". The collateral kernel takes
conditional monthly rates (MDR), so the stress is converted here:

- the default amount of month ``t`` is ``cumulative x timing[year] / 12`` of
  the cut-off balance (each year's share spread evenly over its months);
- the balance it is taken from is the pool's expected performing balance:
  the scheduled balance of the pool at zero prepayment and default (from the
  collateral kernel, so ARM resets and amortization are exact on the curve
  used) times the survival to prepayment and earlier defaults;
- ``MDR_t = default_t / performing_{t-1}``, capped at 1, and CDR = 1 - (1 - MDR)^12.

So that the stress is the same whatever the pool does, the vector is computed
once at the scenario's prepayment speed; the realized cumulative default of a
run is then within a fraction of a percent of the target (a test checks it).
"""

from __future__ import annotations

import numpy as np

from stress import conventions
from stress.errors import ScenarioError


def default_timing_monthly(cumulative: float, timing: list[float], n_periods: int) -> np.ndarray:
    """Default amount per month as a fraction of the cut-off balance."""
    timing = np.asarray(timing, dtype=np.float64)
    if not 0.0 <= cumulative <= 1.0:
        raise ScenarioError(f"behaviour.cumulative_default = {cumulative}: must be in [0, 1]")
    if timing.ndim != 1 or timing.size == 0 or (timing < 0).any() or abs(timing.sum() - 1.0) > 1e-6:
        raise ScenarioError(f"behaviour.default_timing = {timing.tolist()}: must be non-negative yearly shares "
                            "summing to 1")
    monthly = np.zeros(n_periods)
    for year, share in enumerate(timing):
        start = 12 * year
        if start >= n_periods:
            break
        monthly[start:min(start + 12, n_periods)] = cumulative * share / 12.0
    return monthly


def cdr_vector_for_cumulative_default(scheduled_fraction: np.ndarray, smm: np.ndarray, cumulative: float,
                                      timing: list[float]) -> np.ndarray:
    """CDR per period that defaults ``cumulative`` of the original pool along ``timing``.

    Parameters
    ----------
    scheduled_fraction : numpy.ndarray
        Pool balance at the end of each period / cut-off balance with no
        prepayment and no default (scheduled amortization only).
    smm : numpy.ndarray
        Single monthly mortality of the scenario's prepayment speed, per period.
    cumulative : float
        Cumulative default as a fraction of the cut-off balance.
    timing : list of float
        Share of the cumulative default in each year (sums to 1).

    Returns
    -------
    numpy.ndarray
        CDR [annual, decimal] per period.
    """
    n = len(scheduled_fraction)
    target = default_timing_monthly(cumulative, timing, n)
    mdr = np.zeros(n)
    survival = 1.0  # performing share of the scheduled balance
    prior_scheduled = 1.0
    for t in range(n):
        performing = prior_scheduled * survival
        if performing <= 1e-12:
            break
        mdr[t] = min(target[t] / performing, 1.0)
        survival *= (1.0 - mdr[t]) * (1.0 - smm[t])
        prior_scheduled = scheduled_fraction[t]
    return conventions.cdr(mdr)
