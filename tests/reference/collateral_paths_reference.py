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

import numpy as np

from reference.collateral_reference import DefaultedCohort, adjusted_rate, level_payment, scheduled_balance_path, \
    split_cohort
from stress.behaviour import default as dm
from stress.behaviour import prepayment as pm
from stress.behaviour import severity as sm

OUTPUTS = (
    "pool_balance_begin", "pool_balance_end", "scheduled_interest", "advanced_interest",
    "servicing_fee", "master_servicing_fee", "trustee_fee", "lpmi_premium", "net_interest",
    "scheduled_principal", "prepayment", "default_balance", "liquidated_balance",
    "recovery", "realized_loss", "net_rate_balance", "gross_rate_balance",
    "advanced_principal", "repurchased_balance", "repurchase_interest",
    "performing_balance_begin", "prepayable_balance",
)


def project_loan_path(bl, l, rates, mrate, hpi, smm_v, mdr_v, sev_v, params, mode, lag, advancing, rounding,
                      options, purchase_share, uniforms=None):
    """One loan on one path: dict output name -> list by month (plus scratch ``purchase_eligible``).

    ``rates`` (4, m), ``hpi`` (r, m); ``options`` the servicer options (:mod:`stress.servicing`),
    ``purchase_share`` the 1% purchase's share by month. ``uniforms`` (by month), loan-level draws: the
    loan defaults in full in a month if its uniform is below the MDR, prepays in full if below
    MDR + (1 - MDR) x SMM, else stays; None: expected values.
    """
    loans = bl.loans
    months = len(smm_v)
    f = {name: [0.0] * months for name in OUTPUTS + ("purchase_eligible",)}
    g = lambda name: getattr(loans, name)[l].item()  # noqa: E731
    balance, rate, svc, lpmi = g("balance"), g("gross_rate"), g("servicing_fee_rate"), g("lpmi_rate")
    term = g("remaining_term")
    master, trustee = loans.master_servicing_fee_rate, loans.trustee_fee_rate
    payment = level_payment(balance, rate, term)
    survival, cum_incentive, payment_ratio, first_shock = 1.0, 0.0, 1.0, 0.0
    adjustments, next_adjustment = 0, g("months_to_reset")
    region, inv_value = int(bl.region_id[l]), float(bl.inv_value[l])
    spike_at = int(bl.spike_reset[l])
    loan = {name: g(name) for name in ("balance", "gross_rate", "margin", "index_id", "months_to_reset",
                                       "reset_frequency", "initial_cap", "periodic_cap", "max_rate", "min_rate",
                                       "remaining_term")}
    schedule = scheduled_balance_path(loan, rates, months, rounding)
    cohorts: list[DefaultedCohort] = []
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
        adv_rate = max(rate - svc, 0.0)
        delinquent_begin = sum(c.stated for c in cohorts)

        if mode == 0:
            mdr, smm, adv_ok = mdr_v[i], smm_v[i], advancing
            sev = sev_v[min(i + lag, months - 1)]
            sev_fv = sev_v[min(i + options.fair_value_months, months - 1)]

            def pays(m):  # vectors: the loan recovers 1 - severity
                return 1.0 - sev >= 1.0 + m * adv_rate / 12.0
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
            hpi_at = lambda m: hpi[region, min(i + m, hpi.shape[1] - 1)]  # noqa: E731
            mult = (lambda m: sev_v[min(i + m, months - 1)]) if mode == 2 else (lambda m: 1.0)  # noqa: E731
            if ltv0 > 0:
                sev = float(sm.severity(ltv0=ltv0, hpi_liquidation=hpi_at(lag), advance_rate=adv_rate,
                                        coverage=bl.mi_coverage[l], params=params, hpi_peak=hpi_peak,
                                        multiplier=mult(lag)))
                sev_fv = float(sm.severity(ltv0=ltv0, hpi_liquidation=hpi_at(options.fair_value_months),
                                           advance_rate=adv_rate, coverage=bl.mi_coverage[l], params=params,
                                           hpi_peak=hpi_peak, multiplier=mult(options.fair_value_months),
                                           fair_value_sale=True))
                adv_ok = bool(sm.advance_recoverable(ltv0=ltv0, hpi_liquidation=hpi_at(lag), advance_rate=adv_rate,
                                                     params=params, hpi_peak=hpi_peak))
            else:
                sev, sev_fv, adv_ok = 0.0, 0.0, advancing

            def pays(m):  # the home at the path's HPI less costs vs the Repurchase Price
                return bool(sm.value_covers_price(ltv0=ltv0 if ltv0 > 0 else 1.0, hpi=hpi_at(m),
                                                  advance_rate=adv_rate, months=m, params=params))

            if mode == 2:
                mdr = min(1.0, mdr * mdr_v[i])
                smm = min(1.0, smm * smm_v[i])

        if uniforms is not None:  # loan-level draws: all or nothing
            u = uniforms[i]
            defaults = u < mdr
            prepays = not defaults and u < mdr + (1.0 - mdr) * smm
            mdr, smm = (1.0 if defaults else 0.0), (1.0 if prepays else 0.0)

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

        if options.purchase_months < lag and (options.purchase_rule == "share" or pays(options.purchase_months)):
            f["purchase_eligible"][i] = defaulted
        parts = split_cohort(defaulted, month, lag, options, purchase_share[i], pays(options.purchase_months),
                             pays(options.buyout_months), sev_fv <= sev)
        for route, (amount, leaves) in parts.items():
            cohort = DefaultedCohort(amount, leaves, route, adv_ok, amount)
            if route == "foreclosure":
                cohort.loss = amount * sev
            elif route == "fair_value":
                cohort.loss = amount * sev_fv
            elif not adv_ok:
                cohort.interest_due = amount * ((leaves - month) * adv_rate / 12.0)
            cohorts.append(cohort)

        due = [c for c in cohorts if c.leaves_month == month]
        cohorts = [c for c in cohorts if c.leaves_month != month]
        liquidated = sum(c.stated for c in due if c.route in ("foreclosure", "fair_value"))
        loss = min(sum(c.loss for c in due if c.route in ("foreclosure", "fair_value")), liquidated)
        repurchased = sum(c.stated for c in due if c.route in ("buyout", "purchase"))
        advanced = sum(c.stated for c in cohorts if c.advanced)
        amortization = (schedule[i] - schedule[i + 1]) / schedule[i] if schedule[i] > 0 else 0.0
        advanced_principal = 0.0
        for c in cohorts:
            if c.advanced:
                principal = c.stated * amortization
                c.stated -= principal
                advanced_principal += principal

        fee_balance = paying + advanced
        f["advanced_interest"][i] = advanced * adv_rate / 12
        f["advanced_principal"][i] = advanced_principal
        f["repurchase_interest"][i] = sum(c.interest_due for c in due)
        f["scheduled_interest"][i] = interest
        f["servicing_fee"][i] = paying * svc / 12
        f["master_servicing_fee"][i] = fee_balance * master / 12
        f["trustee_fee"][i] = fee_balance * trustee / 12
        f["lpmi_premium"][i] = fee_balance * lpmi / 12
        f["net_interest"][i] = (interest + f["advanced_interest"][i] + f["repurchase_interest"][i]
                                - f["servicing_fee"][i] - f["master_servicing_fee"][i] - f["trustee_fee"][i]
                                - f["lpmi_premium"][i])
        f["scheduled_principal"][i] = scheduled
        f["prepayment"][i] = prepaid
        f["default_balance"][i] = defaulted
        f["liquidated_balance"][i] = liquidated
        f["realized_loss"][i] = loss
        f["recovery"][i] = liquidated - loss
        f["repurchased_balance"][i] = repurchased
        f["pool_balance_end"][i] = balance + sum(c.stated for c in cohorts)
        if months_left <= 1:
            balance = 0.0
    return f


