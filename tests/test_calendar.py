"""Payment dates, business-day adjustment and actual/360 accrual days."""

from __future__ import annotations

import datetime as dt

import numpy as np

from stress.calendar import is_business_day, next_business_day, payment_schedule


def test_reference_deal_first_periods(deal):
    s = payment_schedule(deal, 360)
    dates = [str(d) for d in s.payment_dates[:5]]
    # 2004-04-25 is a Sunday -> Monday 26th; 2004-07-25 Sunday -> 26th
    assert dates == ["2004-02-25", "2004-03-25", "2004-04-26", "2004-05-25", "2004-06-25"]
    assert str(s.payment_dates[5]) == "2004-07-26"
    # closing 2004-01-29 -> 2004-02-25: 27 days; 03-25 -> 04-26: 32 days; 04-26 -> 05-25: 29 days
    assert s.accrual_days[:4].tolist() == [27, 29, 32, 29]
    assert str(s.accrual_start[0]) == "2004-01-29"
    assert s.years_from_settlement[0] == (dt.date(2004, 2, 25) - dt.date(2004, 1, 29)).days / 365.25
    assert s.period_of(dt.date(2014, 2, 25)) == 120


def test_holidays_move_payment_dates():
    # 2005-12-25 is a Sunday (Christmas observed Monday 26th) -> Tuesday 27th
    assert next_business_day(dt.date(2005, 12, 25)) == dt.date(2005, 12, 27)
    assert not is_business_day(dt.date(2004, 5, 31))  # Memorial Day
    assert is_business_day(dt.date(2004, 5, 25))


def test_accrual_days_sum_to_calendar_span(deal):
    s = payment_schedule(deal, 360)
    span = (s.payment_dates[-1] - np.datetime64("2004-01-29")).astype(int)
    assert s.accrual_days.sum() == span
    assert s.accrual_days.min() >= 27 and s.accrual_days.max() <= 34
