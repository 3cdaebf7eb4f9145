"""A numpy twin of the multi-path collateral kernel, behaviour models (modes 1 and 2).

The same loans, rates, behaviour models and outputs as
:func:`stress.kernels.collateral_paths._project_pool_paths`, written the way
one would write it without numba: every state variable an array over
``(paths, loans)``, a Python loop over months, each step one numpy expression
over all paths and loans at once. It exists to show what the kernel buys
(``benchmarks/bench_scaling.py`` times both in one run) and is checked against
the kernel to 1e-9 relative by ``tests/test_numpy_twin.py``.

Conventions are the kernel's (see its module docstring): ARM reset, level
payment tracked by survival factors, default before scheduled principal,
prepayment after it, the delinquency pipeline as ring buffers of ``lag + 1``
slots, advancing, fees, the table logistic of :mod:`stress.behaviour.logistic`.

    # p = paths, l = loans, t = months

Memory: about 25 float64 arrays of ``p x l`` (100 paths x 3,951 loans: 80 MB);
the kernel needs a few kB per tile of paths instead.
"""

from __future__ import annotations

import numpy as np

from stress.behaviour.compiled import (
    C_AGE_PEAK, C_AGE_SLOPE, C_BASE_SMM, C_BURNOUT, C_COST, C_DEFAULT_LTV_REF, C_EQUITY_CAP, C_EQUITY_FLOOR,
    C_EQUITY_SLOPE, C_FV_COST, C_HAIRCUT, C_LTV_SLOPE, C_MAX_MDR, C_MAX_SEVERITY, C_MAX_SMM, C_PENALTY_EXPIRY_MONTHS,
    C_PENALTY_EXPIRY_MULT, C_PENALTY_FACTOR, C_PREPAY_LTV_REF, C_REFI_MAX, C_REFI_MID, C_REFI_SLOPE,
    C_SEASONING_FLOOR, C_SEASONING_MONTHS, C_SHOCK_SLOPE, C_SPIKE_BASE, C_SPIKE_LEAD, C_SPIKE_MONTHS,
    C_SPIKE_PER_SHOCK,
    C_CARRY_RATE, C_HAIRCUT_PER_DECLINE, C_MAX_EXTENSION, C_NEG_EQUITY_SLOPE, C_TIMELINE_PER_DECLINE,
    C_CREDIT_FLOOR, C_CREDIT_SLOPE, C_REFI_GATE_INV_WIDTH, C_REFI_LTV_ZERO,
)
from stress.behaviour.logistic import logistic
from stress.kernels.collateral_paths import OUTPUT_NAMES

__all__ = ["project_pool_paths_numpy"]

_ROUND_TOL = 1e-9  # as stress.kernels.collateral._ROUND_TOL


