"""End-to-end deterministic runs: cash conservation, loss allocation, call and maturity.

The pool is the three hand-made loans of ``conftest.small_tape_rows``
replicated and scaled to the deal's cut-off balance, so the runs are fast and
independent of the synthesized tape.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import small_tape_rows
from stress.assumptions import Assumptions
from stress.cashflows import run_cashflows
from stress.collateral.tape import validate_tape
from stress.rates.curves import forward_curve


@pytest.fixture(scope="module")
def pool_tape(deal_module):
    rows = []
    for k in range(40):
        for row in small_tape_rows():
            rows.append(dict(row, loan_id=f"{row['loan_id']}-{k}", months_to_reset=row["months_to_reset"] - k % 20))
    tape = validate_tape(pd.DataFrame(rows))
    tape["balance"] *= deal_module.collateral.cutoff_balance / tape["balance"].sum()
    return tape


@pytest.fixture(scope="module")
def deal_module():
    from stress.deal import load_deal

    return load_deal()


@pytest.fixture(scope="module")
def curve():
    return forward_curve()


def _conservation_gap(run) -> np.ndarray:
    """Collections minus distributions, every period [USD]."""
    p, b = run.pool, run.bonds
    collections = (p.scheduled_interest + p.advanced_interest + p.repurchase_interest + p.scheduled_principal
                   + p.advanced_principal + p.prepayment + p.repurchased_balance + p.recovery
                   + b.derivative_income + b.call_proceeds)
    fees = p.servicing_fee + p.master_servicing_fee + p.trustee_fee + p.lpmi_premium + b.derivative_fee
    # after a call the loans belong to the buyer: only the trust's periods count
    return (collections - fees - b.cash_out())[: run.last_period + 1]


@pytest.mark.parametrize("to", ["call", "maturity"])
@pytest.mark.parametrize("cdr, severity, lag, advancing", [(0.0, 0.0, 0, True), (0.08, 0.45, 6, True),
                                                           (0.20, 0.60, 12, False)])
def test_cash_in_equals_cash_out_every_period(deal_module, pool_tape, curve, to, cdr, severity, lag, advancing):
    a = Assumptions(prepayment="100 PPC", default=cdr, severity=severity, liquidation_lag=lag, advancing=advancing)
    run = run_cashflows(deal_module, pool_tape, curve, a, to=to)
    gap = _conservation_gap(run)
    assert np.abs(gap).max() < 0.011, f"largest gap {gap[np.argmax(np.abs(gap))]:.4f} USD"
    b = run.bonds
    assert b.balance.min() >= 0.0
    assert run.pool.pool_balance_end.min() >= 0.0
    assert b.writedown.sum() <= run.pool.realized_loss.sum() + 0.01


def test_no_loss_run_pays_every_bond_in_full(deal_module, pool_tape, curve):
    run = run_cashflows(deal_module, pool_tape, curve, Assumptions(prepayment="100 PPC"), to="maturity")
    paid = run.bonds.principal_paid.sum(axis=0)
    assert paid == pytest.approx([t.balance for t in deal_module.tranches], abs=0.05)
    assert run.bonds.writedown.sum() == 0.0


def test_to_call_retires_bonds_on_the_call_date(deal_module, pool_tape, curve):
    run = run_cashflows(deal_module, pool_tape, curve, Assumptions(prepayment="100 PPC"), to="call")
    c = run.call_period
    assert 0 < c < 120
    b = run.bonds
    assert b.balance[c].sum() == pytest.approx(0.0, abs=0.01)
    # the Redemption Price leaves nothing owed; unneeded swap receipts go to the Certificates
    for owed in (b.allocated_realized_loss, b.interest_shortfall, b.basis_risk_carryforward):
        assert owed[c].sum() == 0.0
    assert b.certificate_residual[c] == pytest.approx(
        b.derivative_income[c] - b.basis_risk_paid_from_derivatives[c].sum(), abs=0.005)
    # price = bonds before the date + its current interest - the date's interest and principal funds
    owed = b.balance[c - 1].sum() + b.interest_paid[c].sum() + b.basis_risk_paid_from_excess[c].sum()
    funds = run.pool.net_interest[c] - b.derivative_fee[c] + (run.pool.scheduled_principal[c]
                                                             + run.pool.prepayment[c] + run.pool.recovery[c])
    assert b.call_proceeds[c] == pytest.approx(owed - funds, abs=0.02)
    summary = run.class_summary()
    call_month = str(run.schedule.unadjusted_dates[c])[:7]
    assert (summary["last_principal"] == call_month).all()


def test_call_test_is_not_one_due_period_early(deal_module, pool_tape, curve):
    """Regression: the 25% test read the balance after the Payment Date's collections,
    calling (and starting the step-up) one Due Period before the pool balance as of the end
    of the prior Due Period, the balance the term sheet and the AFR use, reached 25%."""
    run = run_cashflows(deal_module, pool_tape, curve, Assumptions(prepayment="100 PPC"), to="call")
    c = run.call_period
    threshold = 0.25 * deal_module.collateral.cutoff_balance
    assert run.pool.pool_balance_begin[c] <= threshold < run.pool.pool_balance_begin[c - 1]
    # the old test would have called on c - 1: that date's own collections already took the pool under 25%
    assert run.pool.pool_balance_end[c - 1] <= threshold
    to_maturity = run_cashflows(deal_module, pool_tape, curve, Assumptions(prepayment="100 PPC"), to="maturity")
    a1 = to_maturity.bonds.coupon[:, 0]
    assert a1[c] == pytest.approx(min(run.libor_1m[c] + 0.0034, to_maturity.bonds.afr[c]))  # not yet stepped up


def test_heavy_losses_write_down_from_the_bottom(deal_module, pool_tape, curve):
    a = Assumptions(prepayment=0.10, default=0.25, severity=0.70, liquidation_lag=6)
    run = run_cashflows(deal_module, pool_tape, curve, a, to="maturity")
    written = run.bonds.writedown.sum(axis=0)
    names = deal_module.tranche_names
    assert written[names.index("A-1")] == 0.0
    assert written[names.index("M-4")] > 0.0
    # a class is written down only once every class junior to it is gone
    order = ["M-4", "M-3", "M-2", "M-1", "A-2"]
    first_hit = [np.flatnonzero(run.bonds.writedown[:, names.index(n)] > 0) for n in order]
    starts = [h[0] for h in first_hit if h.size]
    assert starts == sorted(starts)
    assert np.all(run.bonds.allocated_realized_loss[-1] >= 0)


def test_step_up_applies_after_a_missed_call(deal_module, pool_tape, curve):
    a = Assumptions(prepayment="100 PPC")
    to_call = run_cashflows(deal_module, pool_tape, curve, a, to="call")
    to_maturity = run_cashflows(deal_module, pool_tape, curve, a, to="maturity")
    c = to_call.call_period
    libor = to_maturity.libor_1m
    a1 = to_maturity.bonds.coupon[:, 0]
    # before and on the call date: LIBOR + 0.34%; after it: LIBOR + 0.68% (2x), while below the AFR
    assert a1[c] == pytest.approx(min(libor[c] + 0.0034, to_maturity.bonds.afr[c], 0.115))
    uncapped = to_maturity.bonds.afr[c + 1] > libor[c + 1] + 0.0068
    assert uncapped and a1[c + 1] == pytest.approx(libor[c + 1] + 0.0068)
    assert to_maturity.class_summary().loc["A-1", "wal_years"] > to_call.class_summary().loc["A-1", "wal_years"]


def test_derivative_notional_never_exceeds_the_bonds_at_180_ppc(deal_module, pool_tape, curve):
    """The schedules assume 30% CPR; at 180% PPC (54% CPR) the bonds fall below them and every
    contract is cut pro rata to the bonds before the Payment Date."""
    run = run_cashflows(deal_module, pool_tape, curve, Assumptions(prepayment="180 PPC"), to="maturity")
    b = run.bonds
    bonds_before = np.concatenate([[deal_module.bond_balance], b.balance.sum(axis=1)[:-1]])
    scheduled = np.array([d.notional_schedule_on(run.schedule.unadjusted_dates) for d in deal_module.derivatives]).T
    cut = scheduled.sum(axis=1) > bonds_before
    assert cut.sum() >= 3  # at this speed the bonds fall below the 30%-CPR schedules
    notional = b.derivative_notional
    assert (notional.sum(axis=1) <= bonds_before + 1e-6).all()
    # where it binds: the contracts add up to the bonds (to the cent each) in their scheduled proportions
    np.testing.assert_allclose(notional[cut].sum(axis=1), bonds_before[cut], rtol=0, atol=0.02)
    share = (bonds_before[cut] / scheduled[cut].sum(axis=1))[:, None]
    np.testing.assert_allclose(notional[cut], scheduled[cut] * share, rtol=0, atol=0.01)
    assert (notional[~cut] == scheduled[~cut]).all()
    # each swap settles on its capped notional: N x (L - K) x days / 360, legs rounded to the cent
    t = int(np.flatnonzero(cut)[0])
    days, libor = run.schedule.accrual_days[t], run.libor_1m[t]
    for c, d in enumerate(deal_module.derivatives):
        n = notional[t, c]
        want = np.floor(n * libor * days / 360 * 100 + 0.5) / 100 - np.floor(n * d.fixed_rate * days / 360 * 100 + 0.5) / 100
        assert b.derivative_payment[t, c] == pytest.approx(want, abs=0.011)
    table = run.period_table()
    for d in deal_module.derivatives:
        assert f"{d.name} notional" in table and f"{d.name} net payment" in table
    np.testing.assert_allclose(table["swap-2004-05 notional"].to_numpy(), notional[: len(table), 1])


def test_deal_file_coupon_keys_reach_the_waterfall(deal_module, pool_tape, curve):
    """afr_day_count_numerator, fixed_cap and the two carry-interest switches change the run."""
    a = Assumptions(prepayment="100 PPC")
    base = run_cashflows(deal_module, pool_tape, curve, a, to="call", n_periods=60)

    def with_coupon(**change):
        deal = deal_module.model_copy(update={"coupon": deal_module.coupon.model_copy(update=change)})
        return run_cashflows(deal, pool_tape, curve, a, to="call", n_periods=60)

    r31 = with_coupon(afr_day_count_numerator=31)
    np.testing.assert_allclose(r31.bonds.afr[:3], base.bonds.afr[:3] * 31 / 30, rtol=1e-12)
    capped = with_coupon(fixed_cap=0.01)  # a 1% cap binds from the first period (LIBOR 1.10% + margins)
    assert capped.bonds.coupon[0].max() == 0.01 and base.bonds.coupon[0].max() > 0.01
    # Carried amounts: +1000 bp without the swaps builds Basis Risk Amounts, and defaults without
    # advancing leave current interest unpaid; the switches decide whether what is carried earns interest.
    stressed = curve.shifted(1000.0, from_month=1).floored(0.0)
    no_swaps = deal_module.model_copy(update={"derivatives": ()})
    bad = Assumptions(prepayment="100 PPC", default=0.20, severity=0.5, liquidation_lag=12, advancing=False)

    def carried(**change):
        deal = no_swaps.model_copy(update={"coupon": no_swaps.coupon.model_copy(update=change)})
        b = run_cashflows(deal, pool_tape, stressed, bad, to="maturity", n_periods=60).bonds
        return b.basis_risk_carryforward.sum(), b.interest_shortfall.sum()

    brcf, uis = carried()
    assert brcf > 0 and uis > 0
    assert carried(basis_risk_carry_interest=False)[0] < brcf
    assert carried(shortfall_carry_interest=False)[1] < uis


def test_oc_build_up_allowance_is_a_deal_key():
    from stress.engine import build_context
    from stress.scenario import load_scenario

    scenario = load_scenario("forward")
    ctx = build_context(scenario)
    deal = ctx.deal
    longer = deal.model_copy(update={"overcollateralization": deal.overcollateralization.model_copy(
        update={"build_up_months": 9})})
    # the target first steps up on the 2004-08-25 payment date (period index 6); breaches count 6 / 9 later
    assert ctx.oc_breach_from == 6 + 6
    assert build_context(scenario, deal=longer).oc_breach_from == 6 + 9
