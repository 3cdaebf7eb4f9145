"""Monthly history of the rate indices and home-price indices, read and validated.

Two files ship under ``stress/data/history/`` (sources, licences and the
aggregation rule in that folder's README):

- ``rates_monthly.csv``: ``month`` (YYYY-MM), ``libor_1m``, ``libor_6m``,
  ``libor_12m``, ``cmt_1y`` [monthly averages, annual, decimal];
- ``hpi_monthly.csv``: ``month``, ``national``, ``los_angeles``,
  ``san_diego``, ``san_francisco``, ``california`` [index levels].

Rules a history file must meet (each broken rule is a
:class:`HistoryFileError` naming the file, the row and the rule):

- the header holds ``month`` and every column the file kind needs;
- months are ``YYYY-MM``, strictly consecutive: no duplicate, no gap;
- rates are in [-1%, 25%] (decimals in [-0.01, 0.25]); index levels are > 0;
- a value may be blank only at the end of its column (a series that has
  ended, as LIBOR did); a blank followed by a value is a gap.

Row numbers count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from stress.errors import ScenarioError

RATE_COLUMNS = ("libor_1m", "libor_6m", "libor_12m", "cmt_1y")  # INDEX_NAMES order
HPI_COLUMNS = ("national", "los_angeles", "san_diego", "san_francisco", "california")
RATE_RANGE = (-0.01, 0.25)  # [decimal] the plausibility range for a monthly rate
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class HistoryFileError(ScenarioError):
    """A history file that is missing or breaks a rule; the message names file, row and rule."""


@dataclass(frozen=True)
class History:
    """A validated monthly history.

    Attributes
    ----------
    path : str
        The file read.
    months : numpy.ndarray of datetime64[M], shape (n,)
        Consecutive months.
    values : dict of str to numpy.ndarray, shape (n,)
        One array per column; NaN after a series' last month.
    """

    path: str
    months: np.ndarray
    values: dict

    def column(self, name: str) -> np.ndarray:
        return self.values[name]

    def window(self, name: str, start: str, end: str, n_months: int) -> np.ndarray:
        """``name`` from month ``start`` for ``n_months`` months, held flat after ``end``.

        Raises :class:`HistoryFileError` if the file does not cover ``start``
        to ``end`` with values.
        """
        first, last = np.datetime64(start, "M"), np.datetime64(end, "M")
        if last < first:
            raise HistoryFileError(f"history window {start} .. {end}: the end is before the start")
        i0 = int((first - self.months[0]).astype(int))
        i1 = int((last - self.months[0]).astype(int))
        series = self.values[name]
        if i0 < 0 or i1 >= series.size or np.isnan(series[i0:i1 + 1]).any():
            have = self.months[np.isfinite(series)]
            span = f"{have[0]} .. {have[-1]}" if have.size else "none"
            raise HistoryFileError(f"history file {self.path}: column {name!r} has no value for every month "
                                   f"{start} .. {end} (it covers {span})")
        out = np.empty(n_months)
        take = min(n_months, i1 - i0 + 1)
        out[:take] = series[i0:i0 + take]
        out[take:] = series[i1]  # flat after the window
        return out


def builtin_history_path(kind: str) -> Path:
    """The shipped ``rates_monthly.csv`` (``kind = "rates"``) or ``hpi_monthly.csv`` (``"hpi"``)."""
    name = {"rates": "rates_monthly.csv", "hpi": "hpi_monthly.csv"}[kind]
    return Path(str(resources.files("stress").joinpath("data", "history", name)))


def read_history(path: str | Path, *, kind: str) -> History:
    """Read and validate a history file.

    Parameters
    ----------
    path : str or Path
        A CSV file of the layout in the module docstring.
    kind : {"rates", "hpi"}
        Which rules apply: rate range or positive levels, and the required columns.

    Raises
    ------
    HistoryFileError
        Missing file, missing column, bad month, duplicate month, gap, a
        value out of range or not a number: one line naming file, row and rule.
    """
    if kind not in ("rates", "hpi"):
        raise ValueError(f"kind = {kind!r}: must be 'rates' or 'hpi'")
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise HistoryFileError(f"history file {name}: not found")
    required = RATE_COLUMNS if kind == "rates" else HPI_COLUMNS
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise HistoryFileError(f"history file {name}: empty")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("month",) + required if c not in header]
    if missing:
        raise HistoryFileError(f"history file {name}: row 1 (header): missing column(s) {', '.join(missing)}; "
                               f"required: month, {', '.join(required)}")
    col = {c: header.index(c) for c in ("month",) + required}
    months: list[np.datetime64] = []
    data = {c: [] for c in required}
    for r, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"history file {name}: row {r}"
        text = row[col["month"]].strip() if col["month"] < len(row) else ""
        m = _MONTH.match(text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise HistoryFileError(f"{where}: month {text!r}: must be YYYY-MM")
        month = np.datetime64(text, "M")
        if months:
            step = int((month - months[-1]).astype(int))
            if step == 0:
                raise HistoryFileError(f"{where}: month {text} appears twice: months must not repeat")
            if step != 1:
                expected = months[-1] + 1
                raise HistoryFileError(f"{where}: month {text} follows {months[-1]}: gap (expected {expected}); "
                                       "months must be consecutive")
        months.append(month)
        for c in required:
            cell = row[col[c]].strip() if col[c] < len(row) else ""
            data[c].append(_value(cell, c, kind, where))
    if not months:
        raise HistoryFileError(f"history file {name}: no data rows")
    values = {c: np.array(v, dtype=float) for c, v in data.items()}
    for c, v in values.items():
        blank = np.isnan(v)
        if blank.any():
            first_blank = int(np.argmax(blank))
            later = np.flatnonzero(~blank[first_blank:])
            if later.size:
                r = first_blank + int(later[0]) + 2
                raise HistoryFileError(f"history file {name}: row {first_blank + 2}: column {c!r} is blank in "
                                       f"{months[first_blank]} but has a value again in row {r}: gap (a blank "
                                       "is allowed only after a series' last value)")
            if first_blank == 0:
                raise HistoryFileError(f"history file {name}: row 2: column {c!r} has no value at all")
    return History(path=name, months=np.array(months, dtype="datetime64[M]"), values=values)


def _value(cell: str, column: str, kind: str, where: str) -> float:
    if cell == "":
        return math.nan
    try:
        x = float(cell)
    except ValueError:
        raise HistoryFileError(f"{where}: {column} = {cell!r}: must be a number") from None
    if not math.isfinite(x):
        raise HistoryFileError(f"{where}: {column} = {cell!r}: must be a finite number")
    if kind == "rates" and not RATE_RANGE[0] <= x <= RATE_RANGE[1]:
        raise HistoryFileError(f"{where}: {column} = {cell}: rates must be in [-0.01, 0.25] (decimal: -1% to 25%)")
    if kind == "hpi" and x <= 0.0:
        raise HistoryFileError(f"{where}: {column} = {cell}: index levels must be > 0")
    return x


@lru_cache(maxsize=8)
def _cached(path: str, kind: str, mtime: float) -> History:
    return read_history(path, kind=kind)


def load_history(kind: str, path: str | Path | None = None) -> History:
    """The shipped history of ``kind`` (``"rates"`` or ``"hpi"``), or the file ``path``; cached per file version."""
    p = builtin_history_path(kind) if path in (None, "") else Path(path)
    if not p.exists():
        raise HistoryFileError(f"history file {p}: not found")
    return _cached(str(p), kind, p.stat().st_mtime)


def changes(series: np.ndarray, months: int) -> np.ndarray:
    """Overlapping ``months``-month changes of a monthly series, NaNs (ended series) dropped first."""
    x = np.asarray(series, float)
    x = x[np.isfinite(x)]
    return x[months:] - x[:-months]
