"""Home-price paths: the kernel against its reference twin, exact moments, momentum and error
correction, regional and rate correlations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.home_prices_reference import hpi_paths
from stress.rates.config import HomePriceConfig
from stress.rates.home_prices import log_hpi_moments, simulate_home_prices

SEED = 20040101
COLUMNS = dict(rate_column=0, national_column=4, california_column=5)


def simulate(config: HomePriceConfig, n_paths: int = 20_000, n_months: int = 121, seed: int = SEED):
    normals = np.random.default_rng(seed).standard_normal((n_paths, n_months - 1, 6))
    return normals, *simulate_home_prices(normals, config, **COLUMNS)


def reference_keywords(region):
    return dict(mu=region.drift / 12, phi=region.monthly_ar, beta=region.momentum, kappa=region.error_correction,
                sigma=region.volatility / np.sqrt(12), theta=region.moving_average,
                growth=np.array(region.growth_history()) / 12, gap=region.initial_gap,
                innovations=region.initial_innovations)


def test_starts_at_one_and_california_equals_national_when_off():
    _, national, california = simulate(HomePriceConfig(), n_paths=10)
    assert np.all(national[:, 0] == 1.0)
    np.testing.assert_array_equal(california, national)
    assert california is not national


region_values = st.fixed_dictionaries(dict(
    drift=st.floats(-0.1, 0.1), volatility=st.floats(0.0, 0.05), monthly_ar=st.floats(-0.9, 0.9),
    momentum=st.floats(-0.5, 0.9), error_correction=st.floats(0.0, 0.05),
    moving_average=st.tuples(st.floats(-0.9, 0.9), st.floats(-0.9, 0.9)),
    initial_growth=st.lists(st.floats(-0.3, 0.3), min_size=12, max_size=12),
    initial_gap=st.floats(-0.5, 0.5), initial_innovations=st.tuples(st.floats(-0.02, 0.02), st.floats(-0.02, 0.02))))


@settings(deadline=None, max_examples=25)
@given(national=region_values, california=region_values, with_ca=st.booleans(), rho_rate=st.floats(-0.9, 0.9),
       rho_ca=st.floats(-0.9, 0.9), seed=st.integers(0, 2 ** 32 - 1), months=st.integers(2, 40))
def test_kernel_matches_reference_twin(national, california, with_ca, rho_rate, rho_ca, seed, months):
    config = HomePriceConfig(**national, rate_correlation=rho_rate,
                             california=dict(california, enabled=with_ca, correlation=rho_ca))
    normals, nat, ca = simulate(config, n_paths=3, n_months=months, seed=seed)
    ref_nat, ref_ca = hpi_paths(normals, rate_col=0, nat_col=4, ca_col=5, national=reference_keywords(config),
                                california=reference_keywords(config.california) if with_ca else None,
                                rho_rate=rho_rate, rho_ca=rho_ca)
    np.testing.assert_allclose(nat, ref_nat, rtol=1e-10)
    np.testing.assert_allclose(ca, ref_ca, rtol=1e-10)


def test_zero_volatility_is_the_conditional_mean_path():
    config = HomePriceConfig(volatility=0.0)
    _, national, _ = simulate(config, n_paths=2)
    mean, var = log_hpi_moments(config, 121)
    np.testing.assert_allclose(np.log(national[0]), mean, rtol=1e-10, atol=1e-14)
    assert np.all(var == 0)


def test_steady_state_grows_at_the_drift():
    config = HomePriceConfig(volatility=0.0, initial_growth=None, initial_gap=0.0, initial_innovations=(0.0, 0.0))
    _, national, _ = simulate(config, n_paths=1)
    np.testing.assert_allclose(np.log(national[0]), config.drift / 12 * np.arange(121), rtol=1e-12)


def test_boom_continues_then_turns_into_a_bust():
    """Momentum: 10%/yr trailing growth at the trend level keeps growth above the drift for a year;
    error correction: the level overshoots its trend and is pulled back below it (a cycle), and from
    the January 2004 data state (14.5% above trend, 9.7% trailing growth) prices peak and then fall."""
    boom = HomePriceConfig(volatility=0.0, drift=0.03, initial_growth=0.10, initial_gap=0.0,
                           initial_innovations=(0.0, 0.0))
    _, national, _ = simulate(boom, n_paths=1, n_months=241)
    gap = np.log(national[0]) - 0.03 / 12 * np.arange(241)
    assert np.all(np.diff(gap)[:12] > 0)              # above-trend growth for a year at least
    assert gap.max() > 0.05 and gap.min() < 0.0 and np.argmin(gap) > np.argmax(gap)
    # without error correction the gap never turns back
    _, no_ec, _ = simulate(boom.model_copy(update=dict(error_correction=0.0)), n_paths=1, n_months=241)
    assert np.all(np.diff(np.log(no_ec[0]) - 0.03 / 12 * np.arange(241)) > -1e-12)
    _, cutoff, _ = simulate(HomePriceConfig(volatility=0.0), n_paths=1, n_months=121)
    peak = int(np.argmax(cutoff[0, :72]))
    assert 12 < peak < 60 and cutoff[0, 72] < 0.98 * cutoff[0, peak]


@pytest.mark.parametrize("config", [
    HomePriceConfig(),
    HomePriceConfig(drift=-0.02, volatility=0.02, monthly_ar=0.3, momentum=0.5, error_correction=0.02,
                    initial_growth=0.10, initial_gap=-0.2),
])
def test_log_hpi_mean_and_variance_match_closed_form(config):
    n = 20_000
    _, national, _ = simulate(config, n_paths=n)
    mean, var = log_hpi_moments(config, 121)
    for month in (1, 12, 60, 120):
        x = np.log(national[:, month])
        assert abs(x.mean() - mean[month]) < 3 * np.sqrt(var[month] / n), month
        assert abs(x.var(ddof=1) - var[month]) < 3 * var[month] * np.sqrt(2 / (n - 1)), month


def test_first_month_variance_is_the_innovation_variance():
    config = HomePriceConfig(volatility=0.012)
    _, var = log_hpi_moments(config, 2)
    assert var[1] == pytest.approx(0.012 ** 2 / 12, rel=1e-12)


def test_california_innovations_correlation_and_moments():
    n, rho = 20_000, 0.5242
    config = HomePriceConfig(california=dict(enabled=True))
    normals, national, california = simulate(config, n_paths=n, n_months=2)
    # month 1's log change is mean + e[1] (+ known MA terms): its correlation across regions is rho
    r = np.corrcoef(np.log(national[:, 1]), np.log(california[:, 1]))[0, 1]
    assert abs(r - rho) < 3 * (1 - rho ** 2) / np.sqrt(n)
    _, national, california = simulate(config, n_paths=n)
    mean_ca, var_ca = log_hpi_moments(config, 121, california=True)
    x = np.log(california[:, 120])
    assert abs(x.mean() - mean_ca[120]) < 3 * np.sqrt(var_ca[120] / n)
    assert abs(x.var(ddof=1) - var_ca[120]) < 3 * var_ca[120] * np.sqrt(2 / (n - 1))


def test_rate_correlation_of_innovations():
    n, rho = 4_000, -0.4
    config = HomePriceConfig(rate_correlation=rho)
    normals, national, _ = simulate(config, n_paths=n, n_months=2)
    mean, var = log_hpi_moments(config, 2)
    eps = (np.log(national[:, 1]) - mean[1]) / np.sqrt(var[1])
    r = np.corrcoef(eps, normals[:, 0, 0])[0, 1]
    assert abs(r - rho) < 3 * (1 - rho ** 2) / np.sqrt(n)
