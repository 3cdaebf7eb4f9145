"""Turn a loan tape and behaviour parameters into the multi-path kernel's per-loan arrays.

:func:`prepare_loans` computes once per pool what does not change along a path
(the kernel's "static" inputs):

- ``region_id``: 1 for California loans, 0 for the rest (rows of the HPI
  input: :data:`REGIONS`).
- ``inv_value``: 1 / original property value, the value taken as
  ``balance / ltv`` at cut-off: the reference pool's loans are at most 13
  months old, so the cut-off balance is within ~1.5% of the original one and
  the current LTV at cut-off equals the tape LTV (our simplification).
- ``default_static``: :func:`stress.behaviour.default.static_logit`.
- ``mi_coverage``: :func:`stress.behaviour.severity.mi_coverage` (expected paid
  coverage: the tape's ``mi_insured`` flag, coverage by original LTV, less the
  claim haircut).
- ``penalty_months``: the tape's ``prepay_penalty_months`` (loan age).
- ``spike_reset``: for hybrid products (every product but ``30Y LIB6M``,
  whose first adjustment is behind it), the period index of the first month
  at the first reset's rate (``months_to_reset``); -1 otherwise.

The deal-level fee rates (master servicing, trustee) are the deal file's
``[collateral]`` values; left out, the reference deal file's.

:func:`coefficients` (defined in :mod:`stress.behaviour.compiled`, which owns
the kernel's coefficient layout) packs the scalar coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from stress.behaviour import default as default_model
from stress.behaviour import severity as severity_model
from stress.behaviour.compiled import coefficients
from stress.behaviour.params import BehaviourParams
from stress.errors import ScenarioError
from stress.pool import LoanArrays, loan_arrays

__all__ = ["REGIONS", "BehaviourLoans", "prepare_loans", "coefficients"]

#: Rows of the ``hpi`` input: national index, California index.
REGIONS: tuple[str, ...] = ("national", "CA")
#: Products whose first (initial-cap) adjustment is still ahead at cut-off.
SEASONED_PRODUCTS = ("30Y LIB6M",)


@dataclass(frozen=True, eq=False)
class BehaviourLoans:
    """A pool's loans for the multi-path kernel: :class:`~stress.pool.LoanArrays` plus behaviour arrays.

    Every array has one element per loan (see the module docstring for each).
    """

    loans: LoanArrays
    region_id: np.ndarray
    inv_value: np.ndarray
    default_static: np.ndarray
    mi_coverage: np.ndarray
    penalty_months: np.ndarray
    spike_reset: np.ndarray

    def __post_init__(self):
        n = self.loans.n_loans
        for f in fields(self):
            if f.name == "loans":
                continue
            dtype = np.int64 if f.name in ("region_id", "penalty_months", "spike_reset") else np.float64
            arr = np.ascontiguousarray(getattr(self, f.name), dtype=dtype)
            if arr.shape != (n,):
                raise ScenarioError(f"BehaviourLoans.{f.name}: shape {arr.shape}, expected ({n},)")
            if dtype is np.float64 and not np.all(np.isfinite(arr)):
                raise ScenarioError(f"BehaviourLoans.{f.name}: must be finite")
            object.__setattr__(self, f.name, arr)
        if np.any((self.region_id < 0) | (self.region_id >= len(REGIONS))):
            raise ScenarioError(f"BehaviourLoans.region_id: must be in [0, {len(REGIONS) - 1}]")
        if np.any(self.inv_value <= 0):
            raise ScenarioError("BehaviourLoans.inv_value: must be > 0 (1 / property value)")

    @property
    def n_loans(self) -> int:
        return self.loans.n_loans

    @classmethod
    def vectors_only(cls, loans: LoanArrays) -> "BehaviourLoans":
        """Neutral behaviour arrays for a pool that is only run on vectors (mode 0)."""
        n = loans.n_loans
        return cls(loans, np.zeros(n), np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n), np.full(n, -1))

    def subset(self, rows) -> "BehaviourLoans":
        """The loans at ``rows`` (an index array or boolean mask)."""
        lf = self.loans
        sub = {f.name: getattr(lf, f.name)[rows] for f in fields(lf)
               if f.name not in ("master_servicing_fee_rate", "trustee_fee_rate")}
        loans = LoanArrays(**sub, master_servicing_fee_rate=lf.master_servicing_fee_rate,
                           trustee_fee_rate=lf.trustee_fee_rate)
        return BehaviourLoans(loans, **{f.name: getattr(self, f.name)[rows] for f in fields(self) if f.name != "loans"})


def prepare_loans(tape: pd.DataFrame, params: BehaviourParams, *,
                  master_servicing_fee_rate: float | None = None,
                  trustee_fee_rate: float | None = None) -> BehaviourLoans:
    """Per-loan kernel inputs from a validated tape (:func:`stress.collateral.tape.validate_tape`).

    Parameters
    ----------
    tape : pandas.DataFrame
    params : BehaviourParams
    master_servicing_fee_rate, trustee_fee_rate : float, optional
        Deal fee rates [annual, decimal]; default the reference deal file's
        ``[collateral]`` values.
    """
    if not isinstance(params, BehaviourParams):
        raise ScenarioError(f"params: expected a BehaviourParams, got {type(params).__name__}")
    if master_servicing_fee_rate is None or trustee_fee_rate is None:
        from stress.assumptions import reference_collateral

        terms = reference_collateral()
        if master_servicing_fee_rate is None:
            master_servicing_fee_rate = terms.master_servicing_fee_rate
        if trustee_fee_rate is None:
            trustee_fee_rate = terms.trustee_fee_rate
    loans = loan_arrays(tape, master_servicing_fee_rate=master_servicing_fee_rate,
                        trustee_fee_rate=trustee_fee_rate)
    ltv = tape["ltv"].to_numpy(dtype=np.float64)
    balance = tape["balance"].to_numpy(dtype=np.float64)
    hybrid = ~tape["product"].isin(SEASONED_PRODUCTS).to_numpy()
    return BehaviourLoans(
        loans=loans,
        region_id=(tape["state"].to_numpy() == "CA").astype(np.int64),
        inv_value=ltv / balance,
        default_static=default_model.static_logit(
            fico=tape["fico"].to_numpy(dtype=np.float64), dti=tape["dti"].to_numpy(dtype=np.float64),
            doc_type=tape["doc_type"].to_numpy(), occupancy=tape["occupancy"].to_numpy(),
            purpose=tape["purpose"].to_numpy(), params=params),
        mi_coverage=severity_model.mi_coverage(ltv, tape["mi_insured"].to_numpy(dtype=bool), params),
        penalty_months=tape["prepay_penalty_months"].to_numpy(dtype=np.int64),
        spike_reset=np.where(hybrid, tape["months_to_reset"].to_numpy(dtype=np.int64), -1),
    )
