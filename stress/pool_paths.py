"""Project a pool on many rate / home-price paths at once: the Python side of the multi-path kernel.

:func:`project_pool_paths` validates the inputs, lays them out with paths as
the last axis and runs :func:`stress.kernels.collateral_paths._project_pool_paths`
(whose module docstring states the conventions). The collateral model
(:mod:`stress.collateral_model`) is

- a :class:`~stress.collateral_model.VectorModel`: SMM, MDR and severity
  vectors (equals :func:`stress.pool.project_pool` path by path);
- a :class:`~stress.collateral_model.BehaviourModel`: the behaviour models,
  optionally scaled by :class:`~stress.collateral_model.Multipliers`, e.g.
  default hazard x 2 from month 12: ``Multipliers(default=[1.0] * 11 + [2.0])``.

:func:`_kernel_behaviour` is the one place that turns a model into the
kernel's arrays (its mode, the SMM / MDR / severity vectors or multipliers,
the servicing terms and the coefficients).

Examples
--------
>>> import numpy as np
>>> from stress.behaviour.params import load_behaviour
>>> from stress.collateral_model import BehaviourModel
>>> from stress.collateral.reference_pool import reference_tape
>>> from stress.rates.curves import forward_curve
>>> tape = reference_tape().iloc[:50]
>>> rates = forward_curve().rates[None, :, :120]                  # one path
>>> hpi = base_hpi(1, 120, drift=0.05)
>>> cf = project_pool_paths(tape, rates, hpi, BehaviourModel(load_behaviour()), n_periods=120)
>>> cf.prepayment.shape
(1, 120)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stress import conventions
from stress.assumptions import reference_collateral
from stress.behaviour.params import BehaviourParams
from stress.behaviour.prep import REGIONS, BehaviourLoans, coefficients, prepare_loans
from stress.collateral.schema import INDICES
from stress.collateral_model import BehaviourModel, CollateralModel, Multipliers, VectorModel
from stress.errors import ScenarioError
from stress.pool import LoanArrays, PoolFlows

__all__ = ["PathCashflows", "project_pool_paths", "base_hpi"]


def _per_period(name: str, value, n_paths: int, n_periods: int) -> np.ndarray:
    """A scalar, a vector by period (short ones hold the last value) or a (p or 1, t) array -> (p, t)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full((1, n_periods), float(arr))
    elif arr.ndim == 1:
        if arr.size == 0:
            raise ScenarioError(f"Multipliers.{name}: empty vector")
        arr = arr[:n_periods]
        if arr.size < n_periods:
            arr = np.concatenate([arr, np.full(n_periods - arr.size, arr[-1])])
        arr = arr[None, :]
    elif arr.ndim != 2 or arr.shape[0] not in (1, n_paths) or arr.shape[1] < n_periods:
        raise ScenarioError(f"Multipliers.{name}: shape {arr.shape}: must be (1 or {n_paths}, >= {n_periods})")
    arr = arr[:, :n_periods]
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ScenarioError(f"Multipliers.{name}: must be finite and >= 0")
    return np.broadcast_to(arr, (n_paths, n_periods))


@dataclass(frozen=True, eq=False)
class PathCashflows(PoolFlows):
    """Pool cash flows per path and period: each field a float64 array ``(p, t)`` [USD].

    The fields are :data:`stress.kernels.collateral_paths.OUTPUT_NAMES`: those
    of :class:`stress.pool.PoolFlows`, plus ``performing_balance_begin``
    (the MDR base) and ``prepayable_balance`` (the SMM base).
    """

    performing_balance_begin: np.ndarray
    prepayable_balance: np.ndarray

    @property
    def n_paths(self) -> int:
        return self.prepayment.shape[0]

    @property
    def smm(self) -> np.ndarray:
        """Pool SMM per path and period: prepayment / prepayable balance [decimal]."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.prepayable_balance > 0, self.prepayment / self.prepayable_balance, 0.0)

    @property
    def mdr(self) -> np.ndarray:
        """Pool MDR per path and period: newly defaulted / performing balance at the start [decimal]."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.performing_balance_begin > 0,
                            self.default_balance / self.performing_balance_begin, 0.0)

    def cpr(self, months: slice = slice(0, 12)) -> np.ndarray:
        """Annualized CPR per path over ``months``: ``1 - prod(1 - SMM)^(12 / n)`` [decimal]."""
        s = self.smm[:, months]
        return conventions.average_cpr(s, axis=1)

    def lifetime_cpr(self) -> np.ndarray:
        """CPR per path averaged over the months with a prepayable balance (geometric) [decimal]."""
        alive = self.prepayable_balance > 0
        log_keep = np.where(alive, np.log1p(-np.minimum(self.smm, 1 - 1e-15)), 0.0).sum(axis=1)
        n = np.maximum(alive.sum(axis=1), 1)
        return 1.0 - np.exp(log_keep * 12.0 / n)

    def cumulative_default(self, months: int | None = None) -> np.ndarray:
        """Defaulted balance over the first ``months`` / the starting balance, per path [decimal]."""
        return self.default_balance[:, :months].sum(axis=1) / self.pool_balance_begin[:, 0]

    def cumulative_loss(self, months: int | None = None) -> np.ndarray:
        """Realized loss over the first ``months`` / the starting balance, per path [decimal]."""
        return self.realized_loss[:, :months].sum(axis=1) / self.pool_balance_begin[:, 0]


