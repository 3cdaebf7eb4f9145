"""WAL, discount margin and duration on hand-built cash flows."""

from __future__ import annotations

import numpy as np
import pytest

from stress.analytics import discount_margin, modified_duration, payment_window, weighted_average_life


def _amortizing_floater(margin: float, n: int = 60):
    rng = np.random.default_rng(3)
    libor = 0.01 + 0.04 * rng.random(n)
    days = rng.integers(28, 32, n).astype(float)
    balance = 1_000_000.0
    principal = np.full(n, balance / n)
    outstanding = balance - np.concatenate([[0.0], np.cumsum(principal)[:-1]])
    interest = outstanding * (libor + margin) * days / 360.0
    return principal + interest, principal, libor, days, balance


def test_floater_paying_libor_plus_m_has_dm_m_at_par():
    cash, _, libor, days, balance = _amortizing_floater(0.0045)
    assert discount_margin(cash, libor, days, price=100.0, original_balance=balance) == pytest.approx(0.0045, abs=1e-10)


def test_discount_raises_dm_by_about_price_over_duration():
    cash, _, libor, days, balance = _amortizing_floater(0.0045)
    dm_par = discount_margin(cash, libor, days, price=100.0, original_balance=balance)
    dm_99 = discount_margin(cash, libor, days, price=99.0, original_balance=balance)
    duration = modified_duration(cash, libor, days, margin=dm_par)
    assert 2.0 < duration < 3.0          # 5-year straight-line amortizer: about half its life
    assert dm_99 - dm_par == pytest.approx(0.01 / duration, rel=0.05)


def test_wal_and_window():
    principal = np.array([0.0, 100.0, 0.0, 300.0, 0.0])
    years = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert weighted_average_life(principal, years) == pytest.approx((0.2 * 100 + 0.4 * 300) / 400)
    dates = np.array(["2004-02-25", "2004-03-25", "2004-04-26", "2004-05-25", "2004-06-25"], dtype="datetime64[D]")
    assert payment_window(principal, dates) == ("2004-03", "2004-05")
    assert np.isnan(weighted_average_life(np.zeros(5), years))
    assert payment_window(np.zeros(5), dates) == (None, None)
