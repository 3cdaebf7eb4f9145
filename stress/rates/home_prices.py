"""Home-price index paths: national, and optionally California, per scenario.

Each region's deseasonalized monthly log growth ``u`` follows a momentum /
error-correction model estimated on Case-Shiller history
(:mod:`stress.rates.hpi_estimation`; parameters and their sources in
:mod:`stress.rates.config`)::

    u[t] = mu + phi (u[t-1] - mu) + beta (a[t-1] / 12 - mu) - kappa x[t-1]
           + e[t] + theta1 e[t-1] + theta2 e[t-2],          e[t] = sigma eps[t]
    a[t] = u[t] + u[t-1] + ... + u[t-11]      trailing 12-month growth
    x[t] = x[t-1] + u[t] - mu                 log gap of the level to its trend
    log HPI[t] = log HPI[t-1] + u[t],         HPI[0] = 1

Momentum (``beta``) keeps annual appreciation going for years; the error
correction (``kappa``) pulls an over-valued level back, turning a boom into a
bust; the MA terms are the index's own smoothing (Case-Shiller is a
three-month moving average). Month 0's state (the 12 last months' growth, the
gap, the last two innovations) comes from the data at the cut-off.

Shocks (standard normals ``z`` from the scenario draws, see
:mod:`stress.rates.generator`)::

    eps_national   = rho_r z_rate + sqrt(1 - rho_r^2) z_national
    eps_california = rho_ca eps_national + sqrt(1 - rho_ca^2) z_california

where ``z_rate`` is the first rate factor's standardized innovation (positive:
rates up) and ``rho_r = rate_correlation``. The paths are a deterministic,
linear-in-the-shocks function of these normals (no other draws), so a tilt of
the national column's normals changes the paths through ``eps`` alone.
"""

from __future__ import annotations

import numpy as np

from stress.rates.config import HomePriceConfig, RegionHpi

#: Order of one region's scalars in the kernel's parameter row.
_PARAMS = ("mu", "phi", "beta", "kappa", "sigma", "theta1", "theta2", "gap", "e_before", "e_last")


def region_parameters(region: RegionHpi) -> tuple[np.ndarray, np.ndarray]:
    """One region's kernel inputs: the scalars in :data:`_PARAMS` order and the 12 initial monthly growths.

    Returns
    -------
    params : numpy.ndarray, shape (10,)
        Monthly units (``mu`` = drift / 12, ``sigma`` = volatility / sqrt(12)).
    growth : numpy.ndarray, shape (12,)
        Deseasonalized monthly log growth of the 12 months ending at month 0, oldest first.
    """
    params = np.array([region.drift / 12.0, region.monthly_ar, region.momentum, region.error_correction,
                       region.volatility / np.sqrt(12.0), *region.moving_average, region.initial_gap,
                       *region.initial_innovations])
    return params, np.asarray(region.growth_history(), dtype=float) / 12.0


def log_hpi_moments(config: HomePriceConfig, n_months: int, *, california: bool = False):
    """Exact mean and variance of ``log HPI[n]`` for ``n = 0 .. n_months-1``.

    The model is linear in its Gaussian shocks, so the state
    ``s = (u[t] .. u[t-11], x[t], e[t], e[t-1], log HPI[t])`` follows
    ``s[t+1] = A s[t] + b + B eps[t+1]``: the mean and covariance are
    propagated month by month (``m' = A m + b``, ``P' = A P A^T + B B^T``).
    """
    region = config.california if california else config
    (mu, phi, beta, kappa, sigma, th1, th2, gap, e_before, e_last), growth = region_parameters(region)
    dim = 16  # 12 growths (newest first), gap, e[t], e[t-1], log level
    a = np.zeros((dim, dim))
    b = np.zeros(dim)
    load = np.zeros(dim)
    # u' = (mu - phi mu - beta mu) + phi u + beta/12 (u + ... + u[-11]) - kappa x + th1 e + th2 e[-1] + sigma eps
    row = np.zeros(dim)
    row[0] += phi
    row[:12] += beta / 12.0
    row[12] = -kappa
    row[13], row[14] = th1, th2
    const = mu - phi * mu - beta * mu
    a[0], b[0], load[0] = row, const, sigma
    a[1:12, 0:11] = np.eye(11)                   # shift the growth window
    a[12], b[12], load[12] = row, const - mu, sigma
    a[12, 12] += 1.0                             # x' = x + u' - mu
    load[13] = sigma                             # e' = sigma eps
    a[14, 13] = 1.0                              # e[t-1]' = e[t]
    a[15], b[15], load[15] = row, const, sigma
    a[15, 15] += 1.0                             # log level' = log level + u'
    m = np.concatenate([growth[::-1], [gap, e_last, e_before, 0.0]])
    p = np.zeros((dim, dim))
    mean, var = np.empty(n_months), np.empty(n_months)
    mean[0], var[0] = 0.0, 0.0
    shock = np.outer(load, load)
    for n in range(1, n_months):
        m = a @ m + b
        p = a @ p @ a.T + shock
        mean[n], var[n] = m[15], p[15, 15]
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
        Index levels, 1.0 at month 0 (seasonally adjusted). ``california``
        equals ``national`` (a copy) when the regional factor is off.
    """
    from stress.kernels.home_prices import _hpi_paths

    p, steps, _ = normals.shape
    ca = config.california
    regions = [config, ca] if ca.enabled else [config]
    params = np.stack([region_parameters(r)[0] for r in regions])
    growth = np.stack([region_parameters(r)[1] for r in regions])
    national = np.empty((p, steps + 1))
    california = np.empty((p, steps + 1)) if ca.enabled else national
    _hpi_paths(np.ascontiguousarray(normals), rate_column, national_column, california_column,
               params, growth, config.rate_correlation, ca.correlation, national, california)
    if not ca.enabled:
        california = national.copy()
    return national, california
