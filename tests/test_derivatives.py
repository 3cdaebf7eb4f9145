"""Derivative contract payments, worked by hand."""

import numpy as np
import pytest

from stress.derivatives import DerivativeContract, derivative_payments, par_fixed_rate


def test_cap_pays_the_excess_over_the_strike_actual_360():
    cap = DerivativeContract("cap", notional=[1_000_000.0, 1_000_000.0, 0.0], strike=0.05)
    result = derivative_payments([cap], libor_1m=[0.06, 0.04, 0.09], accrual_days=[31, 30, 31])
    # 1,000,000 x 1% x 31/360 = 861.11; below the strike nothing; no notional, nothing.
    np.testing.assert_array_equal(result.net, [861.11, 0.0, 0.0])
    np.testing.assert_array_equal(result.received, [861.11, 0.0, 0.0])
    np.testing.assert_array_equal(result.paid, [0.0, 0.0, 0.0])


def test_corridor_pays_between_its_strikes_only():
    corridor = DerivativeContract("corridor", notional=[2_000_000.0] * 3, strike=0.05, upper_strike=0.07)
    result = derivative_payments([corridor], libor_1m=[0.08, 0.06, 0.04], accrual_days=[30, 30, 30])
    # above the upper strike: 2,000,000 x 2% x 30/360 = 3,333.33; inside: x 1% = 1,666.67; below: 0
    np.testing.assert_array_equal(result.net, [3333.33, 1666.67, 0.0])


@pytest.mark.parametrize("daycount, fixed_leg", [("actual/360", 25_833.33), ("30/360", 25_000.00)])
def test_pay_fixed_swap_nets_its_legs(daycount, fixed_leg):
    swap = DerivativeContract("swap", notional=[10_000_000.0, 10_000_000.0], strike=0.03,
                              fixed_daycount=daycount)
    result = derivative_payments([swap], libor_1m=[0.02, 0.05], accrual_days=[31, 31])
    # floating leg 10,000,000 x 2% x 31/360 = 17,222.22, then x 5% = 43,055.56
    expected = [round(17_222.22 - fixed_leg, 2), round(43_055.56 - fixed_leg, 2)]
    np.testing.assert_allclose(result.net, expected, atol=1e-9)
    np.testing.assert_allclose(result.paid, [fixed_leg - 17_222.22, 0.0], atol=1e-9)
    np.testing.assert_allclose(result.received, [0.0, 43_055.56 - fixed_leg], atol=1e-9)


def test_contracts_settle_separately_and_totals_add_up():
    swap = DerivativeContract("swap", notional=[10_000_000.0], strike=0.03)
    cap = DerivativeContract("cap", notional=[5_000_000.0], strike=0.01)
    result = derivative_payments([swap, cap], libor_1m=[[0.02], [0.04]], accrual_days=[30])
    # path 0: swap -8,333.33, cap +4,166.67; path 1: swap +8,333.33, cap +12,500.00
    np.testing.assert_allclose(result.by_contract[:, :, 0], [[-8333.33, 4166.67], [8333.33, 12500.0]])
    np.testing.assert_allclose(result.received[:, 0], [4166.67, 20833.33])
    np.testing.assert_allclose(result.paid[:, 0], [8333.33, 0.0])
    np.testing.assert_allclose(result.net, result.received - result.paid)


def test_no_contracts_pay_nothing():
    result = derivative_payments([], libor_1m=[0.05, 0.05], accrual_days=[30, 31])
    np.testing.assert_array_equal(result.net, [0.0, 0.0])


def test_par_fixed_rate_on_a_flat_curve_is_the_flat_rate():
    n = np.full(12, 1e6)
    assert par_fixed_rate(n, np.full(12, 0.04), np.full(12, 30.0), 0.99 ** np.arange(1, 13)) == pytest.approx(0.04)


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="floor", notional=[1.0], strike=0.01), "kind = 'floor'"),
    (dict(kind="corridor", notional=[1.0], strike=0.05, upper_strike=0.04), "upper_strike"),
    (dict(kind="cap", notional=[-1.0], strike=0.05), r"notional\[0\]"),
    (dict(kind="swap", notional=[1.0], strike=0.05, fixed_daycount="ACT/365"), "fixed_daycount"),
])
def test_bad_contracts_are_refused_with_the_field_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DerivativeContract(**kwargs)


def test_notional_schedule_must_match_the_periods():
    cap = DerivativeContract("cap", notional=[1.0, 1.0], strike=0.05, name="c1")
    with pytest.raises(ValueError, match=r"contracts\[0\] \(c1\) has 2 notionals: must have 3"):
        derivative_payments([cap], libor_1m=[0.05] * 3, accrual_days=[30] * 3)
