"""Deal mechanics (stress.mechanics) against the reference deal's term sheet dates, derived by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stress.calendar import payment_schedule
from stress.deal import load_deal
from stress.mechanics import (clean_up_call_period, collateral_horizon, horizon, lookback_shifted, oc_breach_from,
                              stepup_period)


@pytest.fixture(scope="module")
def deal():
    return load_deal()


def test_call_date_bounds_a_to_call_projection(deal):
    # Payment dates from February 2004 (index 0): the February 2014 call date is index 120, so a
    # to-call run needs months 0..120 (121); other rules may call later or never: every month.
    schedule = payment_schedule(deal, 372)
    assert collateral_horizon(deal, schedule, 372, "always") == 121
    assert collateral_horizon(deal, schedule, 372, "economic") == 372
    assert collateral_horizon(deal, schedule, 372, "never") == 372
    # a run ending before the call date projects all of its months
    assert collateral_horizon(deal, payment_schedule(deal, 100), 100, "always") == 100


def test_clean_up_call_is_the_earlier_of_25_percent_and_the_call_date(deal):
    schedule = payment_schedule(deal, 372)
    cutoff = deal.collateral.cutoff_balance
    balance = np.full(372, cutoff)
    assert clean_up_call_period(deal, schedule, balance) == 120  # February 2014
    balance[50:] = 0.25 * cutoff  # at 25% from index 50: callable there
    assert clean_up_call_period(deal, schedule, balance) == 50


def test_margins_step_up_after_the_first_call_date_unless_called_on_it():
    assert stepup_period(120, "always", 372) == 372
    assert stepup_period(120, "never", 372) == 121
    assert stepup_period(-1, "never", 372) == 372
    np.testing.assert_array_equal(stepup_period(np.array([120, -1, 40]), "economic", 372), [121, 372, 41])


def test_oc_breaches_count_from_the_build_up_months_after_the_step_up(deal):
    # The 0.50% target applies from the first Payment Date after 2004-07-25 (August 2004, index 6);
    # the deal file gives 6 build-up months.
    schedule = payment_schedule(deal, 372)
    assert oc_breach_from(deal, deal.oc_target_on(schedule.unadjusted_dates), 372) == 12
    assert oc_breach_from(deal, np.zeros(372), 372) == 372


def test_horizon_and_lookback():
    assert horizon(pd.DataFrame({"remaining_term": [300, 357, 12]}), 12) == 369
    rates = np.arange(8.0).reshape(1, 8)
    np.testing.assert_array_equal(lookback_shifted(rates, 1), rates)  # the kernel's own one-month look-back
    np.testing.assert_array_equal(lookback_shifted(rates, 3), [[0, 0, 0, 1, 2, 3, 4, 5]])  # two months older
    np.testing.assert_array_equal(lookback_shifted(rates, 0), [[1, 2, 3, 4, 5, 6, 7]])  # the same month's
