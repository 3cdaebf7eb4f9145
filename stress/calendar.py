"""Payment dates, accrual periods and due periods of a deal.

Conventions (the reference deal's term sheet, DESIGN §2):

- Payment date: the deal's ``payment_day`` of each month, or the next business
  day, starting at ``first_payment``.
- Interest accrual period for a payment date: from the previous payment date
  (the closing date for the first) through the day before the payment date,
  actual/360. Accrual runs between *adjusted* (business-day) dates.
- Due period ``t`` (1-based) funds payment date ``t``: the loans' payment due
  on the 1st of the payment date's month, with prepayments of the month before.
- Business days: weekends and the US bond-market holidays below. Observed
  dates follow the Federal Reserve rule (Saturday holidays observed Friday,
  Sunday holidays observed Monday).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    shift = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=shift + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


@lru_cache(maxsize=None)
def us_settlement_holidays(year: int) -> frozenset[dt.date]:
    """US federal (Fed / bond market) holidays observed in ``year``."""
    days = {
        _observed(dt.date(year, 1, 1)),
        _nth_weekday(year, 1, 0, 3),   # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),   # Washington's Birthday
        _last_weekday(year, 5, 0),     # Memorial Day
        _observed(dt.date(year, 7, 4)),
        _nth_weekday(year, 9, 0, 1),   # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _observed(dt.date(year, 11, 11)),
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
        _observed(dt.date(year, 12, 25)),
    }
    if year >= 2022:
        days.add(_observed(dt.date(year, 6, 19)))  # Juneteenth
    return frozenset(days)


def is_business_day(day: dt.date, calendar: str = "US_SETTLEMENT") -> bool:
    """Whether ``day`` is a business day under ``calendar`` (``"US_SETTLEMENT"`` or ``"NONE"``)."""
    if calendar == "NONE":
        return True
    return day.weekday() < 5 and day not in us_settlement_holidays(day.year)


def next_business_day(day: dt.date, calendar: str = "US_SETTLEMENT") -> dt.date:
    """``day`` itself if it is a business day, else the next one."""
    while not is_business_day(day, calendar):
        day += dt.timedelta(days=1)
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month ``months`` later (day must exist in every month, i.e. <= 28)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, day.day)


@dataclass(frozen=True)
class Schedule:
    """The period grid of a run.

    Attributes
    ----------
    payment_dates : numpy.ndarray of datetime64[D]
        Business-day-adjusted payment dates, period ``t`` at index ``t - 1``.
    unadjusted_dates : numpy.ndarray of datetime64[D]
        The nominal payment dates (the 25th), used to label periods.
    accrual_start : numpy.ndarray of datetime64[D]
        First day of each interest accrual period.
    accrual_days : numpy.ndarray of int64
        Days in each accrual period [actual].
    years_from_settlement : numpy.ndarray of float64
        (payment date - settlement) / 365.25 [year], for WAL.
    """

    payment_dates: np.ndarray
    unadjusted_dates: np.ndarray
    accrual_start: np.ndarray
    accrual_days: np.ndarray
    years_from_settlement: np.ndarray

    @property
    def n_periods(self) -> int:
        return len(self.payment_dates)

    def period_of(self, day: dt.date) -> int:
        """0-based index of the first period whose nominal payment date is on or after ``day``."""
        return int(np.searchsorted(self.unadjusted_dates, np.datetime64(day, "D")))


def payment_schedule(deal, n_periods: int) -> Schedule:
    """Build the payment-date grid of ``deal`` for ``n_periods`` periods.

    Parameters
    ----------
    deal : stress.deal.Deal
    n_periods : int
        Number of payment dates (360 covers the reference pool's longest loan).
    """
    dates = deal.dates
    nominal = [add_months(dates.first_payment, k) for k in range(n_periods)]
    adjusted = [next_business_day(d, dates.business_day_calendar) for d in nominal]
    starts = [dates.closing] + adjusted[:-1]
    days = np.array([(end - start).days for start, end in zip(starts, adjusted)], dtype=np.int64)
    years = np.array([(d - dates.settlement).days / 365.25 for d in adjusted], dtype=np.float64)
    as_d = lambda seq: np.array(seq, dtype="datetime64[D]")  # noqa: E731
    return Schedule(as_d(adjusted), as_d(nominal), as_d(starts), days, years)
