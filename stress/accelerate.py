"""The one place numba is configured.

Every kernel uses :func:`kernel` instead of calling ``numba.njit`` directly, so
compilation options are set once:

- ``nopython`` (``njit``): no silent fallback to object mode.
- ``nogil=True``: kernels release the GIL so dask's threaded scheduler scales.
- ``cache=True``: compiled machine code is written next to the module, so the
  test suite and the CLI compile each kernel once per machine.
- ``fastmath`` is off: money is float64 and sums must be reproducible to the
  cent; reassociation would change results with the compiler's whim.
- ``error_model="numpy"``: division by zero gives inf/nan instead of raising,
  because kernels may not raise.

Set ``STRESS_NUMBA_CACHE=0`` to disable the on-disk cache (read-only
installs), or numba's own ``NUMBA_DISABLE_JIT=1`` to run kernels as plain
Python when debugging.
"""

from __future__ import annotations

import os

import numba

CACHE = os.environ.get("STRESS_NUMBA_CACHE", "1") != "0"

_OPTIONS = dict(nogil=True, cache=CACHE, fastmath=False, error_model="numpy")


def kernel(func=None, **overrides):
    """Compile ``func`` as a nopython numba kernel with the project's options.

    Use bare (``@kernel``) or with overrides (``@kernel(inline="always")``).
    """
    options = {**_OPTIONS, **overrides}
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)