def _level_payment(balance, monthly_rate, n_months):
    """Annuity payment, element by element as :func:`stress.kernels.collateral._level_payment`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = balance * monthly_rate / -np.expm1(-n_months * np.log1p(monthly_rate))
        flat = balance / n_months
    return np.where(n_months <= 0, balance, np.where(monthly_rate == 0.0, flat, annuity))


def _reset_rate(previous, index, margin, cap, min_rate, max_rate, increment):
    rate = np.floor((index + margin) / increment + 0.5 + _ROUND_TOL) * increment if increment > 0 else index + margin
    rate = np.where(rate > previous + cap, previous + cap, np.where(rate < previous - cap, previous - cap, rate))
    rate = np.where(rate > max_rate, max_rate, rate)
    return np.where(rate < min_rate, min_rate, rate)


def project_pool_paths_numpy(bl, index_rates, mortgage_rate, hpi, coef, *, n_periods, lag, advancing, rounding,
                             smm_mult=None, mdr_mult=None, sev_mult=None, options=None,
                             purchase_share=None) -> dict:
    """Pool cash flows per path and month with the behaviour models, in numpy.

    Parameters
    ----------
    bl : stress.behaviour.prep.BehaviourLoans
    index_rates : float64 (p, 4, >= n_periods)
        As given to the kernel (after any lookback shift).
    mortgage_rate : float64 (p, >= n_periods)
        :func:`stress.behaviour.prepayment.mortgage_rate` of ``index_rates``.
    hpi : float64 (p, regions, >= n_periods)
    coef : float64 (N_COEF,)
        :func:`stress.behaviour.prep.coefficients`.
    n_periods, lag : int
        Months; effective liquidation lag [months].
    advancing : bool
    rounding : float
        Reset rounding increment [decimal].
    smm_mult, mdr_mult, sev_mult : float64 (p, n_periods), optional
        Mode 2 multipliers; all None = mode 1.
    options : stress.servicing.ServicerOptions, optional
        The servicer's options (default: none).
    purchase_share : float64 (p, n_periods), optional
        Share of each month's eligible defaults the 1% purchase takes (default 0).

    Returns
    -------
    dict of str to float64 (p, n_periods)
        Keyed by :data:`stress.kernels.collateral_paths.OUTPUT_NAMES`.
    """
    loans = bl.loans
    n_paths = index_rates.shape[0]
    n_loans = loans.n_loans
    T = n_periods
    scaled = smm_mult is not None
    hpi = hpi[:, :, :T]
    n_hpi = hpi.shape[2]
    shape = (n_paths, n_loans)
    svc, lpmi, term = loans.servicing_fee_rate, loans.lpmi_rate, loans.remaining_term
    fixed_fees = loans.master_servicing_fee_rate + loans.trustee_fee_rate
    region = bl.region_id

    from stress.servicing import ServicerOptions

    options = options or ServicerOptions()
    share_g = np.zeros((n_paths, T)) if purchase_share is None else purchase_share
    buy_m, fv_m, pur_m = options.buyout_months, options.fair_value_months, options.purchase_months
    cost = coef[C_COST]
    performing = np.broadcast_to(loans.balance, shape).copy()
    rate = np.broadcast_to(loans.gross_rate, shape).copy()
    payment = np.broadcast_to(_level_payment(loans.balance, loans.gross_rate / 12.0, term), shape).copy()
    unit = np.ones(shape)  # scheduled balance per dollar: advanced delinquent balances amortize along it
    unit_payment = np.broadcast_to(_level_payment(np.ones(n_loans), loans.gross_rate / 12.0, term), shape).copy()
    delinquent_na = np.zeros(shape)
    delinquent_units = np.zeros(shape)
    survival = np.ones(shape)
    cum_incentive = np.zeros(shape)
    payment_ratio = np.ones(shape)
    first_shock = np.zeros(shape)
    after_payoff = np.zeros(shape, dtype=np.int64)
    # ring[R, slot]: rows as the kernels' (to liquidation: na, units, loss; bought: na, units, interest)
    ring = np.zeros((6, lag + 1) + shape)
    out = {name: np.zeros((n_paths, T)) for name in OUTPUT_NAMES}
    fee_total = np.zeros((n_paths, T))
    hpi_now_all = hpi[:, region, :]  # (p, l, t)
    hpi_peak = np.ones(shape)  # running maximum of the regional HPI since cut-off (value 1)
    nat_peak = np.ones((hpi.shape[0], 1))  # running maximum of the national HPI (region 0): credit availability
    age_peak = coef[C_AGE_PEAK]

    for t in range(T):
        # -- 1. ARM reset of the loans whose rate adjusts this month.
        since = t - loans.months_to_reset
        freq = loans.reset_frequency
        resetting = (since == 0) | ((freq > 0) & (since > 0) & (since % np.maximum(freq, 1) == 0))
        if resetting.any():
            cols = np.flatnonzero(resetting)
            cap = np.where(since[cols] == 0, loans.initial_cap[cols], loans.periodic_cap[cols])
            index = index_rates[:, loans.index_id[cols], t - 1]
            old = rate[:, cols]
            new = _reset_rate(old, index, loans.margin[cols], cap, loans.min_rate[cols], loans.max_rate[cols],
                              rounding)
            changed = new != old
            new_payment = _level_payment(performing[:, cols], new / 12.0, term[cols] - t)
            pay_old = payment[:, cols]
            with np.errstate(divide="ignore", invalid="ignore"):
                shock = new_payment / pay_old - 1.0
            shocked = changed & (pay_old > 0.0)
            payment_ratio[:, cols] = np.where(shocked, payment_ratio[:, cols] * (1.0 + shock), payment_ratio[:, cols])
            spike_now = shocked & (bl.spike_reset[cols] == t)
            first_shock[:, cols] = np.where(spike_now, shock, first_shock[:, cols])
            payment[:, cols] = np.where(changed, new_payment, pay_old)
            unit_payment[:, cols] = np.where(changed, _level_payment(unit[:, cols], new / 12.0, term[cols] - t),
                                             unit_payment[:, cols])
            rate[:, cols] = np.where(changed, new, old)
        net_rate = rate - svc - lpmi - fixed_fees

        # -- 2. the models: per loan-month terms, then per path.
        loan_age = loans.age + t + 1
        seasoning = np.minimum(coef[C_SEASONING_FLOOR] + (1.0 - coef[C_SEASONING_FLOOR]) * loan_age
                               / coef[C_SEASONING_MONTHS], 1.0)
        pen = bl.penalty_months
        penalty = np.where(pen > 0, np.where(loan_age <= pen, coef[C_PENALTY_FACTOR],
                                             np.where(loan_age <= pen + coef[C_PENALTY_EXPIRY_MONTHS],
                                                      coef[C_PENALTY_EXPIRY_MULT], 1.0)), 1.0)
        static_smm = coef[C_BASE_SMM] * seasoning * penalty
        d = t - bl.spike_reset
        hybrid = bl.spike_reset >= 0
        spike_lead = np.where(hybrid & (d < 0) & (d >= -coef[C_SPIKE_LEAD]), coef[C_SPIKE_BASE], 0.0)
        spike_post = hybrid & (d >= 0) & (d < coef[C_SPIKE_MONTHS])
        age_clamped = np.minimum(np.maximum(loan_age, 1.0), age_peak)
        logit_static = bl.default_static + coef[C_AGE_SLOPE] * np.log(age_clamped / age_peak)

        hpi_now = hpi_now_all[:, :, t]
        ok = (performing > 0.0) & (survival > 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ltv = np.where(ok, performing * bl.inv_value / (survival * hpi_now), 0.0)
        ltv0 = ltv * hpi_now
        hpi_peak = np.maximum(hpi_peak, hpi_now)
        hpi_nat = hpi[:, 0, t:t + 1]
        nat_peak = np.maximum(nat_peak, hpi_nat)
        x = logit_static + coef[C_LTV_SLOPE] * (ltv - coef[C_DEFAULT_LTV_REF]) \
            + coef[C_NEG_EQUITY_SLOPE] * np.maximum(ltv - 1.0, 0.0) + coef[C_SHOCK_SLOPE] * (payment_ratio - 1.0)
        mdr = np.minimum(logistic(x), coef[C_MAX_MDR])
        incentive = rate - mortgage_rate[:, t:t + 1]
        s_curve = logistic(coef[C_REFI_SLOPE] * (incentive - coef[C_REFI_MID]))
        burn = 1.0 / (1.0 + coef[C_BURNOUT] * cum_incentive)
        cum_incentive += np.maximum(incentive, 0.0)
        equity = np.clip(1.0 + coef[C_EQUITY_SLOPE] * (coef[C_PREPAY_LTV_REF] - ltv), coef[C_EQUITY_FLOOR],
                         coef[C_EQUITY_CAP])
        spike = np.where(spike_post, coef[C_SPIKE_BASE] + coef[C_SPIKE_PER_SHOCK] * np.maximum(first_shock, 0.0),
                         spike_lead)
        gate = np.clip((coef[C_REFI_LTV_ZERO] - ltv) * coef[C_REFI_GATE_INV_WIDTH], 0.0, 1.0)
        credit = np.maximum(coef[C_CREDIT_FLOOR], 1.0 - coef[C_CREDIT_SLOPE] * (1.0 - hpi_nat / nat_peak))
        smm = np.minimum(static_smm * equity * credit * (1.0 + coef[C_REFI_MAX] * s_curve * (burn * gate)
                                                         + spike * gate), coef[C_MAX_SMM])
        adv_rate = np.maximum(rate - svc, 0.0)
        hpi_liq = hpi_now_all[:, :, min(t + lag, n_hpi - 1)]
        decline = np.maximum(0.0, 1.0 - hpi_liq / hpi_peak)
        with np.errstate(divide="ignore", invalid="ignore"):
            proceeds = (1.0 - (coef[C_HAIRCUT] + coef[C_HAIRCUT_PER_DECLINE] * decline)) * hpi_liq \
                / np.where(ltv0 > 0.0, ltv0, 1.0)
        advances = lag * adv_rate / 12.0
        months = lag + np.minimum(coef[C_TIMELINE_PER_DECLINE] * decline, coef[C_MAX_EXTENSION])
        claim = 1.0 + coef[C_COST] + months * (adv_rate + coef[C_CARRY_RATE]) / 12.0
        sev = claim - proceeds - bl.mi_coverage * claim
        if scaled:
            sev = sev * sev_mult[:, min(t + lag, T - 1)][:, None]
        sev = np.maximum(0.0, np.minimum(coef[C_MAX_SEVERITY], sev))
        no_loss = ltv0 <= 0.0
        sev = np.where(no_loss, 0.0, sev)
        adv_ok = advancing & (no_loss | (proceeds >= coef[C_COST] + advances))
        # The servicer's routes (stress.servicing): fair-value severity, buy tests, fractions.
        denom = np.where(ltv0 > 0.0, ltv0, 1.0)
        # fair-value sale: its own cost and months (no timeline extension), the drawdown discount of its month
        hpi_fv = hpi_now_all[:, :, min(t + fv_m, n_hpi - 1)]
        decline_fv = np.maximum(0.0, 1.0 - hpi_fv / hpi_peak)
        claim_fv = 1.0 + coef[C_FV_COST] + fv_m * (adv_rate + coef[C_CARRY_RATE]) / 12.0
        proceeds_fv = (1.0 - (coef[C_HAIRCUT] + coef[C_HAIRCUT_PER_DECLINE] * decline_fv)) * hpi_fv / denom
        sev_fv = claim_fv - proceeds_fv - bl.mi_coverage * claim_fv
        if scaled:
            sev_fv = sev_fv * sev_mult[:, min(t + fv_m, T - 1)][:, None]
        sev_fv = np.where(no_loss, 0.0, np.maximum(0.0, np.minimum(coef[C_MAX_SEVERITY], sev_fv)))
        pays_buy = hpi_now_all[:, :, min(t + buy_m, n_hpi - 1)] / denom * (1.0 - cost) >= 1.0 + buy_m * adv_rate / 12.0
        pays_pur = hpi_now_all[:, :, min(t + pur_m, n_hpi - 1)] / denom * (1.0 - cost) >= 1.0 + pur_m * adv_rate / 12.0
        by_value = {"share": False, "value": True}
        eligible = (pur_m < lag) & (pays_pur | (not by_value[options.purchase_rule]))
        g = np.where(eligible, share_g[:, t:t + 1], 0.0)
        b = np.where((buy_m < lag) & (pays_buy | (not by_value[options.buyout_rule])), options.buyout_share, 0.0)
        f = np.where((fv_m < lag) & ((sev_fv <= sev) | (not by_value[options.fair_value_rule])),
                     options.fair_value_share, 0.0)
        if scaled:
            mdr = np.minimum(1.0, mdr * mdr_mult[:, t:t + 1])
            smm = np.minimum(1.0, smm * smm_mult[:, t:t + 1])

        # -- 3..5. cash flows.
        unit_start = unit
        begin = performing + delinquent_na + delinquent_units * unit_start
        out["pool_balance_begin"][:, t] = begin.sum(axis=1)
        out["gross_rate_balance"][:, t] = (begin * rate).sum(axis=1)
        out["net_rate_balance"][:, t] = (begin * net_rate).sum(axis=1)
        out["performing_balance_begin"][:, t] = performing.sum(axis=1)
        defaulted = performing * mdr
        paying = performing - defaulted
        payment *= 1.0 - mdr
        interest = paying * (rate / 12.0)
        last = term - t <= 1
        scheduled = np.where(last, paying, np.minimum(payment - interest, paying))
        unit_scheduled = np.where(last, unit_start, np.minimum(unit_payment - unit_start * (rate / 12.0), unit_start))
        unit = unit_start - unit_scheduled
        prepayable = paying - scheduled
        out["prepayable_balance"][:, t] = prepayable.sum(axis=1)
        prepaid = prepayable * smm
        performing = prepayable - prepaid
        payment *= 1.0 - smm
        survival *= (1.0 - mdr) * (1.0 - smm)

        # The cohort split among the routes, filed where each part leaves; then what is due now.
        d_purchase = defaulted * g
        rest = defaulted - d_purchase
        d_buyout = rest * b
        rest = rest - d_buyout
        d_fair_value = rest * f
        d_foreclosure = rest - d_fair_value
        with np.errstate(divide="ignore"):
            inv_unit = np.where(unit_start > 0.0, 1.0 / unit_start, 0.0)
        adv = adv_ok.astype(np.float64)
        na = 1.0 - adv
        slot = lambda months: (t + months) % (lag + 1)  # noqa: E731
        for part, months, loss_rate in ((d_foreclosure, lag, sev), (d_fair_value, fv_m, sev_fv)):
            ring[0, slot(months)] += part * na
            ring[1, slot(months)] += part * inv_unit * adv
            ring[2, slot(months)] += part * loss_rate
        for part, months in ((d_buyout, buy_m), (d_purchase, pur_m)):
            ring[3, slot(months)] += part * na
            ring[4, slot(months)] += part * inv_unit * adv
            ring[5, slot(months)] += part * (months * adv_rate / 12.0) * na
        due = ring[:, t % (lag + 1)].copy()
        ring[:, t % (lag + 1)] = 0.0
        liquidated = due[0] + due[1] * unit_start
        loss = np.minimum(due[2], liquidated)  # advanced principal is repaid first: loss = severity x balance
        repurchased = due[3] + due[4] * unit_start
        delinquent_na = np.maximum(delinquent_na + (defaulted * na - (due[0] + due[3])), 0.0)
        delinquent_units = np.maximum(delinquent_units + (defaulted * inv_unit * adv - (due[1] + due[4])), 0.0)
        advanced = delinquent_units * unit_start

        out["scheduled_interest"][:, t] = interest.sum(axis=1)
        out["servicing_fee"][:, t] = (paying * (svc / 12.0)).sum(axis=1)
        out["advanced_interest"][:, t] = (advanced * (np.maximum(rate - svc, 0.0) / 12.0)).sum(axis=1)
        out["advanced_principal"][:, t] = (delinquent_units * unit_scheduled).sum(axis=1)
        fee_balance = paying + advanced
        fee_total[:, t] = fee_balance.sum(axis=1)
        out["lpmi_premium"][:, t] = (fee_balance * (lpmi / 12.0)).sum(axis=1)
        out["scheduled_principal"][:, t] = scheduled.sum(axis=1)
        out["prepayment"][:, t] = prepaid.sum(axis=1)
        out["default_balance"][:, t] = defaulted.sum(axis=1)
        out["liquidated_balance"][:, t] = liquidated.sum(axis=1)
        out["realized_loss"][:, t] = loss.sum(axis=1)
        out["repurchased_balance"][:, t] = repurchased.sum(axis=1)
        out["repurchase_interest"][:, t] = due[5].sum(axis=1)
        out["pool_balance_end"][:, t] = (performing + delinquent_na + delinquent_units * unit).sum(axis=1)

        gone = (performing <= 0.0) | last
        performing = np.where(gone, 0.0, performing)
        after_payoff += gone
        empty = after_payoff > lag
        delinquent_na = np.where(empty, 0.0, delinquent_na)
        delinquent_units = np.where(empty, 0.0, delinquent_units)

    out["master_servicing_fee"] = fee_total * (loans.master_servicing_fee_rate / 12.0)
    out["trustee_fee"] = fee_total * (loans.trustee_fee_rate / 12.0)
    out["recovery"] = out["liquidated_balance"] - out["realized_loss"]
    out["net_interest"] = (out["scheduled_interest"] + out["advanced_interest"] + out["repurchase_interest"]
                           - out["servicing_fee"] - out["master_servicing_fee"] - out["trustee_fee"]
                           - out["lpmi_premium"])
    return out
