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
    # the call is the first date the pool is at or below 25% of the cut-off balance
    assert run.pool.pool_balance_end[c] <= 0.25 * deal_module.collateral.cutoff_balance
    assert run.pool.pool_balance_end[c - 1] > 0.25 * deal_module.collateral.cutoff_balance
    assert run.bonds.balance[c].sum() == pytest.approx(0.0, abs=0.01)
    assert run.bonds.call_proceeds[c] == pytest.approx(run.pool.pool_balance_end[c])
    summary = run.class_summary()
    call_month = str(run.schedule.unadjusted_dates[c])[:7]
    assert (summary["last_principal"] == call_month).all()


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
