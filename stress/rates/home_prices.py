"""Home-price index paths: national, and optionally California, per scenario.

Monthly log growth follows an AR(1) around its drift::

    g[t] = mu + phi (g[t-1] - mu) + s eps[t]
    log HPI[t] = log HPI[t-1] + g[t],        HPI[0] = 1

with ``mu = drift / 12`` and ``s = volatility * (1 - phi) / sqrt(12)``: the
innovation is scaled so that ``volatility`` is the long-run annualized
volatility of log HPI (the variance of ``log HPI[n]`` grows like
``volatility^2 * n / 12`` for large ``n``). ``g[0]`` is the growth of the
month before cut-off (``initial_growth / 12``, default ``mu``).

Shocks (standard normals ``z`` from the scenario draws, see
:mod:`stress.rates.generator`)::

    eps_national   = rho_r z_rate + sqrt(1 - rho_r^2) z_national
    eps_california = rho_ca eps_national + sqrt(1 - rho_ca^2) z_california

where ``z_rate`` is the first rate factor's standardized innovation (positive:
rates up) and ``rho_r = rate_correlation``. California's innovations thus
have correlation ``rho_ca`` with the nation's and ``rho_ca * rho_r`` with the
rate factor. Its AR(1) uses the national ``phi``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stress.accelerate import kernel
from stress.rates.config import HomePriceConfig


@dataclass(frozen=True)
class _Ar1:
    mu: float       # mean monthly log growth
    phi: float      # autocorrelation
    scale: float    # innovation standard deviation (monthly)
    start: float    # g[0]


def _ar1(drift: float, volatility: float, phi: float, initial_growth: float | None) -> _Ar1:
    mu = drift / 12.0
    start = mu if initial_growth is None else initial_growth / 12.0
    return _Ar1(mu, phi, volatility * (1.0 - phi) / np.sqrt(12.0), start)


def log_hpi_moments(config: HomePriceConfig, n_months: int, *, california: bool = False):
    """Closed-form mean and variance of ``log HPI[n]`` for ``n = 0 .. n_months-1``.

    ``E = n mu + (g0 - mu) sum_{t=1..n} phi^t`` and
    ``Var = s^2 / (1 - phi)^2 sum_{i=1..n} (1 - phi^i)^2`` (the innovation
    entering at month ``n - i + 1`` reaches ``log HPI[n]`` with weight
    ``(1 - phi^i) / (1 - phi)``).
    """
    ca = config.california
    if california:
        drift = config.drift if ca.drift is None else ca.drift
        ar = _ar1(drift, ca.volatility, config.autocorrelation, config.initial_growth)
    else:
        ar = _ar1(config.drift, config.volatility, config.autocorrelation, config.initial_growth)
    n = np.arange(n_months)
    powers = ar.phi ** np.arange(1, n_months)
    mean = n * ar.mu + (ar.start - ar.mu) * np.concatenate([[0.0], np.cumsum(powers)])
    weights = np.concatenate([[0.0], np.cumsum((1.0 - powers) ** 2)])
    var = (ar.scale / (1.0 - ar.phi)) ** 2 * weights
    return mean, var


def simulate_home_prices(normals: np.ndarray, config: HomePriceConfig, *, rate_column: int,
                         national_column: int, california_column: int) -> tuple[np.ndarray, np.ndarray]:
    """National and California HPI paths.

    Parameters
    ----------
    normals : numpy.ndarray, shape (p, m - 1, k)
        The scenario's standard normals; step ``s`` moves month ``s`` to ``s + 1``.
    config : HomePriceConfig
    rate_column, national_column, california_column : int
        Which columns of ``normals`` hold the rate innovation and the two HPI shocks.

    Returns
    -------
    national, california : numpy.ndarray, shape (p, m)
        Index levels, 1.0 at month 0. ``california`` equals ``national`` when
        the regional factor is off.
    """
    p, steps, _ = normals.shape
    nat = _ar1(config.drift, config.volatility, config.autocorrelation, config.initial_growth)
    national = np.empty((p, steps + 1))
    ca = config.california
    if ca.enabled:
        drift = config.drift if ca.drift is None else ca.drift
        cal = _ar1(drift, ca.volatility, config.autocorrelation, config.initial_growth)
        california = np.empty((p, steps + 1))
    else:
        cal = nat
        california = national  # filled by the same call; one array, as documented
    _hpi_paths(np.ascontiguousarray(normals), rate_column, national_column, california_column,
               nat.mu, nat.phi, nat.scale, nat.start, config.rate_correlation,
               cal.mu, cal.scale, cal.start, ca.correlation, ca.enabled, national, california)
    if not ca.enabled:
        california = national.copy()
    return national, california


# p = paths, t = monthly steps
@kernel
def _hpi_paths(normals, rate_col, nat_col, ca_col, mu, phi, scale, start, rho_rate,
               mu_ca, scale_ca, start_ca, rho_ca, with_ca, national, california):
    n_paths, n_steps = normals.shape[0], normals.shape[1]
    own_rate = np.sqrt(max(0.0, 1.0 - rho_rate * rho_rate))
    own_ca = np.sqrt(max(0.0, 1.0 - rho_ca * rho_ca))
    for p in range(n_paths):
        growth, log_level = start, 0.0
        growth_ca, log_ca = start_ca, 0.0
        national[p, 0] = 1.0
        if with_ca:
            california[p, 0] = 1.0
        for t in range(n_steps):
            eps = rho_rate * normals[p, t, rate_col] + own_rate * normals[p, t, nat_col]
            growth = mu + phi * (growth - mu) + scale * eps
            log_level += growth
            national[p, t + 1] = np.exp(log_level)
            if with_ca:
                eps_ca = rho_ca * eps + own_ca * normals[p, t, ca_col]
                growth_ca = mu_ca + phi * (growth_ca - mu_ca) + scale_ca * eps_ca
                log_ca += growth_ca
                california[p, t + 1] = np.exp(log_ca)
