"""Bond waterfall kernels: one path over payment dates, and paths x payment dates.

numba only: plain arrays in, ``out`` arrays filled, no exceptions. The rules,
the conventions chosen where the term sheet is silent, and the rounding are
documented in :mod:`stress.waterfall`; the readable twin that tests compare
against is ``tests/reference/waterfall_reference.py``. Read that twin first —
this file is the same algorithm written for speed (state in local arrays,
outputs packed into two arrays indexed by the field constants below).

Money is float64 dollars rounded to the cent (:func:`_round_cents`) at every
amount the trustee would print; running remainders are re-rounded after each
subtraction so that float noise never accumulates into a cent.
"""

from __future__ import annotations

import numpy as np

from stress.accelerate import kernel
from stress.kernels.derivatives import _contract_payment
from stress.kernels.money import _floor_cents, _round_cents  # noqa: F401 (re-exported)

# Per-tranche outputs: out_tranche[field, ..., t, j]
BALANCE = 0
INTEREST_PAID = 1
PRINCIPAL_PAID = 2
WRITEDOWN = 3
ALLOCATED_REALIZED_LOSS = 4
ARLA_REIMBURSED = 5
INTEREST_SHORTFALL = 6
SHORTFALL_PAID = 7
BASIS_RISK_SHORTFALL = 8
BASIS_RISK_PAID_FROM_DERIVATIVES = 9
BASIS_RISK_PAID_FROM_EXCESS = 10
BASIS_RISK_CARRYFORWARD = 11
COUPON = 12
TRANCHE_FIELDS = (
    "balance", "interest_paid", "principal_paid", "writedown", "allocated_realized_loss",
    "arla_reimbursed", "interest_shortfall", "shortfall_paid", "basis_risk_shortfall",
    "basis_risk_paid_from_derivatives", "basis_risk_paid_from_excess",
    "basis_risk_carryforward", "coupon",
)

# Per-period outputs: out_period[field, ..., t]
AFR = 0
OC = 1
OC_TARGET = 2
OC_RELEASE = 3
EXCESS_CASHFLOW = 4
EXTRA_PRINCIPAL = 5
DERIVATIVE_INCOME = 6
DERIVATIVE_FEE = 7
CERTIFICATE_RESIDUAL = 8
CALL_PROCEEDS = 9
PRINCIPAL_DISTRIBUTION = 10
AFR_WITH_DERIVATIVES = 11
REDEMPTION_PRICE = 12
CALL_EXERCISED = 13
PERIOD_FIELDS = (
    "afr", "oc", "oc_target", "oc_release", "excess_cashflow", "extra_principal",
    "derivative_income", "derivative_fee", "certificate_residual", "call_proceeds",
    "principal_distribution", "afr_with_derivatives", "redemption_price", "call_exercised",
)

# Per-contract outputs: out_contract[field, ..., t, c]
CONTRACT_NOTIONAL = 0
CONTRACT_PAYMENT = 1
CONTRACT_FIELDS = ("derivative_notional", "derivative_payment")

# Clean-up call rules (``call_rule``).
CALL_NEVER = 0  # to maturity: the call is never exercised
CALL_ALWAYS = 1  # exercised on the first date it may be
CALL_ECONOMIC = 2  # exercised on the first eligible date the pool is worth the redemption price
CALL_RULES = {"never": CALL_NEVER, "always": CALL_ALWAYS, "economic": CALL_ECONOMIC}


@kernel
def _pay_pro_rata(amount, balance, out_pay):
    """Split ``amount`` over ``balance`` pro rata, in cents; returns the total paid.

    Each class but the last with a positive balance gets round_cents(amount x
    balance_j / total); the last gets the rounding residual, so the split sums to
    ``amount`` exactly. No class gets more than its balance (a residual that would
    overshoot goes to the earlier classes in order). If ``amount`` covers every
    balance, every class is paid in full and the total paid is the bond balance.
    """
    n_j = balance.shape[0]
    total = 0.0
    last = -1
    for j in range(n_j):
        out_pay[j] = 0.0
        total += balance[j]
        if balance[j] > 0.0:
            last = j
    total = _round_cents(total)
    if amount <= 0.0 or last < 0:
        return 0.0
    if amount >= total:
        for j in range(n_j):
            out_pay[j] = balance[j]
        return total
    given = 0.0
    for j in range(last):
        if balance[j] > 0.0:
            out_pay[j] = min(_round_cents(amount * balance[j] / total), balance[j])
            given = _round_cents(given + out_pay[j])
    out_pay[last] = min(_round_cents(amount - given), balance[last])
    left = _round_cents(amount - given - out_pay[last])
    for j in range(n_j):
        if left <= 0.0:
            break
        extra = min(left, _round_cents(balance[j] - out_pay[j]))
        out_pay[j] = _round_cents(out_pay[j] + extra)
        left = _round_cents(left - extra)
    return amount


