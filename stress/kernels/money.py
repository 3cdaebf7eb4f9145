"""One rounding rule for all money in the kernels (numba only)."""

from __future__ import annotations

import math

from stress.accelerate import kernel


@kernel
def _round_cents(x):
    # Half-up to the cent. The same expression is used by the reference twins so
    # both round identically (float64, no fastmath: bit-for-bit reproducible).
    return math.floor(x * 100.0 + 0.5) / 100.0


@kernel
def _floor_cents(x):
    # Down to the cent: a capped notional never rounds above its cap.
    return math.floor(x * 100.0 + 1e-6) / 100.0
