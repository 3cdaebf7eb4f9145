"""Project a pool on many rate / home-price paths at once: the Python side of the multi-path kernel.

:func:`project_pool_paths` validates the inputs, lays them out with paths as
the last axis and runs :func:`stress.kernels.collateral_paths._project_pool_paths`
(whose module docstring states the conventions). A scenario uses

- the vectors: ``behaviour=None, vectors=Assumptions(...)`` (mode 0; equals
  :func:`stress.pool.project_pool` path by path);
- the behaviour models: ``behaviour=BehaviourParams, vectors=None`` (mode 1);
- the models scaled by vectors: ``behaviour=BehaviourParams,
  vectors=Multipliers(...)`` (mode 2), e.g. default hazard x 2 from month 12:
  ``Multipliers(default=[1.0] * 11 + [2.0])``.

Examples
--------
>>> import numpy as np
>>> from stress.behaviour.params import load_behaviour
>>> from stress.collateral.reference_pool import reference_tape
>>> from stress.rates.curves import forward_curve
>>> tape = reference_tape().iloc[:50]
>>> rates = forward_curve().rates[None, :, :120]                  # one path
>>> hpi = base_hpi(1, 120, drift=0.05)
>>> cf = project_pool_paths(tape, rates, hpi, load_behaviour(), n_periods=120)
>>> cf.prepayment.shape
(1, 120)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stress import conventions
from stress.assumptions import Assumptions, reference_collateral
from stress.behaviour.params import BehaviourParams
from stress.behaviour.prep import REGIONS, BehaviourLoans, coefficients, prepare_loans
from stress.collateral.schema import INDICES
from stress.errors import ScenarioError
from stress.pool import LoanArrays, PoolFlows

__all__ = ["Multipliers", "PathCashflows", "project_pool_paths", "base_hpi"]


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


@dataclass(frozen=True)
class Multipliers:
    """Scenario multiples of the model SMM, MDR and severity (mode 2).

    Each is a float, a per-period sequence (element ``i`` for period ``i + 1``;
    a short one holds its last value) or an array ``(1 or p, t)`` [multiple, >= 0].
    """

    prepayment: object = 1.0
    default: object = 1.0
    severity: object = 1.0


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


def project_pool_paths(loans_or_tape, index_rates, hpi, behaviour: BehaviourParams | None, *, n_periods: int,
                       vectors: Assumptions | Multipliers | None = None,
                       rounding: float | None = None, draws: bool = False, seed: int = 0,
                       path_ids=None) -> PathCashflows:
    """Project the pool on every path.

    Parameters
    ----------
    loans_or_tape : pandas.DataFrame, BehaviourLoans or LoanArrays
        A validated tape (prepared with ``behaviour``'s coefficients and the
        reference deal's fee rates), prepared loans
        (:func:`stress.behaviour.prep.prepare_loans`), or, for vectors only,
        :class:`~stress.pool.LoanArrays`.
    index_rates : array_like, shape (p, 4, >= n_periods) or (4, m)
        Index paths [annual, decimal], rows LIBOR_1M, LIBOR_6M, LIBOR_12M,
        CMT_1Y; an adjustment at month ``a`` observes column ``a - 1``; the
        prevailing mortgage rate of period index ``i`` uses column ``i``.
    hpi : array_like, shape (p, r, >= n_periods) or None
        Home-price index per path and region (:data:`stress.behaviour.prep.REGIONS`),
        1.0 at month 0; column ``i`` is the start of period ``i + 1``. May be
        None with vectors only.
    behaviour : BehaviourParams or None
        The models; None = vectors only.
    n_periods : int
        Months to project [1..600].
    vectors : Assumptions or Multipliers, optional
        With ``behaviour=None`` an :class:`~stress.assumptions.Assumptions`
        (mode 0); with models, None (mode 1) or :class:`Multipliers` (mode 2).
    rounding : float, optional
        The deal's ARM rate rounding increment (``[collateral].rate_rounding``)
        [decimal]. Default: the Assumptions' in mode 0, the reference deal
        file's with the models.
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
    from stress.kernels.collateral_paths import _PURCHASE_ELIGIBLE, MODE_MODELS, MODE_SCALED, MODE_VECTORS, \
        N_COLUMNS, OUT_PERFORMING_BEGIN, OUTPUT_NAMES, _project_pool_paths
    from stress.kernels.counter_rng import check_seed
    from stress.servicing import purchase_share
    from stress.behaviour.logistic import LOGISTIC_TABLE
    from stress.behaviour.prepayment import mortgage_rate

    if isinstance(n_periods, bool) or not isinstance(n_periods, (int, np.integer)) or not 1 <= n_periods <= 600:
        raise ScenarioError(f"n_periods = {n_periods!r}: must be a whole number of months in [1, 600]")
    n_periods = int(n_periods)
    if behaviour is None:
        if not isinstance(vectors, Assumptions):
            raise ScenarioError("vectors: without behaviour models an Assumptions is required (mode 0)")
        mode = MODE_VECTORS
    else:
        if not isinstance(behaviour, BehaviourParams):
            raise ScenarioError(f"behaviour: expected a BehaviourParams, got {type(behaviour).__name__}")
        if vectors is None:
            mode = MODE_MODELS
        elif isinstance(vectors, Multipliers):
            mode = MODE_SCALED
        else:
            raise ScenarioError(f"vectors: with behaviour models give Multipliers or None, got {type(vectors).__name__}")

    if isinstance(loans_or_tape, pd.DataFrame):
        bl = prepare_loans(loans_or_tape, behaviour if behaviour is not None else BehaviourParams())
    elif isinstance(loans_or_tape, BehaviourLoans):
        bl = loans_or_tape
    elif isinstance(loans_or_tape, LoanArrays) and mode == MODE_VECTORS:
        bl = BehaviourLoans.vectors_only(loans_or_tape)
    else:
        raise ScenarioError("loans_or_tape: expected a tape DataFrame or BehaviourLoans "
                            "(LoanArrays only with vectors)")
    loans = bl.loans

    need = n_periods if mode != MODE_VECTORS else max(n_periods - 1, 1)
    rates = _path_array("index_rates", index_rates, 0, len(INDICES), need)
    n_paths = rates.shape[0]
    used = np.unique(loans.index_id)
    if used.size and not np.all(np.isfinite(rates[:, used, :need])):
        raise ScenarioError("index_rates: missing or non-finite values within the horizon for an index in use")
    if mode == MODE_VECTORS and hpi is None:
        hpi_arr = np.ones((n_paths, len(REGIONS), n_periods))
    else:
        hpi_arr = _path_array("hpi", hpi, n_paths, len(REGIONS), n_periods)
        if not np.all(np.isfinite(hpi_arr[:, :, :n_periods])) or np.any(hpi_arr[:, :, :n_periods] <= 0):
            raise ScenarioError("hpi: must be finite and > 0 within the horizon")

    if mode == MODE_VECTORS:
        wa_age = loans.wa_age
        smm_v = np.broadcast_to(vectors.smm(n_periods, wa_age=wa_age), (n_paths, n_periods))
        mdr_v = np.broadcast_to(vectors.mdr(n_periods, wa_age=wa_age), (n_paths, n_periods))
        sev_v = np.broadcast_to(vectors.severity_vector(n_periods), (n_paths, n_periods))
        lag, advancing, options = vectors.liquidation_lag, vectors.advancing, vectors.servicer_options
        rounding = vectors.rounding if rounding is None else rounding
        coef = coefficients(BehaviourParams())
        mrate = np.zeros((n_paths, n_periods))
    else:
        mult = vectors if mode == MODE_SCALED else Multipliers()
        smm_v = _per_period("prepayment", mult.prepayment, n_paths, n_periods)
        mdr_v = _per_period("default", mult.default, n_paths, n_periods)
        sev_v = _per_period("severity", mult.severity, n_paths, n_periods)
        sv = behaviour.servicing
        lag, advancing, options = sv.liquidation_lag, sv.advancing, sv.options
        rounding = reference_collateral().rate_rounding if rounding is None else rounding
        coef = coefficients(behaviour)
        mrate = mortgage_rate(rates[:, :, :n_periods], behaviour)

    if draws:
        seed = check_seed(seed)
    ids = np.arange(n_paths, dtype=np.int64) if path_ids is None else np.asarray(path_ids, dtype=np.int64)
    if ids.shape != (n_paths,) or (ids.size and ids.min() < 0):
        raise ScenarioError(f"path_ids: shape {ids.shape}: must be ({n_paths},) whole numbers >= 0")

    t_ = lambda a: np.ascontiguousarray(np.moveaxis(a, 0, -1))  # noqa: E731  (p, ...) -> (..., p)
    out = np.zeros((n_paths, n_periods, N_COLUMNS))
    inputs = (t_(rates), t_(mrate), t_(hpi_arr[:, :, :n_periods]), t_(smm_v), t_(mdr_v), t_(sev_v))

    def run(purchase):
        _project_pool_paths(
            loans.balance, loans.gross_rate, loans.servicing_fee_rate, loans.lpmi_rate,
            loans.margin, loans.index_id, loans.months_to_reset, loans.reset_frequency,
            loans.initial_cap, loans.periodic_cap, loans.max_rate, loans.min_rate, loans.remaining_term,
            loans.master_servicing_fee_rate, loans.trustee_fee_rate,
            loans.age, bl.region_id, bl.inv_value, bl.default_static, bl.mi_coverage, bl.penalty_months,
            bl.spike_reset, *inputs,
            coef, LOGISTIC_TABLE,
            mode, int(lag), bool(advancing), float(rounding), options.kernel_array(), purchase,
            out,
            bool(draws), np.uint64(seed if draws else 0), ids,
        )

    run(np.zeros((n_periods, n_paths)))
    if options.purchase_limit > 0:  # the 1% cap needs the month's pool sums: see stress.pool.project_pool
        share = purchase_share(options.purchase_limit, out[:, :, _PURCHASE_ELIGIBLE],
                               out[:, :, OUT_PERFORMING_BEGIN])
        run(t_(share))
    return PathCashflows(**{name: np.ascontiguousarray(out[:, :, k]) for k, name in enumerate(OUTPUT_NAMES)})
