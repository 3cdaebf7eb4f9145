"""The built-in forward curve reprices its own quotes; shocks do what they say."""

from __future__ import annotations

import numpy as np
import pytest

from stress.errors import ScenarioError
from stress.rates.curves import forward_curve, load_curve, read_curve_file


@pytest.fixture(scope="module")
def curve():
    return forward_curve()


def test_month_zero_equals_quotes(curve):
    assert curve.rates[:, 0] == pytest.approx([0.0110, 0.0120, 0.0148, 0.0125], abs=1e-12)


@pytest.mark.parametrize("years, quote", [(2, 0.0206), (5, 0.0345), (10, 0.0455), (30, 0.0532)])
def test_discount_factors_reprice_par_swaps(curve, years, quote):
    df = curve.discount
    annuity = sum(0.5 * df[6 * k] for k in range(1, 2 * years + 1))
    assert (1.0 - df[12 * years]) / annuity == pytest.approx(quote, abs=1e-10)


def test_deposits_repriced(curve):
    days = (curve.dates[6] - curve.dates[0]).astype(int)
    assert (1 / curve.discount[6] - 1) * 360 / days == pytest.approx(0.0120, abs=1e-12)


def test_forwards_positive_and_smooth(curve):
    assert curve.rates.min() > 0.005 and curve.rates[:, :360].max() < 0.08
    assert np.abs(np.diff(curve.libor_1m[:360])).max() < 0.007


def test_static_and_shocks(curve):
    static = curve.static()
    assert np.all(static.rates == curve.rates[:, :1])
    up = curve.shifted(200, from_month=12)
    assert np.allclose(up.rates[:, :12], curve.rates[:, :12])
    assert np.allclose(up.rates[:, 12:] - curve.rates[:, 12:], 0.02)
    ramp = curve.shifted(300, ramp_months=3)
    assert np.allclose((ramp.rates - curve.rates)[0, :4], [0.01, 0.02, 0.03, 0.03])
    spike = curve.set_all(0.20, from_month=1)
    assert spike.rates[0, 0] == curve.rates[0, 0] and np.all(spike.rates[:, 1:] == 0.20)
    with pytest.raises(ScenarioError, match="must be in"):
        curve.set_all(0.9)


def test_curve_file_round_trip_and_errors(tmp_path, curve):
    path = tmp_path / "curve.csv"
    rows = ["month,libor_1m,libor_6m,libor_12m,cmt_1y"] + [
        f"{m},{curve.rates[0, m]},{curve.rates[1, m]},{curve.rates[2, m]},{curve.rates[3, m]}" for m in range(24)]
    path.write_text("\n".join(rows))
    read = read_curve_file(path, n_months=60)
    assert np.allclose(read.rates[:, :24], curve.rates[:, :24])
    assert np.all(read.rates[:, 24:] == read.rates[:, 23:24])
    rows[5] = "4,0.9,0.01,0.01,0.01"
    path.write_text("\n".join(rows))
    with pytest.raises(ScenarioError, match=r"row 5, column 'libor_1m', value 0\.9"):
        read_curve_file(path)
    with pytest.raises(ScenarioError, match="must be forward, static"):
        load_curve("sideways")
