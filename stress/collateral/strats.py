"""Stratification tables recomputed from a loan tape, and compared with the term sheet.

:func:`compute_strats` rebuilds every table of the reference deal's term sheet
from any tape (bucketing rules in :mod:`stress.collateral.termsheet`);
:func:`compare_strats` sets them beside the printed ones and checks the
tolerances a representative tape must meet:

- every row: balance share within 0.5 percentage point of the printed
  ``% OF TOTAL`` (computed from the printed balance), loan count within 3% or
  3 loans, whichever is looser;
- every table's total row: balance-weighted gross WAC, net WAC, FICO, LTV,
  remaining term and age within 0.5% (relative) of the printed total row;
- joint structure: every row holding at least 5% of the pool by printed
  balance has its own gross WAC within 25 bp, FICO within 8 points and LTV
  within 2 points of its printed row;
- summary page: WA margin, first and subsequent periodic caps, lifetime cap,
  lifetime floor and months to first roll within 1% (relative).

Computed figures are in the term sheet's units: percent for rates and LTV,
dollars for balances. Net WAC is gross rate - servicing fee - master
servicing fee - trustee fee - lender-paid MI premium (fee rates from the
summary page). FICO and DTI averages skip loans whose value is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stress.collateral.termsheet import StratTable, TermSheet, bucket_labels, load_termsheet

SHARE_TOL_PP = 0.5
COUNT_TOL_REL, COUNT_TOL_ABS = 0.03, 3
TOTAL_TOL_REL = 0.005
JOINT_MIN_SHARE = 0.05
JOINT_TOL = {"gross_wac": 0.25, "fico": 8.0, "orig_ltv": 2.0}
SUMMARY_TOL_REL = 0.01
TOTAL_FIELDS = ("gross_wac", "net_wac", "fico", "orig_ltv", "remaining_term", "age")
COLUMNS = ("balance", "loan_count", "pct", "avg_balance", "min_wac", "max_wac", "gross_wac", "net_wac",
           "remaining_term", "age", "fico", "orig_ltv")


def net_rate(tape: pd.DataFrame, ts: TermSheet | None = None) -> np.ndarray:
    """Net mortgage rate per loan [annual, decimal]: gross less every fee off the top."""
    ts = ts or load_termsheet()
    fees = (ts.summary["master_servicing_fee_rate"] + ts.summary["trustee_fee_rate"]) / 100.0
    return (tape["gross_rate"].to_numpy(float) - tape["servicing_fee_rate"].to_numpy(float) - fees
            - tape["lpmi_rate"].to_numpy(float))


def _figures(tape: pd.DataFrame, mask: np.ndarray, net: np.ndarray, pool_total: float) -> dict:
    bal = tape["balance"].to_numpy(float)[mask]
    n = int(mask.sum())
    out = {c: np.nan for c in COLUMNS}
    out["loan_count"] = n
    out["balance"] = float(bal.sum())
    out["pct"] = 100.0 * out["balance"] / pool_total if pool_total else np.nan
    if n == 0:
        return out
    w = bal / bal.sum()
    gross = tape["gross_rate"].to_numpy(float)[mask] * 100.0
    fico = tape["fico"].to_numpy(float)[mask]
    known = ~np.isnan(fico)
    out.update(
        avg_balance=out["balance"] / n, min_wac=float(gross.min()), max_wac=float(gross.max()),
        gross_wac=float(w @ gross), net_wac=float(w @ (net[mask] * 100.0)),
        remaining_term=float(w @ tape["remaining_term"].to_numpy(float)[mask]),
        age=float(w @ tape["age"].to_numpy(float)[mask]),
        fico=float(bal[known] @ fico[known] / bal[known].sum()) if known.any() else np.nan,
        orig_ltv=float(w @ (tape["ltv"].to_numpy(float)[mask] * 100.0)),
    )
    return out


def compute_strats(tape: pd.DataFrame, ts: TermSheet | None = None) -> dict[str, pd.DataFrame]:
    """Every stratification table of the term sheet, recomputed from ``tape``.

    Returns
    -------
    dict of str -> pandas.DataFrame
        Keyed like :class:`~stress.collateral.termsheet.TermSheet`'s tables;
        each frame has one row per printed label (in printed order), then a
        ``"(other)"`` row if some loans fall in no printed row, then
        ``"TOTAL"``; columns as the term sheet prints them (percent,
        dollars), ``pct`` being the share of the table's total balance.
    """
    ts = ts or load_termsheet()
    net = net_rate(tape, ts)
    out = {}
    for key, table in ts.tables.items():
        labels = bucket_labels(table, tape)
        in_table = labels != None  # noqa: E711
        if table.is_subset:
            total = float(tape["balance"].to_numpy(float)[in_table].sum())
        else:
            total = float(tape["balance"].sum())
            in_table = np.ones(len(tape), dtype=bool)
        rows = {lbl: _figures(tape, labels == lbl, net, total) for lbl in table.labels}
        other = in_table & ~np.isin(labels, np.array(table.labels, dtype=object))
        if other.any():
            rows["(other)"] = _figures(tape, other, net, total)
        rows["TOTAL"] = _figures(tape, in_table, net, total)
        out[key] = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    return out


@dataclass
class Check:
    """One tolerance check: what, printed, computed, allowed deviation, passed."""

    what: str
    printed: float
    computed: float
    tolerance: float
    ok: bool

    def line(self) -> str:
        return (f"{self.what}: printed {self.printed:.4f}, computed {self.computed:.4f}, "
                f"diff {self.computed - self.printed:+.4f} (allowed {self.tolerance:.4f})")


def _check(what: str, printed: float, computed: float, tol: float) -> Check:
    ok = bool(np.isfinite(computed) and abs(computed - printed) <= tol + 1e-12)
    return Check(what, float(printed), float(computed), float(tol), ok)


@dataclass
class TableComparison:
    """A printed table beside the same table computed from a tape, with its checks."""

    table: StratTable
    computed: pd.DataFrame
    checks: list[Check] = field(default_factory=list)
    flags: dict[str, list[str]] = field(default_factory=dict)  # row label -> failed check names

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class StratComparison:
    """Term-sheet strats against a tape's: ``.ok``, ``.to_text()``, ``.to_dict()``."""

    tables: list[TableComparison]
    summary: list[Check]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables) and all(c.ok for c in self.summary)

    def checks(self) -> list[Check]:
        return [c for t in self.tables for c in t.checks] + list(self.summary)

    def failures(self) -> list[str]:
        """One line per failed check."""
        return [c.line() for c in self.checks() if not c.ok]

    def worst(self) -> dict[str, float]:
        """Largest |deviation| / tolerance per kind of check (1.0 = at the tolerance)."""
        out: dict[str, float] = {}
        for c in self.checks():
            kind = c.what.split(": ", 1)[-1].split(" ")[0] if ": " in c.what else c.what
            ratio = abs(c.computed - c.printed) / c.tolerance if c.tolerance else 0.0
            out[kind] = max(out.get(kind, 0.0), ratio)
        return out

    def to_text(self) -> str:
        """Each printed table beside the computed one; '*' marks rows out of tolerance."""
        lines = []
        head = (f"  {'':1} {'row':24s} {'bal% ts':>8s} {'tape':>8s} {'diff':>6s} {'n ts':>6s} {'tape':>6s} "
                f"{'wac ts':>7s} {'tape':>7s} {'net ts':>7s} {'tape':>7s} {'fico ts':>7s} {'tape':>6s} "
                f"{'ltv ts':>6s} {'tape':>6s}")
        for tc in self.tables:
            t = tc.table
            lines.append(f"{t.title}  [{t.key}]  {'ok' if tc.ok else 'OUT OF TOLERANCE'}")
            lines.append(head)
            c = tc.computed
            base = t.total.balance
            printed_rows = list(t.rows) + [t.total]
            for r, label in zip(printed_rows, list(t.labels) + ["TOTAL"]):
                m = c.loc[label]
                flag = "*" if tc.flags.get(label) else " "
                pf = "" if r.fico is None else f"{r.fico:.0f}"
                lines.append(
                    f"  {flag} {label[:24]:24s} {100 * r.balance / base:8.2f} {m['pct']:8.2f} "
                    f"{m['pct'] - 100 * r.balance / base:+6.2f} {r.loan_count:6d} {int(m['loan_count']):6d} "
                    f"{r.gross_wac:7.3f} {m['gross_wac']:7.3f} {r.net_wac:7.3f} {m['net_wac']:7.3f} "
                    f"{pf:>7s} {m['fico']:6.0f} {r.orig_ltv:6.1f} {m['orig_ltv']:6.1f}"
                    + (f"   <- {', '.join(tc.flags[label])}" if tc.flags.get(label) else ""))
            if "(other)" in c.index:
                m = c.loc["(other)"]
                lines.append(f"  * {'(in no printed row)':24s} {'':8s} {m['pct']:8.2f} {'':6s} {'':6s} "
                             f"{int(m['loan_count']):6d}")
            lines.append("")
        lines.append("Summary page")
        for s in self.summary:
            lines.append(f"  {'*' if not s.ok else ' '} {s.line()}")
        lines.append("")
        lines.append("all strats within tolerance" if self.ok else
                     f"{len(self.failures())} check(s) out of tolerance")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain data for ``--json``: per table the printed and computed rows and every check."""
        def clean(x):
            return None if isinstance(x, float) and not np.isfinite(x) else x

        tables = []
        for tc in self.tables:
            t = tc.table
            rows = []
            for r, label in zip(list(t.rows) + [t.total], list(t.labels) + ["TOTAL"]):
                m = tc.computed.loc[label]
                rows.append({"label": label, "printed": {k: clean(getattr(r, k)) for k in COLUMNS},
                             "computed": {k: clean(float(m[k])) for k in COLUMNS},
                             "flags": tc.flags.get(label, [])})
            tables.append({"key": t.key, "title": t.title, "ok": tc.ok, "rows": rows,
                           "checks": [vars(c) for c in tc.checks]})
        return {"ok": self.ok, "tables": tables, "summary": [vars(c) for c in self.summary],
                "failures": self.failures()}


def compare_strats(tape: pd.DataFrame, ts: TermSheet | None = None) -> StratComparison:
    """Compare every stratification table of ``tape`` with the term sheet's.

    Parameters
    ----------
    tape : pandas.DataFrame
        A validated loan tape (decimals, as :mod:`stress.collateral.schema`).
    ts : TermSheet, optional
        Defaults to the reference deal's.
    """
    ts = ts or load_termsheet()
    computed = compute_strats(tape, ts)
    pool_total = sum(r.balance for r in ts["product"].rows)
    tables = []
    for key, t in ts.tables.items():
        c = computed[key]
        tc = TableComparison(t, c)
        base = t.total.balance
        for r in t.rows:
            m = c.loc[r.label]
            name = f"{key} [{r.label}]"
            checks = [
                _check(f"{name}: share", 100 * r.balance / base, m["pct"], SHARE_TOL_PP),
                _check(f"{name}: count", r.loan_count, m["loan_count"],
                       max(COUNT_TOL_ABS, COUNT_TOL_REL * r.loan_count)),
            ]
            if r.balance / pool_total >= JOINT_MIN_SHARE:
                for f, tol in JOINT_TOL.items():
                    p = getattr(r, f)
                    if p is not None:
                        checks.append(_check(f"{name}: {f}", p, m[f], tol))
            tc.checks += checks
            bad = [ch.what.split(": ")[1] for ch in checks if not ch.ok]
            if bad:
                tc.flags[r.label] = bad
        if "(other)" in c.index:
            tc.checks.append(_check(f"{key} [(in no printed row)]: count", 0, c.loc["(other)", "loan_count"], 0))
        m = c.loc["TOTAL"]
        totals = []
        for f in TOTAL_FIELDS:
            p = getattr(t.total, f)
            if p is not None:
                totals.append(_check(f"{key} [TOTAL]: {f}", p, m[f], TOTAL_TOL_REL * abs(p)))
        totals.append(_check(f"{key} [TOTAL]: balance", t.total.balance, m["balance"], 0.5 * base / 100))
        tc.checks += totals
        bad = [ch.what.split(": ")[1] for ch in totals if not ch.ok]
        if bad:
            tc.flags["TOTAL"] = bad
        tables.append(tc)

    s = ts.summary
    bal = tape["balance"].to_numpy(float)
    w = bal / bal.sum()
    summary = [
        _check("summary: wa_gross_margin", s["wa_gross_margin"], 100 * w @ tape["margin"].to_numpy(float),
               SUMMARY_TOL_REL * s["wa_gross_margin"]),
        _check("summary: wa_first_periodic_cap", s["wa_first_periodic_cap"],
               100 * w @ tape["initial_cap"].to_numpy(float), SUMMARY_TOL_REL * s["wa_first_periodic_cap"]),
        _check("summary: wa_subsequent_periodic_cap", s["wa_subsequent_periodic_cap"],
               100 * w @ tape["periodic_cap"].to_numpy(float), SUMMARY_TOL_REL * s["wa_subsequent_periodic_cap"]),
        _check("summary: wa_lifetime_cap", s["wa_lifetime_cap"], 100 * w @ tape["max_rate"].to_numpy(float),
               SUMMARY_TOL_REL * s["wa_lifetime_cap"]),
        _check("summary: wa_lifetime_floor", s["wa_lifetime_floor"], 100 * w @ tape["min_rate"].to_numpy(float),
               SUMMARY_TOL_REL * s["wa_lifetime_floor"]),
        _check("summary: wa_months_to_first_roll", s["wa_months_to_first_roll"],
               w @ tape["months_to_reset"].to_numpy(float), SUMMARY_TOL_REL * s["wa_months_to_first_roll"]),
    ]
    return StratComparison(tables, summary)
