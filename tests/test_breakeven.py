"""Breakeven CDR: a bracketing search that lands within 0.01 CDR of the first-dollar loss."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import small_tape_rows
from stress.breakeven import LOSS_THRESHOLD, breakeven_cdr, breakeven_table
from stress.collateral.tape import validate_tape
from stress.deal import load_deal
from stress.rates.curves import forward_curve


def test_bisection_on_a_known_loss_function():
    # class j loses once CDR passes its threshold
    thresholds = np.array([0.08, 0.05, 0.031234])
    evaluate = lambda cdr: (np.where(cdr > thresholds, 1.0, 0.0), cdr * 2)  # noqa: E731
    for j, t in enumerate(thresholds):
        found = breakeven_cdr(evaluate, j, tolerance=1e-4)
        assert t - 1e-4 <= found <= t
    assert breakeven_cdr(lambda cdr: (np.array([5.0]), 0.0), 0) == 0.0
    assert breakeven_cdr(lambda cdr: (np.array([0.0]), 0.0), 0, max_cdr=0.5) == 0.5


@pytest.fixture(scope="module")
def table():
    deal = load_deal()
    rows = [dict(r, loan_id=f"{r['loan_id']}-{k}", months_to_reset=r["months_to_reset"] - k % 20)
            for k in range(20) for r in small_tape_rows()]
    tape = validate_tape(pd.DataFrame(rows))
    tape["balance"] *= deal.collateral.cutoff_balance / tape["balance"].sum()
    curve = forward_curve()
    return deal, tape, curve, breakeven_table(deal, tape, {"forward": curve}, severities=(0.35, 0.60),
                                              prepayments=("100 PPC",))


def test_breakeven_is_the_edge_of_loss(table):
    from dataclasses import replace

    from stress.assumptions import Assumptions
    from stress.cashflows import run_cashflows

    deal, tape, curve, result = table
    row = result[(result.tranche == "M-4") & (result.severity == 0.35)].iloc[0]
    base = Assumptions(prepayment="100 PPC", severity=0.35, liquidation_lag=12)
    j = deal.tranche_names.index("M-4")

    def loss(cdr):
        run = run_cashflows(deal, tape, curve, replace(base, default=cdr), to="maturity")
        e = run.last_period
        return run.bonds.allocated_realized_loss[e, j] + run.bonds.balance[e, j]

    assert loss(row.breakeven_cdr) <= LOSS_THRESHOLD
    assert loss(row.breakeven_cdr + 1e-4) > LOSS_THRESHOLD
    assert 0.0 < row.cumulative_loss < 0.5


def test_higher_severity_lowers_breakeven(table):
    *_, result = table
    m4 = result[result.tranche == "M-4"].set_index("severity")["breakeven_cdr"]
    assert m4[0.60] < m4[0.35]
    # Principal is paid pro rata and A-1 is never written down, so every class is still outstanding when the
    # pool runs out: the first dollar no class can be paid leaves all of them short at (almost) one CDR. A few
    # cents stranded on A-1 in the last months (the pro-rata residual-cent rule) can tip it a search step before
    # M-1, so first-dollar breakevens order the classes only up to cents; what holds is that no class breaks
    # before the most junior one, M-4. Seniority separates the classes at a material loss threshold
    # (test_loss_threshold_separates_the_classes).
    for severity, group in result.groupby("severity"):
        cdrs = group.set_index("tranche")["breakeven_cdr"]
        assert cdrs.min() == cdrs["M-4"]
        assert abs(cdrs["A-1"] - cdrs["M-1"]) <= 1e-4 + 1e-12 and cdrs["M-1"] >= cdrs["M-4"]


def test_loss_threshold_separates_the_classes(table):
    deal, tape, curve, first_dollar = table
    material = breakeven_table(deal, tape, {"forward": curve}, severities=(0.45,), prepayments=("100 PPC",),
                               loss_threshold=1e-4)
    cdr = material.set_index("tranche")["breakeven_cdr"]
    assert cdr["A-1"] > cdr["M-1"] >= cdr["M-4"]
    fd = first_dollar[first_dollar.severity == 0.35].set_index("tranche")["breakeven_cdr"]
    assert (cdr >= first_dollar[first_dollar.severity == 0.60].set_index("tranche")["breakeven_cdr"]).all()
    # each value is the edge of its own definition, checked by running the deal at it and 0.01 CDR above
    for j, found, threshold, severity in ((0, fd["A-1"], LOSS_THRESHOLD, 0.35),
                                          (5, cdr["M-4"], 1e-4 * deal.tranches[5].balance, 0.45)):
        lost = [class_loss(deal, tape, curve, severity, c, j) for c in (found, found + 1e-4)]
        assert lost[0] <= threshold < lost[1]


def class_loss(deal, tape, curve, severity, cdr, j) -> float:
    """Principal class j loses at the end of a to-maturity run, 100% PPC, 12-month lag [USD]."""
    from stress.assumptions import Assumptions
    from stress.cashflows import run_cashflows

    a = Assumptions(prepayment="100 PPC", default=cdr, severity=severity, liquidation_lag=12)
    run = run_cashflows(deal, tape, curve, a, to="maturity")
    return float(run.bonds.principal_lost(run.last_period)[j])
