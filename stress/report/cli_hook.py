"""``stress report``: the command-line entry to :func:`stress.report.build_report`.

``stress/cli.py`` registers it with one line in :func:`stress.cli.build_parser`::

    from stress.report.cli_hook import add_report_parser; add_report_parser(sub)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from stress.cli_args import positive_int, ppc_speeds, severity_fractions


def cmd_report(args) -> int:
    """Build the report; print where it went and how long it took."""
    from stress.collateral import load_tape
    from stress.deal import load_deal
    from stress.report.build import BreakevenGrid, build_report
    from stress.report.sources import HISTORY_SCENARIO

    from stress.report.progress import Progress

    progress = Progress(sys.stderr)
    started = time.perf_counter()
    grid = BreakevenGrid(severities=args.severities, prepayments=args.speeds, to=args.breakeven_to)
    runs_dir = args.runs_dir or args.out.with_name(f"{args.out.stem}_runs")
    path = build_report(args.run_dirs, out=args.out, deal=load_deal(args.deal) if args.deal else None,
                        tape=load_tape(args.tape) if args.tape else None, scenarios=args.scenarios or None,
                        scenario_paths=args.paths, runs_dir=runs_dir, breakeven_grid=grid,
                        overwrite=args.overwrite, progress=progress,
                        history=None if args.no_history else HISTORY_SCENARIO)
    print(f"wrote {path} in {time.perf_counter() - started:.1f} s (cash flows per class in "
          f"{path.with_name(path.stem + '_cashflows')})")
    print(f"where the time went: {progress.summary()}", file=sys.stderr)
    return 0


def add_report_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``stress report`` to the ``stress`` command's subparsers."""
    p = subparsers.add_parser(
        "report", help="rating-agency-style stress report (PDF or HTML) from finished runs",
        description="Executive summary, contents, deal and collateral (with term-sheet strats), assumptions, "
                    "decrement tables, cash flows per class (also as CSV beside the report), AFR schedule, excess "
                    "spread, first-dollar and 1%%-loss breakevens, rating-level stresses (computed now, "
                    "deterministically), the Monte Carlo results of each run and their comparison, as one PDF (one "
                    "topic per page) or one self-contained HTML file. Progress goes to stderr.")
    p.add_argument("run_dirs", nargs="*", type=Path, metavar="RUN_DIR",
                   help="finished `stress run --out` directories to report")
    p.add_argument("--scenarios", nargs="+", default=None, metavar="SCENARIO",
                   help="scenario files or built-in names to run now and include (see --paths, --runs-dir)")
    p.add_argument("--paths", type=positive_int, default=None,
                   help="paths for --scenarios runs (default: each scenario's own); a scenario without "
                        "randomness (the rating stresses) runs one path")
    p.add_argument("--runs-dir", type=Path, default=None,
                   help="where --scenarios runs go (default: OUT's name + _runs beside it)")
    p.add_argument("--out", type=Path, required=True, help="report.pdf or report.html")
    p.add_argument("--overwrite", action="store_true", help="replace an existing report at --out")
    p.add_argument("--deal", default=None, help="deal TOML (default: the first run's deal, else the reference deal)")
    p.add_argument("--tape", default=None, help="loan tape for the deterministic sections (default: built-in)")
    p.add_argument("--severities", type=severity_fractions, default=(0.35, 0.45, 0.55),
                   help="breakeven severities in percent (default 35,45,55)")
    p.add_argument("--speeds", type=ppc_speeds, default=("75 PPC", "100 PPC"),
                   help="breakeven speeds in percent PPC (default 75,100)")
    p.add_argument("--breakeven-to", choices=("maturity", "call"), default="maturity",
                   help="run the breakeven matrix to maturity (default; no call credit, as agencies do) or to call")
    p.add_argument("--no-history", action="store_true",
                   help="do not run the realized 2004-2014 path (history_2004, one path) beside the Monte Carlo "
                        "runs; without it the report places that path in each Monte Carlo distribution")
    p.set_defaults(func=cmd_report)
    return p
