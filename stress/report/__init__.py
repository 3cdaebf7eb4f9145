"""The rating-agency-style stress report: charts, tables and the PDF / HTML writers.

>>> from stress.report import build_report            # doctest: +SKIP
>>> build_report(["runs/base"], out="report.pdf")     # doctest: +SKIP

:mod:`stress.report.figures` holds one function per chart,
:mod:`stress.report.tables` the report tables, :mod:`stress.report.build`
collects the sections and writes them.
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
