"""Where the report's numbers come from: every engine call the report makes, in one module.

Each function runs the deterministic engine (or reads Monte Carlo results)
and returns plain data for :mod:`stress.report.tables` to format. Swapping a
data source (a published rating-stress method, a realized rate history) is a
change here and nowhere else:

- :func:`rating_stress_table` -- each class's loss under each rating-level
  stress, pass/fail and implied rating, by the agency-style loan-level method
  (:func:`stress.ratings.rating_stress_table`), to maturity, no call credit;
- :func:`breakevens` -- first-dollar and loss-threshold breakeven CDRs
  (:func:`stress.breakeven.breakeven_table`);
- :func:`decrement_runs`, :func:`rate_case_runs` -- the deterministic runs of
  the decrement, cash-flow, AFR and excess-spread sections
  (:func:`stress.cashflows.run_cashflows`);
- :func:`realized_placement` -- where the realized 2004-2014 path sits in
  a Monte Carlo run's distribution (:func:`stress.metrics.place_in_distribution`);
- :func:`backtest_tables` -- the pool on the realized path by calendar year
  beside published 2004-vintage Alt-A figures (:func:`stress.backtest.backtest`,
  :func:`stress.backtest.compare`);
- :func:`scenario_comparison` -- the comparison across Monte Carlo runs
  (:func:`stress.batch.compare_datasets`, the same figures ``stress batch``
  writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["DECREMENT_SPEEDS", "AFR_SHOCK_BP", "AFR_MAX_LEVEL", "AFR_MAX_FROM_MONTH", "MATERIAL_LOSS",
           "BreakevenGrid", "decrement_runs", "rate_case_runs", "breakevens", "rating_stress_table",
           "scenario_comparison", "HISTORY_SCENARIO", "realized_placement", "backtest_tables"]

#: Speeds of the decrement tables [percent of the pricing speed].
DECREMENT_SPEEDS = (0.0, 80.0, 100.0, 150.0, 180.0)
#: Shock of the second AFR / excess-spread rate case [basis points].
AFR_SHOCK_BP = 200.0
#: Level of every index in the maximum-rate AFR case [decimal], and its first month.
AFR_MAX_LEVEL, AFR_MAX_FROM_MONTH = 0.20, 1
#: Loss threshold of the second breakeven [fraction of the class's original balance]: the CDR at which
#: a class loses 1% of its balance, as ``stress breakeven --loss-threshold 1`` computes it.
MATERIAL_LOSS = 0.01
#: The realized-path scenario the report runs beside every Monte Carlo run (one path, no randomness).
HISTORY_SCENARIO = "history_2004"


@dataclass(frozen=True)
class BreakevenGrid:
    """Grid of the breakeven matrix.

    Parameters
    ----------
    severities : tuple of float
        Loss severities [decimal].
    prepayments : tuple
        Speeds as :class:`~stress.assumptions.Assumptions` accepts them ("100 PPC").
    shocks_bp : tuple of float
        Rate cases: parallel shocks to the forward curve [bp]; 0 is the forward curve.
    liquidation_lag : int
        Months from default to liquidation.
    to : {"maturity", "call"}
    tolerance : float
        CDR tolerance of the search [annual, decimal].
    """

    severities: tuple[float, ...] = (0.35, 0.45, 0.55)
    prepayments: tuple = ("75 PPC", "100 PPC")
    shocks_bp: tuple[float, ...] = (0.0,)
    liquidation_lag: int = 12
    to: str = "maturity"
    tolerance: float = 1e-4

    def curves(self, curve) -> dict:
        """Rate case label -> curve."""
        return {("forward" if s == 0 else f"forward {s:+g}bp"): (curve if s == 0 else curve.shifted(s).floored(0.0))
                for s in self.shocks_bp}


def decrement_runs(deal, tape, curve) -> dict[str, list[tuple[str, object]]]:
    """No-default runs at each of :data:`DECREMENT_SPEEDS`, to call and to maturity: ``{to: [(label, run)]}``."""
    from stress.assumptions import Assumptions
    from stress.cashflows import run_cashflows

    return {to: [(f"{p:g}% PPC", run_cashflows(deal, tape, curve, Assumptions(prepayment=f"{p:g} PPC"), to=to))
                 for p in DECREMENT_SPEEDS] for to in ("call", "maturity")}


def rate_case_runs(deal, tape, curve) -> tuple[object, dict[str, object]]:
    """Pricing-speed, no-default, to-call runs on the AFR rate cases: ``(assumptions, {label: run})``."""
    from stress.assumptions import Assumptions
    from stress.cashflows import run_cashflows

    pricing = Assumptions(prepayment="100 PPC")
    cases = {
        "forward": curve,
        f"forward {AFR_SHOCK_BP:+g}bp": curve.shifted(AFR_SHOCK_BP).floored(0.0),
        f"all indices {AFR_MAX_LEVEL:.0%}": curve.set_all(AFR_MAX_LEVEL, from_month=AFR_MAX_FROM_MONTH),
    }
    return pricing, {label: run_cashflows(deal, tape, c, pricing, to="call") for label, c in cases.items()}


def breakevens(deal, tape, curve, grid: BreakevenGrid, *, loss_threshold: float = 0.0) -> pd.DataFrame:
    """:func:`stress.breakeven.breakeven_table` over ``grid``; ``loss_threshold`` [fraction of class balance]."""
    from stress.assumptions import Assumptions
    from stress.breakeven import breakeven_table

    return breakeven_table(deal, tape, grid.curves(curve), severities=grid.severities,
                           prepayments=grid.prepayments, base=Assumptions(liquidation_lag=grid.liquidation_lag),
                           to=grid.to, tolerance=grid.tolerance, loss_threshold=loss_threshold)


def _level(rating: str) -> str:
    """``"AA-"`` -> ``"AA"``, ``"A+"`` -> ``"A"``: the rating level an S&P notch belongs to."""
    return "".join(ch for ch in rating if ch.isalpha()).upper()


def rating_stress_table(deal, tape, criteria=None) -> pd.DataFrame:
    """Each class's principal loss under each rating-level stress, pass/fail, and its implied rating.

    Source: :func:`stress.ratings.rating_stress_table`, the agency-style
    loan-level method (foreclosure frequency x loss severity per loan from the
    criteria file ``scenarios/ratings/agency_levels.toml``), run to maturity
    with no credit for the clean-up call (``call = "never"``).

    Parameters
    ----------
    deal, tape
        The deal and the loan tape of the report.
    criteria : stress.ratings.RatingCriteria, optional
        Default: the built-in criteria (:func:`stress.ratings.load_criteria`).

    Returns
    -------
    pandas.DataFrame
        Index: class. Columns: one per rating level of the criteria (strongest
        first) with the class's principal loss [fraction of original balance]
        (a class *passes* a level when it loses nothing), ``implied_rating``
        (strongest level of an unbroken run of passes, or ``"below BB"``),
        ``expected_moodys`` / ``expected_sp`` (the term sheet's ratings from
        the deal file) and ``meets_expected`` (the implied level is at least
        the S&P level expected, notches ignored). ``attrs``: ``to`` (the
        horizon, ``["maturity"]`` = no call credit), ``levels``, ``pool`` (per
        level the pool's cumulative default, severity and loss [fractions of
        the cut-off balance] and the realized collateral loss at each speed),
        ``criteria_source`` / ``criteria_file`` (the criteria's ``source`` line
        and file) and ``prepayment`` (the speeds each level ran at).
    """
    from stress.ratings import load_criteria
    from stress.ratings import rating_stress_table as method_table

    criteria = criteria or load_criteria()
    raw = method_table(deal, tape, criteria)
    levels = list(criteria.ratings)
    table = pd.DataFrame({level: raw[f"loss_{level}"].astype(float) for level in levels}, index=raw.index)
    table["implied_rating"] = raw["implied_rating"]
    table["expected_moodys"] = raw["rating_moodys"]
    table["expected_sp"] = raw["rating_sp"]
    rank = {level: k for k, level in enumerate(levels)}

    def meets(row) -> bool | None:
        expected = rank.get(_level(row["expected_sp"] or ""))
        if expected is None:
            return None
        return rank.get(row["implied_rating"], len(levels)) <= expected

    table["meets_expected"] = table.apply(meets, axis=1)
    table.attrs.update(to=[raw.attrs["to"]], levels=levels, pool=raw.attrs["pool"],
                       criteria_source=criteria.source, criteria_file=Path(criteria.path).name or criteria.path,
                       prepayment=[str(p) for p in criteria.timing.prepayment],
                       liquidation_lag=criteria.timing.liquidation_lag)
    return table


def scenario_comparison(runs, base: str | None = None) -> dict | None:
    """:func:`stress.batch.compare_datasets` of the runs (``base``: the first Monte Carlo run), or None."""
    from stress.batch import compare_datasets

    if len(runs) < 2:
        return None
    if base is None:
        base = next((r.name for r in runs if not r.deterministic), runs[0].name)
    return compare_datasets({r.name: r.ds for r in runs}, base=base)


def identical_groups(series: dict[str, np.ndarray], *, atol: float = 0.0) -> list[list[str]]:
    """Names whose arrays are equal (within ``atol``), grouped in the given order."""
    groups: list[list[str]] = []
    for name, values in series.items():
        for g in groups:
            if np.allclose(series[g[0]], values, rtol=0.0, atol=atol, equal_nan=True):
                g.append(name)
                break
        else:
            groups.append([name])
    return groups


def realized_placement(mc_run, history_run):
    """:func:`stress.metrics.place_in_distribution` of the one-path ``history_run`` in ``mc_run``'s paths.

    Percentiles [fraction 0-1] of the realized path's collateral loss, each
    class's loss and its minimum AFR margin among the Monte Carlo paths
    (importance weights used when present), with standard errors.
    """
    from stress.metrics import place_in_distribution

    return place_in_distribution(mc_run.ds, history_run.ds)


def backtest_tables(tape, scenario: str = HISTORY_SCENARIO) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The pool on the realized path: ``(by calendar year, comparison with published figures, published file)``.

    By year (:meth:`stress.backtest.BacktestResult.by_year`): cumulative
    default and loss [fraction of the cut-off balance], CPR [annual], severity,
    pool factor, over the scenario's history window (rates and home prices as
    they happened; later years continue flat and are left out). Comparison:
    :func:`stress.backtest.compare` against
    ``stress/data/alt_a_2004_vintage_published.csv``.
    """
    from stress.backtest import PUBLISHED_FILE, backtest, compare
    from stress.scenario import load_scenario

    sc = load_scenario(scenario)
    result = backtest(sc, tape=tape)
    by_year = result.by_year()
    last = getattr(sc.rates, "history_to", None)
    if last:
        by_year = by_year[by_year.index <= int(str(last)[:4])]
    return by_year, compare(result), PUBLISHED_FILE
