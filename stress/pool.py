"""Project a loan pool's cash flows: the Python side of the collateral kernel.

:func:`loan_arrays` turns a validated tape (:mod:`stress.collateral.schema`)
into contiguous numpy arrays once; :func:`project_pool` validates the rate
path and assumptions, builds the monthly SMM / MDR / severity vectors and runs
the collateral kernel on one path (:func:`stress.kernels.collateral_paths.project_tiles`,
vector mode); :mod:`stress.kernels.collateral` states every cash-flow
convention (timing, reset, defaults, advancing, fees).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from stress.assumptions import Assumptions
from stress.collateral.schema import INDICES
from stress.errors import ScenarioError

__all__ = ["LoanArrays", "PoolCashflows", "loan_arrays", "project_pool", "principal_remittance", "INDEX_IDS"]

#: Row of ``index_rates`` for each ARM index.
INDEX_IDS: dict[str, int] = {name: i for i, name in enumerate(INDICES)}
assert INDEX_IDS == {"LIBOR_1M": 0, "LIBOR_6M": 1, "LIBOR_12M": 2, "CMT_1Y": 3}


@dataclass(frozen=True, eq=False)
class LoanArrays:
    """A pool's loans as contiguous arrays, one element per loan (the kernel's inputs).

    Rates are annual decimals, terms in months, balances in USD; ``index_id``
    is the row of the index path (:data:`INDEX_IDS`). ``master_servicing_fee_rate``
    and ``trustee_fee_rate`` apply to every loan (deal terms).
    """

    balance: np.ndarray
    gross_rate: np.ndarray
    servicing_fee_rate: np.ndarray
    lpmi_rate: np.ndarray
    margin: np.ndarray
    index_id: np.ndarray
    months_to_reset: np.ndarray
    reset_frequency: np.ndarray
    initial_cap: np.ndarray
    periodic_cap: np.ndarray
    max_rate: np.ndarray
    min_rate: np.ndarray
    remaining_term: np.ndarray
    age: np.ndarray
    master_servicing_fee_rate: float
    trustee_fee_rate: float

    _INT_FIELDS = ("index_id", "months_to_reset", "reset_frequency", "remaining_term", "age")

    def __post_init__(self):
        n = None
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("master_servicing_fee_rate", "trustee_fee_rate"):
                value = float(value)
                if not 0.0 <= value <= 0.02:
                    raise ScenarioError(f"LoanArrays.{f.name} = {value!r}: must be in [0, 0.02] (annual decimal)")
                object.__setattr__(self, f.name, value)
                continue
            dtype = np.int64 if f.name in self._INT_FIELDS else np.float64
            arr = np.ascontiguousarray(value, dtype=dtype)
            if arr.ndim != 1:
                raise ScenarioError(f"LoanArrays.{f.name}: must be one-dimensional, got shape {arr.shape}")
            if n is None:
                n = len(arr)
            elif len(arr) != n:
                raise ScenarioError(f"LoanArrays.{f.name}: has {len(arr)} loans, balance has {n}")
            object.__setattr__(self, f.name, arr)
        if np.any((self.index_id < 0) | (self.index_id >= len(INDICES))):
            raise ScenarioError(f"LoanArrays.index_id: must be in [0, {len(INDICES) - 1}]")
        if np.any(self.reset_frequency < 1) or np.any(self.months_to_reset < 1):
            raise ScenarioError("LoanArrays: months_to_reset and reset_frequency must be >= 1")
        if np.any(self.remaining_term < 1):
            raise ScenarioError("LoanArrays.remaining_term: must be >= 1")
        if not np.all(np.isfinite(self.balance)) or np.any(self.balance < 0):
            raise ScenarioError("LoanArrays.balance: must be finite and >= 0")

    @property
    def n_loans(self) -> int:
        return len(self.balance)

    @property
    def wa_age(self) -> float:
        """Balance-weighted average age at cut-off [months] (PSA / SDA seasoning)."""
        total = self.balance.sum()
        return float((self.balance * self.age).sum() / total) if total > 0 else 0.0

    @property
    def net_rate(self) -> np.ndarray:
        """Net mortgage rate per loan at cut-off [annual, decimal]."""
        return (self.gross_rate - self.servicing_fee_rate - self.lpmi_rate
                - self.master_servicing_fee_rate - self.trustee_fee_rate)


def loan_arrays(tape: pd.DataFrame, *, master_servicing_fee_rate: float, trustee_fee_rate: float) -> LoanArrays:
    """Convert a validated loan tape to :class:`LoanArrays`.

    Parameters
    ----------
    tape : pandas.DataFrame
        A tape that passed :func:`stress.collateral.tape.validate_tape`.
    master_servicing_fee_rate, trustee_fee_rate : float
        Deal-level fee rates [annual, decimal] (the deal file supplies them:
        0.0003 and 0.000043 for the reference deal).

    Returns
    -------
    LoanArrays
    """
    ids = tape["index"].map(INDEX_IDS)
    if ids.isna().any():
        bad = tape["index"][ids.isna()].iloc[0]
        raise ScenarioError(f"loan tape: index {bad!r} is not one of {', '.join(INDICES)}")
    column = lambda name: tape[name].to_numpy()  # noqa: E731
    return LoanArrays(
        balance=column("balance"),
        gross_rate=column("gross_rate"),
        servicing_fee_rate=column("servicing_fee_rate"),
        lpmi_rate=column("lpmi_rate"),
        margin=column("margin"),
        index_id=ids.to_numpy(dtype=np.int64),
        months_to_reset=column("months_to_reset"),
        reset_frequency=column("reset_frequency"),
        initial_cap=column("initial_cap"),
        periodic_cap=column("periodic_cap"),
        max_rate=column("max_rate"),
        min_rate=column("min_rate"),
        remaining_term=column("remaining_term"),
        age=column("age"),
        master_servicing_fee_rate=master_servicing_fee_rate,
        trustee_fee_rate=trustee_fee_rate,
    )


def principal_remittance(flows) -> np.ndarray:
    """Principal the trust receives [USD]: what the bond waterfall distributes.

    Scheduled principal collected + principal advanced + prepayments +
    Repurchase Price principal + net liquidation proceeds (recoveries), as the
    2002-8 remittance report's "TOTAL PRINCIPAL" adds them. ``flows`` is a
    :class:`PoolFlows` or a dict of its arrays.
    """
    get = flows.__getitem__ if isinstance(flows, Mapping) else lambda name: getattr(flows, name)  # noqa: E731
    return (get("scheduled_principal") + get("advanced_principal") + get("prepayment")
            + get("repurchased_balance") + get("recovery"))


@dataclass(frozen=True, eq=False)
class PoolFlows:
    """The collateral kernels' pool outputs, shared by one-path and many-path results.

    Each field is a float64 array with periods last: ``(t,)`` for one path,
    ``(p, t)`` for many. Money in USD; ``net_rate_balance`` and
    ``gross_rate_balance`` are sums of beginning balance x annual rate [USD].
    """

    pool_balance_begin: np.ndarray
    pool_balance_end: np.ndarray
    scheduled_interest: np.ndarray
    advanced_interest: np.ndarray
    servicing_fee: np.ndarray
    master_servicing_fee: np.ndarray
    trustee_fee: np.ndarray
    lpmi_premium: np.ndarray
    net_interest: np.ndarray
    scheduled_principal: np.ndarray
    prepayment: np.ndarray
    default_balance: np.ndarray
    liquidated_balance: np.ndarray
    recovery: np.ndarray
    realized_loss: np.ndarray
    net_rate_balance: np.ndarray
    gross_rate_balance: np.ndarray
    advanced_principal: np.ndarray
    repurchased_balance: np.ndarray
    repurchase_interest: np.ndarray

    @property
    def n_periods(self) -> int:
        return self.pool_balance_begin.shape[-1]

    @property
    def principal_remittance(self) -> np.ndarray:
        """Principal to the trust [USD]: :func:`principal_remittance` of these flows."""
        return principal_remittance(self)

    @property
    def wac(self) -> np.ndarray:
        """Weighted average gross coupon by period [annual, decimal]; NaN once the pool is gone."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.gross_rate_balance / self.pool_balance_begin

    @property
    def net_wac(self) -> np.ndarray:
        """Weighted average net mortgage rate by period [annual, decimal]."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.net_rate_balance / self.pool_balance_begin


@dataclass(frozen=True, eq=False)
class PoolCashflows(PoolFlows):
    """Pool cash flows per period, each a float64 array of length ``n_periods``.

    Element ``t - 1`` is due period ``t`` (see :mod:`stress.kernels.collateral`
    for every convention).
    """

    def to_frame(self) -> pd.DataFrame:
        """The cash flows as a DataFrame indexed by period 1..n."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return pd.DataFrame(data, index=pd.RangeIndex(1, self.n_periods + 1, name="period"))


