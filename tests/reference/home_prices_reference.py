"""Slow, readable twin of :func:`stress.kernels.home_prices._hpi_paths` (one path, one month at a time)."""

from __future__ import annotations

import math

import numpy as np


def region_path(shocks, *, mu, phi, beta, kappa, sigma, theta, growth, gap, innovations):
    """One region's index levels from its standardized innovations ``shocks`` (length n): n + 1 levels.

    ``growth``: the 12 monthly growths before month 1, oldest first; ``innovations``: (e[-1], e[0]).
    """
    past = list(growth)                      # every growth so far, oldest first
    errors = list(innovations)               # every innovation e = sigma eps so far
    x, level = gap, 0.0
    levels = [1.0]
    for z in shocks:
        trailing = sum(past[-12:])
        e = sigma * z
        u = (mu + phi * (past[-1] - mu) + beta * (trailing / 12.0 - mu) - kappa * x
             + e + theta[0] * errors[-1] + theta[1] * errors[-2])
        past.append(u)
        errors.append(e)
        x += u - mu
        level += u
        levels.append(math.exp(level))
    return np.array(levels)


def hpi_paths(normals, *, rate_col, nat_col, ca_col, national, california, rho_rate, rho_ca):
    """Both regions on every path; ``national`` / ``california``: dicts of :func:`region_path` keywords
    (``california`` None: the regional factor is off and California equals the nation)."""
    out_nat, out_ca = [], []
    for path in normals:
        eps = [rho_rate * step[rate_col] + math.sqrt(1 - rho_rate ** 2) * step[nat_col] for step in path]
        out_nat.append(region_path(eps, **national))
        if california is not None:
            eps_ca = [rho_ca * e + math.sqrt(1 - rho_ca ** 2) * step[ca_col] for e, step in zip(eps, path)]
            out_ca.append(region_path(eps_ca, **california))
    nat = np.array(out_nat)
    return nat, (np.array(out_ca) if california is not None else nat.copy())
