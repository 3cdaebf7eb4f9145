"""Bond analytics on projected cash flows: WAL, discount margin, duration, windows.

Conventions
-----------
- Times are years from settlement (the closing date; the bonds settle flat, so
  no accrued interest is paid at settlement) to each business-day-adjusted
  payment date, actual/365.25.
- WAL counts principal *paid*; principal written down is a loss, not a
  repayment, and does not enter the WAL.
- Discount margin: the spread ``m`` over the projected 1M LIBOR path that
  prices the bond's cash flows at ``price`` (percent of original balance),
  discounting period ``t`` by prod_{s<=t} 1 / (1 + (L_s + m) d_s / 360), the
  same actual/360 money-market compounding the coupon uses.
- Modified duration: -(1/P) dP/dm at the discount margin, by a central
  difference of +/-1bp with cash flows held fixed (for a floater this is its
  spread duration) [years].
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq


def weighted_average_life(principal: np.ndarray, years: np.ndarray) -> float:
    """WAL [years] of a principal stream; NaN if no principal is paid."""
    total = float(np.sum(principal))
    if total <= 0.0:
        return float("nan")
    return float(np.dot(principal, years) / total)


def _price_at(margin: float, cashflow: np.ndarray, libor: np.ndarray, days: np.ndarray) -> float:
    growth = 1.0 + (libor + margin) * days / 360.0
    return float(np.sum(cashflow / np.cumprod(growth)))


def discount_margin(cashflow: np.ndarray, libor: np.ndarray, days: np.ndarray, *,
                    price: float, original_balance: float) -> float:
    """Discount margin [decimal] at which the cash flows are worth ``price``% of ``original_balance``.

    Returns NaN when the bond pays nothing.
    """
    target = price / 100.0 * original_balance
    if np.sum(cashflow) <= 0.0:
        return float("nan")
    f = lambda m: _price_at(m, cashflow, libor, days) - target  # noqa: E731
    lo, hi = -1.0, 1.0  # wide: a bond capped far below LIBOR prices at a deeply negative margin
    if f(lo) * f(hi) > 0:
        return float("nan")
    return float(brentq(f, lo, hi, xtol=1e-12))


def modified_duration(cashflow: np.ndarray, libor: np.ndarray, days: np.ndarray, *, margin: float) -> float:
    """Spread duration [years] at ``margin``: -(1/P) dP/dm by central difference of 1bp."""
    if not np.isfinite(margin):
        return float("nan")
    h = 1e-4
    p0 = _price_at(margin, cashflow, libor, days)
    up = _price_at(margin + h, cashflow, libor, days)
    down = _price_at(margin - h, cashflow, libor, days)
    return float(-(up - down) / (2.0 * h * p0))


def payment_window(principal: np.ndarray, dates: np.ndarray) -> tuple[str | None, str | None]:
    """First and last month (``YYYY-MM``) with principal paid, or (None, None)."""
    paid = np.flatnonzero(principal > 0.005)
    if paid.size == 0:
        return None, None
    as_month = lambda d: str(np.datetime64(d, "M"))  # noqa: E731
    return as_month(dates[paid[0]]), as_month(dates[paid[-1]])