def _index_matrix(index_rates, n_periods: int) -> np.ndarray:
    if isinstance(index_rates, Mapping):
        unknown = set(index_rates) - set(INDEX_IDS)
        if unknown:
            raise ScenarioError(f"index_rates: unknown index {sorted(unknown)[0]!r}; allowed: {', '.join(INDICES)}")
        length = max((len(np.atleast_1d(v)) for v in index_rates.values()), default=n_periods)
        matrix = np.full((len(INDICES), length), np.nan)
        for name, values in index_rates.items():
            values = np.atleast_1d(np.asarray(values, dtype=np.float64))
            matrix[INDEX_IDS[name], : len(values)] = values
        index_rates = matrix
    matrix = np.ascontiguousarray(index_rates, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != len(INDICES):
        raise ScenarioError(
            f"index_rates: shape {matrix.shape}: must be ({len(INDICES)}, months), rows {', '.join(INDICES)}"
        )
    if matrix.shape[1] < max(n_periods - 1, 1):
        raise ScenarioError(
            f"index_rates: {matrix.shape[1]} months: need at least n_periods - 1 = {n_periods - 1} "
            "(an adjustment at month a observes column a - 1)"
        )
    return matrix


def project_pool(loans: LoanArrays, index_rates, assumptions: Assumptions, *, n_periods: int) -> PoolCashflows:
    """Project the pool's cash flows under deterministic assumptions.

    Parameters
    ----------
    loans : LoanArrays
        From :func:`loan_arrays`.
    index_rates : array_like, shape (4, >= n_periods - 1), or mapping
        Index path [annual, decimal], rows LIBOR_1M, LIBOR_6M, LIBOR_12M,
        CMT_1Y; column 0 is the value at cut-off and an adjustment ``a``
        months after cut-off observes column ``a - 1``. A mapping from index
        name to its path is accepted too (missing indices are NaN; only
        indices some loan uses need real values).
    assumptions : Assumptions
        Prepayment, default, severity, lag, advancing, servicer options, rate
        rounding and pricing speed. PSA / SDA ages start at the pool's WA age.
        With the 1% purchase option the kernel runs twice
        (:func:`stress.kernels.collateral_paths.project_tiles`).
    n_periods : int
        Months to project [1..600].

    Returns
    -------
    PoolCashflows
    """
    from stress.behaviour.compiled import N_COEF
    from stress.behaviour.logistic import LOGISTIC_TABLE
    from stress.behaviour.prep import BehaviourLoans
    from stress.kernels.collateral import OUTPUT_NAMES as POOL_OUTPUT_NAMES
    from stress.kernels.collateral_paths import MODE_VECTORS, project_tiles

    if not isinstance(assumptions, Assumptions):
        raise ScenarioError(f"assumptions: expected an Assumptions, got {type(assumptions).__name__}")
    if isinstance(n_periods, bool) or not isinstance(n_periods, (int, np.integer)) or not 1 <= n_periods <= 600:
        raise ScenarioError(f"n_periods = {n_periods!r}: must be a whole number of months in [1, 600]")
    n_periods = int(n_periods)
    matrix = _index_matrix(index_rates, n_periods)
    used = np.unique(loans.index_id)
    # Columns an adjustment can observe within the horizon must be finite for the indices in use.
    if used.size and not np.all(np.isfinite(matrix[used, : max(n_periods - 1, 1)])):
        names = [INDICES[i] for i in used if not np.all(np.isfinite(matrix[i, : max(n_periods - 1, 1)]))]
        raise ScenarioError(f"index_rates: {', '.join(names)} has missing or non-finite values within the horizon")

    # One path of the multi-path kernel in vector mode (no behaviour coefficient is read there).
    wa_age = loans.wa_age
    out = project_tiles(
        BehaviourLoans.vectors_only(loans), matrix[None], None, None,
        np.asarray(assumptions.smm(n_periods, wa_age=wa_age))[None],
        np.asarray(assumptions.mdr(n_periods, wa_age=wa_age))[None],
        np.asarray(assumptions.severity_vector(n_periods))[None], None, np.zeros(N_COEF), LOGISTIC_TABLE,
        mode=MODE_VECTORS, liquidation_lag=assumptions.liquidation_lag, advancing=assumptions.advancing,
        rounding=assumptions.rounding, options=assumptions.servicer_options, tile_width=1,
    )
    return PoolCashflows(**{name: np.ascontiguousarray(out[0, :, k]) for k, name in enumerate(POOL_OUTPUT_NAMES)})
