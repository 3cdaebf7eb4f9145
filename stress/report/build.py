"""The rating-agency-style stress report: collect every section, write it as PDF or HTML.

:func:`build_report` does two things:

1. :func:`collect_report` computes the deterministic sections itself and
   reads the Monte Carlo sections from finished runs (``stress run --out
   DIR``): deal and collateral summary; assumptions; decrement table (WAL
   and principal window at 0/80/100/150/180 PPC, to call and to maturity);
   Available Funds Rate schedule at the forward curve, forward + 200bp and
   all indices at 20% from month 1 (the dealer's "+1000bp"/maximum case),
   each without and with derivative income; excess spread; breakeven CDR
   matrix; per run, results per class, Monte Carlo loss statistics with
   standard errors, OC-breach probabilities and the charts.
2. :func:`write_pdf` / :func:`write_html` lay the same pages out: a PDF of
   one topic per page (:class:`matplotlib.backends.backend_pdf.PdfPages`,
   tables drawn as matplotlib tables), or one self-contained HTML file
   (``<table>`` elements, charts embedded as base64 PNG).

Conventions
-----------
- Every number comes from a run: the deterministic runs of
  :func:`stress.cashflows.run_cashflows` made here, or a run directory's
  ``summary.json`` / ``results.zarr``.
- AFR "without cap income" is the Available Funds Rate as the waterfall
  computes it (net mortgage rate after Net Derivative Fees x pool balance /
  bond balance x 30 / accrual days). "With cap income" adds the derivative
  receipts of the period as an annual rate on the bonds: receipts x 360 /
  accrual days / bond balance before the payment. The deal's derivatives are
  whatever its deal file lists (for the reference deal, pay-fixed swaps: the
  trust receives floating only when 1M LIBOR exceeds the fixed rate net).
- Excess spread = Excess Cash Flow x 12 / pool balance at the start of the
  period (annualized), Excess Cash Flow as the waterfall defines it.
- The AFR and excess-spread runs use the pricing speed (100 PPC), no
  defaults, to call; the decrement runs no defaults on the forward curve.
- Each page footer names the deal, the run(s) it shows (scenario, paths,
  seed, run date), the package version and when the report was built.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
import textwrap
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

import stress
from stress.errors import ScenarioError
from stress.report import figures as F
from stress.report import tables as T

log = logging.getLogger(__name__)

__all__ = ["BreakevenGrid", "Report", "Page", "Block", "RunData", "build_report", "collect_report",
           "write_pdf", "write_html", "load_run", "DECREMENT_SPEEDS"]

#: Speeds of the decrement table [percent of the pricing speed].
DECREMENT_SPEEDS = (0.0, 80.0, 100.0, 150.0, 180.0)
#: Shock of the second AFR / excess-spread rate case [basis points].
AFR_SHOCK_BP = 200.0
#: Level of every index in the maximum-rate AFR case [decimal], and its first month.
AFR_MAX_LEVEL, AFR_MAX_FROM_MONTH = 0.20, 1


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


@dataclass
class Block:
    """One table, chart or paragraph of a page."""

    kind: str  # "table" | "figure" | "text"
    table: pd.DataFrame | None = None
    make: Callable | None = None  # () -> Figure, called by each writer
    text: str = ""
    caption: str = ""


@dataclass
class Page:
    """One topic: a title, notes, blocks, and the footer that names its runs."""

    section: str
    title: str
    blocks: list[Block]
    footer: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    title: str
    pages: list[Page]
    built: str


@dataclass
class RunData:
    """A finished Monte Carlo run: its directory, attributes, summary and (lazy) results."""

    name: str
    path: Path
    attrs: dict
    summary: dict
    ds: object
    scenario: object = None
    run_date: str = ""

    def footer(self) -> str:
        a = self.attrs
        return (f"scenario {self.name}: {int(a.get('n_paths', self.summary.get('paths', 0))):,} paths, "
                f"seed {a.get('seed')}, to {a.get('to')}, run {self.run_date}")


def load_run(run_dir: str | Path) -> RunData:
    """Read a finished run directory (``summary.json`` + ``results.zarr``)."""
    from stress.engine import open_results
    from stress.scenario import parse_scenario

    run_dir = Path(run_dir)
    path = run_dir / "summary.json"
    if not path.exists():
        raise ScenarioError(f"run directory {run_dir}: no summary.json (is it a finished `stress run --out`?)")
    result = json.loads(path.read_text())
    ds = open_results(run_dir)
    attrs = {**result.get("attrs", {}), **ds.attrs}  # summary.json also has the wall time
    scenario = None
    if attrs.get("scenario_json"):
        try:
            data = json.loads(attrs["scenario_json"])
            data.pop("path", None)
            scenario = parse_scenario(data, source=attrs.get("scenario_file", ""))
        except (ScenarioError, ValueError, TypeError):  # an older or foreign scenario: show the attrs only
            scenario = None
    when = attrs.get("run_date") or attrs.get("created")
    if not when:  # summary.json is written when the run finishes
        when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return RunData(name=str(attrs.get("scenario", run_dir.name)), path=run_dir, attrs=attrs,
                   summary=result["summary"], ds=ds, scenario=scenario, run_date=str(when))


# -- collecting ---------------------------------------------------------------
def _deterministic(deal, tape, curve, grid: BreakevenGrid):
    """Every deterministic run the report needs: {name: ...}."""
    from stress.assumptions import Assumptions
    from stress.breakeven import breakeven_table
    from stress.cashflows import run_cashflows

    decrement = {}
    for to in ("call", "maturity"):
        runs = []
        for p in DECREMENT_SPEEDS:
            a = Assumptions(prepayment=f"{p:g} PPC")
            runs.append((f"{p:g}% PPC", run_cashflows(deal, tape, curve, a, to=to)))
        decrement[to] = runs
    pricing = Assumptions(prepayment="100 PPC")
    cases = {
        "forward": curve,
        f"forward {AFR_SHOCK_BP:+g}bp": curve.shifted(AFR_SHOCK_BP).floored(0.0),
        f"all indices {AFR_MAX_LEVEL:.0%}": curve.set_all(AFR_MAX_LEVEL, from_month=AFR_MAX_FROM_MONTH),
    }
    afr_runs = {label: run_cashflows(deal, tape, c, pricing, to="call") for label, c in cases.items()}
    curves = {("forward" if s == 0 else f"forward {s:+g}bp"): (curve if s == 0 else curve.shifted(s).floored(0.0))
              for s in grid.shocks_bp}
    base = Assumptions(liquidation_lag=grid.liquidation_lag)
    breakeven = breakeven_table(deal, tape, curves, severities=grid.severities, prepayments=grid.prepayments,
                                base=base, to=grid.to, tolerance=grid.tolerance)
    return decrement, pricing, afr_runs, breakeven


def _paginate(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    return [frame.iloc[i:i + rows] for i in range(0, len(frame), rows)] or [frame]


def collect_report(run_dirs: Sequence[str | Path] = (), *, deal=None, tape=None, scenarios: list | None = None,
                   scenario_paths: int | None = None, runs_dir: str | Path | None = None,
                   breakeven_grid: BreakevenGrid | None = None) -> Report:
    """Compute and gather every page of the report (see the module docstring)."""
    from stress.collateral import load_tape
    from stress.deal import load_deal
    from stress.engine import tape_hash
    from stress.rates.curves import forward_curve

    grid = breakeven_grid or BreakevenGrid()
    runs = [load_run(d) for d in run_dirs]
    runs += _run_scenarios(scenarios or [], n_paths=scenario_paths, runs_dir=runs_dir, tape=tape)
    if deal is None:
        deal = load_deal(runs[0].attrs.get("deal_file") if runs else None)
    if tape is None:
        tape = load_tape(None)
    curve = forward_curve()
    built = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    name = deal.deal.name
    base_footer = (f"{name} | deterministic runs: {curve.name}, tape sha256 {tape_hash(tape)[:12]}"
                   + (" | " + "; ".join(r.footer() for r in runs) if runs else "")
                   + f" | stress {stress.__version__} | built {built}")
    decrement, pricing, afr_runs, breakeven = _deterministic(deal, tape, curve, grid)
    pages: list[Page] = []

    # contents and runs
    contents = pd.DataFrame({"Section": [
        "Deal summary", "Collateral summary", "Assumptions", "Decrement tables", "Available funds rate",
        "Excess spread", "Breakeven matrix"] + [f"Scenario {r.name}" for r in runs]
        + (["Scenario comparison"] if len(runs) > 1 else [])})
    run_rows = [{"Scenario": r.name, "Run directory": str(r.path), "Run date": r.run_date,
                 "Paths": f"{int(r.summary['paths']):,}", "Seed": str(r.attrs.get("seed")),
                 "To": str(r.attrs.get("to")), "Behaviour": str(r.attrs.get("behaviour_mode")),
                 "Rates": str(r.attrs.get("rate_model")),
                 "Run time (s)": f"{r.attrs['wall_seconds']:.1f}" if r.attrs.get("wall_seconds") else T.DASH}
                for r in runs]
    cover = [Block("text", text=(f"Stress report for {name}: deterministic cash-flow sections computed from the "
                                 f"deal file ({Path(deal.source).name}) and the loan tape on the {curve.name} "
                                 f"forward curve, and Monte Carlo results of {len(runs)} run(s).")),
             Block("table", table=contents, caption="Contents")]
    if run_rows:
        cover.append(Block("table", table=pd.DataFrame(run_rows), caption="Monte Carlo runs in this report"))
    pages.append(Page("Contents", f"{name}: stress report", cover, base_footer))

    pages.append(Page("Deal summary", "Deal summary: classes", [Block("table", table=T.deal_terms(deal))],
                      base_footer, notes=["Balances at closing from the deal file; subordination as printed."]))
    pages.append(Page("Deal summary", "Deal summary: terms", [Block("table", table=T.deal_facts(deal))],
                      base_footer))
    pages.append(Page("Collateral summary", "Collateral summary",
                      [Block("table", table=T.collateral_summary(tape, deal))], base_footer,
                      notes=["Computed from the loan tape used for every deterministic run; balance-weighted."]))
    pages.append(Page("Collateral summary", "Collateral by product type",
                      [Block("table", table=T.collateral_by_product(tape))], base_footer,
                      notes=["The term sheet's product stratification recomputed from the tape."]))

    speeds = ", ".join(f"{p:g}" for p in DECREMENT_SPEEDS) + "% PPC"
    det_rows = [
        ("Decrement tables", "forward", speeds, decrement["call"][0][1].assumptions, "call"),
        ("Decrement tables", "forward", speeds, decrement["maturity"][0][1].assumptions, "maturity"),
        ("AFR, excess spread", "; ".join(afr_runs), "100% PPC", pricing, "call"),
    ]
    from stress.assumptions import Assumptions

    for speed in grid.prepayments:
        det_rows.append(("Breakeven matrix", ", ".join("forward" if s == 0 else f"forward {s:+g}bp"
                                                      for s in grid.shocks_bp), str(speed),
                         Assumptions(prepayment=speed, liquidation_lag=grid.liquidation_lag), grid.to))
    det = T.deterministic_assumptions(det_rows)
    det.loc[det["Section"] == "Breakeven matrix", ["Default (CDR)", "Severity"]] = [
        "solved for", ", ".join(f"{s:.0%}" for s in grid.severities)]
    pages.append(Page("Assumptions", "Assumptions: deterministic runs", [Block("table", table=det)], base_footer,
                      notes=[f"forward = the {curve.name} forward curve. "
                             f"100% PPC = {deal.collateral.pricing_speed_cpr:.0%} CPR. The +{AFR_SHOCK_BP:g}bp case "
                             "shifts every index (1M/6M/12M LIBOR, 1Y CMT) from month 0, floored at 0; the "
                             f"maximum case sets every index to {AFR_MAX_LEVEL:.0%} from month "
                             f"{AFR_MAX_FROM_MONTH} (the dealer's +1000bp / maximum AFR case)."]))
    if runs:
        pages.append(Page("Assumptions", "Assumptions: Monte Carlo scenarios",
                          [Block("table", table=T.scenario_assumptions(runs))], base_footer))

    for to in ("call", "maturity"):
        pages.append(Page("Decrement tables", f"Decrement table: WAL and principal window, to {to}",
                          [Block("table", table=T.decrement(decrement[to]))], base_footer,
                          notes=[f"No defaults; {curve.name} forward curve; WAL in years from settlement "
                                 f"({deal.dates.settlement}); window = first to last month of principal."]))

    afr_numeric = T.afr_schedule(afr_runs, numeric=True)
    afr_text = T.afr_schedule(afr_runs)
    note = ("AFR without cap income: as computed (net mortgage rate after Net Derivative Fees x pool balance / "
            "bond balance x 30 / days). With cap income: plus derivative receipts x 360 / days / bond balance. "
            "100% PPC, no defaults, to call.")
    pages.append(Page("Available funds rate", "Available funds rate schedule",
                      [Block("figure", make=lambda: F.afr_schedule_chart(afr_numeric, scenario="100% PPC, to call"),
                             caption=note)], base_footer))
    for k, part in enumerate(_paginate(afr_text, 30)):
        pages.append(Page("Available funds rate", "Available funds rate schedule (annual %, actual/360)"
                          + (f" (continued, {k + 1})" if k else ""), [Block("table", table=part)], base_footer,
                          notes=[note]))

    es_numeric = T.excess_spread(afr_runs, numeric=True)
    es_note = ("Excess spread = (net interest after servicing, master servicing, trustee and PMI fees - Net "
               "Derivative Fees - current bond interest) x 12 / pool balance at the start of the period: the "
               "interest part of Excess Cash Flow (OC releases and call proceeds are principal and left out; "
               "derivative receipts, which pay only basis risk, are not counted). 100% PPC, no defaults, to call.")
    pages.append(Page("Excess spread", "Excess spread",
                      [Block("figure", make=lambda: F.excess_spread_chart(es_numeric, scenario="100% PPC, to call"),
                             caption=es_note)], base_footer))
    for k, part in enumerate(_paginate(T.excess_spread(afr_runs), 30)):
        pages.append(Page("Excess spread", "Excess spread table (% of pool balance, annualized)"
                          + (f" (continued, {k + 1})" if k else ""), [Block("table", table=part)], base_footer,
                          notes=[es_note]))

    be_note = (f"Each cell: breakeven CDR (cumulative collateral loss). Highest constant CDR at which the class takes no principal loss (bisection to "
               f"{grid.tolerance:.2%} CDR), and the cumulative collateral loss it implies (% of cut-off balance). "
               f"{grid.liquidation_lag}-month liquidation lag, servicer advancing, to {grid.to}.")
    be_title = f"{'/'.join(str(p) for p in grid.prepayments)}, to {grid.to}"
    pages.append(Page("Breakeven matrix", "Breakeven CDR matrix", [Block("table", table=T.breakeven_matrix(breakeven))],
                      base_footer, notes=[be_note]))
    pages.append(Page("Breakeven matrix", "Breakeven CDR vs severity",
                      [Block("figure", make=lambda: F.breakeven_chart(breakeven, scenario=be_title),
                             caption=be_note)], base_footer))

    for run in runs:
        pages.extend(_run_pages(run, deal, name))
    if len(runs) > 1:
        pages.append(Page("Scenario comparison", "Scenario comparison: expected loss and P(loss) per class",
                          [Block("table", table=_comparison(runs))], base_footer,
                          notes=["Expected principal loss (% of original balance) / probability of any principal "
                                 "loss, each from the run's summary.json."]))
    return Report(title=f"{name}: stress report", pages=pages, built=built)


def _run_pages(run: RunData, deal, deal_name: str) -> list[Page]:
    ds, s = run.ds, run.name
    footer = f"{deal_name} | {run.footer()} | stress {run.attrs.get('stress_version', stress.__version__)}"
    sec = f"Scenario {s}"
    mc_note = ("Loss = principal written down and not reimbursed, or never repaid, as a share of original balance; "
               "\u00b1 is one Monte Carlo standard error (quantiles: order-statistic interval).")
    pages = [
        Page(sec, f"Scenario {s}: results per class", [Block("table", table=T.scenario_results(ds, deal))], footer,
             notes=[run.attrs.get("scenario_description", ""),
                    "Write-down: realized losses allocated to the class; interest shortfall: Unpaid Interest "
                    "Shortfall Amount outstanding; first loss: payment month of the first write-down."]),
        Page(sec, f"Scenario {s}: Monte Carlo loss statistics",
             [Block("table", table=T.monte_carlo_results(run.summary))], footer, notes=[mc_note]),
        Page(sec, f"Scenario {s}: collateral loss, OC breach and AFR distribution",
             [Block("table", table=T.monte_carlo_collateral(run.summary, ds)),
              Block("table", table=T.afr_percentiles(ds), caption="AFR percentiles over paths (annual, %)")],
             footer, notes=["OC breach: OC below target after the build-up period while bonds are outstanding."]),
    ]
    n = f"{int(run.summary['paths']):,} paths"
    charts = [
        ("Rate fan chart", lambda: F.rate_fan(ds, scenario=s),
         f"1M LIBOR set for each accrual period across {n}: median and 5-95% / 25-75% bands."),
        ("CPR and CDR paths", lambda: F.cpr_cdr_paths(ds, scenario=s),
         "Realized CPR and CDR of each period (remittance-report method: prepayments / (beginning balance - "
         "scheduled principal); liquidated balance / beginning balance), annualized; grey: sample paths."),
        ("Pool balance and cumulative loss",
         lambda: F.pool_balance_and_loss(ds, scenario=s, cutoff_balance=deal.collateral.cutoff_balance),
         f"Pool balance at the end of each due period and realized losses to date as a share of the cut-off "
         f"balance (USD {deal.collateral.cutoff_balance:,.0f}), across {n}."),
        ("Tranche balances", lambda: F.tranche_balances(ds, scenario=s),
         "Mean class balance after each payment date (stacked), and each class's mean balance as a share of its "
         "first-period balance."),
        ("OC vs target", lambda: F.oc_vs_target(ds, scenario=s),
         "Overcollateralization (pool balance - bond balance, after distributions) against the OC target."),
        ("Loss distribution per class", lambda: F.loss_histograms(ds, scenario=s),
         "Principal lost (written down and not reimbursed, or never repaid) as a share of original balance; "
         "grey bar: paths with no loss; log scale of path counts."),
        ("AFR fan chart vs coupon", lambda: F.afr_fan(ds, scenario=s, coupon_cap=deal.coupon.fixed_cap),
         "Available Funds Rate across paths against the coupons the senior and most junior class would pay "
         "before the AFR cap (median 1M LIBOR + margin)."),
    ]
    for title, make, caption in charts:
        pages.append(Page(sec, f"Scenario {s}: {title}", [Block("figure", make=make, caption=caption)], footer))
    return pages


def _comparison(runs: list[RunData]) -> pd.DataFrame:
    names = list(runs[0].summary["tranches"])
    rows = []
    for name in names:
        row = {"Class": name}
        for r in runs:
            t = r.summary["tranches"].get(name)
            row[r.name] = T.DASH if t is None else (f"{T.pct(t['expected_loss'], 3)} / "
                                                    f"{T.pct(t['probability_of_loss'], 1)}")
        rows.append(row)
    return pd.DataFrame(rows)


def _run_scenarios(scenarios: list, *, n_paths: int | None, runs_dir, tape) -> list[RunData]:
    """Run each scenario (name, path or Scenario) into ``runs_dir/<name>`` and load it."""
    if not scenarios:
        return []
    from stress.engine import run_monte_carlo
    from stress.scenario import Scenario, load_scenario

    if runs_dir is None:
        raise ScenarioError("report --scenarios: needs a directory for the runs (runs_dir / --runs-dir)")
    out = []
    for item in scenarios:
        sc = item if isinstance(item, Scenario) else load_scenario(item)
        target = Path(runs_dir) / sc.name
        log.info("report: running scenario %s into %s", sc.name, target)
        run_monte_carlo(sc, n_paths=n_paths, out=target, overwrite=True, tape=tape)
        out.append(load_run(target))
    return out


# -- PDF ----------------------------------------------------------------------
PAGE = (11.0, 8.5)  # US letter, landscape [inches]


def _wrap_header(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def _page_frame(page: Page, number: int, total: int, built: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=PAGE)
    _decorate(fig, page, number, total, built, title=True)
    return fig


def _decorate(fig, page: Page, number: int, total: int, built: str, *, title: bool) -> None:
    if title:
        fig.text(0.04, 0.955, page.title, fontsize=16, fontweight="bold", va="top", color="#1f2d3d")
    footer = "\n".join(textwrap.wrap(page.footer, 165))
    fig.text(0.04, 0.018, footer, fontsize=7, color="0.3", va="bottom")
    fig.text(0.96, 0.018, f"{page.section} | page {number} of {total}", fontsize=7.5, color="0.3", va="bottom", ha="right")
    from matplotlib.lines import Line2D

    fig.add_artist(Line2D([0.04, 0.96], [0.055, 0.055], color="0.75", lw=0.6))


def _draw_table(fig, frame: pd.DataFrame, top: float, bottom: float, caption: str = "") -> float:
    """Draw ``frame`` as a matplotlib table between ``top`` and ``bottom`` (figure fraction); return its bottom."""
    if caption:
        fig.text(0.04, top, caption, fontsize=10.5, fontweight="bold", va="top")
        top -= 0.035
    cells = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    ncol = len(frame.columns)
    avail = 0.92 * PAGE[0]
    font = 10.0 if len(cells) <= 20 else 9.0
    while True:
        headers = [_wrap_header(c, 16) for c in frame.columns]
        col_in = [(max([_text_width(r[j], font) for r in cells]
                       + [_text_width(line, font, bold=True) for line in headers[j].split("\n")]) / 0.8 + 4.0) / 72.0
                  for j in range(ncol)]
        if sum(col_in) <= avail or font <= 5.5:
            break
        font -= 0.5
    header_lines = max(h.count("\n") + 1 for h in headers)
    row_in = font / 72.0 * 1.75
    total_w = sum(col_in)
    height_in = row_in * (len(cells) + header_lines)
    max_h = (top - bottom) * PAGE[1]
    if height_in > max_h:  # shrink rows to fit (pages are paginated upstream, so this is mild)
        row_in *= max_h / height_in
        height_in = max_h
    ax = fig.add_axes([(1 - total_w / PAGE[0]) / 2, top - height_in / PAGE[1], total_w / PAGE[0],
                       height_in / PAGE[1]])
    ax.axis("off")
    table = ax.table(cellText=cells or [[""] * ncol], colLabels=headers, loc="upper center",
                     colWidths=[c / total_w for c in col_in], cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.8")
        cell.set_linewidth(0.4)
        if r == 0:
            cell.set_height(row_in * header_lines / height_in)
            cell.set_facecolor("#dfe7ef")
            cell.get_text().set_fontweight("bold")
            cell.get_text().set_ha("center")
        else:
            cell.set_height(row_in / height_in)
            if r % 2 == 0:
                cell.set_facecolor("#f6f8fa")
            if c == 0 or not T.is_numeric_column(frame.iloc[:, c]):
                cell.get_text().set_ha("left")
                cell._loc = "left"  # the text position follows the cell's alignment
    return top - height_in / PAGE[1]


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` at ``size`` points as the PDF will draw it [points]."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    global _RENDERER
    if _RENDERER is None:
        _RENDERER = RendererAgg(10, 10, 72)
    width, _, _ = _RENDERER.get_text_width_height_descent(
        text or " ", FontProperties(size=size, weight="bold" if bold else "normal"), ismath=False)
    return float(width)


_RENDERER = None


def _draw_notes(fig, notes: list[str], top: float) -> float:
    for note in notes:
        if not note:
            continue
        wrapped = "\n".join(textwrap.wrap(note, 135))
        fig.text(0.04, top, wrapped, fontsize=9, va="top", color="0.2")
        top -= 0.022 * (wrapped.count("\n") + 1) + 0.008
    return top


def write_pdf(report: Report, out: str | Path) -> Path:
    """Write ``report`` to a PDF, one topic per page."""
    from matplotlib.backends.backend_pdf import PdfPages

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheets = []  # (page, [blocks on this sheet])
    for page in report.pages:
        tables = [b for b in page.blocks if b.kind != "figure"]
        if tables:
            sheets.append((page, tables))
        for b in page.blocks:
            if b.kind == "figure":
                sheets.append((page, [b]))
    total = len(sheets)
    with PdfPages(out, metadata={"Title": report.title, "Creator": f"stress {stress.__version__}"}) as pdf:
        for number, (page, blocks) in enumerate(sheets, start=1):
            if blocks[0].kind == "figure":
                fig = _figure_sheet(page, blocks[0], number, total, report.built)
            else:
                fig = _page_frame(page, number, total, report.built)
                top = _draw_notes(fig, page.notes, 0.905)
                for b in blocks:
                    if b.kind == "text":
                        top = _draw_notes(fig, [b.text], top) - 0.01
                    else:
                        top = _draw_table(fig, b.table, top - 0.01, 0.08, b.caption) - 0.03
            pdf.savefig(fig)
    return out


def _figure_sheet(page: Page, block: Block, number: int, total: int, built: str):
    fig = block.make()
    fig.set_size_inches(*PAGE)
    caption = "\n".join(textwrap.wrap(block.caption, 160)) if block.caption else ""
    lines = caption.count("\n") + 1 if caption else 0
    bottom = 0.075 + 0.022 * lines
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0.03, bottom, 0.94, 0.97 - bottom))
    if caption:
        fig.text(0.04, 0.065, caption, fontsize=8.5, va="bottom", color="0.25")
    _decorate(fig, page, number, total, built, title=False)
    return fig


# -- HTML ---------------------------------------------------------------------
_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1150px;
       color: #1f2d3d; line-height: 1.4; }
h1 { font-size: 1.7em; border-bottom: 2px solid #1f4e79; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2.2em; color: #1f4e79; }
section { page-break-inside: avoid; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .85em; }
th { background: #dfe7ef; padding: 4px 8px; border: 1px solid #c8d2dc; }
td { padding: 3px 8px; border: 1px solid #dde3e8; text-align: right; font-variant-numeric: tabular-nums; }
td.text { text-align: left; } td:first-child { text-align: left; font-weight: 600; }
tbody tr:nth-child(even) { background: #f6f8fa; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #e3e7eb; }
figcaption, .note { font-size: .85em; color: #3d4b59; }
.footer { font-size: .72em; color: #6b7785; border-top: 1px solid #e3e7eb; padding-top: .3em; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .3em; }
"""


