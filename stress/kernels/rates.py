"""Rate kernels: the Gaussian short-rate factors and the four indices on each path.

Numba only; the Python side (inputs, validation, the exact transition
moments) is :mod:`stress.rates.hull_white` (:meth:`GaussianShortRate.simulate`)
and :mod:`stress.rates.indices` (:func:`index_rates`). Readable twins:
``tests/reference/rates_reference.py``.
"""

from __future__ import annotations

import numpy as np

from stress.accelerate import kernel


# p = paths, t = monthly steps, f = factors, c = normals (x_1, I_1, x_2, I_2, ...)
@kernel
def _simulate_factors(normals, decay, bfac, chol, factors_out, integral_out):
    n_paths, n_steps = normals.shape[0], normals.shape[1]
    n_factors = decay.shape[1]
    n_shocks = 2 * n_factors
    x = np.zeros(n_factors)
    shock = np.zeros(n_shocks)
    for p in range(n_paths):
        cumulative = 0.0
        for f in range(n_factors):
            x[f] = 0.0
            factors_out[p, f, 0] = 0.0
        integral_out[p, 0] = 0.0
        for t in range(n_steps):
            for r in range(n_shocks):
                acc = 0.0
                for c in range(r + 1):
                    acc += chol[t, r, c] * normals[p, t, c]
                shock[r] = acc
            for f in range(n_factors):
                # the month's integral depends on x at the start of the month: update x after
                cumulative += bfac[t, f] * x[f] + shock[2 * f + 1]
                x[f] = decay[t, f] * x[f] + shock[2 * f]
                factors_out[p, f, t + 1] = x[f]
            integral_out[p, t + 1] = cumulative


# p = paths, f = factors, j = tenors (1M, 6M, 12M), t = months
@kernel
def _index_rates(factors, log_bond_base, loadings, days, spreads, shock, set_level, set_from, floor, out):
    n_paths, n_factors, n_months = factors.shape
    for p in range(n_paths):
        for t in range(n_months):
            for j in range(3):
                log_bond = log_bond_base[j, t]
                for f in range(n_factors):
                    log_bond -= loadings[f, j, t] * factors[p, f, t]
                growth = np.exp(-log_bond)  # 1 / P(t, t + tenor)
                out[p, j, t] = (growth - 1.0) * 360.0 / days[j, t]
                if j == 2:
                    # CMT: the same 12-month bond as a semi-annual actual/365 yield
                    out[p, 3, t] = 2.0 * (growth ** (365.0 / days[2, t] / 2.0) - 1.0)
            for i in range(4):
                value = out[p, i, t] + spreads[i, t] + shock[t]
                if set_from >= 0 and t >= set_from:
                    value = set_level
                if floor and value < 0.0:
                    value = 0.0
                out[p, i, t] = value
