"""A slow, readable twin of the collateral kernel on one path in vector mode (:func:`stress.pool.project_pool`).

Written for reading, not speed: one loan at a time, one month at a time, the
level payment recomputed from the annuity formula every month (the kernel
tracks it with survival factors instead), every defaulted cohort kept as its
own record, and every cash flow computed per loan and then added to the pool.
The conventions are those of the kernel's module docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

OUTPUTS = (
    "pool_balance_begin", "pool_balance_end", "scheduled_interest", "advanced_interest",
    "servicing_fee", "master_servicing_fee", "trustee_fee", "lpmi_premium", "net_interest",
    "scheduled_principal", "prepayment", "default_balance", "liquidated_balance",
    "recovery", "realized_loss", "net_rate_balance", "gross_rate_balance",
    "advanced_principal", "repurchased_balance", "repurchase_interest",
)


def round_to_increment(rate: float, increment: float) -> float:
    """Round to the nearest increment, halves up (1e-9 tolerance for binary error)."""
    if increment <= 0:
        return rate
    return math.floor(rate / increment + 0.5 + 1e-9) * increment


def adjusted_rate(previous, index, margin, cap, floor, ceiling, increment):
    """Round index + margin first, then the change cap, then the lifetime floor and ceiling."""
    rate = round_to_increment(index + margin, increment)
    rate = min(max(rate, previous - cap), previous + cap)
    rate = min(rate, ceiling)
    rate = max(rate, floor)
    return rate


def level_payment(balance, annual_rate, months_left):
    r = annual_rate / 12
    if months_left <= 0:
        return balance
    if r == 0:
        return balance / months_left
    # 1 - (1 + r)^-n, computed without cancellation for small r n.
    return balance * r / -math.expm1(-months_left * math.log1p(r))


@dataclass
class DefaultedCohort:
    """A part of one month's defaults, on its way out of the pool."""

    balance: float          # balance at default [USD]
    leaves_month: int       # 1-based month it leaves the pool
    route: str              # "foreclosure", "fair_value" (liquidated) or "buyout", "purchase" (bought)
    advanced: bool          # the servicer advances its interest and scheduled principal
    stated: float           # Stated Principal Balance now [USD]
    loss: float = 0.0       # severity x balance [USD] (liquidated routes)
    interest_due: float = 0.0  # accrued interest paid with the Repurchase Price when not advanced [USD]


def scheduled_balance_path(loan, index_rates, months, rounding):
    """The loan's scheduled balance per dollar at the end of each month (no default, no prepayment).

    Element 0 is the cut-off (1.0); element m the end of month m. The rate
    follows the same resets as the loan.
    """
    rate = loan["gross_rate"]
    adjustments, next_adjustment = 0, loan["months_to_reset"]
    balance, path = 1.0, [1.0]
    for month in range(1, months + 1):
        months_left = loan["remaining_term"] - (month - 1)
        if month == next_adjustment + 1:
            cap = loan["initial_cap"] if adjustments == 0 else loan["periodic_cap"]
            rate = adjusted_rate(rate, index_rates[loan["index_id"], next_adjustment - 1], loan["margin"], cap,
                                 loan["min_rate"], loan["max_rate"], rounding)
            adjustments += 1
            next_adjustment += loan["reset_frequency"]
        if months_left <= 1:
            principal = balance
        else:
            principal = min(level_payment(balance, rate, months_left) - balance * rate / 12, balance)
        balance -= principal
        path.append(balance)
    return path


def split_cohort(defaulted, month, lag, options, purchase_share, pays_purchase, pays_buyout, fair_value_wins):
    """Split a month's defaults among the servicer's routes: {route: (balance, month it leaves)}.

    Order: the 1% purchase, the 90+ day buy-out, the fair-value sale, foreclosure; an option acts only if
    its month comes before the liquidation month and its rule ("share" or "value") lets it.
    """
    def exercised(share, rule, pays, months):
        return share if months < lag and (rule == "share" or pays) else 0.0

    g = exercised(purchase_share, options.purchase_rule, pays_purchase, options.purchase_months)
    b = exercised(options.buyout_share, options.buyout_rule, pays_buyout, options.buyout_months)
    f = exercised(options.fair_value_share, options.fair_value_rule, fair_value_wins, options.fair_value_months)
    purchase = defaulted * g
    rest = defaulted - purchase
    buyout = rest * b
    rest -= buyout
    fair_value = rest * f
    return {
        "purchase": (purchase, month + options.purchase_months),
        "buyout": (buyout, month + options.buyout_months),
        "fair_value": (fair_value, month + options.fair_value_months),
        "foreclosure": (rest - fair_value, month + lag),
    }


