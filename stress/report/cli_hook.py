"""``stress report``: the command-line entry to :func:`stress.report.build_report`.

``stress/cli.py`` registers it with one line in :func:`stress.cli.build_parser`::

    from stress.report.cli_hook import add_report_parser; add_report_parser(sub)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _fractions(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) / 100.0 for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: must be comma-separated percents, e.g. 35,45,55") from None
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each severity must be in [0, 100] percent")
    return values


def _speeds(text: str) -> tuple[str, ...]:
    from stress.cli import _percent_list

    return tuple(f"{v:g} PPC" for v in _percent_list(text))


def cmd_report(args) -> int:
    """Build the report; print where it went and how long it took."""
    from stress.collateral import load_tape
    from stress.deal import load_deal
    from stress.report.build import BreakevenGrid, build_report

    started = time.perf_counter()
    grid = BreakevenGrid(severities=args.severities, prepayments=args.speeds, to=args.breakeven_to)
    runs_dir = args.runs_dir or args.out.with_name(f"{args.out.stem}_runs")
    path = build_report(args.run_dirs, out=args.out, deal=load_deal(args.deal) if args.deal else None,
                        tape=load_tape(args.tape) if args.tape else None, scenarios=args.scenarios or None,
                        scenario_paths=args.paths, runs_dir=runs_dir, breakeven_grid=grid)
    print(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    return 0


def add_report_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``stress report`` to the ``stress`` command's subparsers."""
    p = subparsers.add_parser(
        "report", help="rating-agency-style stress report (PDF or HTML) from finished runs",
        description="Deal and collateral summary, assumptions, decrement table, AFR schedule, excess spread, "
                    "breakeven matrix (computed now, deterministically) and the Monte Carlo results of each "
                    "run directory, as one PDF (one topic per page) or one self-contained HTML file.")
    p.add_argument("run_dirs", nargs="*", type=Path, metavar="RUN_DIR",
                   help="finished `stress run --out` directories to report")
    p.add_argument("--scenarios", nargs="+", default=None, metavar="SCENARIO",
                   help="scenario files or built-in names to run now and include (see --paths, --runs-dir)")
    from stress.cli import _positive_int

    p.add_argument("--paths", type=_positive_int, default=None,
                   help="paths for --scenarios runs (default: each scenario's own)")
    p.add_argument("--runs-dir", type=Path, default=None,
                   help="where --scenarios runs go (default: OUT's name + _runs beside it)")
    p.add_argument("--out", type=Path, required=True, help="report.pdf or report.html")
    p.add_argument("--deal", default=None, help="deal TOML (default: the first run's deal, else the reference deal)")
    p.add_argument("--tape", default=None, help="loan tape for the deterministic sections (default: built-in)")
    p.add_argument("--severities", type=_fractions, default=(0.35, 0.45, 0.55),
                   help="breakeven severities in percent (default 35,45,55)")
    p.add_argument("--speeds", type=_speeds, default=("75 PPC", "100 PPC"),
                   help="breakeven speeds in percent PPC (default 75,100)")
    p.add_argument("--breakeven-to", choices=("maturity", "call"), default="maturity")
    p.set_defaults(func=cmd_report)
    return p
