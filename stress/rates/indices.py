"""ARM and bond indices on each path, from the model's zero-coupon bond prices.

For month ``m`` of a path, with ``P_k = P(t_m, t_m + k months)`` the model's
bond price on that path (:meth:`GaussianShortRate.bond_coefficients`) and
``days_k`` the actual days from the grid date to the same day ``k`` months on:

- ``LIBOR_k = (1 / P_k - 1) * 360 / days_k``  (simple, actual/360; k = 1, 6, 12)
- ``CMT_1Y = 2 * ((1 / P_12) ** (365 / days_12 / 2) - 1)``  (bond-equivalent,
  semi-annual, actual/365: the 12-month LIBOR restated, as the curve does)

then, in this order, exactly as the deterministic curves do
(:class:`stress.rates.curves.CurveSet`):

1. the basis spread of each index is added;
2. the parallel shock ``shock_bp`` (optionally from a month, ramped) is added
   (``CurveSet.shifted``);
3. every index is set to ``all_indices_to`` from ``all_indices_from_month``
   (``CurveSet.set_all``);
4. floored at zero if ``floor_at_zero`` (``CurveSet.floored``).

Output order is :data:`stress.rates.curves.INDEX_NAMES`. The shocks move the
indices only; the short rate and path discount factor are the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stress.rates.curves import INDEX_NAMES

#: Bond maturities priced per month [months]; CMT_1Y reuses the 12-month bond.
TENOR_MONTHS: tuple[int, ...] = (1, 6, 12)


@dataclass(frozen=True)
class IndexRules:
    """Spreads, shocks and floor applied to every path's indices (plain arrays for the kernel).

    Attributes
    ----------
    spreads : numpy.ndarray, shape (4, m)
        Basis spread per index and month [decimal], :data:`INDEX_NAMES` order.
    shock : numpy.ndarray, shape (m,)
        Parallel shock added at each month [decimal].
    set_level : float
        Level every index is set to from ``set_from`` (ignored when ``set_from < 0``).
    set_from : int
        First month of ``set_level``; -1 for none.
    floor : bool
        Floor at zero.
    """

    spreads: np.ndarray
    shock: np.ndarray
    set_level: float = 0.0
    set_from: int = -1
    floor: bool = True


def shock_weights(n_months: int, bp: float, *, from_month: int = 0, ramp_months: int = 0) -> np.ndarray:
    """The parallel shock at each month [decimal], the same rule as :meth:`CurveSet.shifted`."""
    months = np.arange(n_months)
    if ramp_months > 0:
        weight = np.clip((months - from_month + 1) / ramp_months, 0.0, 1.0)
    else:
        weight = (months >= from_month).astype(float)
    return bp / 10_000.0 * weight


def index_rates(factors: np.ndarray, log_forward_bond: np.ndarray, convexity: np.ndarray,
                loadings: np.ndarray, days: np.ndarray, rules: IndexRules) -> np.ndarray:
    """The four indices on each path.

    Parameters
    ----------
    factors : (p, n, m)
        Model factors per path.
    log_forward_bond : (3, m)
        ``ln`` of the curve's forward bond prices for 1, 6 and 12 months.
    convexity, loadings : (3, m) and (n, 3, m)
        Affine bond-price coefficients (``ln P = ln Pc + convexity - loadings . x``).
    days : (3, m)
        Actual days of each tenor from each grid date.
    rules : IndexRules

    Returns
    -------
    numpy.ndarray, shape (p, 4, m)
        [annual, decimal] in :data:`INDEX_NAMES` order.
    """
    from stress.kernels.rates import _index_rates

    p, _, m = factors.shape
    out = np.empty((p, len(INDEX_NAMES), m))
    _index_rates(np.ascontiguousarray(factors), np.ascontiguousarray(log_forward_bond + convexity),
                 np.ascontiguousarray(loadings), days.astype(np.float64), rules.spreads.astype(np.float64),
                 rules.shock.astype(np.float64), float(rules.set_level), int(rules.set_from), bool(rules.floor),
                 out)
    return out