def base_hpi(n_paths: int, n_months: int, *, drift: float, n_regions: int = len(REGIONS)) -> np.ndarray:
    """Deterministic HPI ``(p, r, m)``: 1 at month 0, growing at ``drift`` per year (monthly compounding)."""
    path = (1.0 + drift) ** (np.arange(n_months) / 12.0)
    return np.broadcast_to(path, (n_paths, n_regions, n_months)).copy()


def _path_array(name, value, n_paths_hint, rows, min_months) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] != rows or (n_paths_hint and arr.shape[0] != n_paths_hint):
        want = f"({n_paths_hint or 'p'}, {rows}, months)"
        raise ScenarioError(f"{name}: shape {arr.shape}: must be {want}")
    if arr.shape[2] < min_months:
        raise ScenarioError(f"{name}: {arr.shape[2]} months: need at least {min_months}")
    return arr


def project_pool_paths(loans_or_tape, index_rates, hpi, model: CollateralModel, *, n_periods: int,
                       rounding: float | None = None, draws: bool = False, seed: int = 0,
                       path_ids=None) -> PathCashflows:
    """Project the pool on every path.

    Parameters
    ----------
    loans_or_tape : pandas.DataFrame, BehaviourLoans or LoanArrays
        A validated tape (prepared with the model's coefficients and the
        reference deal's fee rates), prepared loans
        (:func:`stress.behaviour.prep.prepare_loans`), or, for a
        :class:`~stress.collateral_model.VectorModel` only, :class:`~stress.pool.LoanArrays`.
    index_rates : array_like, shape (p, 4, >= n_periods) or (4, m)
        Index paths [annual, decimal], rows LIBOR_1M, LIBOR_6M, LIBOR_12M,
        CMT_1Y; an adjustment at month ``a`` observes column ``a - 1``; the
        prevailing mortgage rate of period index ``i`` uses column ``i``.
    hpi : array_like, shape (p, r, >= n_periods) or None
        Home-price index per path and region (:data:`stress.behaviour.prep.REGIONS`),
        1.0 at month 0; column ``i`` is the start of period ``i + 1``. May be
        None with a VectorModel only.
    model : VectorModel or BehaviourModel
        The collateral model (:mod:`stress.collateral_model`).
    n_periods : int
        Months to project [1..600].
    rounding : float, optional
        The deal's ARM rate rounding increment (``[collateral].rate_rounding``)
        [decimal]. Default: the VectorModel's Assumptions', the reference deal
        file's with a BehaviourModel.

    draws : bool
        Loan-level draws: each loan, in each month, on each path, defaults,
        prepays in full or stays by one uniform from its MDR and SMM
        (:func:`stress.kernels.counter_rng.draw_pass`). False (default): the
        expected values, fractions of every loan.
    seed : int
        The draws' key, in [0, 2**64 - 1]; used with ``draws`` only.
    path_ids : array_like of int, shape (p,), optional
        Global index of each path, the draws' counter (default ``0..p-1``):
        pass the engine's so that a path's draws do not depend on its chunk.

    Returns
    -------
    PathCashflows
        Arrays ``(p, n_periods)``.
    """
    from stress.kernels.collateral_paths import OUTPUT_NAMES, project_tiles
    from stress.kernels.counter_rng import check_seed
    from stress.behaviour.logistic import LOGISTIC_TABLE

    if isinstance(n_periods, bool) or not isinstance(n_periods, (int, np.integer)) or not 1 <= n_periods <= 600:
        raise ScenarioError(f"n_periods = {n_periods!r}: must be a whole number of months in [1, 600]")
    n_periods = int(n_periods)
    if not isinstance(model, (VectorModel, BehaviourModel)):
        raise ScenarioError(f"model: expected a VectorModel or BehaviourModel (stress.collateral_model), "
                            f"got {type(model).__name__}")
    vectors = isinstance(model, VectorModel)

    if isinstance(loans_or_tape, pd.DataFrame):
        bl = prepare_loans(loans_or_tape, BehaviourParams() if vectors else model.params)
    elif isinstance(loans_or_tape, BehaviourLoans):
        bl = loans_or_tape
    elif isinstance(loans_or_tape, LoanArrays) and vectors:
        bl = BehaviourLoans.vectors_only(loans_or_tape)
    else:
        raise ScenarioError("loans_or_tape: expected a tape DataFrame or BehaviourLoans "
                            "(LoanArrays only with a VectorModel)")
    loans = bl.loans

    # the models read the prevailing mortgage rate of period index n - 1 (column n - 1); the vectors do not
    need = max(n_periods - 1, 1) if vectors else n_periods
    rates = _path_array("index_rates", index_rates, 0, len(INDICES), need)
    n_paths = rates.shape[0]
    used = np.unique(loans.index_id)
    if used.size and not np.all(np.isfinite(rates[:, used, :need])):
        raise ScenarioError("index_rates: missing or non-finite values within the horizon for an index in use")
    if vectors and hpi is None:
        hpi_arr = np.ones((n_paths, len(REGIONS), n_periods))
    else:
        hpi_arr = _path_array("hpi", hpi, n_paths, len(REGIONS), n_periods)
        if not np.all(np.isfinite(hpi_arr[:, :, :n_periods])) or np.any(hpi_arr[:, :, :n_periods] <= 0):
            raise ScenarioError("hpi: must be finite and > 0 within the horizon")

    if draws:
        seed = check_seed(seed)
    ids = np.arange(n_paths, dtype=np.int64) if path_ids is None else np.asarray(path_ids, dtype=np.int64)
    if ids.shape != (n_paths,) or (ids.size and ids.min() < 0):
        raise ScenarioError(f"path_ids: shape {ids.shape}: must be ({n_paths},) whole numbers >= 0")

    k = _kernel_behaviour(model, loans, rates, n_paths, n_periods)
    rounding = k.rounding if rounding is None else rounding
    out = project_tiles(bl, rates, k.mortgage_rate, hpi_arr[:, :, :n_periods], k.smm, k.mdr, k.severity,
                        k.severity_multiplier, k.coef, LOGISTIC_TABLE, mode=k.mode,
                        liquidation_lag=int(model.liquidation_lag), advancing=bool(model.advancing),
                        rounding=float(rounding), options=model.servicer_options,
                        draws=bool(draws), seed=seed if draws else 0, path_ids=ids)
    return PathCashflows(**{name: np.ascontiguousarray(out[:, :, k]) for k, name in enumerate(OUTPUT_NAMES)})


