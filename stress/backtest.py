"""Back-test: the pool on one deterministic path beside published figures for 2004-vintage Alt-A.

The realized 2004-2014 path is the scenario ``history_2004`` (rates and home
prices as they happened); any scenario file or explicit arrays work the same
way. :func:`backtest` runs the collateral of the scenario's first path through
the behaviour models exactly as a Monte Carlo run does
(:func:`stress.engine.build_context` and the engine's collateral step) and
returns the pool's figures by calendar year; :func:`compare` sets them beside
the published figures shipped in
``stress/data/alt_a_2004_vintage_published.csv`` (each with its source and the
sentence or table it comes from).

Conventions (those of the remittance report, :mod:`stress.conventions`):

- period ``t`` (0-based) is the collection month ``cut-off + t`` (January 2004
  for the reference deal), so calendar year ``y`` is periods
  ``12 (y - 2004) .. 12 (y - 2004) + 11``;
- cumulative default / loss through a year: defaulted balance / realized
  losses up to its last month, over the cut-off balance;
- annual CPR of a year: ``1 - prod(1 - SMM)^(12 / n)`` over its ``n`` months
  (the year's survival to prepayment), SMM = prepayment / prepayable balance;
- severity of a window: realized loss / liquidated balance of its months;
- serious delinquency (90+, foreclosure, REO) at a seasoning: the defaulted
  balance still in the liquidation pipeline over the pool balance, at the
  month the pool's balance-weighted loan age reaches that seasoning (a
  defaulted loan is 90+ days late within three months and stays in the
  pipeline until liquidation).

>>> from stress.backtest import load_published
>>> sorted(load_published()["metric"].unique())[:2]
['cpr', 'cumulative_loss']
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from stress import conventions
from stress.errors import ScenarioError

__all__ = ["METRICS", "REALIZED_PATH_SCENARIO", "BacktestResult", "load_published", "pool_by_year",
           "backtest", "backtest_paths", "compare"]

#: The realized-path scenario (rates and home prices as they happened from January 2004).
REALIZED_PATH_SCENARIO = "history_2004"
#: Published metrics the comparison knows how to compute from the pool.
METRICS = ("serious_delinquency_at_seasoning", "cumulative_default", "cumulative_loss", "cumulative_loss_lifetime",
           "severity", "cpr")
PUBLISHED_FILE = "alt_a_2004_vintage_published.csv"
#: The per-period pool flows a back-test keeps (names of stress.kernels.collateral_paths.OUTPUT_NAMES).
_FLOWS = ("prepayment", "prepayable_balance", "default_balance", "realized_loss", "liquidated_balance",
          "pool_balance_begin", "pool_balance_end", "performing_balance_begin")


@dataclass(frozen=True)
class BacktestResult:
    """The pool on one path: per-period flows (1-D arrays [USD]) and the calendar of period 0."""

    flows: dict
    start: pd.Period
    cutoff_balance: float
    wa_age: float
    name: str

    @property
    def n_periods(self) -> int:
        return len(self.flows["prepayment"])

    def period_of(self, month: str | pd.Period) -> int:
        """0-based period index of a ``YYYY-MM`` collection month."""
        return (pd.Period(month, freq="M") - self.start).n

    def by_year(self) -> pd.DataFrame:
        """Cumulative default and loss, annual CPR and severity per calendar year (see module docstring)."""
        return pool_by_year(self.flows, start=self.start, cutoff_balance=self.cutoff_balance)


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """The published figures table (``stress/data/alt_a_2004_vintage_published.csv`` by default).

    Raises
    ------
    ScenarioError
        Missing file, a missing column, an unknown metric or a low above its high, naming the file and row.
    """
    path = Path(path) if path is not None else Path(str(resources.files("stress").joinpath("data", PUBLISHED_FILE)))
    if not path.exists():
        raise ScenarioError(f"published figures file {path}: not found")
    table = pd.read_csv(path, comment="#", dtype={"start": str, "end": str})
    required = ["metric", "start", "end", "seasoning_months", "low", "high", "source", "where", "note"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ScenarioError(f"published figures file {path.name}: missing column {missing[0]!r}")
    for i, row in table.iterrows():
        if row["metric"] not in METRICS:
            raise ScenarioError(f"published figures file {path.name}: row {i + 1}: metric {row['metric']!r}: "
                                f"must be one of {', '.join(METRICS)}")
        if not 0.0 <= row["low"] <= row["high"] <= 1.0:
            raise ScenarioError(f"published figures file {path.name}: row {i + 1}: low = {row['low']}, "
                                f"high = {row['high']}: must satisfy 0 <= low <= high <= 1")
    return table


def _year_slices(n: int, start: pd.Period):
    first = start.year
    for year in range(first, first + (n + start.month - 2) // 12 + 1):
        a = max(0, (pd.Period(f"{year}-01", freq="M") - start).n)
        b = min(n, (pd.Period(f"{year}-12", freq="M") - start).n + 1)
        if a < b:
            yield year, slice(a, b)


def pool_by_year(flows: dict, *, start: pd.Period, cutoff_balance: float) -> pd.DataFrame:
    """Per calendar year: ``cumulative_default``, ``cumulative_loss`` [fraction of the cut-off balance],
    ``cpr`` [annual, decimal], ``severity`` [decimal; NaN with no liquidation] and ``pool_factor``.

    ``flows`` holds 1-D per-period arrays named as :data:`stress.kernels.collateral_paths.OUTPUT_NAMES`.
    """
    f = {k: np.asarray(v, dtype=np.float64) for k, v in flows.items()}
    n = len(f["prepayment"])
    with np.errstate(invalid="ignore", divide="ignore"):
        smm = np.where(f["prepayable_balance"] > 0, f["prepayment"] / f["prepayable_balance"], 0.0)
    cum_default = np.cumsum(f["default_balance"]) / cutoff_balance
    cum_loss = np.cumsum(f["realized_loss"]) / cutoff_balance
    rows = []
    for year, s in _year_slices(n, start):
        liquidated = f["liquidated_balance"][s].sum()
        rows.append({
            "year": year,
            "cumulative_default": cum_default[s.stop - 1],
            "cumulative_loss": cum_loss[s.stop - 1],
            "cpr": float(conventions.average_cpr(smm[s])),
            "severity": f["realized_loss"][s].sum() / liquidated if liquidated > 0 else np.nan,
            "pool_factor": f["pool_balance_end"][s.stop - 1] / cutoff_balance,
        })
    return pd.DataFrame(rows).set_index("year")


def backtest_paths(tape: pd.DataFrame, index_rates, hpi, params, *, start: str = "2004-01",
                   n_periods: int | None = None, deal=None, name: str = "explicit path") -> BacktestResult:
    """The pool on one explicit path (rates and home prices given as arrays).

    Parameters
    ----------
    tape : pandas.DataFrame
    index_rates : array_like, shape (4, >= n_periods)
        Index paths [annual, decimal] in :data:`stress.rates.curves.INDEX_NAMES` order, month 0 = cut-off
        (the deal's reset look-back is applied here, as in a run).
    hpi : array_like, shape (2, >= n_periods)
        National and California home-price indices, 1 at cut-off.
    params : stress.behaviour.params.BehaviourParams
    start : str
        The collection month of period 0 (``YYYY-MM``).
    n_periods : int, optional
        Default: the longest remaining term plus the liquidation lag.
    deal : stress.deal.Deal, optional
        For the fee rates and the reset look-back; default the reference deal.
    """
    from stress.behaviour.prep import prepare_loans
    from stress.collateral_model import BehaviourModel
    from stress.deal import load_deal
    from stress.mechanics import horizon, lookback_shifted
    from stress.pool_paths import project_pool_paths

    deal = deal or load_deal()
    n = n_periods or horizon(tape, params.servicing.liquidation_lag)
    rates = lookback_shifted(np.asarray(index_rates, dtype=np.float64)[None], deal.collateral.reset_lookback_months)
    loans = prepare_loans(tape, params, master_servicing_fee_rate=deal.collateral.master_servicing_fee_rate,
                          trustee_fee_rate=deal.collateral.trustee_fee_rate)
    cf = project_pool_paths(loans, rates, np.asarray(hpi, dtype=np.float64)[None], BehaviourModel(params), n_periods=n)
    flows = {field: getattr(cf, field)[0] for field in _FLOWS}
    return BacktestResult(flows=flows, start=pd.Period(start, freq="M"),
                          cutoff_balance=float(tape["balance"].sum()), wa_age=_wa_age(tape), name=name)


def _wa_age(tape: pd.DataFrame) -> float:
    return float(np.average(tape["age"].to_numpy(dtype=np.float64), weights=tape["balance"].to_numpy()))


def backtest(scenario=REALIZED_PATH_SCENARIO, *, tape: pd.DataFrame | None = None, behaviour=None,
             path_id: int = 0) -> BacktestResult:
    """The pool on one path of a scenario (default: the realized path ``history_2004``).

    Parameters
    ----------
    scenario : str, Path or stress.scenario.Scenario
        A built-in scenario name, a scenario file or a loaded scenario. Its
        ``behaviour.mode`` must be ``"models"`` or ``"scaled"`` (a back-test of
        fixed vectors would only echo them).
    tape : pandas.DataFrame, optional
        Default: the scenario's tape (the reference tape).
    behaviour : stress.behaviour.params.BehaviourParams, optional
        Replaces the scenario's behaviour file (to back-test other coefficients).
    path_id : int
        Which path of the scenario (0: a deterministic scenario's only path).

    Raises
    ------
    ScenarioError
        An unknown scenario (the message names it) or a ``vectors`` scenario.
    """
    from stress.collateral_model import BehaviourModel
    from stress.engine import build_context, project_collateral
    from stress.rates.generator import generate_paths
    from stress.scenario import Scenario, load_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    ctx = build_context(sc, tape=tape, behaviour=behaviour, to="maturity")
    if not isinstance(ctx.model, BehaviourModel):
        raise ScenarioError(f"scenario {sc.name}: behaviour.mode = 'vectors': a back-test needs the behaviour "
                            "models ('models' or 'scaled')")
    paths = generate_paths(sc.drivers, path_ids=np.array([path_id], dtype=np.int64), seed=ctx.seed,
                           n_months=ctx.n_periods + 1, curve=ctx.curve)
    hpi = np.stack([paths.hpi_national, paths.hpi_california], axis=1)
    pool = project_collateral(ctx, paths.index_rates, hpi)
    flows = {field: pool[field][0] for field in _FLOWS}
    return BacktestResult(flows=flows, start=pd.Period(ctx.deal.dates.cutoff, freq="M"),
                          cutoff_balance=float(ctx.tape["balance"].sum()), wa_age=_wa_age(ctx.tape), name=sc.name)


def _model_value(result: BacktestResult, row) -> float:
    f = result.flows
    cut = result.cutoff_balance
    metric = row["metric"]
    if metric == "serious_delinquency_at_seasoning":
        t = int(np.clip(round(float(row["seasoning_months"]) - result.wa_age) - 1, 0, result.n_periods - 1))
        pipeline = f["pool_balance_end"][t] - (f["performing_balance_begin"][t + 1] if t + 1 < result.n_periods
                                               else 0.0)
        return float(pipeline / f["pool_balance_end"][t]) if f["pool_balance_end"][t] > 0 else np.nan
    if metric == "cumulative_loss_lifetime":
        return float(f["realized_loss"].sum() / cut)
    a = max(0, result.period_of(row["start"]))
    b = min(result.n_periods, result.period_of(row["end"]) + 1)
    if b <= a:
        return np.nan
    if metric == "cumulative_default":
        return float(f["default_balance"][:b].sum() / cut)
    if metric == "cumulative_loss":
        return float(f["realized_loss"][:b].sum() / cut)
    if metric == "severity":
        liquidated = f["liquidated_balance"][a:b].sum()
        return float(f["realized_loss"][a:b].sum() / liquidated) if liquidated > 0 else np.nan
    if metric == "cpr":
        with np.errstate(invalid="ignore", divide="ignore"):
            smm = np.where(f["prepayable_balance"][a:b] > 0, f["prepayment"][a:b] / f["prepayable_balance"][a:b], 0.0)
        return float(conventions.average_cpr(smm))
    raise ScenarioError(f"published figures: metric {metric!r}: must be one of {', '.join(METRICS)}")


def compare(result: BacktestResult, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each published figure beside the model's on the same basis.

    Returns
    -------
    pandas.DataFrame
        The published rows with ``model`` (the pool's figure [decimal]) and
        ``inside`` (``low <= model <= high``), in the published table's order.
    """
    published = load_published() if published is None else published
    out = published.copy()
    out["model"] = [_model_value(result, row) for _, row in published.iterrows()]
    out["inside"] = (out["model"] >= out["low"]) & (out["model"] <= out["high"])
    return out