def project_loan(loan: dict, index_rates, smm, mdr, severity, lag, advancing, rounding,
                 master_rate, trustee_rate, options, purchase_share):
    """Cash flows of one loan: a dict output name -> list of floats by month (plus the scratch
    ``purchase_eligible`` and ``performing_begin``)."""
    months = len(smm)
    flows = {name: [0.0] * months for name in OUTPUTS + ("purchase_eligible", "performing_begin")}
    balance = loan["balance"]
    rate = loan["gross_rate"]
    adjustments = 0
    next_adjustment = loan["months_to_reset"]  # months after cut-off
    schedule = scheduled_balance_path(loan, index_rates, months, rounding)
    cohorts: list[DefaultedCohort] = []

    for month in range(1, months + 1):
        i = month - 1
        months_left = loan["remaining_term"] - (month - 1)
        # The adjustment made `next_adjustment` months after cut-off sets the rate from the next month on.
        if month == next_adjustment + 1:
            cap = loan["initial_cap"] if adjustments == 0 else loan["periodic_cap"]
            index = index_rates[loan["index_id"], next_adjustment - 1]
            rate = adjusted_rate(rate, index, loan["margin"], cap, loan["min_rate"], loan["max_rate"], rounding)
            adjustments += 1
            next_adjustment += loan["reset_frequency"]
        net_rate = rate - loan["servicing_fee_rate"] - loan["lpmi_rate"] - master_rate - trustee_rate
        advance_rate = max(rate - loan["servicing_fee_rate"], 0.0)  # never a negative advance

        delinquent_begin = sum(c.stated for c in cohorts)
        flows["pool_balance_begin"][i] = balance + delinquent_begin
        flows["gross_rate_balance"][i] = (balance + delinquent_begin) * rate
        flows["net_rate_balance"][i] = (balance + delinquent_begin) * net_rate
        flows["performing_begin"][i] = balance

        # Default first: the defaulted part misses this month's payment.
        defaulted = balance * mdr[i]
        balance -= defaulted
        interest = balance * rate / 12
        if months_left <= 1:
            scheduled = balance
        else:
            scheduled = min(level_payment(balance, rate, months_left) - interest, balance)
        balance -= scheduled
        prepaid = balance * smm[i]
        balance -= prepaid

        # The servicer's routes for this month's defaults (vectors: the severity is what a loan recovers).
        sev_foreclosure = severity[min(i + lag, months - 1)]
        sev_fair_value = severity[min(i + options.fair_value_months, months - 1)]
        recovery = 1.0 - sev_foreclosure

        def covers(m):
            return recovery >= 1.0 + m * advance_rate / 12.0

        if options.purchase_months < lag and (options.purchase_rule == "share" or covers(options.purchase_months)):
            flows["purchase_eligible"][i] = defaulted
        parts = split_cohort(defaulted, month, lag, options, purchase_share[i], covers(options.purchase_months),
                             covers(options.buyout_months), sev_fair_value <= sev_foreclosure)
        for route, (amount, leaves) in parts.items():
            cohort = DefaultedCohort(amount, leaves, route, advancing, amount)
            if route == "foreclosure":
                cohort.loss = amount * sev_foreclosure
            elif route == "fair_value":
                cohort.loss = amount * sev_fair_value
            elif not advancing:  # bought: accrued interest for its months of delinquency, at today's rate
                cohort.interest_due = amount * ((leaves - month) * advance_rate / 12.0)
            cohorts.append(cohort)

        # What leaves the pool this month, at its stated balance (an advanced cohort has amortized).
        due = [c for c in cohorts if c.leaves_month == month]
        cohorts = [c for c in cohorts if c.leaves_month != month]
        liquidated = sum(c.stated for c in due if c.route in ("foreclosure", "fair_value"))
        loss = min(sum(c.loss for c in due if c.route in ("foreclosure", "fair_value")), liquidated)
        repurchased = sum(c.stated for c in due if c.route in ("buyout", "purchase"))
        repurchase_interest = sum(c.interest_due for c in due)

        # Advances on the cohorts still delinquent: interest on the stated balance, the scheduled principal.
        advanced_balance = sum(c.stated for c in cohorts if c.advanced)
        amortization = (schedule[i] - schedule[i + 1]) / schedule[i] if schedule[i] > 0 else 0.0
        advanced_principal = 0.0
        for c in cohorts:
            if c.advanced:
                principal = c.stated * amortization
                c.stated -= principal
                advanced_principal += principal
        still_delinquent = sum(c.stated for c in cohorts)

        fee_balance = balance + scheduled + prepaid
        if advancing:
            flows["advanced_interest"][i] = advanced_balance * advance_rate / 12
            fee_balance += advanced_balance
        flows["advanced_principal"][i] = advanced_principal
        flows["scheduled_interest"][i] = interest
        flows["servicing_fee"][i] = (balance + scheduled + prepaid) * loan["servicing_fee_rate"] / 12
        flows["master_servicing_fee"][i] = fee_balance * master_rate / 12
        flows["trustee_fee"][i] = fee_balance * trustee_rate / 12
        flows["lpmi_premium"][i] = fee_balance * loan["lpmi_rate"] / 12
        flows["repurchase_interest"][i] = repurchase_interest
        flows["net_interest"][i] = (
            interest + flows["advanced_interest"][i] + repurchase_interest - flows["servicing_fee"][i]
            - flows["master_servicing_fee"][i] - flows["trustee_fee"][i] - flows["lpmi_premium"][i]
        )
        flows["scheduled_principal"][i] = scheduled
        flows["prepayment"][i] = prepaid
        flows["default_balance"][i] = defaulted
        flows["liquidated_balance"][i] = liquidated
        flows["realized_loss"][i] = loss
        flows["recovery"][i] = liquidated - loss
        flows["repurchased_balance"][i] = repurchased
        flows["pool_balance_end"][i] = balance + still_delinquent
    return flows


