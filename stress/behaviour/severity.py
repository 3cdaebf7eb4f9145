"""Loss severity at liquidation, as a fraction of the defaulted (borrower) balance ``B``.

::

    decline  = max(0, 1 - HPI(liquidation month) / HPI peak)      (the path's home-price drawdown)
    discount = distressed_haircut + haircut_per_decline x decline  (REO / distressed-sale discount)
    months   = lag + min(timeline_per_decline x decline, max_extension_months)   (foreclosure timeline)
    proceeds = V0 x HPI(liquidation month) x (1 - discount) / B
    carrying = months x (advance rate + carry_rate) / 12   (accrued interest: repaid to the servicer if
               advanced, foregone by the trust if not; taxes, insurance and upkeep of the property)
    claim    = 1 + costs + carrying            (costs = foreclosure_cost, or fair_value_sale_cost)
    MI       = coverage x claim                (coverage already net of the claim haircut: mi_coverage)
    severity = max(0, min(max_severity, claim - proceeds - MI))

``V0 / B`` is ``1 / LTV0`` where ``LTV0`` is the current balance over the
original value (HPI 1 at cut-off). ``HPI peak`` is the highest HPI of the
loan's region on the path from cut-off (value 1) to the month of default.

Why the drawdown drives the timeline: liquidation timelines lengthened in
2008-2012 because of the volume of foreclosures at once (Cordell, Geng,
Goodman & Yang 2013/2015, "The Cost of Foreclosure Delay"). The pool's share
of loans in foreclosure is not known while one loan is projected (the kernel
loops loans outside months), so the model uses the macro state that drives
foreclosure volume on the path, the home-price drawdown, as its proxy; it is
path state, cheap (one running maximum per path and loan), and the same in
every loan. The cash-flow lag of the pipeline stays ``liquidation_lag``; the
extra months count in the severity as foregone interest and carrying cost
(as when a servicer stops advancing on a long-delinquent loan).

The servicer advances only while it expects the liquidation proceeds to repay
the advances: ``proceeds >= costs + lag x advance rate / 12`` (MI left out of
the test, conservatively). Severity is capped at 100% so the recovery is never
negative. A fair-value sale (2004-10 amendment) avoids foreclosure: no
timeline extension. With the servicer buy-out option the severity is 0.

Every monotonicity the tests check follows from the signs: a deeper drawdown
raises the discount and the months and lowers the proceeds; a higher LTV0
lowers the proceeds; MI only subtracts.
"""

from __future__ import annotations

import numpy as np

from stress.behaviour.params import BehaviourParams

__all__ = ["mi_coverage", "drawdown", "timeline_months", "advance_recoverable", "advance_months", "severity"]


def mi_coverage(ltv, mi_insured, params: BehaviourParams) -> np.ndarray:
    """Expected paid MI coverage per loan: the coverage by original LTV x (1 - claim haircut); 0 if uninsured."""
    sp = params.severity
    ltv = np.asarray(ltv, dtype=np.float64)
    cov = np.where(ltv > 0.95, sp.mi_coverage_above_95,
                   np.where(ltv > 0.90, sp.mi_coverage_above_90,
                            np.where(ltv > 0.85, sp.mi_coverage_above_85, sp.mi_coverage_other)))
    return np.where(np.asarray(mi_insured, dtype=bool), cov * (1.0 - sp.mi_claim_haircut), 0.0)


def _cost(params: BehaviourParams) -> float:
    return params.severity.fair_value_sale_cost if params.servicing.fair_value_sale else params.severity.foreclosure_cost


def drawdown(hpi_liquidation, hpi_peak=1.0):
    """Home-price decline from the path's peak at the liquidation month [decimal, >= 0]."""
    return np.maximum(0.0, 1.0 - np.asarray(hpi_liquidation, dtype=np.float64) / np.asarray(hpi_peak))


def timeline_months(decline, params: BehaviourParams):
    """Months from default to liquidation that the severity counts: the lag plus the crowding extension."""
    sp = params.severity
    lag = params.servicing.effective_liquidation_lag()
    per_decline = 0.0 if params.servicing.fair_value_sale else sp.timeline_per_decline
    return lag + np.minimum(per_decline * np.asarray(decline), sp.max_extension_months)


def _proceeds(ltv0, hpi_liquidation, decline, params: BehaviourParams):
    sp = params.severity
    discount = sp.distressed_haircut + sp.haircut_per_decline * np.asarray(decline)
    return (1.0 - discount) * np.asarray(hpi_liquidation) / np.asarray(ltv0)


def advance_recoverable(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams, hpi_peak=1.0):
    """Whether the servicer advances on a defaulted loan: advancing on, and proceeds >= costs + advances."""
    lag = params.servicing.effective_liquidation_lag()
    proceeds = _proceeds(ltv0, hpi_liquidation, drawdown(hpi_liquidation, hpi_peak), params)
    advances = lag * np.asarray(advance_rate) / 12.0
    return params.servicing.advancing & (proceeds >= _cost(params) + advances)


def advance_months(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams, hpi_peak=1.0):
    """Months of advances repaid out of the proceeds: the effective lag, or 0 when not advanced."""
    lag = params.servicing.effective_liquidation_lag()
    ok = advance_recoverable(ltv0=ltv0, hpi_liquidation=hpi_liquidation, advance_rate=advance_rate,
                             params=params, hpi_peak=hpi_peak)
    return np.where(ok, float(lag), 0.0)


def severity(*, ltv0, hpi_liquidation, advance_rate, coverage, params: BehaviourParams, hpi_peak=1.0,
             multiplier=1.0):
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
        Expected paid MI coverage from :func:`mi_coverage` [decimal of the claim].
    hpi_peak : array_like
        Highest HPI of the loan's region on the path up to the default month
        (1 at cut-off, so >= 1); the drawdown is measured from it.
    multiplier : float
        Scenario multiple (mode 2), applied before the [0, max_severity] bounds.
    """
    sp = params.severity
    if params.servicing.servicer_buyout_90plus:
        return np.zeros(np.broadcast(ltv0, hpi_liquidation).shape)
    decline = drawdown(hpi_liquidation, hpi_peak)
    proceeds = _proceeds(ltv0, hpi_liquidation, decline, params)
    months = timeline_months(decline, params)
    claim = 1.0 + _cost(params) + months * (np.asarray(advance_rate) + sp.carry_rate) / 12.0
    raw = (claim - proceeds - np.asarray(coverage) * claim) * multiplier
    return np.maximum(0.0, np.minimum(sp.max_severity, raw))
