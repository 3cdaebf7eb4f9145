"""The rating-agency-style stress report: collect the pages, write them as PDF or HTML.

:func:`build_report` does three things:

1. :func:`collect_report` gathers the data (:mod:`stress.report.sources`:
   deterministic runs, breakevens, rating stresses, the scenario comparison,
   the realized path's place and the back-test; :mod:`stress.report.runs`:
   finished Monte Carlo runs, scenarios run now, and the realized-path
   scenario ``history_2004`` run as one path beside any Monte Carlo run)
   into a :class:`~stress.report.pages.Context`, then calls every page
   function of the registry (:data:`stress.report.pages.PAGES`) in order;
2. :func:`~stress.report.pdf.write_pdf` / :func:`~stress.report.html.write_html`
   lay the pages out (a PDF of one topic per sheet, or one self-contained
   HTML file);
3. the per-class cash-flow tables of the chosen deterministic run are written
   as CSV beside the report, ``<out stem>_cashflows/<class>.csv``.

Conventions
-----------
- Every number comes from a run: the deterministic runs of
  :func:`stress.cashflows.run_cashflows` made here, or a run directory's
  ``summary.json`` / ``results.zarr``.
- AFR "without cap income" is the Available Funds Rate as the waterfall
  computes it (net mortgage rate after Net Derivative Fees x pool balance /
  bond balance x 30 / accrual days). "With cap income" adds the derivative
  receipts of the period as an annual rate on the bonds: receipts x 360 /
  accrual days / bond balance before the payment.
- Excess spread = the interest part of Excess Cash Flow x 12 / pool balance
  at the start of the period (annualized).
- The AFR, excess-spread and cash-flow runs use the pricing speed (100 PPC),
  no defaults, to call; the decrement runs no defaults on the forward curve.
- A deterministic Monte Carlo run (one path, or no randomness:
  :func:`stress.report.runs.is_deterministic`) is shown as single lines and
  plain figures, without bands, standard errors or probabilities.
- Each page footer names the deal, the run(s) it shows (scenario, paths,
  seed, run date), the package version and when the report was built.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from stress.report.html import write_html
from stress.report.pdf import write_pdf
from stress.report.progress import Progress
from stress.report.runs import RunData, load_run
from stress.report.sources import (AFR_MAX_FROM_MONTH, AFR_MAX_LEVEL, AFR_SHOCK_BP, DECREMENT_SPEEDS,
                                   HISTORY_SCENARIO, BreakevenGrid)

log = logging.getLogger(__name__)

__all__ = ["BreakevenGrid", "Report", "Page", "Block", "RunData", "build_report", "collect_report",
           "write_pdf", "write_html", "load_run", "DECREMENT_SPEEDS", "AFR_SHOCK_BP", "AFR_MAX_LEVEL",
           "AFR_MAX_FROM_MONTH", "cashflow_dir"]


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
    """One topic: a title, notes, blocks, and the footer that names its runs.

    ``kind`` is ``"contents"`` for the contents page, whose table of sections
    and page numbers each writer fills in once it knows the sheets.
    """

    section: str
    title: str
    blocks: list[Block]
    footer: str
    notes: list[str] = field(default_factory=list)
    kind: str = "content"


@dataclass
class Report:
    title: str
    pages: list[Page]
    built: str
    #: Files written beside the report: relative path -> table (the per-class cash flows as CSV).
    attachments: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Filled by the PDF writer: font and fit of every table drawn.
    layout: list[dict] = field(default_factory=list)
    #: The :class:`~stress.report.pages.Context` the pages were built from (its sources, computed once).
    context: object = None


def collect_report(run_dirs: Sequence[str | Path] = (), *, deal=None, tape=None, scenarios: list | None = None,
                   scenario_paths: int | None = None, runs_dir: str | Path | None = None,
                   breakeven_grid: BreakevenGrid | None = None, progress: Progress | None = None,
                   history: str | None = HISTORY_SCENARIO) -> Report:
    """Compute and gather every page of the report (see the module docstring).

    ``history``: the realized-path scenario (default ``history_2004``), run
    as one more deterministic run (one path) when the report has a Monte
    Carlo run and no run of that name, so the report can place the realized
    path in each Monte Carlo distribution; None leaves it out. It runs into
    ``runs_dir`` (or a temporary directory when there is none).
    """
    from stress.collateral import load_tape
    from stress.deal import load_deal
    from stress.rates.curves import forward_curve
    from stress.report.pages import PAGES, Context
    from stress.report.runs import run_scenarios

    progress = progress or Progress()
    runs = [load_run(d) for d in run_dirs]
    runs += run_scenarios(scenarios or [], n_paths=scenario_paths, runs_dir=runs_dir, tape=tape, progress=progress)
    if history and any(not r.deterministic for r in runs) and all(r.name != history for r in runs):
        import tempfile

        where = runs_dir if runs_dir is not None else tempfile.mkdtemp(prefix="stress-report-runs-")
        runs += run_scenarios([history], n_paths=1, runs_dir=where, tape=tape, progress=progress)
    if deal is None:
        deal = load_deal(runs[0].attrs.get("deal_file") if runs else None)
    if tape is None:
        tape = load_tape(None)
    built = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ctx = Context(deal=deal, tape=tape, curve=forward_curve(), runs=runs, grid=breakeven_grid or BreakevenGrid(),
                  built=built, progress=progress)
    pages: list[Page] = []
    for entry in PAGES:
        with progress.step("page building", f"pages: {entry.name}"):
            pages.extend(entry.build(ctx))
    return Report(title=f"{deal.deal.name}: stress report", pages=pages, built=built,
                  attachments=ctx.attachments, context=ctx)


def cashflow_dir(out: str | Path) -> Path:
    """Folder of the per-class cash-flow CSV files beside the report: ``<out stem>_cashflows``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_cashflows")


