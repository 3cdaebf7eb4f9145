"""Breakeven analysis: the highest constant CDR each class survives without principal loss.

For each class and each cell of a grid (severity x prepayment speed x rate
case), a bracketing root search on the deterministic engine finds the largest
constant CDR at which the class takes no principal loss, to a tolerance of
0.01 CDR (one basis point of annual default rate), and reports the cumulative
collateral loss that CDR implies.

Conventions
-----------
- "Principal loss" is principal written down and never reimbursed plus
  principal never repaid: the class's Allocated Realized Loss Amount and
  balance outstanding at the end of the run add up to more than one cent.
  Unpaid interest and basis risk are not principal loss.
- Runs go to maturity by default (no clean-up call: the call would cut the
  tail losses off); pass ``to="call"`` to run to the call.
- Cumulative loss is realized losses over the run divided by the cut-off
  balance (the remittance report's "Cumulative Loss Percentage").
- The search is monotone bisection: loss is non-decreasing in CDR for these
  structures (more defaults never help a class); a class that loses even at
  0 CDR reports 0, and one that survives ``max_cdr`` reports ``max_cdr``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from itertools import product

import numpy as np
import pandas as pd

from stress import conventions
from stress.assumptions import Assumptions
from stress.cashflows import run_cashflows
from stress.errors import ScenarioError
from stress.rates.curves import CurveSet

#: A class has lost principal when its write-down exceeds this [USD] (one threshold for the package).
LOSS_THRESHOLD = conventions.NO_LOSS_USD


class _Evaluator:
    """Runs the deal at a CDR and caches the per-class principal losses."""

    def __init__(self, deal, tape, curve, base: Assumptions, to: str, n_periods: int | None):
        self.deal, self.tape, self.curve, self.base = deal, tape, curve, base
        self.to, self.n_periods = to, n_periods
        self.cache: dict[float, tuple[np.ndarray, float]] = {}

    def __call__(self, cdr: float) -> tuple[np.ndarray, float]:
        key = round(cdr, 6)
        if key not in self.cache:
            run = run_cashflows(self.deal, self.tape, self.curve, replace(self.base, default=cdr),
                                to=self.to, n_periods=self.n_periods)
            end = run.last_period
            loss = run.bonds.principal_lost(end)
            cum = float(run.pool.realized_loss[: end + 1].sum() / self.deal.collateral.cutoff_balance)
            self.cache[key] = (loss, cum)
        return self.cache[key]


def breakeven_cdr(evaluate, j: int, *, max_cdr: float = 1.0, tolerance: float = 1e-4,
                  threshold: float = LOSS_THRESHOLD) -> float:
    """Largest CDR in [0, max_cdr] at which class ``j`` loses no principal, to ``tolerance``.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(cdr) -> (per-class principal loss [USD], cumulative loss)``.
    j : int
        Class index.
    max_cdr : float
        Upper end of the bracket [annual, decimal].
    tolerance : float
        Width of the final bracket [annual, decimal]; 1e-4 is 0.01 CDR.
    threshold : float
        Principal loss [USD] above which the class counts as losing (one cent:
        first-dollar loss).
    """
    if evaluate(0.0)[0][j] > threshold:
        return 0.0
    if evaluate(max_cdr)[0][j] <= threshold:
        return max_cdr
    lo, hi = 0.0, max_cdr
    while hi - lo > tolerance:
        mid = 0.5 * (lo + hi)
        if evaluate(mid)[0][j] > threshold:
            hi = mid
        else:
            lo = mid
    return lo


def breakeven_table(deal, tape, curves: dict[str, CurveSet], *, severities=(0.35, 0.45, 0.55),
                    prepayments=("100 PPC",), base: Assumptions | None = None, to: str = "maturity",
                    n_periods: int | None = None, tolerance: float = 1e-4,
                    loss_threshold: float = 0.0) -> pd.DataFrame:
    """Breakeven CDR and cumulative loss per class over a grid of assumptions.

    Parameters
    ----------
    deal, tape
        As for :func:`stress.cashflows.run_cashflows`.
    curves : dict of str to CurveSet
        Rate cases by name (e.g. ``{"forward": ..., "forward+200": ...}``).
    severities : sequence of float
        Loss severities [decimal].
    prepayments : sequence
        Prepayment assumptions as :class:`~stress.assumptions.Assumptions`
        accepts them (``"100 PPC"``, ``0.25`` for 25% CPR...).
    base : Assumptions, optional
        Lag, advancing and servicing options (default: 12-month lag, advancing).
    to : {"maturity", "call"}
    tolerance : float
        CDR tolerance [annual, decimal]; the default 1e-4 is 0.01 CDR.
    loss_threshold : float
        Principal loss, as a fraction of the class's original balance, that
        still counts as "no loss". 0 (default) is first-dollar (one cent). A
        pro-rata structure without step-down triggers carries every class to
        the pool's last months, so tail undercollateralization of a few
        dollars can decide a first-dollar breakeven; a threshold such as
        1e-4 (0.01%) shows where material losses start.

    Returns
    -------
    pandas.DataFrame
        One row per class and grid cell: ``tranche``, ``rate_case``,
        ``prepayment``, ``severity``, ``breakeven_cdr`` [decimal],
        ``cumulative_loss`` [fraction of cut-off balance] at that CDR.
    """
    base = base or Assumptions(liquidation_lag=12)
    rows = []
    for (case, curve), prepayment, severity in product(curves.items(), prepayments, severities):
        assumptions = replace(base, prepayment=prepayment, severity=severity)
        evaluate = _Evaluator(deal, tape, curve, assumptions, to, n_periods)
        for j, name in enumerate(deal.tranche_names):
            threshold = max(LOSS_THRESHOLD, loss_threshold * deal.tranches[j].balance)
            cdr = breakeven_cdr(evaluate, j, tolerance=tolerance, threshold=threshold)
            rows.append({"tranche": name, "rate_case": case, "prepayment": str(prepayment),
                         "severity": severity, "breakeven_cdr": cdr, "cumulative_loss": evaluate(cdr)[1]})
    return pd.DataFrame(rows)


RATING_SCENARIOS = ("rating_aaa", "rating_aa", "rating_a", "rating_bbb", "rating_bb")


def implied_ratings(deal, tape, *, scenarios=RATING_SCENARIOS) -> pd.DataFrame:
    """Each class's implied rating: the highest rating-level stress it passes with no principal loss.

    Parameters
    ----------
    deal, tape
        As for :func:`stress.cashflows.run_cashflows`.
    scenarios : sequence of str
        Rating-stress scenario names or files, strongest first.

    Returns
    -------
    pandas.DataFrame
        Index: class. Columns: one per scenario with the class's principal
        loss [fraction of original balance] under it, and ``implied_rating``
        (the rating label of the strongest stress passed, or ``"below <last>"``).
    """
    from stress.collateral_model import VectorModel
    from stress.scenario import load_scenario

    losses = {}
    labels = []
    for name in scenarios:
        scenario = load_scenario(name)
        curve = scenario.rates.load_curve(max(420, int(tape["remaining_term"].max()) + 130))
        model = scenario.collateral_model(deal=deal, tape=tape, curve=curve)
        if not isinstance(model, VectorModel):  # the deterministic run projects vectors only
            raise ScenarioError(f"scenario file {Path(scenario.path).name}: behaviour.mode = "
                                f"{scenario.behaviour.mode!r}: a rating stress must be 'vectors'")
        run = run_cashflows(deal, tape, curve, model.assumptions, to=scenario.scenario.to)
        end = run.last_period
        original = np.array([t.balance for t in deal.tranches])
        lost = run.bonds.principal_lost(end) / original
        label = scenario.name.removeprefix("rating_").upper()
        labels.append(label)
        losses[label] = np.where(lost * original > LOSS_THRESHOLD, lost, 0.0)
    table = pd.DataFrame(losses, index=deal.tranche_names)
    passed = table <= 0.0

    def best(row) -> str:
        for label in labels:
            if row[label]:
                return label
        return f"below {labels[-1]}"

    table["implied_rating"] = passed.apply(best, axis=1)
    return table
