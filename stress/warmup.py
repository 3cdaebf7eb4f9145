"""Compile a run's kernels once, before its chunks start, two compilations at a time.

A first run on a machine (empty numba cache, see :mod:`stress.accelerate`)
compiles every kernel a chunk calls on its first call. Numba holds one lock
per process while it compiles, so the kernels compile one after the other
however many cores there are (collateral about 8 s, waterfall about 5 s,
rates and home prices about 2 s on the 2-core dev machine), and with
``--scheduler processes`` every worker process compiled the same kernels
again, at the same time, before the first one had cached them.

:func:`precompile` runs in the parent before any chunk:

1. a child process (``python -m stress.warmup``) compiles the rate and
   home-price kernels (drawing the run's first paths) and the waterfall
   kernel into the cache, while
2. this process compiles the collateral kernel, the longest, on two months
   of flat rates and home prices (argument types, not values, decide what
   numba compiles);
3. once the child is done, the run's first paths go through the whole chunk
   code (:func:`stress.engine.simulate_chunk`), which loads the child's
   kernels from the cache (or compiles them here if the child could not).

Every kernel is then in this process and on disk: dask's threads use them
at once, worker processes load them from the cache. Only the kernels a run
calls are compiled (nothing compiles at import), each for the argument
types the run passes: the warm-up paths are the first chunk's, at most two
(a one-path chunk lays some inputs out differently, see
:func:`warmup_paths`).

The child is skipped on one core, with the cache off
(``STRESS_NUMBA_CACHE=0``) and under ``NUMBA_DISABLE_JIT``; it changes no
result (it only writes numba's cache), and if it fails the parent compiles
what is missing itself.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["precompile", "warmup_paths", "compile_waterfall"]

#: Seconds the parent waits for the child before compiling the waterfall itself.
CHILD_TIMEOUT_S = 300.0


def warmup_paths(first_chunk_paths: int) -> int:
    """Paths to warm up with: the first chunk's size, at most 2.

    Any number gives the specialization of every chunk: the collateral
    kernel's arguments are laid out by
    :func:`stress.kernels.collateral_paths.project_tiles` (one dtype and layout
    each, tiles of :data:`~stress.kernels.collateral_paths.TILE` lanes for any
    chunk), the waterfall's by :func:`stress.waterfall.run_waterfall`.
    """
    return max(1, min(2, int(first_chunk_paths)))


def compile_waterfall() -> None:
    """Compile (or load) the Monte Carlo waterfall kernel with a two-class, one-period input.

    :func:`stress.waterfall.run_waterfall` passes the kernel the same
    argument types whatever the inputs' sizes, so this compiles the
    specialization every run and command uses.
    """
    from stress.waterfall import WaterfallInputs, run_waterfall

    run_waterfall(WaterfallInputs(
        original_balance=np.array([90.0, 10.0]), margin=np.array([0.004, 0.02]),
        stepup_multiple=np.array([2.0, 1.5]), writedown_rank=np.array([-1, 0]), coupon_cap=0.115,
        libor_1m=[[0.02]], accrual_days=[30.0], net_interest=[[1.0]], principal_remittance=[[10.0]],
        realized_loss=[[0.0]], pool_balance_prior=[[100.0]], pool_balance_end=[[90.0]],
        net_mortgage_rate=[[0.06]], derivative_net=[[0.0]], oc_target=[[0.0]]))


def _child_main() -> None:
    """The child: the rate and home-price kernels on the pickled run's first paths, then the waterfall."""
    import pickle

    from stress.rates.generator import generate_paths

    with open(sys.argv[1], "rb") as fh:
        drivers, seed, n_months, curve, ids = pickle.load(fh)
    generate_paths(drivers, path_ids=ids, seed=seed, n_months=n_months, curve=curve)
    compile_waterfall()


def _start_child(ctx, ids):
    """The child compiling the rate and waterfall kernels, or None where it would not help (module docstring)."""
    import pickle

    import numba

    from stress.accelerate import CACHE

    if not CACHE or numba.config.DISABLE_JIT or (os.cpu_count() or 1) < 2:
        return None
    payload = Path(tempfile.mkstemp(prefix="stress_warmup_", suffix=".pkl")[1])
    try:
        with open(payload, "wb") as fh:
            pickle.dump((ctx.scenario.drivers, ctx.seed, ctx.n_periods + 1, ctx.curve, ids), fh)
        import stress

        # started next to this process's own package, so the child compiles the same source files
        child = subprocess.Popen([sys.executable, "-m", "stress.warmup", str(payload)], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy(),
                                 cwd=Path(stress.__file__).resolve().parents[1])
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:  # compile everything here
        log.info("warm-up child not started (%s): compiling in this process", exc)
        payload.unlink(missing_ok=True)
        return None
    child.payload = payload  # removed by _wait
    return child


def _wait(child, timeout: float = CHILD_TIMEOUT_S) -> None:
    """Wait for the child (killing it after ``timeout`` seconds) and remove its input file."""
    try:
        _, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        if timeout > 0:
            log.info("warm-up child still compiling after %.0f s: stopped; compiling here", timeout)
        return
    finally:
        child.payload.unlink(missing_ok=True)
    if child.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        log.info("warm-up child failed (exit %d: %s): compiling here", child.returncode, last[0])


def precompile(ctx, first_chunk_paths: int, *, announce: bool = False) -> bool:
    """Compile or load every kernel a chunk of ``ctx`` calls, in this process, before the chunks run.

    Parameters
    ----------
    ctx : stress.engine.RunContext
        The run.
    first_chunk_paths : int
        Paths in the run's first chunk (see :func:`warmup_paths`).
    announce : bool
        Print "compiling kernels (first run only) ..." on stderr when
        something is compiled.

    Returns
    -------
    bool
        Whether anything had to be compiled (False: everything was in
        numba's cache, nothing was run).
    """
    from stress import engine

    if not engine._kernels_to_compile():
        return False
    if announce:
        print("compiling kernels (first run only) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    ids = np.arange(warmup_paths(first_chunk_paths), dtype=np.int64)
    child = _start_child(ctx, ids)
    try:
        months = min(ctx.n_periods, 2)
        # flat 3% indices and a flat home-price index: the collateral kernel's argument types, no draws needed
        rates = np.full((ids.size, 4, ctx.n_periods + 1), 0.03)
        hpi = np.ones((ids.size, 2, ctx.n_periods + 1))
        engine.project_collateral(ctx, rates, hpi, months)
        if child is not None:
            _wait(child)
            child = None
        engine.simulate_chunk(ctx, ids)
    finally:
        if child is not None:  # interrupted: leave no compiler behind
            _wait(child, timeout=0)
    log.info("kernels compiled in %.1f s", time.perf_counter() - started)
    return True


if __name__ == "__main__":
    _child_main()