def project_pool_reference(loans, index_rates, smm, mdr, severity, lag, advancing, rounding, options=None):
    """Pool cash flows: dict output name -> numpy array by month, summing :func:`project_loan`.

    ``loans`` is a :class:`stress.pool.LoanArrays`; ``options`` a
    :class:`stress.servicing.ServicerOptions` (default: none); the other
    arguments are what the kernel receives. The 1% purchase takes, each month,
    ``min(1, limit x performing balance / eligible)`` of the eligible new
    defaults, found by a first pass without it.
    """
    from stress.servicing import ServicerOptions

    options = options or ServicerOptions()
    months = len(smm)
    share = np.zeros(months)
    if options.purchase_limit > 0:
        first = _sum_loans(loans, index_rates, smm, mdr, severity, lag, advancing, rounding, options, share)
        eligible, performing = first["purchase_eligible"], first["performing_begin"]
        share = np.array([min(1.0, options.purchase_limit * p / e) if e > 0 else 0.0
                          for e, p in zip(eligible, performing)])
    totals = _sum_loans(loans, index_rates, smm, mdr, severity, lag, advancing, rounding, options, share)
    return {name: totals[name] for name in OUTPUTS}


def _sum_loans(loans, index_rates, smm, mdr, severity, lag, advancing, rounding, options, share):
    months = len(smm)
    totals = {name: np.zeros(months) for name in OUTPUTS + ("purchase_eligible", "performing_begin")}
    for l in range(loans.n_loans):
        loan = {
            name: getattr(loans, name)[l].item()
            for name in (
                "balance", "gross_rate", "servicing_fee_rate", "lpmi_rate", "margin", "index_id",
                "months_to_reset", "reset_frequency", "initial_cap", "periodic_cap", "max_rate",
                "min_rate", "remaining_term",
            )
        }
        flows = project_loan(loan, index_rates, smm, mdr, severity, lag, advancing, rounding,
                             loans.master_servicing_fee_rate, loans.trustee_fee_rate, options, share)
        for name in totals:
            totals[name] += np.asarray(flows[name])
    return totals