@dataclass(frozen=True)
class _KernelBehaviour:
    """A collateral model as the kernel's arrays: each (p, t) but ``coef`` (the coefficient vector)."""

    mode: int
    smm: np.ndarray
    mdr: np.ndarray
    severity: np.ndarray | None
    severity_multiplier: np.ndarray | None
    mortgage_rate: np.ndarray | None
    coef: np.ndarray
    rounding: float


def _kernel_behaviour(model: CollateralModel, loans: LoanArrays, rates: np.ndarray, n_paths: int,
                      n_periods: int) -> _KernelBehaviour:
    """The one translation of a collateral model into the collateral kernel's behaviour arrays.

    A VectorModel hands the kernel SMM, MDR and severity vectors (the kernel's
    mode 0: severity is the loss share of the liquidation month); a
    BehaviourModel hands it the coefficients and, as vectors, the multiples of
    the model SMM, MDR and severity (mode 1 without multipliers, every multiple
    1.0; mode 2 with them).
    """
    from stress.kernels.collateral_paths import MODE_MODELS, MODE_SCALED, MODE_VECTORS
    from stress.behaviour.prepayment import mortgage_rate

    if isinstance(model, VectorModel):
        a = model.assumptions
        wa_age = loans.wa_age
        return _KernelBehaviour(
            mode=MODE_VECTORS,
            smm=np.broadcast_to(a.smm(n_periods, wa_age=wa_age), (n_paths, n_periods)),
            mdr=np.broadcast_to(a.mdr(n_periods, wa_age=wa_age), (n_paths, n_periods)),
            severity=np.broadcast_to(a.severity_vector(n_periods), (n_paths, n_periods)),
            severity_multiplier=None, mortgage_rate=None, coef=coefficients(BehaviourParams()),
            rounding=a.rounding)
    mult = model.multipliers if model.multipliers is not None else Multipliers()
    return _KernelBehaviour(
        mode=MODE_MODELS if model.multipliers is None else MODE_SCALED,
        smm=_per_period("prepayment", mult.prepayment, n_paths, n_periods),
        mdr=_per_period("default", mult.default, n_paths, n_periods),
        severity=None,
        severity_multiplier=None if model.multipliers is None
        else _per_period("severity", mult.severity, n_paths, n_periods),
        mortgage_rate=mortgage_rate(rates[:, :, :n_periods], model.params), coef=coefficients(model.params),
        rounding=reference_collateral().rate_rounding)
