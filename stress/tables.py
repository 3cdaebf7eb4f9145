"""The dealer's decrement and price/DM table, as text and as JSON.

One column per speed, one block of rows per class: WAL, modified duration,
discount margin at the given price, principal window, and the impairments a
stress run can produce (principal written down, unpaid interest shortfall,
unpaid basis risk).
"""

from __future__ import annotations

import math

import numpy as np


def json_safe(value):
    """NaN and infinities become null (strict JSON); numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if kind == "years":
        return f"{value:.2f}"
    if kind == "bp":
        return f"{value:.1f}"
    if kind == "usd":
        return f"{value:,.0f}"
    return str(value)


_ROWS = (
    ("WAL (yr)", "wal_years", "years"),
    ("Mod Dur (yr)", "modified_duration", "years"),
    ("DM (bp)", "dm_bp", "bp"),
    ("First Prin", "first_principal", "text"),
    ("Last Prin", "last_principal", "text"),
    ("Writedown ($)", "writedown", "usd"),
    ("Int Shortfall ($)", "interest_shortfall", "usd"),
    ("Basis Risk Unpaid ($)", "basis_risk_unpaid", "usd"),
)


def decrement_table(runs, *, price: float = 100.0) -> str:
    """Text table for ``runs``, a list of ``(speed label, CashflowRun)``."""
    if not runs:
        return ""
    first = runs[0][1]
    a = first.assumptions
    header = [
        f"{first.deal.deal.name}: decrement and price/DM table, to {first.to}",
        f"curve: {first.curve_name}; price {price:.2f}; CDR {np.atleast_1d(a.cdr(1))[0]:.2%}, "
        f"severity {np.atleast_1d(a.severity_vector(1))[0]:.0%}, lag {a.liquidation_lag} months, "
        f"advancing {'on' if a.advancing else 'off'}",
        "WAL and duration in years from settlement; DM over the projected 1M LIBOR path, actual/360",
        "",
    ]
    summaries = [(label, run.class_summary(price=price)) for label, run in runs]
    width = max(12, *(len(label) + 2 for label, _ in runs))
    lines = header + [f"{'Class':<6}{'':<22}" + "".join(f"{label:>{width}}" for label, _ in runs)]
    for name in first.deal.tranche_names:
        for k, (title, key, kind) in enumerate(_ROWS):
            cells = "".join(f"{_fmt(s.loc[name, key], kind):>{width}}" for _, s in summaries)
            lines.append(f"{name if k == 0 else '':<6}{title:<22}{cells}")
        lines.append("")
    calls = "".join(f"{_fmt(str(run.schedule.unadjusted_dates[run.call_period])[:7] if run.call_period >= 0 else None, 'text'):>{width}}"
                    for _, run in runs)
    lines.append(f"{'':<6}{'Call date':<22}{calls}")
    return "\n".join(lines)


def runs_to_json(runs, *, price: float = 100.0) -> dict:
    """JSON-ready dict: per speed, per class figures and the per-period series."""
    out = {"price": price, "runs": []}
    for label, run in runs:
        summary = run.class_summary(price=price)
        classes = {}
        for name in run.deal.tranche_names:
            row = summary.loc[name]
            classes[name] = json_safe({key: row[key] for _, key, _ in _ROWS})
        table = run.period_table()
        series = {
            "date": table["date"].tolist(),
            "libor_1m": table["libor_1m"].round(8).tolist(),
            "afr": table["afr"].round(8).tolist(),
            "pool_balance": table["pool_balance"].round(2).tolist(),
            "bond_balance": table["bond_balance"].round(2).tolist(),
            "oc": table["oc"].round(2).tolist(),
            "oc_target": table["oc_target"].round(2).tolist(),
            "excess_cashflow": table["excess_cashflow"].round(2).tolist(),
            "cap_income": table["cap_income"].round(2).tolist(),
            "cpr": table["cpr"].round(8).tolist(),
            "cdr": table["cdr"].round(8).tolist(),
        }
        out["runs"].append({
            "speed": label,
            "to": run.to,
            "curve": run.curve_name,
            "call_date": (str(run.schedule.unadjusted_dates[run.call_period])
                          if run.call_period >= 0 else None),
            "classes": classes,
            "periods": series,
        })
    return out


def percent(x, se=None) -> str:
    """A fraction as a percent with three decimals, ``± se`` when given (``"-"`` for None)."""
    if x is None:
        return "-"
    text = f"{100 * x + 0.0:.3f}%"  # + 0.0: never "-0.000%"
    return text if se is None or se != se else f"{text} ±{100 * se:.3f}"


def _num(x, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def monte_carlo_summary(result: dict) -> str:
    """Text summary of a Monte Carlo run from ``summary.json``'s content (``attrs`` + ``summary``)."""
    attrs, s = result["attrs"], result["summary"]
    lines = [
        f"{attrs.get('title', 'Monte Carlo results')}",
        f"scenario {attrs.get('scenario')} ({attrs.get('behaviour_mode')} behaviour"
        + (", loan-level draws" if attrs.get("collateral_draws") == "loan" else "")
        + f", {attrs.get('rate_model')} rates), {s['paths']:,} paths, seed {attrs.get('seed')}, to {attrs.get('to')}"
        + (f", {attrs['wall_seconds']:.1f} s" if attrs.get("wall_seconds") else ""),
        "Losses are principal lost as a share of original balance; ± is one Monte Carlo standard error."
        if s["paths"] > 1 else "One deterministic path: losses are principal lost as a share of original balance.",
        "",
    ]
    if s["paths"] > 1:
        lines.append(f"{'class':<6}{'expected loss':>20}{'P(loss)':>20}{'99% loss':>20}{'99.9% loss':>20}"
                     f"{'ES 99%':>20}{'WAL (yr)':>14}")
    else:
        lines.append(f"{'class':<6}{'loss':>12}{'WAL (yr)':>12}")
    for name, t in s["tranches"].items():
        q, qse = t["loss_quantiles"], t["loss_quantiles_se"]
        if s["paths"] == 1:
            lines.append(f"{name:<6}{percent(t['expected_loss']):>12}{_num(t['wal_mean']):>12}")
            continue
        lines.append(
            f"{name:<6}{percent(t['expected_loss'], t['expected_loss_se']):>20}"
            f"{percent(t['probability_of_loss'], t['probability_of_loss_se']):>20}"
            f"{percent(q['0.99'], qse['0.99']):>20}{percent(q['0.999'], qse['0.999']):>20}"
            f"{percent(t['expected_shortfall_99'], t.get('expected_shortfall_99_se')):>20}"
            f"{_num(t['wal_mean']):>8} ±{_num(t['wal_mean_se'])}")
    c, oc = s["collateral"], s["oc"]
    many = s["paths"] > 1
    cq = c.get("cumulative_loss_quantiles") or {"0.99": c["cumulative_loss_p99"]}
    lines += [
        "",
        (f"collateral cumulative loss: mean {percent(c['cumulative_loss_mean'], c['cumulative_loss_se'])}; "
         + ", ".join(f"{float(q) * 100:g}th percentile {percent(v)}" for q, v in cq.items())) if many else
        f"collateral cumulative loss: {percent(c['cumulative_loss_mean'])}",
        f"OC below target after build-up: "
        f"{percent(oc['probability_ever_breached'], oc['probability_ever_breached_se'] if many else None)}"
        f" of paths; undercollateralized: {percent(oc['probability_undercollateralized'])}"
        + (f"; first breach median period {oc['first_breach_period_median']:.0f}"
           if oc.get("first_breach_period_median") else ""),
    ]
    call = s.get("call") or {}
    if "exercise_probability" in call:
        lines.append(f"clean-up call ({call['rule']}): exercised on "
                     f"{percent(call['exercise_probability'], call['exercise_probability_se'] if many else None)} of paths"
                     + (f", median period {call['call_period_median']:.0f}" if call.get("call_period_median") else "")
                     + ("; rating stresses run to maturity (no call credit)" if call["rule"] == "never" else ""))
    ts = s.get("tail_sampling")
    if ts:
        lines.append(f"importance sampling: normals tilted by {ts['tilt']:.4f} (national HPI), "
                     f"{ts.get('california_tilt', 0.0):.4f} (California), {ts.get('rate_tilt', 0.0):.4f} (rate) over "
                     f"{ts['tail_years']:g} years; effective sample size {ts['effective_sample_size']:,.0f} of "
                     f"{s['paths']:,} paths; mean weight {ts['mean_weight']:.3f} ± {ts['mean_weight_se']:.3f}")
    return "\n".join(lines)
