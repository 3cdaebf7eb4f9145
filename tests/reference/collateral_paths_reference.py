"""A slow, readable twin of :func:`stress.kernels.collateral_paths._project_pool_paths`.

One path at a time, one loan at a time, one month at a time. Cash flows follow
the one-path twin (:mod:`reference.collateral_reference`): every defaulted
cohort is its own record, the level payment is recomputed from the annuity
formula at each rate change (and tracked by survival factors in between, as
the model's payment-shock ratio needs the same payment the kernel has). The
monthly rates come from the readable model functions in
:mod:`stress.behaviour.prepayment`, ``default`` and ``severity``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reference.collateral_reference import adjusted_rate, level_payment
from stress.behaviour import default as dm
from stress.behaviour import prepayment as pm
from stress.behaviour import severity as sm

OUTPUTS = (
    "pool_balance_begin", "pool_balance_end", "scheduled_interest", "advanced_interest",
    "servicing_fee", "master_servicing_fee", "trustee_fee", "lpmi_premium", "net_interest",
    "scheduled_principal", "prepayment", "default_balance", "liquidated_balance",
    "recovery", "realized_loss", "net_rate_balance", "gross_rate_balance",
    "performing_balance_begin", "prepayable_balance",
)


@dataclass
class Cohort:
    balance: float
    liquidation_month: int  # 1-based
    advanced: bool
    loss: float


def project_loan_path(bl, l, rates, mrate, hpi, smm_v, mdr_v, sev_v, params, mode, lag, advancing, rounding):
    """One loan on one path: dict output name -> list by month. ``rates`` (4, m), ``hpi`` (r, m)."""
    loans = bl.loans
    months = len(smm_v)
    f = {name: [0.0] * months for name in OUTPUTS}
    g = lambda name: getattr(loans, name)[l].item()  # noqa: E731
    balance, rate, svc, lpmi = g("balance"), g("gross_rate"), g("servicing_fee_rate"), g("lpmi_rate")
    term = g("remaining_term")
    master, trustee = loans.master_servicing_fee_rate, loans.trustee_fee_rate
    payment = level_payment(balance, rate, term)
    survival, cum_incentive, payment_ratio, first_shock = 1.0, 0.0, 1.0, 0.0
    adjustments, next_adjustment = 0, g("months_to_reset")
    region, inv_value = int(bl.region_id[l]), float(bl.inv_value[l])
    spike_at = int(bl.spike_reset[l])
    cohorts: list[Cohort] = []
    hpi_peak = 1.0  # highest regional HPI on the path since cut-off (value 1)
    nat_peak = 1.0  # highest national HPI (region 0) on the path since cut-off: credit availability
    for month in range(1, months + 1):
        i = month - 1
        months_left = term - i
        if month == next_adjustment + 1:
            cap = g("initial_cap") if adjustments == 0 else g("periodic_cap")
            new = adjusted_rate(rate, rates[g("index_id"), next_adjustment - 1], g("margin"), cap,
                                g("min_rate"), g("max_rate"), rounding)
            adjustments += 1
            next_adjustment += g("reset_frequency")
            if new != rate:
                new_payment = level_payment(balance, new, months_left)
                if mode != 0 and payment > 0:
                    shock = new_payment / payment - 1.0
                    payment_ratio *= 1.0 + shock
                    if i == spike_at:
                        first_shock = shock
                rate, payment = new, new_payment
        net_rate = rate - svc - lpmi - master - trustee
        delinquent_begin = sum(c.balance for c in cohorts)

        if mode == 0:
            mdr, smm, sev, adv_ok = mdr_v[i], smm_v[i], 0.0, True
        else:
            ltv0 = balance * inv_value / survival if balance > 0 and survival > 0 else 0.0
            ltv = ltv0 / hpi[region, i]
            hpi_peak = max(hpi_peak, float(hpi[region, i]))
            nat_peak = max(nat_peak, float(hpi[0, i]))
            age = int(loans.age[l]) + month
            mdr = float(dm.mdr(static=bl.default_static[l], age=age, ltv=ltv, payment_ratio=payment_ratio,
                               params=params))
            incentive = rate - mrate[i]
            smm = float(pm.smm(age=age, penalty_months=bl.penalty_months[l], incentive=incentive,
                               cum_incentive=cum_incentive, ltv=ltv,
                               months_from_reset=(i - spike_at) if spike_at >= 0 else -10_000,
                               first_shock=first_shock, params=params,
                               drawdown=1.0 - float(hpi[0, i]) / nat_peak))
            cum_incentive += max(incentive, 0.0)
            adv_rate = max(rate - svc, 0.0)
            hpi_liq = hpi[region, min(i + lag, hpi.shape[1] - 1)]
            sev_mult = sev_v[min(i + lag, months - 1)] if mode == 2 else 1.0
            if ltv0 > 0:
                sev = float(sm.severity(ltv0=ltv0, hpi_liquidation=hpi_liq, advance_rate=adv_rate,
                                        coverage=bl.mi_coverage[l], params=params, hpi_peak=hpi_peak,
                                        multiplier=sev_mult))
                adv_ok = bool(sm.advance_recoverable(ltv0=ltv0, hpi_liquidation=hpi_liq, advance_rate=adv_rate,
                                                     params=params, hpi_peak=hpi_peak))
                if params.servicing.servicer_buyout_90plus:
                    adv_ok = advancing
            else:
                sev, adv_ok = 0.0, advancing
            if mode == 2:
                mdr = min(1.0, mdr * mdr_v[i])
                smm = min(1.0, smm * smm_v[i])

        begin = balance + delinquent_begin
        f["pool_balance_begin"][i] = begin
        f["gross_rate_balance"][i] = begin * rate
        f["net_rate_balance"][i] = begin * net_rate
        f["performing_balance_begin"][i] = balance

        defaulted = balance * mdr
        balance -= defaulted
        payment *= 1.0 - mdr
        interest = balance * rate / 12
        if months_left <= 1:
            scheduled = balance
        else:
            scheduled = min(payment - interest, balance)
        paying = balance
        balance -= scheduled
        f["prepayable_balance"][i] = balance
        prepaid = balance * smm
        balance -= prepaid
        payment *= 1.0 - smm
        survival *= (1.0 - mdr) * (1.0 - smm)

        cohorts.append(Cohort(defaulted, month + lag, adv_ok, defaulted * sev))
        due = [c for c in cohorts if c.liquidation_month == month]
        cohorts = [c for c in cohorts if c.liquidation_month != month]
        liquidated = sum(c.balance for c in due)
        advanced = sum(c.balance for c in cohorts if c.advanced)

        fee_balance = paying
        if advancing:
            f["advanced_interest"][i] = advanced * max(rate - svc, 0.0) / 12
            fee_balance += advanced
        f["scheduled_interest"][i] = interest
        f["servicing_fee"][i] = paying * svc / 12
        f["master_servicing_fee"][i] = fee_balance * master / 12
        f["trustee_fee"][i] = fee_balance * trustee / 12
        f["lpmi_premium"][i] = fee_balance * lpmi / 12
        f["net_interest"][i] = (interest + f["advanced_interest"][i] - f["servicing_fee"][i]
                                - f["master_servicing_fee"][i] - f["trustee_fee"][i] - f["lpmi_premium"][i])
        f["scheduled_principal"][i] = scheduled
        f["prepayment"][i] = prepaid
        f["default_balance"][i] = defaulted
        f["liquidated_balance"][i] = liquidated
        loss = liquidated * sev_v[i] if mode == 0 else sum(c.loss for c in due)
        f["realized_loss"][i] = loss
        f["recovery"][i] = liquidated - loss
        f["pool_balance_end"][i] = balance + sum(c.balance for c in cohorts)
        if months_left <= 1:
            balance = 0.0
    return f


def project_pool_paths_reference(bl, index_rates, mrate, hpi, smm_v, mdr_v, sev_v, params, mode, lag, advancing,
                                 rounding):
    """Pool cash flows, dict name -> (p, t) array. Arrays are per path first: ``index_rates (p, 4, m)``,
    ``mrate (p, m)``, ``hpi (p, r, m)``, vectors ``(p, t)``."""
    n_paths, months = smm_v.shape
    totals = {name: np.zeros((n_paths, months)) for name in OUTPUTS}
    for p in range(n_paths):
        for l in range(bl.n_loans):
            flows = project_loan_path(bl, l, index_rates[p], mrate[p], hpi[p], smm_v[p], mdr_v[p], sev_v[p],
                                      params, mode, lag, advancing, rounding)
            for name in OUTPUTS:
                totals[name][p] += np.asarray(flows[name])
    return totals
