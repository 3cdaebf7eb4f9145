"""What the loans are worth to the residual holder on each Payment Date: the clean-up call's yardstick.

The call is the residual holder's option ("economic" call rule): on a date
the call may be exercised it pays the Redemption Price (what the trust owes,
:mod:`stress.waterfall`) and receives the loans, so it calls only when the
loans are worth at least that price. :func:`pool_value` values the loans of
each path at the end of each Due Period by a documented rule whose
coefficients are scenario data (``[call_valuation]``, :class:`stress.scenario.CallValuation`):

- **Performing loans** at par less a rate discount: ``duration x max(0,
  LIBOR_1M + discount_margin - net mortgage rate)``. A buyer who needs
  ``LIBOR + discount_margin`` pays less than par for loans whose net coupon
  is below that, by the coupon gap times the loans' remaining rate duration;
  prepayable loans never fetch more than par (borrowers refinance at par).
- **Loans in default, not yet liquidated** (pool balance less the performing
  balance) at their expected recovery: ``min(1, (1 - liquidation_cost) x
  HPI_t / LTV_0)``, the house at the path's national home-price index
  (1.0 at cut-off) against the pool's original loan-to-value, less the
  costs of foreclosing and selling.

The rule is deliberately pool-level (loan-level values would need the
collateral kernel to carry each loan's state out); its inputs are the path's
own rates, home prices and delinquencies, so a crisis path, where rates,
delinquencies or home prices move against the loans, does not call.
"""

from __future__ import annotations

import numpy as np


def pool_value(pool: dict, libor_1m: np.ndarray, hpi: np.ndarray, *, discount_margin: float,
               rate_duration_years: float, liquidation_cost: float, original_ltv: float) -> np.ndarray:
    """Value of each path's loans after each period's collections [USD], shape (p, t).

    Parameters
    ----------
    pool : dict of (p, t) arrays
        Collateral cash flows (``pool_balance_end``, ``performing_balance_begin``,
        ``pool_balance_begin``, ``net_rate_balance``).
    libor_1m : (p, t) array
        One-month LIBOR for each period [annual rate].
    hpi : (p, t) array
        National home-price index, 1.0 at the cut-off date.
    discount_margin : float
        Margin over one-month LIBOR a buyer requires of performing loans [annual rate].
    rate_duration_years : float
        Price change of performing loans per unit of coupon gap [years].
    liquidation_cost : float
        Foreclosure, carrying and sale costs [fraction of the property value].
    original_ltv : float
        The pool's weighted average original loan-to-value [fraction].
    """
    end = pool["pool_balance_end"]
    # Performing balance at the end of period t = at the start of period t + 1.
    performing = np.concatenate([pool["performing_balance_begin"][:, 1:], end[:, -1:]], axis=1)
    performing = np.minimum(performing, end)
    with np.errstate(invalid="ignore", divide="ignore"):
        net_rate = np.where(pool["pool_balance_begin"] > 0, pool["net_rate_balance"] / pool["pool_balance_begin"], 0.0)
    gap = np.maximum(libor_1m + discount_margin - net_rate, 0.0)
    price = np.clip(1.0 - rate_duration_years * gap, 0.0, 1.0)
    recovery = np.clip((1.0 - liquidation_cost) * hpi / original_ltv, 0.0, 1.0)
    return performing * price + (end - performing) * recovery
