"""Loss severity at liquidation, as a fraction of the defaulted (borrower) balance ``B``.

::

    proceeds = V0 x HPI(liquidation month) x (1 - distressed_haircut) / B
    advances = lag x (note rate - servicing fee) / 12   (accrued interest: repaid to the servicer if
               advanced, foregone by the trust if not; counted either way so severity is monotone in HPI)
    costs    = foreclosure_cost     (fair_value_sale_cost for a fair-value sale, at its own month)
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
A loan bought by the servicer (:mod:`stress.servicing`) leaves at the
Repurchase Price with no loss; one sold at fair value takes
:func:`severity` with ``fair_value_sale=True``.
"""

from __future__ import annotations

import numpy as np

from stress.behaviour.params import BehaviourParams

__all__ = ["mi_coverage", "advance_recoverable", "advance_months", "severity", "value_covers_price"]


def mi_coverage(ltv, mi_insured, params: BehaviourParams) -> np.ndarray:
    """Coverage fraction per loan from the original LTV; 0 where not insured."""
    sp = params.severity
    ltv = np.asarray(ltv, dtype=np.float64)
    cov = np.where(ltv > 0.95, sp.mi_coverage_above_95,
                   np.where(ltv > 0.90, sp.mi_coverage_above_90,
                            np.where(ltv > 0.85, sp.mi_coverage_above_85, sp.mi_coverage_other)))
    return np.where(np.asarray(mi_insured, dtype=bool), cov, 0.0)


def advance_recoverable(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams):
    """Whether the servicer advances on a defaulted loan: advancing on, and proceeds >= costs + advances."""
    sp = params.severity
    lag = params.servicing.liquidation_lag
    proceeds = (1.0 - sp.distressed_haircut) * np.asarray(hpi_liquidation) / np.asarray(ltv0)
    advances = lag * np.asarray(advance_rate) / 12.0
    return params.servicing.advancing & (proceeds >= sp.foreclosure_cost + advances)


def advance_months(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams):
    """Months of advances repaid out of the proceeds: the liquidation lag, or 0 when not advanced."""
    lag = params.servicing.liquidation_lag
    ok = advance_recoverable(ltv0=ltv0, hpi_liquidation=hpi_liquidation, advance_rate=advance_rate, params=params)
    return np.where(ok, float(lag), 0.0)


def severity(*, ltv0, hpi_liquidation, advance_rate, coverage, params: BehaviourParams, multiplier=1.0,
             fair_value_sale: bool = False):
    """Severity [decimal of the defaulted balance].

    Parameters
    ----------
    ltv0 : array_like
        Borrower balance at default / original property value (the LTV at HPI 1).
    hpi_liquidation : array_like
        HPI of the loan's region in the liquidation (or sale) month (1 at cut-off).
    advance_rate : array_like
        Note rate less servicing fee at default [annual, decimal], floored at 0.
    coverage : array_like
        MI coverage from :func:`mi_coverage`.
    multiplier : float
        Scenario multiple (mode 2), applied before the [0, max_severity] bounds.
    fair_value_sale : bool
        The loan is sold at fair value (:mod:`stress.servicing`) ``fair_value_months``
        after default with ``fair_value_sale_cost``, instead of foreclosed
        ``liquidation_lag`` months after default with ``foreclosure_cost``.
    """
    sp, sv = params.severity, params.servicing
    months = sv.fair_value_months if fair_value_sale else sv.liquidation_lag
    cost = sp.fair_value_sale_cost if fair_value_sale else sp.foreclosure_cost
    proceeds = (1.0 - sp.distressed_haircut) * np.asarray(hpi_liquidation) / np.asarray(ltv0)
    claim = 1.0 + cost + months * np.asarray(advance_rate) / 12.0
    raw = (claim - proceeds - np.asarray(coverage) * claim) * multiplier
    return np.maximum(0.0, np.minimum(sp.max_severity, raw))


def value_covers_price(*, ltv0, hpi, advance_rate, months, params: BehaviourParams):
    """The servicer's buy test (:mod:`stress.servicing`, rule ``"value"``): the home at ``hpi`` less
    ``foreclosure_cost`` is worth at least the Repurchase Price, balance plus ``months`` of accrued
    interest at ``advance_rate`` (per dollar of defaulted balance)."""
    value = np.asarray(hpi) / np.asarray(ltv0) * (1.0 - params.severity.foreclosure_cost)
    return value >= 1.0 + months * np.asarray(advance_rate) / 12.0