# j = tranches, t = periods, c = derivative contracts
@kernel
def _waterfall_path(
    balance0, margin, stepup_multiple, writedown_order, reimbursement_order,  # (j,) / (k,)
    libor_1m, accrual_days, net_interest, principal_remittance,  # (t,)
    pool_balance_prior, pool_balance_end, net_mortgage_rate, derivative_net, oc_target, pool_value,  # (t,)
    contract_kind, contract_notional, contract_strike, contract_upper, contract_fixed_30_360,  # (c,), (c, t), ...
    coupon_cap, afr_numerator, brcf_interest, uis_interest,  # scalars
    stepup_period, call_period, call_rule,  # scalars
    out_tranche,  # (len(TRANCHE_FIELDS), t, j)
    out_period,  # (len(PERIOD_FIELDS), t)
    out_contract,  # (len(CONTRACT_FIELDS), t, c)
):
    n_t = libor_1m.shape[0]
    n_j = balance0.shape[0]
    n_c = contract_kind.shape[0]
    # State carried from one Payment Date to the next.
    balance = np.empty(n_j)
    arla = np.zeros(n_j)  # Allocated Realized Loss Amount outstanding
    uis = np.zeros(n_j)  # Unpaid Interest Shortfall Amount outstanding
    brcf = np.zeros(n_j)  # Basis Risk Shortfall Carryforward outstanding
    for j in range(n_j):
        balance[j] = _round_cents(balance0[j])
    called = False
    # Scratch for one Payment Date.
    coupon = np.zeros(n_j)
    interest_due = np.zeros(n_j)
    pay = np.zeros(n_j)

    for t in range(n_t):
        for f in range(out_tranche.shape[0]):
            for j in range(n_j):
                out_tranche[f, t, j] = 0.0
        for f in range(out_period.shape[0]):
            out_period[f, t] = 0.0
        for f in range(out_contract.shape[0]):
            for c in range(n_c):
                out_contract[f, t, c] = 0.0
        if called:
            out_period[AFR, t] = np.nan  # no bonds after the call
            out_period[AFR_WITH_DERIVATIVES, t] = np.nan
            continue

        days = accrual_days[t]
        pool_prior = _round_cents(pool_balance_prior[t])
        pool_end = _round_cents(pool_balance_end[t])
        principal_funds = _round_cents(principal_remittance[t])
        target = _round_cents(oc_target[t])
        bonds = 0.0
        for j in range(n_j):
            bonds += balance[j]
        bonds = _round_cents(bonds)  # before the Payment Date

        # Derivative Contracts: the aggregate notional never exceeds the bonds
        # before the Payment Date (the balance the accrual period's interest is
        # on); when the schedules would, every contract is cut pro rata.
        scheduled = 0.0
        for c in range(n_c):
            scheduled += contract_notional[c, t]
        scale = 1.0
        if scheduled > bonds:
            scale = bonds / scheduled
        net = derivative_net[t]
        for c in range(n_c):
            notional = _floor_cents(contract_notional[c, t] * scale)
            amount = 0.0
            if notional > 0.0:
                amount = _contract_payment(contract_kind[c], notional, contract_strike[c], contract_upper[c],
                                           contract_fixed_30_360[c], libor_1m[t], days)
            out_contract[CONTRACT_NOTIONAL, t, c] = notional
            out_contract[CONTRACT_PAYMENT, t, c] = amount
            net += amount

        # Net Derivative Fees come out of interest first, then (rarely) principal.
        net = _round_cents(net)
        fee = -net if net < 0.0 else 0.0
        income = net if net > 0.0 else 0.0
        interest_funds = _round_cents(_round_cents(net_interest[t]) - fee)
        fee_paid = fee
        if interest_funds < 0.0:
            spill = -interest_funds
            interest_funds = 0.0
            if spill > principal_funds:
                fee_paid = _round_cents(fee - (spill - principal_funds))
                spill = principal_funds
            principal_funds = _round_cents(principal_funds - spill)

        # Net Mortgage Rate after Net Derivative Fees, and the Available Funds Rate.
        nmr = net_mortgage_rate[t]
        if pool_prior > 0.0:
            nmr = nmr - fee * 12.0 / pool_prior
        if bonds > 0.0:
            afr = max(nmr * pool_prior / bonds * afr_numerator / days, 0.0)
            out_period[AFR, t] = afr
            # What a dealer's "effective AFR" shows: derivative receipts added at the same annualization.
            out_period[AFR_WITH_DERIVATIVES, t] = afr + income * 12.0 / bonds * afr_numerator / days
        else:
            afr = np.inf  # no bonds: the AFR does not bind (carried amounts still accrue)
            out_period[AFR, t] = np.nan
            out_period[AFR_WITH_DERIVATIVES, t] = np.nan

        # Coupons, current interest, Basis Risk Shortfall, interest on carried amounts.
        for j in range(n_j):
            m = margin[j]
            if t >= stepup_period:
                m = m * stepup_multiple[j]
            full_rate = min(max(libor_1m[t] + m, 0.0), coupon_cap)
            c = min(full_rate, afr)
            coupon[j] = c
            out_tranche[COUPON, t, j] = c
            interest_due[j] = _round_cents(balance[j] * c * days / 360.0)
            brs = _round_cents(_round_cents(balance[j] * full_rate * days / 360.0) - interest_due[j])
            out_tranche[BASIS_RISK_SHORTFALL, t, j] = brs
            if uis_interest:
                uis[j] = _round_cents(uis[j] + _round_cents(uis[j] * c * days / 360.0))
            if brcf_interest:
                brcf[j] = _round_cents(brcf[j] + _round_cents(brcf[j] * c * days / 360.0))
            brcf[j] = _round_cents(brcf[j] + brs)

        # Clean-up call: the Redemption Price is what the trust owes (bond principal,
        # current interest, Unpaid Interest Shortfall, Basis Risk and Allocated
        # Realized Loss Amounts; Net Derivative Fees are already paid above) less
        # the Payment Date's own funds; derivative income counts only up to the
        # Basis Risk Amounts it may pay.
        is_call = False
        if call_period >= 0 and t >= call_period and call_rule != CALL_NEVER:
            if call_rule == CALL_ECONOMIC or t == call_period:
                owed = bonds
                brcf_total = 0.0
                for j in range(n_j):
                    owed += interest_due[j] + uis[j] + brcf[j] + arla[j]
                    brcf_total += brcf[j]
                funds = interest_funds + principal_funds + min(income, brcf_total)
                price = _round_cents(max(owed - funds, 0.0))
                out_period[REDEMPTION_PRICE, t] = price
                is_call = call_rule == CALL_ALWAYS or pool_value[t] >= price
                if is_call:
                    # The residual holder deposits the price and takes the loans: no
                    # pool and no OC target are left after this Payment Date.
                    called = True
                    out_period[CALL_EXERCISED, t] = 1.0
                    out_period[CALL_PROCEEDS, t] = price
                    principal_funds = _round_cents(principal_funds + price)
                    pool_end = 0.0
                    target = 0.0

        # (1) Interest funds, sequentially.
        for j in range(n_j):
            paid = min(interest_due[j], interest_funds)
            interest_funds = _round_cents(interest_funds - paid)
            out_tranche[INTEREST_PAID, t, j] = paid
            # Unpaid current interest joins the Unpaid Interest Shortfall Amount at once.
            uis[j] = _round_cents(uis[j] + interest_due[j] - paid)

        # (2) Principal Distribution Amount, pro rata, after any OC release.
        oc_before_release = pool_end - (bonds - principal_funds)
        release = _round_cents(max(0.0, min(principal_funds, oc_before_release - target)))
        pda = _round_cents(principal_funds - release)
        pda_paid = _pay_pro_rata(pda, balance, pay)
        for j in range(n_j):
            balance[j] = _round_cents(balance[j] - pay[j])
            out_tranche[PRINCIPAL_PAID, t, j] = pay[j]
        excess = _round_cents(interest_funds + release + (pda - pda_paid))
        out_period[OC_TARGET, t] = target
        out_period[OC_RELEASE, t] = release
        out_period[PRINCIPAL_DISTRIBUTION, t] = pda_paid
        out_period[EXCESS_CASHFLOW, t] = excess

        # (3) Excess Cash Flow as principal, pro rata, to build or restore OC.
        bonds = 0.0
        for j in range(n_j):
            bonds += balance[j]
        bonds = _round_cents(bonds)
        needed = _round_cents(target - (pool_end - bonds))
        extra = min(max(needed, 0.0), excess, bonds)
        extra = _pay_pro_rata(extra, balance, pay)
        for j in range(n_j):
            balance[j] = _round_cents(balance[j] - pay[j])
            out_tranche[PRINCIPAL_PAID, t, j] = _round_cents(out_tranche[PRINCIPAL_PAID, t, j] + pay[j])
        excess = _round_cents(excess - extra)
        out_period[EXTRA_PRINCIPAL, t] = extra

        # Realized Losses not absorbed: write down bonds above the pool balance.
        bonds = 0.0
        for j in range(n_j):
            bonds += balance[j]
        under = _round_cents(bonds - pool_end)
        for k in range(writedown_order.shape[0]):
            if under <= 0.0:
                break
            j = writedown_order[k]
            w = min(under, balance[j])
            balance[j] = _round_cents(balance[j] - w)
            arla[j] = _round_cents(arla[j] + w)
            out_tranche[WRITEDOWN, t, j] = w
            under = _round_cents(under - w)
        if is_call:
            # Bonds are retired at the call; the Redemption Price covers them, so this
            # only guards against a price that could not: what the cash could not pay
            # is a loss to the class, the senior-most class included, most junior first.
            for j in range(n_j - 1, -1, -1):
                if under <= 0.0:
                    break
                w = min(under, balance[j])
                balance[j] = _round_cents(balance[j] - w)
                arla[j] = _round_cents(arla[j] + w)
                out_tranche[WRITEDOWN, t, j] = _round_cents(out_tranche[WRITEDOWN, t, j] + w)
                under = _round_cents(under - w)

        # (4) Allocated Realized Loss Amounts, in reimbursement order.
        for k in range(reimbursement_order.shape[0]):
            j = reimbursement_order[k]
            paid = min(arla[j], excess)
            arla[j] = _round_cents(arla[j] - paid)
            excess = _round_cents(excess - paid)
            out_tranche[ARLA_REIMBURSED, t, j] = paid

        # (5) Unpaid Interest Shortfall Amounts, sequentially.
        for j in range(n_j):
            paid = min(uis[j], excess)
            uis[j] = _round_cents(uis[j] - paid)
            excess = _round_cents(excess - paid)
            out_tranche[SHORTFALL_PAID, t, j] = paid

        # (6) Basis Risk Amounts: derivative receipts first, then Excess Cash Flow.
        for j in range(n_j):
            paid = min(brcf[j], income)
            brcf[j] = _round_cents(brcf[j] - paid)
            income = _round_cents(income - paid)
            out_tranche[BASIS_RISK_PAID_FROM_DERIVATIVES, t, j] = paid
        for j in range(n_j):
            paid = min(brcf[j], excess)
            brcf[j] = _round_cents(brcf[j] - paid)
            excess = _round_cents(excess - paid)
            out_tranche[BASIS_RISK_PAID_FROM_EXCESS, t, j] = paid

        # (7) The rest, and derivative receipts not needed, to the Certificates.
        out_period[CERTIFICATE_RESIDUAL, t] = _round_cents(excess + income)
        out_period[DERIVATIVE_INCOME, t] = net if net > 0.0 else 0.0
        out_period[DERIVATIVE_FEE, t] = fee_paid

        bonds = 0.0
        for j in range(n_j):
            bonds += balance[j]
            out_tranche[BALANCE, t, j] = balance[j]
            out_tranche[ALLOCATED_REALIZED_LOSS, t, j] = arla[j]
            out_tranche[INTEREST_SHORTFALL, t, j] = uis[j]
            out_tranche[BASIS_RISK_CARRYFORWARD, t, j] = brcf[j]
        out_period[OC, t] = _round_cents(pool_end - bonds)