def project_pool_paths_reference(bl, index_rates, mrate, hpi, smm_v, mdr_v, sev_v, params, mode, lag, advancing,
                                 rounding, options=None, uniforms=None):
    """Pool cash flows, dict name -> (p, t) array. Arrays are per path first: ``index_rates (p, 4, m)``,
    ``mrate (p, m)``, ``hpi (p, r, m)``, vectors ``(p, t)``. ``options`` default: none; the 1% purchase
    takes ``min(1, limit x performing / eligible)`` of each month's eligible defaults (a first pass finds them).
    ``uniforms`` ``(p, l, t)``: loan-level draws (see :func:`project_loan_path`); None: expected values."""
    from stress.servicing import ServicerOptions

    options = options or ServicerOptions()
    n_paths, months = smm_v.shape

    def total(share):
        totals = {name: np.zeros((n_paths, months)) for name in OUTPUTS + ("purchase_eligible",)}
        for p in range(n_paths):
            for l in range(bl.n_loans):
                flows = project_loan_path(bl, l, index_rates[p], mrate[p], hpi[p], smm_v[p], mdr_v[p], sev_v[p],
                                          params, mode, lag, advancing, rounding, options, share[p],
                                          None if uniforms is None else uniforms[p, l])
                for name in totals:
                    totals[name][p] += np.asarray(flows[name])
        return totals

    share = np.zeros((n_paths, months))
    if options.purchase_limit > 0:
        first = total(share)
        e, b = first["purchase_eligible"], first["performing_balance_begin"]
        share = np.where(e > 0, np.minimum(1.0, options.purchase_limit * b / np.where(e > 0, e, 1.0)), 0.0)
    totals = total(share)
    return {name: totals[name] for name in OUTPUTS}
