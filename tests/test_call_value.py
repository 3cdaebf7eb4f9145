"""The residual holder's value of the loans, which decides an economic clean-up call."""

from __future__ import annotations

import numpy as np
import pytest

from stress.call_value import pool_value


def test_pool_value_by_hand():
    pool = {"pool_balance_end": np.array([[100.0, 90.0]]), "performing_balance_begin": np.array([[100.0, 80.0]]),
            "pool_balance_begin": np.array([[100.0, 100.0]]), "net_rate_balance": np.array([[5.0, 5.0]])}
    value = pool_value(pool, libor_1m=np.array([[0.03, 0.03]]), hpi=np.array([[1.0, 0.6]]), discount_margin=0.03,
                       rate_duration_years=2.0, liquidation_cost=0.4, original_ltv=0.8)
    # period 0: 80 performing (the performing balance that starts period 1) at 1 - 2 x (3% + 3% - 5%) = 0.98,
    # 20 in default at min(1, 0.6 x 1.0 / 0.8) = 0.75: 78.40 + 15.00
    assert value[0, 0] == pytest.approx(93.4, abs=1e-9)
    # period 1 (the last): every loan counted as performing, 90 x 0.98
    assert value[0, 1] == pytest.approx(88.2, abs=1e-9)


def test_loans_never_fetch_more_than_par_and_home_prices_drive_recoveries():
    pool = {"pool_balance_end": np.array([[100.0, 100.0]]), "performing_balance_begin": np.array([[100.0, 50.0]]),
            "pool_balance_begin": np.array([[100.0, 100.0]]), "net_rate_balance": np.array([[9.0, 9.0]])}
    rich = pool_value(pool, libor_1m=np.array([[0.01, 0.01]]), hpi=np.array([[1.5, 1.5]]), discount_margin=0.02,
                      rate_duration_years=2.0, liquidation_cost=0.25, original_ltv=0.8)
    assert rich[0, 0] == pytest.approx(100.0)  # a 9% coupon over LIBOR + 2%: still par, recoveries capped at 1
    crash = pool_value(pool, libor_1m=np.array([[0.01, 0.01]]), hpi=np.array([[0.6, 0.6]]), discount_margin=0.02,
                       rate_duration_years=2.0, liquidation_cost=0.25, original_ltv=0.8)
    assert crash[0, 0] == pytest.approx(50.0 + 50.0 * 0.75 * 0.6 / 0.8)
