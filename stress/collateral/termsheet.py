"""The reference deal's stratification tables, as typed data, and how each maps to the tape.

The term sheet of Impac CMB Trust 2004-1 prints twenty stratification tables
of its 3,951-loan sample pool; ``stress/data/impac_cmb_2004_1_strats.json``
holds them transcribed (rates and percentages as printed, in percent).
:func:`load_termsheet` reads that file into :class:`TermSheet`;
:func:`bucket_labels` says, for any loan tape, which printed row of a table
each loan falls in -- the one place the bucketing rules live, used by the
synthesizer (:mod:`stress.collateral.synthesize`) and the strat report
(:mod:`stress.collateral.strats`).

Bucketing conventions
---------------------
- Range labels are inclusive at their printed precision: the tape value is
  converted to the printed unit (percent for rates, LTV and DTI; dollars for
  balances) and rounded to the label's number of decimals, then tested
  against ``low <= v <= high``. So ``"75.01 - 80.00"`` is 75.00 < LTV <= 80.00
  and ``"3.000 - 3.499"`` is 3.000% <= rate < 3.500%. ``"> x"`` and ``">= x"``
  likewise; ``"Unknown"`` holds missing (NaN) FICO or DTI.
- Next Interest Adjustment Date ``MM/YY`` is the month ``months_to_reset``
  months after the January 2004 cut-off: ``months_to_reset == 1`` is
  ``02/04``, 24 is ``01/06``.
- Months to Roll: the dealer's months to roll differ slightly from
  ``months_to_reset`` (reconciled against the Next Interest Adjustment Date
  table, the 17 loans adjusting 08/04, ``months_to_reset`` 7, are counted in
  ``"1 - 6"``, and 39 of 40 loans adjusting 02/06, ``months_to_reset`` 25, in
  ``"19 - 24"``). The rule used here: ``"1 - 6"`` holds 1..7, ``"19 - 24"``
  holds 19..25, ``"25 - 31"`` holds 26..31; every other row as printed. This
  misplaces one $472,500 loan against the printed table, well within the
  strat tolerances.
- 80% LTV/PMI Analysis covers only loans with LTV above 80%; the row is
  chosen by ``mi_insured``. Its total row is that subset's total.
- Delinquency Status (``Current``) and 12 Month Payment History
  (``Unknown``) have no tape column: every loan falls in their single row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

STRATS_PATH = Path(__file__).resolve().parent.parent / "data" / "impac_cmb_2004_1_strats.json"


@dataclass(frozen=True)
class StratRow:
    """One printed row of a stratification table (rates and LTV in percent, as printed)."""

    label: str
    balance: float
    loan_count: int
    pct: float
    avg_balance: float
    min_wac: float
    max_wac: float
    gross_wac: float
    net_wac: float
    remaining_term: float
    age: float
    fico: float | None
    orig_ltv: float
    wa_mtr: float | None = None


@dataclass(frozen=True)
class StratTable:
    """A stratification table: its printed rows, its total row and what it stratifies."""

    key: str
    title: str
    attribute: str
    tape_column: str | None
    rows: tuple[StratRow, ...]
    total: StratRow
    quirk: str | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.rows)

    @property
    def is_subset(self) -> bool:
        """True for a table covering only part of the pool (the 80% LTV/PMI analysis)."""
        return self.key == "ltv80_pmi"


@dataclass(frozen=True)
class TermSheet:
    """All stratification tables plus the summary page (``summary`` keys as in the JSON)."""

    deal: str
    tables: dict[str, StratTable]
    summary: dict
    conventions: dict

    def __getitem__(self, key: str) -> StratTable:
        return self.tables[key]


def _row(d: dict) -> StratRow:
    return StratRow(
        label=str(d["label"]), balance=float(d["balance"]), loan_count=int(d["loan_count"]),
        pct=float(d["pct"]), avg_balance=float(d["avg_balance"]), min_wac=float(d["min_wac"]),
        max_wac=float(d["max_wac"]), gross_wac=float(d["gross_wac"]), net_wac=float(d["net_wac"]),
        remaining_term=float(d["remaining_term"]), age=float(d["age"]),
        fico=None if d["fico"] is None else float(d["fico"]), orig_ltv=float(d["orig_ltv"]),
        wa_mtr=None if d.get("wa_mtr") is None else float(d["wa_mtr"]),
    )


@lru_cache(maxsize=4)
def load_termsheet(path: str | Path | None = None) -> TermSheet:
    """Load the transcribed stratification tables.

    Parameters
    ----------
    path : str or Path, optional
        A strats JSON file; defaults to the reference deal's
        ``stress/data/impac_cmb_2004_1_strats.json``.
    """
    path = Path(path) if path is not None else STRATS_PATH
    doc = json.loads(path.read_text())
    tables = {}
    for t in doc["tables"]:
        tables[t["key"]] = StratTable(
            key=t["key"], title=t["title"], attribute=t["attribute"], tape_column=t.get("tape_column"),
            rows=tuple(_row(r) for r in t["rows"]), total=_row(t["total"]), quirk=t.get("quirk"),
        )
    return TermSheet(deal=doc["deal"], tables=tables, summary=doc["summary"], conventions=doc["conventions"])


# --------------------------------------------------------------------------------------------
# bucketing rules
# --------------------------------------------------------------------------------------------

# table key -> (tape column, scale from tape unit to printed unit)
_RANGE_TABLES: dict[str, tuple[str, float]] = {
    "current_balance": ("balance", 1.0),
    "ltv": ("ltv", 100.0),
    "gross_coupon": ("gross_rate", 100.0),
    "remaining_term": ("remaining_term", 1.0),
    "fico": ("fico", 1.0),
    "margin": ("margin", 100.0),
    "max_rate": ("max_rate", 100.0),
    "dti": ("dti", 100.0),
}
_CATEGORY_TABLES: dict[str, str] = {
    "product": "product", "state": "state", "property_type": "property_type", "purpose": "purpose",
    "occupancy": "occupancy", "doc_type": "doc_type", "prepay_penalty_months": "prepay_penalty_months",
}
_ALL_LOAN_TABLES = ("delinquency", "payment_history")

# months_to_reset values in each Months to Roll row where they differ from the printed range
_MTR_OVERRIDES = {"1 - 6": (1, 7), "19 - 24": (19, 25), "25 - 31": (26, 31)}


@dataclass(frozen=True)
class RangeBucket:
    """A printed range label parsed: ``low <= round(v, decimals) <= high``; NaN for 'Unknown'."""

    label: str
    low: float
    high: float
    decimals: int
    unknown: bool = False

    def contains(self, printed_values: np.ndarray) -> np.ndarray:
        v = np.asarray(printed_values, dtype=float)
        if self.unknown:
            return np.isnan(v)
        r = np.round(v, self.decimals)
        with np.errstate(invalid="ignore"):
            return (r >= self.low) & (r <= self.high)


def _number(text: str) -> tuple[float, int]:
    text = text.replace("$", "").replace(",", "").strip()
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), decimals


def parse_range_label(label: str) -> RangeBucket:
    """Parse ``"75.01 - 80.00"``, ``"> 55.00"``, ``">= 20.000"`` or ``"Unknown"``."""
    text = label.strip()
    if text.lower() == "unknown":
        return RangeBucket(label, np.nan, np.nan, 0, unknown=True)
    m = re.fullmatch(r"(>=|>)\s*(.+)", text)
    if m:
        value, dec = _number(m.group(2))
        low = value if m.group(1) == ">=" else value + 10.0 ** -dec
        return RangeBucket(label, low, np.inf, dec)
    low_text, high_text = (s.strip() for s in text.split(" - "))
    low, dl = _number(low_text)
    high, dh = _number(high_text)
    return RangeBucket(label, low, high, max(dl, dh))


def months_to_reset_of_date(label: str) -> int:
    """``"02/04"`` -> 1: months from the January 2004 cut-off to an ``MM/YY`` adjustment date."""
    mm, yy = (int(x) for x in label.split("/"))
    return (2000 + yy - 2004) * 12 + mm - 1


def date_of_months_to_reset(months_to_reset: np.ndarray) -> np.ndarray:
    """Inverse of :func:`months_to_reset_of_date`, vectorized: 1 -> ``"02/04"``."""
    m = np.asarray(months_to_reset, dtype=np.int64)
    total = 2004 * 12 + 0 + m  # months since year 0, January 2004 = 2004*12 + 0
    year, month0 = np.divmod(total, 12)
    return np.array([f"{mo + 1:02d}/{y % 100:02d}" for y, mo in zip(year, month0)], dtype=object)


def mtr_range(label: str) -> tuple[int, int]:
    """months_to_reset values (inclusive) counted in a Months to Roll row (see module notes)."""
    if label in _MTR_OVERRIDES:
        return _MTR_OVERRIDES[label]
    b = parse_range_label(label)
    return int(b.low), int(b.high) if np.isfinite(b.high) else 10_000


def bucket_labels(table: StratTable, tape: pd.DataFrame) -> np.ndarray:
    """The printed row label each loan of ``tape`` falls in, ``None`` where it is in none.

    ``None`` marks loans outside a subset table (LTV <= 80% for the PMI
    analysis) or, for a tape that does not match the term sheet, values no
    printed row covers.
    """
    n = len(tape)
    out = np.full(n, None, dtype=object)
    key = table.key
    if key in _ALL_LOAN_TABLES:
        out[:] = table.rows[0].label
    elif key in _CATEGORY_TABLES:
        values = tape[_CATEGORY_TABLES[key]].astype(str).to_numpy(dtype=object)
        for label in table.labels:
            out[values == label] = label
    elif key in _RANGE_TABLES:
        column, scale = _RANGE_TABLES[key]
        values = tape[column].to_numpy(dtype=float) * scale
        for label in table.labels:
            out[parse_range_label(label).contains(values) & (out == None)] = label  # noqa: E711
    elif key == "months_to_roll":
        m = tape["months_to_reset"].to_numpy()
        for label in table.labels:
            lo, hi = mtr_range(label)
            out[(m >= lo) & (m <= hi)] = label
    elif key == "next_adjustment_date":
        dates = date_of_months_to_reset(tape["months_to_reset"].to_numpy())
        for label in table.labels:
            out[dates == label] = label
    elif key == "ltv80_pmi":
        above = np.round(tape["ltv"].to_numpy(dtype=float) * 100.0, 2) > 80.0
        mi = tape["mi_insured"].to_numpy(dtype=bool)
        out[above & ~mi] = table.rows[0].label
        out[above & mi] = table.rows[1].label
    else:  # pragma: no cover - a new table in the JSON needs a rule here
        raise KeyError(f"no bucketing rule for strat table {key!r}")
    return out

