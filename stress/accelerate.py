"""The one place numba is configured.

Every kernel uses :func:`kernel` instead of calling ``numba.njit`` directly, so
compilation options are set once:

- ``nopython`` (``njit``): no silent fallback to object mode.
- ``nogil=True``: kernels release the GIL so dask's threaded scheduler scales.
- ``cache=True``: compiled machine code is kept on disk in the user's cache
  folder (``$STRESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/stress/numba``, else
  ``~/.cache/stress/numba``; numba's own ``NUMBA_CACHE_DIR`` wins when set), so
  each kernel is compiled once per machine and source version, and a
  read-only or reinstalled package keeps its cache. Numba keys each entry by
  its own source file's path and time stamp only, so a kernel whose callee
  lives in another module (the collateral kernel calls
  :mod:`stress.behaviour.compiled` and :mod:`stress.kernels.counter_rng`)
  would load its old machine code after an edit or upgrade of that callee:
  the folder therefore has one subfolder per version of the kernel sources
  (:func:`kernel_source_key`, a hash of every module that defines kernels), and
  any change to any of them compiles afresh.
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
from pathlib import Path

import numba

CACHE = os.environ.get("STRESS_NUMBA_CACHE", "1") != "0"

_OPTIONS = dict(nogil=True, cache=CACHE, fastmath=False, error_model="numpy")

#: Every kernel compiled with :func:`kernel`, in definition order.
KERNELS: list = []


def cache_dir() -> Path:
    """The folder numba writes compiled kernels to (see the module docstring)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    if os.environ.get("STRESS_CACHE_DIR"):
        return Path(os.environ["STRESS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "stress" / "numba"


#: The modules whose source decides what the kernels compile to (every ``@kernel`` is defined in one).
_KERNEL_SOURCES = ("kernels/*.py", "behaviour/compiled.py")


def kernel_source_key(files=None) -> str:
    """A short hash of the kernels' source files: the cache subfolder of this version of the kernels.

    Parameters
    ----------
    files : iterable of path-like, optional
        Default: every module matched by :data:`_KERNEL_SOURCES` in this package.

    Returns
    -------
    str
        16 hex digits; any change to any file's bytes (or the set of files) changes it.
    """
    import hashlib

    if files is None:
        package = Path(__file__).parent
        files = sorted(f for pattern in _KERNEL_SOURCES for f in package.glob(pattern))
    digest = hashlib.sha256()
    for f in files:
        digest.update(Path(f).name.encode() + b"\0" + Path(f).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _use_user_cache() -> None:
    # numba reads config.CACHE_DIR when a cached dispatcher is created, so setting it here, before any
    # kernel module is imported, moves every kernel's cache; a folder we cannot create leaves numba's
    # default (next to the source, or its own fallback) in place.
    if not CACHE or os.environ.get("NUMBA_CACHE_DIR"):
        return
    folder = cache_dir() / kernel_source_key()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    numba.config.CACHE_DIR = str(folder)


_use_user_cache()


def compile_pending(kernels=None) -> bool:
    """Whether calling ``kernels`` (default: all) would compile one of them rather than load it.

    True when a kernel has no compiled version in this process and no cache
    index on disk: the first run on a machine (or after its source changed).
    """
    for dispatcher in KERNELS if kernels is None else kernels:
        if dispatcher.signatures:
            continue
        cache = getattr(dispatcher, "_cache", None)
        index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
        if index is None or not os.path.exists(index):
            return True
    return False


def kernel(func=None, **overrides):
    """Compile ``func`` as a nopython numba kernel with the project's options.

    Use bare (``@kernel``) or with overrides (``@kernel(inline="always")``).
    """
    options = {**_OPTIONS, **overrides}
    if func is None:
        return lambda f: kernel(f, **overrides)
    dispatcher = numba.njit(**options)(func)
    KERNELS.append(dispatcher)
    return dispatcher