def _png(make: Callable) -> str:
    fig = make()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def write_html(report: Report, out: str | Path) -> Path:
    """Write ``report`` as one self-contained HTML file (tables as ``<table>``, charts as base64 PNG)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(report.title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{escape(report.title)}</h1>"
             f"<p class='note'>Built {escape(report.built)} with stress {escape(stress.__version__)}.</p>"]
    for k, page in enumerate(report.pages):
        parts.append(f"<section id='p{k + 1}'><h2>{escape(page.title)}</h2>")
        parts.extend(f"<p class='note'>{escape(n)}</p>" for n in page.notes if n)
        for b in page.blocks:
            if b.kind == "text":
                parts.append(f"<p>{escape(b.text)}</p>")
            elif b.kind == "table":
                if b.caption:
                    parts.append(f"<p><b>{escape(b.caption)}</b></p>")
                parts.append(T.to_html(b.table))
            else:
                alt = escape(f"{page.title}")
                parts.append(f"<figure><img alt='{alt}' src='data:image/png;base64,{_png(b.make)}'>"
                             + (f"<figcaption>{escape(b.caption)}</figcaption>" if b.caption else "")
                             + "</figure>")
        parts.append(f"<p class='footer'>{escape(page.footer)}</p></section>")
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


# -- entry point --------------------------------------------------------------
def build_report(run_dirs: Sequence[str | Path] = (), *, out: str | Path, deal=None, tape=None,
                 scenarios: list | None = None, scenario_paths: int | None = None,
                 runs_dir: str | Path | None = None, breakeven_grid: BreakevenGrid | None = None,
                 overwrite: bool = False) -> Path:
    """Build the stress report and write it as PDF or HTML (by ``out``'s suffix).

    Parameters
    ----------
    run_dirs : sequence of path
        Finished Monte Carlo runs (``stress run --out DIR``).
    out : path
        ``report.pdf`` or ``report.html``.
    deal : Deal, optional
        Default: the first run's deal file, else the reference deal.
    tape : pandas.DataFrame, optional
        Loan tape for the deterministic sections (default: the built-in tape).
    scenarios : list, optional
        Scenarios (names, files or :class:`~stress.scenario.Scenario`) to run
        now with ``scenario_paths`` paths into ``runs_dir/<name>`` and include.
    breakeven_grid : BreakevenGrid, optional
        Grid of the breakeven matrix (default: 35/45/55% severity x 75/100 PPC,
        forward curve, to maturity).
    overwrite : bool
        Replace an existing ``out``; without it an existing report is an error,
        raised before any run or page is built.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from stress.outputs import check_output_dir, check_output_file

    out = check_output_file(out, option="report --out", overwrite=overwrite, suffixes=(".pdf", ".html", ".htm"))
    suffix = out.suffix.lower()
    if scenarios and runs_dir is not None:
        check_output_dir(runs_dir, option="report --runs-dir")
    report = collect_report(run_dirs, deal=deal, tape=tape, scenarios=scenarios, scenario_paths=scenario_paths,
                            runs_dir=runs_dir, breakeven_grid=breakeven_grid)
    return write_pdf(report, out) if suffix == ".pdf" else write_html(report, out)
