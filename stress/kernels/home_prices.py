"""Home-price kernel: national and California log-growth paths (momentum / error correction).

Numba only; the Python side (parameters per region, the first year's growth
window, validation) is :func:`stress.rates.home_prices.simulate_home_prices`.
Readable twin: ``tests/reference/home_prices_reference.py``.
"""

from __future__ import annotations

import numpy as np

from stress.accelerate import kernel


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
