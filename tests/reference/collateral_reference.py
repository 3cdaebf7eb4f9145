"""A slow, readable twin of :func:`stress.kernels.collateral._project_pool`.

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
    balance: float
    liquidation_month: int  # 1-based


def project_loan(loan: dict, index_rates, smm, mdr, severity, lag, advancing, rounding,
                 master_rate, trustee_rate):
    """Cash flows of one loan: a dict output name -> list of floats by month."""
    months = len(smm)
    flows = {name: [0.0] * months for name in OUTPUTS}
    balance = loan["balance"]
    rate = loan["gross_rate"]
    adjustments = 0
    next_adjustment = loan["months_to_reset"]  # months after cut-off
    delinquent: list[DefaultedCohort] = []

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

        delinquent_begin = sum(c.balance for c in delinquent)
        flows["pool_balance_begin"][i] = balance + delinquent_begin
        flows["gross_rate_balance"][i] = (balance + delinquent_begin) * rate
        flows["net_rate_balance"][i] = (balance + delinquent_begin) * net_rate

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

        delinquent.append(DefaultedCohort(defaulted, month + lag))
        liquidated = sum(c.balance for c in delinquent if c.liquidation_month == month)
        delinquent = [c for c in delinquent if c.liquidation_month != month]
        still_delinquent = sum(c.balance for c in delinquent)

        fee_balance = balance + scheduled + prepaid
        if advancing:
            advance_rate = max(rate - loan["servicing_fee_rate"], 0.0)  # never a negative advance
            flows["advanced_interest"][i] = still_delinquent * advance_rate / 12
            fee_balance += still_delinquent
        flows["scheduled_interest"][i] = interest
        flows["servicing_fee"][i] = (balance + scheduled + prepaid) * loan["servicing_fee_rate"] / 12
        flows["master_servicing_fee"][i] = fee_balance * master_rate / 12
        flows["trustee_fee"][i] = fee_balance * trustee_rate / 12
        flows["lpmi_premium"][i] = fee_balance * loan["lpmi_rate"] / 12
        flows["net_interest"][i] = (
            interest + flows["advanced_interest"][i] - flows["servicing_fee"][i]
            - flows["master_servicing_fee"][i] - flows["trustee_fee"][i] - flows["lpmi_premium"][i]
        )
        flows["scheduled_principal"][i] = scheduled
        flows["prepayment"][i] = prepaid
        flows["default_balance"][i] = defaulted
        flows["liquidated_balance"][i] = liquidated
        flows["realized_loss"][i] = liquidated * severity[i]
        flows["recovery"][i] = liquidated - liquidated * severity[i]
        flows["pool_balance_end"][i] = balance + still_delinquent
    return flows


def project_pool_reference(loans, index_rates, smm, mdr, severity, lag, advancing, rounding):
    """Pool cash flows: dict output name -> numpy array by month, summing :func:`project_loan`.

    ``loans`` is a :class:`stress.pool.LoanArrays`; the other arguments are
    what the kernel receives.
    """
    months = len(smm)
    totals = {name: np.zeros(months) for name in OUTPUTS}
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
                             loans.master_servicing_fee_rate, loans.trustee_fee_rate)
        for name in OUTPUTS:
            totals[name] += np.asarray(flows[name])
    return totals