def build_report(run_dirs: Sequence[str | Path] = (), *, out: str | Path, deal=None, tape=None,
                 scenarios: list | None = None, scenario_paths: int | None = None,
                 runs_dir: str | Path | None = None, breakeven_grid: BreakevenGrid | None = None,
                 overwrite: bool = False, progress: Progress | None = None,
                 history: str | None = HISTORY_SCENARIO) -> Path:
    """Build the stress report and write it as PDF or HTML (by ``out``'s suffix).

    Parameters
    ----------
    run_dirs : sequence of path
        Finished Monte Carlo runs (``stress run --out DIR``).
    out : path
        ``report.pdf`` or ``report.html``; the per-class cash flows go to
        ``<out stem>_cashflows/<class>.csv`` beside it.
    deal : Deal, optional
        Default: the first run's deal file, else the reference deal.
    tape : pandas.DataFrame, optional
        Loan tape for the deterministic sections (default: the built-in tape).
    scenarios : list, optional
        Scenarios (names, files or :class:`~stress.scenario.Scenario`) to run
        now with ``scenario_paths`` paths (one path for a scenario without
        randomness) into ``runs_dir/<name>`` and include.
    breakeven_grid : BreakevenGrid, optional
        Grid of the breakeven matrix (default: 35/45/55% severity x 75/100 PPC,
        forward curve, to maturity).
    overwrite : bool
        Replace an existing ``out`` (and its cash-flow folder); without it an
        existing report is an error, raised before any run or page is built.
    progress : Progress, optional
        Reports each run, page and render as it finishes (the CLI passes one on stderr).
    history : str or None
        The realized-path scenario run beside the Monte Carlo runs (default
        ``history_2004``; None: none). See :func:`collect_report`.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from stress.outputs import check_output_dir, check_output_file

    out = check_output_file(out, option="report --out", overwrite=overwrite, suffixes=(".pdf", ".html", ".htm"))
    from stress.errors import OutputError

    folder = cashflow_dir(out)
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise OutputError(f"report --out {out}: its cash-flow folder {folder} already exists; "
                          "use --overwrite to replace it")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"report --out {out}: {folder} (the cash-flow folder) is a file")
    if scenarios and runs_dir is not None:
        check_output_dir(runs_dir, option="report --runs-dir")
    progress = progress or Progress()
    report = collect_report(run_dirs, deal=deal, tape=tape, scenarios=scenarios, scenario_paths=scenario_paths,
                            runs_dir=runs_dir, breakeven_grid=breakeven_grid, progress=progress, history=history)
    path = (write_pdf(report, out, progress=progress) if out.suffix.lower() == ".pdf"
            else write_html(report, out, progress=progress))
    with progress.step("writing CSV", f"cash flows as CSV into {folder}"):
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in report.attachments.items():
            frame.to_csv(folder / name, index=False)
    return path
