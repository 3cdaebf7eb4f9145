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

from stress.accelerate import kernel
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


# p = paths, t = monthly steps, r = regions (0 national, 1 California when params has 2 rows);
# the 12-month growth window is a ring buffer: slot t % 12 holds the growth of 12 months ago
@kernel
def _hpi_paths(normals, rate_col, nat_col, ca_col, params, growth, rho_rate, rho_ca, national, california):
    n_paths, n_steps = normals.shape[0], normals.shape[1]
    n_regions = params.shape[0]
    own_rate = np.sqrt(max(0.0, 1.0 - rho_rate * rho_rate))
    own_ca = np.sqrt(max(0.0, 1.0 - rho_ca * rho_ca))
    ring = np.empty((n_regions, 12))
    state = np.empty((n_regions, 6))  # last growth, trailing 12-month sum, gap, e[t], e[t-1], log level
    for p in range(n_paths):
        for r in range(n_regions):
            # element loops, not ring[r] = growth[r] / growth[r].sum(): numba's array assignment and sum
            # pull in its broadcasting and error-string machinery, seconds of compile on a first run
            total = 0.0
            for k in range(12):
                ring[r, k] = growth[r, k]
                total += growth[r, k]  # left to right from 0.0, as numba's array sum
            state[r, 0], state[r, 1], state[r, 2] = growth[r, 11], total, params[r, 7]
            state[r, 3], state[r, 4], state[r, 5] = params[r, 9], params[r, 8], 0.0
        national[p, 0] = 1.0
        california[p, 0] = 1.0
        for t in range(n_steps):
            slot = t % 12
            eps = rho_rate * normals[p, t, rate_col] + own_rate * normals[p, t, nat_col]
            for r in range(n_regions):
                if r == 1:
                    eps = rho_ca * eps + own_ca * normals[p, t, ca_col]
                mu, phi, beta, kappa, sigma, th1, th2 = params[r, 0], params[r, 1], params[r, 2], params[r, 3], \
                    params[r, 4], params[r, 5], params[r, 6]
                shock = sigma * eps
                u = (mu + phi * (state[r, 0] - mu) + beta * (state[r, 1] / 12.0 - mu) - kappa * state[r, 2]
                     + shock + th1 * state[r, 3] + th2 * state[r, 4])
                state[r, 0] = u
                state[r, 1] += u - ring[r, slot]
                ring[r, slot] = u
                state[r, 2] += u - mu
                state[r, 4], state[r, 3] = state[r, 3], shock
                state[r, 5] += u
                if r == 0:
                    national[p, t + 1] = np.exp(state[r, 5])
                else:
                    california[p, t + 1] = np.exp(state[r, 5])
