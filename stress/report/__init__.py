"""The rating-agency-style stress report: charts, tables and the PDF / HTML writers.

>>> from stress.report import build_report            # doctest: +SKIP
>>> build_report(["runs/base"], out="report.pdf")     # doctest: +SKIP

:mod:`stress.report.figures` holds one function per chart,
:mod:`stress.report.tables` the report tables, :mod:`stress.report.build`
collects the sections and writes them.
"""

from __future__ import annotations

from stress.report.build import BreakevenGrid, build_report, collect_report, write_html, write_pdf

__all__ = ["BreakevenGrid", "build_report", "collect_report", "write_html", "write_pdf"]
