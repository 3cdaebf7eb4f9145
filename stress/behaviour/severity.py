"""Loss severity at liquidation, as a fraction of the defaulted (borrower) balance ``B``.

::

    decline  = max(0, 1 - HPI(liquidation month) / HPI peak)      (the path's home-price drawdown)
    discount = distressed_haircut + haircut_per_decline x decline  (REO / distressed-sale discount)
    months   = lag + min(timeline_per_decline x decline, max_extension_months)   (foreclosure timeline)
    proceeds = V0 x HPI(liquidation month) x (1 - discount) / B
    carrying = months x (advance rate + carry_rate) / 12   (accrued interest: repaid to the servicer if
               advanced, foregone by the trust if not; taxes, insurance and upkeep of the property)
    claim    = 1 + foreclosure_cost + carrying
    MI       = coverage x claim                (coverage already net of the claim haircut: mi_coverage)
    severity = max(0, min(max_severity, claim - proceeds - MI))

A loan sold at fair value (``fair_value_sale=True``, :mod:`stress.servicing`)
takes the same formula with ``fair_value_months`` for ``months`` (no timeline
extension: the sale avoids foreclosure and its crowded timeline),
``fair_value_sale_cost`` for ``foreclosure_cost``, and the HPI of its sale
month; the discount still deepens with the drawdown (the buyer prices the
home in the same market). A loan bought by the servicer (90+ day buy-out,
1% purchase) leaves at the Repurchase Price with no loss.

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
the advances: ``proceeds >= foreclosure_cost + lag x advance rate / 12`` (MI
left out of the test, conservatively). Severity is capped at 100% so the
recovery is never negative.

Primary MI coverage by original LTV (:func:`mi_coverage`): standard GSE
coverage levels for 30-year loans, in ``[severity]`` of the behaviour file,
less the claim haircut.

Every monotonicity the tests check follows from the signs: a deeper drawdown
raises the discount and the months and lowers the proceeds; a higher LTV0
lowers the proceeds; MI only subtracts.
"""

from __future__ import annotations

import numpy as np

from stress.behaviour.params import BehaviourParams

__all__ = ["mi_coverage", "drawdown", "timeline_months", "advance_recoverable", "advance_months", "severity",
           "value_covers_price"]


def mi_coverage(ltv, mi_insured, params: BehaviourParams) -> np.ndarray:
    """Expected paid MI coverage per loan: the coverage by original LTV x (1 - claim haircut); 0 if uninsured."""
    sp = params.severity
    ltv = np.asarray(ltv, dtype=np.float64)
    cov = np.where(ltv > 0.95, sp.mi_coverage_above_95,
                   np.where(ltv > 0.90, sp.mi_coverage_above_90,
                            np.where(ltv > 0.85, sp.mi_coverage_above_85, sp.mi_coverage_other)))
    return np.where(np.asarray(mi_insured, dtype=bool), cov * (1.0 - sp.mi_claim_haircut), 0.0)


def drawdown(hpi_liquidation, hpi_peak=1.0):
    """Home-price decline from the path's peak at the liquidation month [decimal, >= 0]."""
    return np.maximum(0.0, 1.0 - np.asarray(hpi_liquidation, dtype=np.float64) / np.asarray(hpi_peak))


def timeline_months(decline, params: BehaviourParams, *, fair_value_sale: bool = False):
    """Months from default to liquidation that the severity counts [months].

    Foreclosure: ``liquidation_lag`` plus the crowding extension
    ``min(timeline_per_decline x decline, max_extension_months)``; a fair-value
    sale: ``fair_value_months``, never extended (it avoids foreclosure).
    """
    sp, sv = params.severity, params.servicing
    if fair_value_sale:
        return np.full(np.shape(decline), float(sv.fair_value_months))
    return sv.liquidation_lag + np.minimum(sp.timeline_per_decline * np.asarray(decline), sp.max_extension_months)


def _proceeds(ltv0, hpi_liquidation, decline, params: BehaviourParams):
    sp = params.severity
    discount = sp.distressed_haircut + sp.haircut_per_decline * np.asarray(decline)
    return (1.0 - discount) * np.asarray(hpi_liquidation) / np.asarray(ltv0)


def advance_recoverable(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams, hpi_peak=1.0):
    """Whether the servicer advances on a defaulted loan: advancing on, and proceeds >= costs + advances.

    ``hpi_liquidation`` is the HPI of the foreclosure month (``liquidation_lag`` after default).
    """
    sp = params.severity
    lag = params.servicing.liquidation_lag
    proceeds = _proceeds(ltv0, hpi_liquidation, drawdown(hpi_liquidation, hpi_peak), params)
    advances = lag * np.asarray(advance_rate) / 12.0
    return params.servicing.advancing & (proceeds >= sp.foreclosure_cost + advances)


def advance_months(*, ltv0, hpi_liquidation, advance_rate, params: BehaviourParams, hpi_peak=1.0):
    """Months of advances repaid out of the proceeds: the liquidation lag, or 0 when not advanced."""
    lag = params.servicing.liquidation_lag
    ok = advance_recoverable(ltv0=ltv0, hpi_liquidation=hpi_liquidation, advance_rate=advance_rate,
                             params=params, hpi_peak=hpi_peak)
    return np.where(ok, float(lag), 0.0)


def severity(*, ltv0, hpi_liquidation, advance_rate, coverage, params: BehaviourParams, hpi_peak=1.0,
             multiplier=1.0, fair_value_sale: bool = False):
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
        Expected paid MI coverage from :func:`mi_coverage` [decimal of the claim].
    hpi_peak : array_like
        Highest HPI of the loan's region on the path up to the default month
        (1 at cut-off, so >= 1); the drawdown is measured from it.
    multiplier : float
        Scenario multiple (mode 2), applied before the [0, max_severity] bounds.
    fair_value_sale : bool
        The loan is sold at fair value (:mod:`stress.servicing`) ``fair_value_months``
        after default with ``fair_value_sale_cost`` and no timeline extension,
        instead of foreclosed ``liquidation_lag`` (+ extension) months after
        default with ``foreclosure_cost``; ``hpi_liquidation`` is then the HPI
        of the sale month.
    """
    sp = params.severity
    cost = sp.fair_value_sale_cost if fair_value_sale else sp.foreclosure_cost
    decline = drawdown(hpi_liquidation, hpi_peak)
    proceeds = _proceeds(ltv0, hpi_liquidation, decline, params)
    months = timeline_months(decline, params, fair_value_sale=fair_value_sale)
    claim = 1.0 + cost + months * (np.asarray(advance_rate) + sp.carry_rate) / 12.0
    raw = (claim - proceeds - np.asarray(coverage) * claim) * multiplier
    return np.maximum(0.0, np.minimum(sp.max_severity, raw))


def value_covers_price(*, ltv0, hpi, advance_rate, months, params: BehaviourParams):
    """The servicer's buy test (:mod:`stress.servicing`, rule ``"value"``): the home at ``hpi`` less
    ``foreclosure_cost`` is worth at least the Repurchase Price, balance plus ``months`` of accrued
    interest at ``advance_rate`` (per dollar of defaulted balance)."""
    value = np.asarray(hpi) / np.asarray(ltv0) * (1.0 - params.severity.foreclosure_cost)
    return value >= 1.0 + months * np.asarray(advance_rate) / 12.0
