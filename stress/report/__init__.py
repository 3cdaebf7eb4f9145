"""The rating-agency-style stress report: charts, tables and the PDF / HTML writers.

>>> from stress.report import build_report            # doctest: +SKIP
>>> build_report(["runs/base"], out="report.pdf")     # doctest: +SKIP

Modules: :mod:`~stress.report.sources` (every engine call the report makes:
the one place to switch a data source), :mod:`~stress.report.runs` (run
directories, scenarios run now, deterministic runs), :mod:`~stress.report.pages`
(the registry of pages: a new page is one function),
:mod:`~stress.report.tables` and :mod:`~stress.report.figures` (one function per
table or chart), :mod:`~stress.report.pdf` and :mod:`~stress.report.html` (the
writers), :mod:`~stress.report.progress` (one line per step, where the time
went) and :mod:`~stress.report.build` (collects the pages and writes them).
"""

from __future__ import annotations

__all__ = ["BreakevenGrid", "build_report", "collect_report", "write_html", "write_pdf"]


def __getattr__(name: str):
    # Imported on first use: the CLI loads stress.report.cli_hook for every
    # command, and matplotlib should cost only the commands that draw.
    if name in __all__:
        from stress.report import build

        return getattr(build, name)
    raise AttributeError(f"module 'stress.report' has no attribute {name!r}")