# p = paths, j = tranches, t = periods, c = derivative contracts
@kernel
def _waterfall_paths(
    balance0, margin, stepup_multiple, writedown_order, reimbursement_order,  # (j,) / (k,)
    libor_1m, accrual_days, net_interest, principal_remittance,  # (p, t)
    pool_balance_prior, pool_balance_end, net_mortgage_rate, derivative_net, oc_target, pool_value,  # (p, t)
    contract_kind, contract_notional, contract_strike, contract_upper, contract_fixed_30_360,  # (c,), (c, t), ...
    coupon_cap, afr_numerator, brcf_interest, uis_interest,  # scalars
    stepup_period, call_period, call_rule,  # (p,), (p,), scalar
    out_tranche,  # (len(TRANCHE_FIELDS), p, t, j): field first, so each output is one block
    out_period,  # (len(PERIOD_FIELDS), p, t)
    out_contract,  # (len(CONTRACT_FIELDS), p, t, c)
):
    # Paths are independent; one serial loop keeps the kernel deterministic and
    # lets dask's threads (nogil) provide the parallelism across chunks.
    for p in range(libor_1m.shape[0]):
        _waterfall_path(
            balance0, margin, stepup_multiple, writedown_order, reimbursement_order,
            libor_1m[p], accrual_days[p], net_interest[p], principal_remittance[p],
            pool_balance_prior[p], pool_balance_end[p], net_mortgage_rate[p],
            derivative_net[p], oc_target[p], pool_value[p],
            contract_kind, contract_notional, contract_strike, contract_upper, contract_fixed_30_360,
            coupon_cap, afr_numerator, brcf_interest, uis_interest,
            stepup_period[p], call_period[p], call_rule,
            out_tranche[:, p], out_period[:, p], out_contract[:, p],
        )
