"""Slow, readable twins of the rate kernels (:mod:`stress.kernels.rates`).

- :func:`simulate_factors`: the Gaussian short-rate factors ``x_f`` and the
  integral of the short rate's random part, month by month, from the exact
  transition (decay, the integral's loading ``b`` and the Cholesky factor of
  each month's shock covariance).
- :func:`index_rates`: each tenor's bond price from the factors, then LIBOR
  (simple actual/360), the CMT (the 12-month bond as a semi-annual
  actual/365 yield), the basis spread, the shock, a level set from a month
  on, and the zero floor.
"""

from __future__ import annotations

import numpy as np


def simulate_factors(normals, decay, bfac, chol):
    """Factors ``(p, f, t + 1)`` and the short-rate integral ``(p, t + 1)``, both 0 at month 0.

    ``normals[p, t]`` holds the month's shocks in the order (x_1, I_1, x_2,
    I_2, ...); ``chol[t]`` correlates them. In month ``t`` the integral grows
    by ``b[t, f] x_f`` at the start of the month plus its own shock, then
    ``x_f`` decays and takes its shock.
    """
    n_paths, n_steps, _ = normals.shape
    n_factors = decay.shape[1]
    factors = np.zeros((n_paths, n_factors, n_steps + 1))
    integral = np.zeros((n_paths, n_steps + 1))
    for p in range(n_paths):
        x = np.zeros(n_factors)
        total = 0.0
        for t in range(n_steps):
            shocks = chol[t] @ normals[p, t, :2 * n_factors]
            for f in range(n_factors):
                total += bfac[t, f] * x[f] + shocks[2 * f + 1]
                x[f] = decay[t, f] * x[f] + shocks[2 * f]
            factors[p, :, t + 1] = x
            integral[p, t + 1] = total
    return factors, integral


def index_rates(factors, log_bond_base, loadings, days, spreads, shock, set_level, set_from, floor):
    """The four indices ``(p, 4, t)``: 1M, 6M, 12M LIBOR and the 1Y CMT [annual, decimal].

    ``log_bond_base[j, t]`` is ``ln`` of the curve's forward bond price of
    tenor ``j`` plus its convexity term; ``loadings[f, j, t]`` the factor
    loadings; ``days[j, t]`` the tenor's actual days.
    """
    n_paths, n_factors, n_months = factors.shape
    out = np.zeros((n_paths, 4, n_months))
    for p in range(n_paths):
        for t in range(n_months):
            growth = [0.0, 0.0, 0.0]
            for j in range(3):
                log_bond = log_bond_base[j, t] - sum(loadings[f, j, t] * factors[p, f, t] for f in range(n_factors))
                growth[j] = np.exp(-log_bond)  # 1 / P(t, t + tenor)
                out[p, j, t] = (growth[j] - 1.0) * 360.0 / days[j, t]
            out[p, 3, t] = 2.0 * (growth[2] ** (365.0 / days[2, t] / 2.0) - 1.0)
            for i in range(4):
                value = out[p, i, t] + spreads[i, t] + shock[t]
                if set_from >= 0 and t >= set_from:
                    value = set_level
                if floor:
                    value = max(value, 0.0)
                out[p, i, t] = value
    return out
