"""Default model: the monthly default rate (MDR) of one loan on one path.

A logistic hazard (the table logistic of :mod:`stress.behaviour.logistic`)::

    MDR = min(max_mdr, logistic(static + age_term(age)
                                + ltv_slope x (LTV - ltv_reference)
                                + negative_equity_slope x max(LTV - 1, 0)
                                + payment_shock_slope x (payment ratio - 1)))

- ``static`` (per loan, :func:`static_logit`): ``intercept``
  + ``fico_per_100 x (FICO - fico_reference) / 100`` (``fico_missing`` where
  unknown) + the ``doc_type``, ``occupancy`` and ``purpose`` add-ons
  + ``dti_slope x (DTI - dti_reference)`` where DTI is known.
- ``age_term(age) = age_slope x ln(min(age, age_peak_months) / age_peak_months)``
  (``age >= 1`` is the loan's age at the payment): 0 from the peak on.
- ``LTV`` is the current LTV on the path: the surviving borrower's scheduled
  balance / (original property value x HPI of the loan's region). Above 100%
  (negative equity) the slope steepens by ``negative_equity_slope``: an
  underwater borrower who misses payments cures less often and some default
  strategically (sources in ``scenarios/behaviour/base.toml``). Both slopes are
  >= 0, so more negative equity never lowers the hazard.
- ``payment ratio``: the product of ``new payment / old payment`` over the
  resets since cut-off on the path (1 before any).

A defaulted loan misses its payment that month and goes through the
delinquency pipeline to liquidation ``liquidation_lag`` months later (see
:mod:`stress.kernels.collateral_paths`).
"""

from __future__ import annotations

import numpy as np

from stress.behaviour.logistic import logistic
from stress.behaviour.params import BehaviourParams

__all__ = ["static_logit", "age_term", "logit", "mdr"]


def static_logit(*, fico, dti, doc_type, occupancy, purpose, params: BehaviourParams) -> np.ndarray:
    """Per-loan constant part of the default logit (arrays of loans; categories as on the tape)."""
    dp = params.default
    fico = np.asarray(fico, dtype=np.float64)
    dti = np.asarray(dti, dtype=np.float64)
    fico = np.where(np.isnan(fico), dp.fico_missing, fico)
    dti_term = np.where(np.isnan(dti), 0.0, dp.dti_slope * (dti - dp.dti_reference))
    table = lambda mapping, values: np.array([mapping[v] for v in np.atleast_1d(values)], dtype=np.float64)  # noqa: E731
    return (dp.intercept + dp.fico_per_100 * (fico - dp.fico_reference) / 100.0
            + table(dp.doc_type, doc_type) + table(dp.occupancy, occupancy) + table(dp.purpose, purpose)
            + dti_term)


def age_term(age, params: BehaviourParams):
    dp = params.default
    age = np.maximum(np.asarray(age, dtype=np.float64), 1.0)
    return dp.age_slope * np.log(np.minimum(age, dp.age_peak_months) / dp.age_peak_months)


def logit(*, static, age, ltv, payment_ratio, params: BehaviourParams):
    dp = params.default
    ltv = np.asarray(ltv, dtype=np.float64)
    return (static + age_term(age, params) + dp.ltv_slope * (ltv - dp.ltv_reference)
            + dp.negative_equity_slope * np.maximum(ltv - 1.0, 0.0)
            + dp.payment_shock_slope * (np.asarray(payment_ratio) - 1.0))


def mdr(*, static, age, ltv, payment_ratio, params: BehaviourParams, multiplier=1.0):
    """Monthly default rate [decimal]; ``multiplier`` scales the model (mode 2), then held in [0, 1]."""
    rate = np.minimum(params.default.max_mdr,
                      logistic(logit(static=static, age=age, ltv=ltv, payment_ratio=payment_ratio, params=params)))
    return np.minimum(1.0, rate * multiplier)
