"""The logistic function as the models use it: a table with linear interpolation.

Both the refinance S-curve and the default hazard are logistic. The kernel
evaluates them for every loan, path and month, and a scalar ``exp`` there
costs more than the rest of the month's arithmetic (numba does not vectorize
``exp`` without SVML). So the model *defines* the logistic as the piecewise
linear interpolant of ``1 / (1 + exp(-x))`` on a grid of step 1/64 over
``[-16, 16]``, held at the end values outside (``1.1e-7`` and ``1 - 1.1e-7``).
The relative error against the exact function is below ``h^2 / 8 = 3.1e-5``
on the grid (linear interpolation errs by at most ``h^2 max|f''| / 8`` and
``|f''| = f (1 - f) |1 - 2f| <= f``), far inside any calibration uncertainty. The Python functions in this package and
the kernel use the same table and the same arithmetic, so they agree to
rounding.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LOGISTIC_X0", "LOGISTIC_STEP", "LOGISTIC_TABLE", "logistic", "logistic_exact"]

LOGISTIC_X0 = -16.0
LOGISTIC_STEP = 1.0 / 64.0
_N = int(round(32.0 / LOGISTIC_STEP)) + 1  # 2049 points, 16 kB: stays in L1 cache
LOGISTIC_TABLE = 1.0 / (1.0 + np.exp(-(LOGISTIC_X0 + LOGISTIC_STEP * np.arange(_N))))
LOGISTIC_TABLE.setflags(write=False)


def logistic_exact(x):
    """``1 / (1 + exp(-x))`` (for tests and hand computations)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def logistic(x):
    """The model's logistic: table interpolation (see the module docstring).

    Written with the same arithmetic as the kernel's ``_logistic``, element by element.
    """
    x = np.asarray(x, dtype=np.float64)
    u = (x - LOGISTIC_X0) * (1.0 / LOGISTIC_STEP)
    u = np.clip(u, 0.0, _N - 1.0)
    j = np.minimum(np.floor(u).astype(np.int64), _N - 2)
    frac = u - j
    lo = LOGISTIC_TABLE[j]
    return lo + frac * (LOGISTIC_TABLE[j + 1] - lo)
