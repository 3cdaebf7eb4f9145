"""Readable twin of the bond waterfall kernel (``stress/kernels/waterfall.py``).

Slow, plain Python, one function per step of the term sheet's "Priority of
Payments", named in the term sheet's words. It is written to be read against
the term sheet; the tests require the numba kernel to agree with it to the cent.
Conventions (rounding, carried amounts, the call) are those documented in
:mod:`stress.waterfall`; the arithmetic is written in the same order as the
kernel's so both round identically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stress.waterfall import WaterfallInputs, WaterfallResult

TRANCHE_OUTPUTS = (
    "balance", "interest_paid", "principal_paid", "writedown", "allocated_realized_loss",
    "arla_reimbursed", "interest_shortfall", "shortfall_paid", "basis_risk_shortfall",
    "basis_risk_paid_from_derivatives", "basis_risk_paid_from_excess",
    "basis_risk_carryforward", "coupon",
)
PERIOD_OUTPUTS = (
    "afr", "oc", "oc_target", "oc_release", "excess_cashflow", "extra_principal",
    "derivative_income", "derivative_fee", "certificate_residual", "call_proceeds",
    "principal_distribution", "afr_with_derivatives", "redemption_price", "call_exercised",
)
CONTRACT_OUTPUTS = ("derivative_notional", "derivative_payment")


def round_cents(x: float) -> float:
    """Half up to the cent (the kernel's ``_round_cents``)."""
    return math.floor(x * 100.0 + 0.5) / 100.0


@dataclass
class Bond:
    """One class of Bonds and the amounts it carries from one Payment Date to the next."""

    balance: float
    margin: float
    step_up_multiple: float
    allocated_realized_loss_amount: float = 0.0
    unpaid_interest_shortfall_amount: float = 0.0
    basis_risk_carryforward: float = 0.0
    # this Payment Date only
    bond_interest_rate: float = 0.0
    current_interest: float = 0.0


def aggregate_balance(bonds: list[Bond]) -> float:
    total = 0.0
    for bond in bonds:
        total += bond.balance
    return total


# -- Net Mortgage Rate and Available Funds Rate ------------------------------------

def net_mortgage_rate_after_net_derivative_fees(net_mortgage_rate, net_derivative_fees, pool_balance_prior):
    """Item (e) of "Net Mortgage Rate": fees as a rate per annum of the pool balance."""
    if pool_balance_prior > 0.0:
        return net_mortgage_rate - net_derivative_fees * 12.0 / pool_balance_prior
    return net_mortgage_rate


def available_funds_rate(net_mortgage_rate, pool_balance_prior, bond_balance, accrual_days, numerator):
    """Net Mortgage Rate x (pool / bonds) x 30 / days; infinite (does not bind) with no bonds."""
    if bond_balance > 0.0:
        return max(net_mortgage_rate * pool_balance_prior / bond_balance * numerator / accrual_days, 0.0)
    return math.inf


def floor_cents(x: float) -> float:
    """Down to the cent (the kernel's ``_floor_cents``)."""
    return math.floor(x * 100.0 + 1e-6) / 100.0


def contract_settlement(contract, notional, libor, accrual_days):
    """One contract's net settlement for the period, + = to the trust (cap, corridor or pay-fixed swap)."""
    if contract.kind == "cap":
        return round_cents(notional * max(libor - contract.strike, 0.0) * accrual_days / 360.0)
    if contract.kind == "corridor":
        return round_cents(notional * max(min(libor, contract.upper_strike) - contract.strike, 0.0)
                           * accrual_days / 360.0)
    floating = round_cents(notional * libor * accrual_days / 360.0)
    fixed_days = 30.0 if contract.fixed_daycount == "30/360" else accrual_days
    return round_cents(floating - round_cents(notional * contract.strike * fixed_days / 360.0))


def derivative_contracts(contracts, t, bond_balance, libor, accrual_days, net, out):
    """"In any given period, the aggregate notional balance of the Derivative Contracts
    will not exceed the aggregate balance of the Bonds": scheduled notionals are cut
    pro rata to the bonds before the Payment Date. Returns ``net`` plus the contracts'
    net settlements."""
    scheduled = sum_in_order([float(c.notional[t]) for c in contracts])
    scale = bond_balance / scheduled if scheduled > bond_balance else 1.0
    for k, contract in enumerate(contracts):
        notional = floor_cents(float(contract.notional[t]) * scale)
        amount = contract_settlement(contract, notional, libor, accrual_days) if notional > 0.0 else 0.0
        out["derivative_notional"][k] = notional
        out["derivative_payment"][k] = amount
        net += amount
    return net


def interest(balance, rate, accrual_days):
    """Actual/360 interest, rounded to the cent."""
    return round_cents(balance * rate * accrual_days / 360.0)


def bond_interest_rate_and_basis_risk_shortfall(bond, libor, afr, coupon_cap, stepped_up, accrual_days):
    """Least of (LIBOR + margin, AFR, cap); the Basis Risk Shortfall Amount is the
    interest at the lesser of (LIBOR + margin, cap) above the interest at that rate."""
    margin = bond.margin * bond.step_up_multiple if stepped_up else bond.margin
    libor_plus_margin_capped = min(max(libor + margin, 0.0), coupon_cap)
    bond.bond_interest_rate = min(libor_plus_margin_capped, afr)
    bond.current_interest = interest(bond.balance, bond.bond_interest_rate, accrual_days)
    at_libor_plus_margin = interest(bond.balance, libor_plus_margin_capped, accrual_days)
    return round_cents(at_libor_plus_margin - bond.current_interest)


def carry_forward_with_interest(bond, basis_risk_shortfall_amount, accrual_days, *, uis_interest, brcf_interest):
    """Carried amounts bear interest at the Bond Interest Rate (when the deal says so);
    the new Basis Risk Shortfall Amount joins the Basis Risk Shortfall Carryforward."""
    rate = bond.bond_interest_rate
    uis = bond.unpaid_interest_shortfall_amount
    if uis_interest:
        bond.unpaid_interest_shortfall_amount = round_cents(uis + interest(uis, rate, accrual_days))
    brcf = bond.basis_risk_carryforward
    if brcf_interest:
        brcf = round_cents(brcf + interest(brcf, rate, accrual_days))
    bond.basis_risk_carryforward = round_cents(brcf + basis_risk_shortfall_amount)


def redemption_price(bonds, bond_balance, interest_funds, principal_funds, derivative_income):
    """What the trust owes the Bondholders on the call date (principal, current interest,
    Unpaid Interest Shortfall, Basis Risk and Allocated Realized Loss Amounts) less the
    Payment Date's own funds; derivative income counts only up to the Basis Risk Amounts."""
    owed = bond_balance
    basis_risk = 0.0
    for bond in bonds:
        owed += (bond.current_interest + bond.unpaid_interest_shortfall_amount + bond.basis_risk_carryforward
                 + bond.allocated_realized_loss_amount)
        basis_risk += bond.basis_risk_carryforward
    funds = interest_funds + principal_funds + min(derivative_income, basis_risk)
    return round_cents(max(owed - funds, 0.0))


# -- Priority of Payments ------------------------------------------------------------

def pay_net_derivative_fees(interest_funds, principal_funds, net_derivative_fees):
    """Net Derivative Fees are paid before the Bonds: from interest, then principal.

    Returns (interest funds left, principal funds left, fees actually paid)."""
    interest_funds = round_cents(interest_funds - net_derivative_fees)
    fees_paid = net_derivative_fees
    if interest_funds < 0.0:
        from_principal = -interest_funds
        interest_funds = 0.0
        if from_principal > principal_funds:
            fees_paid = round_cents(net_derivative_fees - (from_principal - principal_funds))
            from_principal = principal_funds
        principal_funds = round_cents(principal_funds - from_principal)
    return interest_funds, principal_funds, fees_paid


def interest_funds_sequentially(bonds, interest_funds, out):
    """1. Interest funds, sequentially, A-1 ... M-4. What is not paid becomes an
    Unpaid Interest Shortfall Amount."""
    for j, bond in enumerate(bonds):
        paid = min(bond.current_interest, interest_funds)
        interest_funds = round_cents(interest_funds - paid)
        out["interest_paid"][j] = paid
        bond.unpaid_interest_shortfall_amount = round_cents(
            bond.unpaid_interest_shortfall_amount + bond.current_interest - paid)
    return interest_funds


def pro_rata(amount, bonds):
    """Split ``amount`` pro rata by balance, in cents; the last class with a balance
    takes the rounding residual; no class above its balance. Returns (shares, paid)."""
    balances = [bond.balance for bond in bonds]
    total = round_cents(sum_in_order(balances))
    shares = [0.0] * len(bonds)
    with_balance = [j for j, b in enumerate(balances) if b > 0.0]
    if amount <= 0.0 or not with_balance:
        return shares, 0.0
    if amount >= total:
        return list(balances), total
    last = with_balance[-1]
    given = 0.0
    for j in with_balance[:-1]:
        shares[j] = min(round_cents(amount * balances[j] / total), balances[j])
        given = round_cents(given + shares[j])
    shares[last] = min(round_cents(amount - given), balances[last])
    left = round_cents(amount - given - shares[last])
    for j in range(len(bonds)):
        if left <= 0.0:
            break
        extra = min(left, round_cents(balances[j] - shares[j]))
        shares[j] = round_cents(shares[j] + extra)
        left = round_cents(left - extra)
    return shares, amount


def sum_in_order(values):
    total = 0.0
    for v in values:
        total += v
    return total


def pay_principal(bonds, shares, out):
    for j, bond in enumerate(bonds):
        bond.balance = round_cents(bond.balance - shares[j])
        out["principal_paid"][j] = round_cents(out["principal_paid"][j] + shares[j])


def overcollateralization_release(principal_funds, pool_balance_end, bond_balance, oc_target):
    """Principal not needed to keep OC at its target: released to Excess Cash Flow."""
    oc_if_all_principal_paid = pool_balance_end - (bond_balance - principal_funds)
    return round_cents(max(0.0, min(principal_funds, oc_if_all_principal_paid - oc_target)))


def principal_distribution_amount_pro_rata(bonds, principal_distribution_amount, out):
    """2. The Principal Distribution Amount to the Bonds, pro rata. Returns what the
    Bonds absorbed."""
    shares, paid = pro_rata(principal_distribution_amount, bonds)
    pay_principal(bonds, shares, out)
    return paid


def excess_cash_flow_to_build_or_restore_overcollateralization(bonds, excess, pool_balance_end, oc_target, out):
    """3. Excess Cash Flow as principal, pro rata, up to the OC target."""
    bond_balance = round_cents(aggregate_balance(bonds))
    shortfall_to_target = round_cents(oc_target - (pool_balance_end - bond_balance))
    extra = min(max(shortfall_to_target, 0.0), excess, bond_balance)
    shares, paid = pro_rata(extra, bonds)
    pay_principal(bonds, shares, out)
    return round_cents(excess - paid), paid


def allocate_realized_losses(bonds, pool_balance_end, writedown_order, out, *, clean_up_call):
    """Realized Losses not absorbed by Excess Cash Flow or OC: bonds above the pool
    are written down M-4, M-3, M-2, M-1, A-2. At the clean-up call every class is
    retired, so what remains is written down on every class, most junior first."""
    undercollateralization = round_cents(aggregate_balance(bonds) - pool_balance_end)
    order = list(writedown_order)
    if clean_up_call:
        order += list(range(len(bonds) - 1, -1, -1))
    for j in order:
        if undercollateralization <= 0.0:
            break
        bond = bonds[j]
        writedown = min(undercollateralization, bond.balance)
        bond.balance = round_cents(bond.balance - writedown)
        bond.allocated_realized_loss_amount = round_cents(bond.allocated_realized_loss_amount + writedown)
        out["writedown"][j] = round_cents(out["writedown"][j] + writedown)
        undercollateralization = round_cents(undercollateralization - writedown)


def allocated_realized_loss_amounts(bonds, excess, reimbursement_order, out):
    """4. Sequentially A-2, M-1, M-2, M-3, M-4, Allocated Realized Loss Amounts."""
    for j in reimbursement_order:
        bond = bonds[j]
        paid = min(bond.allocated_realized_loss_amount, excess)
        bond.allocated_realized_loss_amount = round_cents(bond.allocated_realized_loss_amount - paid)
        excess = round_cents(excess - paid)
        out["arla_reimbursed"][j] = paid
    return excess


def unpaid_interest_shortfall_amounts(bonds, excess, out):
    """5. Sequentially A-1 ... M-4, Unpaid Interest Shortfall Amounts."""
    for j, bond in enumerate(bonds):
        paid = min(bond.unpaid_interest_shortfall_amount, excess)
        bond.unpaid_interest_shortfall_amount = round_cents(bond.unpaid_interest_shortfall_amount - paid)
        excess = round_cents(excess - paid)
        out["shortfall_paid"][j] = paid
    return excess


def basis_risk_amounts(bonds, funds, out_key, out):
    """6. Sequentially A-1 ... M-4, Basis Risk Amounts, from ``funds``."""
    for j, bond in enumerate(bonds):
        paid = min(bond.basis_risk_carryforward, funds)
        bond.basis_risk_carryforward = round_cents(bond.basis_risk_carryforward - paid)
        funds = round_cents(funds - paid)
        out[out_key][j] = paid
    return funds


# -- one Payment Date, and the whole path --------------------------------------------

def payment_date(bonds, t, inputs: WaterfallInputs, path: int, out, state):
    """Distribute one Payment Date's available funds; fills ``out`` (dict of this
    period's outputs). ``state["called"]`` becomes True when the call is exercised."""
    def at(name):
        arr = getattr(inputs, name)
        return float(arr[path, t] if arr.ndim == 2 else arr[t])

    call_period = _for_path(inputs.call_period, path)
    stepup_period = _for_path(inputs.stepup_period, path)
    days = at("accrual_days")
    pool_balance_prior = round_cents(at("pool_balance_prior"))
    pool_balance_end = round_cents(at("pool_balance_end"))
    principal_funds = round_cents(at("principal_remittance"))
    oc_target = round_cents(at("oc_target"))
    bond_balance = round_cents(aggregate_balance(bonds))

    derivative_net = derivative_contracts(inputs.contracts, t, bond_balance, at("libor_1m"), days,
                                          at("derivative_net"), out)
    derivative_net = round_cents(derivative_net)
    net_derivative_fees = -derivative_net if derivative_net < 0.0 else 0.0
    derivative_income = derivative_net if derivative_net > 0.0 else 0.0
    interest_funds, principal_funds, fees_paid = pay_net_derivative_fees(
        round_cents(at("net_interest")), principal_funds, net_derivative_fees)

    nmr = net_mortgage_rate_after_net_derivative_fees(
        at("net_mortgage_rate"), net_derivative_fees, pool_balance_prior)
    numerator = inputs.afr_day_count_numerator
    afr = available_funds_rate(nmr, pool_balance_prior, bond_balance, days, numerator)
    out["afr"] = afr if math.isfinite(afr) else math.nan
    out["afr_with_derivatives"] = (afr + derivative_income * 12.0 / bond_balance * numerator / days
                                   if math.isfinite(afr) else math.nan)

    for j, bond in enumerate(bonds):
        brs = bond_interest_rate_and_basis_risk_shortfall(
            bond, at("libor_1m"), afr, inputs.coupon_cap, t >= stepup_period, days)
        out["coupon"][j] = bond.bond_interest_rate
        out["basis_risk_shortfall"][j] = brs
        carry_forward_with_interest(bond, brs, days, uis_interest=inputs.shortfall_carry_interest,
                                    brcf_interest=inputs.basis_risk_carry_interest)

    # Clean-up call: considered on the first eligible date ("always"), or on every date
    # from it ("economic", exercised when the loans are worth the Redemption Price).
    clean_up_call = False
    if inputs.call_rule != "never" and 0 <= call_period <= t and (inputs.call_rule == "economic"
                                                                  or t == call_period):
        price = redemption_price(bonds, bond_balance, interest_funds, principal_funds, derivative_income)
        out["redemption_price"] = price
        clean_up_call = inputs.call_rule == "always" or at("pool_value") >= price
        if clean_up_call:
            state["called"] = True
            out["call_exercised"] = 1.0
            out["call_proceeds"] = price
            principal_funds = round_cents(principal_funds + price)
            pool_balance_end = 0.0
            oc_target = 0.0

    interest_funds = interest_funds_sequentially(bonds, interest_funds, out)

    release = overcollateralization_release(principal_funds, pool_balance_end, bond_balance, oc_target)
    principal_distribution_amount = round_cents(principal_funds - release)
    absorbed = principal_distribution_amount_pro_rata(bonds, principal_distribution_amount, out)
    excess_cash_flow = round_cents(interest_funds + release + (principal_distribution_amount - absorbed))
    out["oc_target"] = oc_target
    out["oc_release"] = release
    out["principal_distribution"] = absorbed
    out["excess_cashflow"] = excess_cash_flow

    excess, extra = excess_cash_flow_to_build_or_restore_overcollateralization(
        bonds, excess_cash_flow, pool_balance_end, oc_target, out)
    out["extra_principal"] = extra
    allocate_realized_losses(bonds, pool_balance_end, _order(inputs.writedown_rank), out,
                             clean_up_call=clean_up_call)
    excess = allocated_realized_loss_amounts(bonds, excess, _order(inputs.reimbursement_rank), out)
    excess = unpaid_interest_shortfall_amounts(bonds, excess, out)
    derivative_left = basis_risk_amounts(bonds, derivative_income, "basis_risk_paid_from_derivatives", out)
    excess = basis_risk_amounts(bonds, excess, "basis_risk_paid_from_excess", out)

    # 7. The rest to the Certificates, with derivative receipts not needed.
    out["certificate_residual"] = round_cents(excess + derivative_left)
    out["derivative_income"] = derivative_income
    out["derivative_fee"] = fees_paid
    for j, bond in enumerate(bonds):
        out["balance"][j] = bond.balance
        out["allocated_realized_loss"][j] = bond.allocated_realized_loss_amount
        out["interest_shortfall"][j] = bond.unpaid_interest_shortfall_amount
        out["basis_risk_carryforward"][j] = bond.basis_risk_carryforward
    out["oc"] = round_cents(pool_balance_end - aggregate_balance(bonds))


def _for_path(period_index, path):
    """A period index given once for all paths, or one per path."""
    return int(period_index) if np.ndim(period_index) == 0 else int(period_index[path])


def _order(rank):
    return [int(j) for j in sorted(np.flatnonzero(np.asarray(rank) >= 0), key=lambda j: rank[j])]


def reference_waterfall(inputs: WaterfallInputs, path: int = 0) -> WaterfallResult:
    """Run one path (``path`` indexes (p, t) inputs) through every Payment Date."""
    n_t = inputs.n_periods
    n_j = inputs.original_balance.shape[0]
    n_c = len(inputs.contracts)
    bonds = [Bond(round_cents(float(inputs.initial_balance[j])), float(inputs.margin[j]),
                  float(inputs.stepup_multiple[j])) for j in range(n_j)]
    tranche = {name: np.zeros((n_t, n_j)) for name in TRANCHE_OUTPUTS}
    period = {name: np.zeros(n_t) for name in PERIOD_OUTPUTS}
    contract = {name: np.zeros((n_t, n_c)) for name in CONTRACT_OUTPUTS}
    state = {"called": False}
    for t in range(n_t):
        if state["called"]:  # nothing after the clean-up call
            period["afr"][t] = math.nan
            period["afr_with_derivatives"][t] = math.nan
            continue
        out = {name: np.zeros(n_j) for name in TRANCHE_OUTPUTS}
        out.update({name: 0.0 for name in PERIOD_OUTPUTS})
        out.update({name: np.zeros(n_c) for name in CONTRACT_OUTPUTS})
        payment_date(bonds, t, inputs, path, out, state)
        for name in TRANCHE_OUTPUTS:
            tranche[name][t] = out[name]
        for name in PERIOD_OUTPUTS:
            period[name][t] = out[name]
        for name in CONTRACT_OUTPUTS:
            contract[name][t] = out[name]
    return WaterfallResult(**tranche, **period, **contract, tranche_names=inputs.tranche_names,
                           contract_names=tuple(c.name or f"contract_{k}" for k, c in enumerate(inputs.contracts)))
