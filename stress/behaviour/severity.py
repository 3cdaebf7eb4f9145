"""Loss severity at liquidation, as a fraction of the defaulted (borrower) balance ``B``.

::

    proceeds = V0 x HPI(liquidation month) x (1 - distressed_haircut) / B
    advances = lag x (note rate - servicing fee) / 12   (accrued interest: repaid to the servicer if
               advanced, foregone by the trust if not; counted either way so severity is monotone in HPI)
    costs    = foreclosure_cost     (fair_value_sale_cost with a fair-value sale)
    MI       = coverage x (1 + costs + advances)   on insured loans (the claim: balance, advances, costs)
    severity = max(0, min(max_severity, 1 + costs + advances - proceeds - MI))

``V0 / B`` is ``1 / LTV0`` where ``LTV0`` is the current balance over the
original value (HPI 1 at cut-off). The servicer advances only while it expects
the liquidation proceeds to repay the advances: ``proceeds >= costs + advances``
(MI left out of the test, conservatively). Severity is capped at 100% so the
recovery is never negative: a shortfall beyond the balance would be repaid to
the servicer out of the trust's other collections, which we do not model.

Primary MI coverage by original LTV (:func:`mi_coverage`): standard GSE
coverage levels for 30-year loans, in ``[severity]`` of the behaviour file.
With the servicer buy-out option (2004-10 amendment) the severity is 0.
"""

from __future__ import annotations

import numpy as np

from stress.behaviour.params import BehaviourParams

__all__ = ["mi_coverage", "advance_recoverable", "advance_months", "severity"]


def mi_coverage(ltv, mi_insured, params: BehaviourParams) -> np.ndarray:
    """Coverage fraction per loan from the original LTV; 0 where not insured."""
    sp = params.severity
    ltv = np.asarray(ltv, dtype=np.float64)
    cov = np.where(ltv > 0.95, sp.mi_coverage_above_95,
                   np.where(ltv > 0.90, sp.mi_coverage_above_90,
                            np.where(ltv > 0.85, sp.mi_coverage_above_85, sp.mi_coverage_other)))
    return np.where(np.asarray(mi_insured, dtype=bool), cov, 0.0)


def _cost(params: BehaviourParams) -> float:
    return params.severity.fair_value_sale_cost if params.servicing.fair_value_sale else params.severity.foreclosure_cost


def advance_recoverable(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams):
    """Whether the servicer advances on a defaulted loan: advancing on, and proceeds >= costs + advances."""
    sp = params.severity
    lag = params.servicing.effective_liquidation_lag()
    proceeds = (1.0 - sp.distressed_haircut) * np.asarray(hpi_liquidation) / np.asarray(ltv0)
    advances = lag * np.asarray(advance_rate) / 12.0
    return params.servicing.advancing & (proceeds >= _cost(params) + advances)


def advance_months(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams):
    """Months of advances repaid out of the proceeds: the effective lag, or 0 when not advanced."""
    lag = params.servicing.effective_liquidation_lag()
    ok = advance_recoverable(ltv0=ltv0, hpi_liquidation=hpi_liquidation, advance_rate=advance_rate, params=params)
    return np.where(ok, float(lag), 0.0)


def severity(*, ltv0, hpi_liquidation, advance_rate, coverage, params: BehaviourParams, multiplier=1.0):
    """Severity [decimal of the defaulted balance].

    Parameters
    ----------
    ltv0 : array_like
        Borrower balance at default / original property value (the LTV at HPI 1).
    hpi_liquidation : array_like
        HPI of the loan's region in the liquidation month (1 at cut-off).
    advance_rate : array_like
        Note rate less servicing fee at default [annual, decimal], floored at 0.
    coverage : array_like
        MI coverage from :func:`mi_coverage`.
    multiplier : float
        Scenario multiple (mode 2), applied before the [0, max_severity] bounds.
    """
    sp = params.severity
    if params.servicing.servicer_buyout_90plus:
        return np.zeros(np.broadcast(ltv0, hpi_liquidation).shape)
    proceeds = (1.0 - sp.distressed_haircut) * np.asarray(hpi_liquidation) / np.asarray(ltv0)
    lag = params.servicing.effective_liquidation_lag()
    claim = 1.0 + _cost(params) + lag * np.asarray(advance_rate) / 12.0
    raw = (claim - proceeds - np.asarray(coverage) * claim) * multiplier
    return np.maximum(0.0, np.minimum(sp.max_severity, raw))
