"""Home-price paths: closed-form moments of log HPI, regional and rate correlations."""

from __future__ import annotations

import numpy as np
import pytest

from stress.rates.config import HomePriceConfig
from stress.rates.home_prices import log_hpi_moments, simulate_home_prices

SEED = 20040101
COLUMNS = dict(rate_column=0, national_column=4, california_column=5)


def simulate(config: HomePriceConfig, n_paths: int = 20_000, n_months: int = 121, seed: int = SEED):
    normals = np.random.default_rng(seed).standard_normal((n_paths, n_months - 1, 6))
    return normals, *simulate_home_prices(normals, config, **COLUMNS)


def test_starts_at_one_and_california_equals_national_when_off():
    _, national, california = simulate(HomePriceConfig(), n_paths=10)
    assert np.all(national[:, 0] == 1.0)
    np.testing.assert_array_equal(california, national)
    assert california is not national


def test_zero_volatility_is_the_drift_path():
    config = HomePriceConfig(drift=0.03, volatility=0.0, autocorrelation=0.9, initial_growth=0.12)
    _, national, _ = simulate(config, n_paths=3)
    mean, var = log_hpi_moments(config, 121)
    np.testing.assert_allclose(np.log(national[0]), mean, rtol=1e-12, atol=1e-15)
    assert np.all(var == 0)
    # momentum: 12% growth decays towards the 3% drift
    assert np.diff(np.log(national[0]))[0] > np.diff(np.log(national[0]))[-1] > 0.0025


@pytest.mark.parametrize("config", [
    HomePriceConfig(),
    HomePriceConfig(drift=-0.02, volatility=0.08, autocorrelation=0.5, initial_growth=0.10),
])
def test_log_hpi_mean_and_variance_match_closed_form(config):
    n = 20_000
    _, national, _ = simulate(config, n_paths=n)
    mean, var = log_hpi_moments(config, 121)
    for month in (1, 12, 60, 120):
        x = np.log(national[:, month])
        assert abs(x.mean() - mean[month]) < 3 * np.sqrt(var[month] / n), month
        assert abs(x.var(ddof=1) - var[month]) < 3 * var[month] * np.sqrt(2 / (n - 1)), month


def test_volatility_is_the_long_run_annual_volatility():
    config = HomePriceConfig(volatility=0.05, autocorrelation=0.85)
    _, var = log_hpi_moments(config, 12 * 200 + 1)
    # Var(log HPI[n]) / years -> volatility^2 as the horizon grows
    assert var[-1] / 200 == pytest.approx(0.05 ** 2, rel=0.02)


def test_california_correlation_and_volatility():
    n, rho = 20_000, 0.7
    config = HomePriceConfig(california=dict(enabled=True, volatility=0.10, correlation=rho))
    _, national, california = simulate(config, n_paths=n)
    # same AR(1) weights on both innovation series: the log levels have correlation rho
    r = np.corrcoef(np.log(national[:, 120]), np.log(california[:, 120]))[0, 1]
    assert abs(r - rho) < 3 * (1 - rho ** 2) / np.sqrt(n)
    _, var_ca = log_hpi_moments(config, 121, california=True)
    x = np.log(california[:, 120])
    assert abs(x.var(ddof=1) - var_ca[120]) < 3 * var_ca[120] * np.sqrt(2 / (n - 1))


def test_rate_correlation_of_innovations():
    n, rho = 4_000, -0.4
    config = HomePriceConfig(rate_correlation=rho, autocorrelation=0.6)
    normals, national, _ = simulate(config, n_paths=n, n_months=25)
    mu, phi = config.drift / 12, config.autocorrelation
    scale = config.volatility * (1 - phi) / np.sqrt(12)
    growth = np.diff(np.log(national), axis=1)
    previous = np.concatenate([np.full((n, 1), mu), growth[:, :-1]], axis=1)
    eps = (growth - mu - phi * (previous - mu)) / scale
    r = np.corrcoef(eps.ravel(), normals[:, :, 0].ravel())[0, 1]
    assert abs(r - rho) < 3 * (1 - rho ** 2) / np.sqrt(eps.size)
