"""Tables of the stress report, as display-ready :class:`pandas.DataFrame` objects.

Each function takes the data a section is built from (the deal, the tape,
deterministic :class:`~stress.cashflows.CashflowRun` objects, a Monte Carlo
results Dataset, ``summary.json`` content) and returns a frame of formatted
strings whose column headers carry the units, so the PDF and the HTML writers
print exactly the same figures. Nothing here is a hard-coded number: every
cell is computed from its inputs.

Units: money in USD (whole dollars, or USD millions where the header says
so); rates and percentages in percent with the basis stated; WAL in years
from settlement; dates as ``YYYY-MM`` payment months.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

from stress import conventions

__all__ = [
    "deal_terms", "deal_facts", "collateral_summary", "collateral_by_product", "deterministic_assumptions",
    "scenario_assumptions", "decrement", "afr_schedule", "excess_spread", "breakeven_matrix",
    "scenario_results", "monte_carlo_results", "monte_carlo_collateral", "afr_percentiles", "to_html",
    "realized_placement", "backtest_by_year", "backtest_comparison", "call_table", "rating_pool_stresses",
    "is_numeric_column",
    "annualized_derivative_rate", "fixed", "period_date", "flatten_scenario", "deterministic_results",
    "deterministic_collateral", "group_label", "percent_outstanding", "prospectus_decrement", "class_cashflows",
    "cashflows_by_year", "strat_beside_termsheet", "rating_stress", "breakeven_side_by_side", "comparison_classes",
    "comparison_collateral",
]

DASH = "-"


def _finite(x) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def fixed(x: float, digits: int) -> str:
    """``x`` with ``digits`` decimals, never a negative zero (``-0.0004`` at 3 digits -> ``"0.000"``)."""
    text = f"{float(x):.{digits}f}"
    return text.lstrip("-") if float(text) == 0.0 else text


def pct(x, digits: int = 2, se=None) -> str:
    """``0.0123`` -> ``"1.23%"``; with ``se`` -> ``"1.23% ± 0.05"``; None / NaN -> ``"-"``; never ``"-0.00%"``."""
    if not _finite(x):
        return DASH
    text = f"{fixed(100.0 * float(x), digits)}%"
    return text if not _finite(se) else f"{text} \u00b1 {fixed(100.0 * float(se), digits)}"


def usd(x) -> str:
    return DASH if not _finite(x) else f"{float(x):,.0f}"


def _month(d) -> str:
    return str(np.datetime64(d, "M"))


def period_date(dates: np.ndarray, period) -> str:
    """Payment month ``YYYY-MM`` of a 1-based ``period`` (rounded to the nearest period), or ``"-"``."""
    if not _finite(period):
        return DASH
    k = int(np.clip(round(float(period)), 1, len(dates)))
    return _month(dates[k - 1])


# -- deal and collateral ------------------------------------------------------
def deal_terms(deal) -> pd.DataFrame:
    """Per class: original balance, share of bonds, margin, step-up, ratings, subordination, type."""
    total = deal.bond_balance
    rows = []
    for t in deal.tranches:
        rows.append({
            "Class": t.name,
            "Original balance (USD)": usd(t.balance),
            "% of bonds": pct(t.balance / total),
            "Margin over 1M LIBOR": pct(t.margin),
            "Step-up after call date": f"{t.step_up_multiple:g}x",
            "Ratings (Moody's/S&P)": f"{t.rating_moodys or DASH}/{t.rating_sp or DASH}",
            "Subordination": pct(t.subordination),
            "Loss allocation": "never written down" if t.writedown_order == 0 else f"written down #{t.writedown_order}",
        })
    rows.append({"Class": "Total", "Original balance (USD)": usd(total), "% of bonds": pct(1.0),
                 "Margin over 1M LIBOR": "", "Step-up after call date": "", "Ratings (Moody's/S&P)": "",
                 "Subordination": "", "Loss allocation": ""})
    return pd.DataFrame(rows)


def deal_facts(deal) -> pd.DataFrame:
    """Dates, coupon, fees, OC, call and derivative terms as Item / Value rows."""
    d, c, oc, call = deal.dates, deal.collateral, deal.overcollateralization, deal.clean_up_call
    rows = [
        ("Deal", deal.deal.name),
        ("Cut-off / closing / first payment", f"{d.cutoff} / {d.closing} / {d.first_payment}"),
        ("Payment day, accrual", f"{d.payment_day}th (next business day), {d.accrual_basis}"),
        ("Bond coupon", f"least of 1M LIBOR + margin, Available Funds Rate, {deal.coupon.fixed_cap:.2%}"),
        ("Collateral at cut-off", f"USD {c.cutoff_balance:,.2f} in {c.loan_count:,} loans"),
        ("Pricing speed (100% PPC)", f"{c.pricing_speed_cpr:.0%} CPR"),
        ("Fees off the top", "servicing " + " / ".join(f"{r:.3%}" for r in c.servicing_fee_rates)
         + f"; master servicing {c.master_servicing_fee_rate:.3%}; trustee {c.trustee_fee_rate:.4%}; "
         f"PMI premium (WA) {c.premium_rate_wa:.3%}"),
        ("OC target", f"USD {oc.initial_target:,.0f} through {oc.target_effective_after}, then "
         f"{oc.target_fraction_of_cutoff:.2%} of cut-off balance (USD "
         f"{oc.target_fraction_of_cutoff * c.cutoff_balance:,.0f}), no step-down"),
        ("Clean-up call", f"pool <= {call.pool_fraction:.0%} of cut-off balance or the {call.date} payment date, "
         f"at {call.price}"),
    ]
    for dv in deal.derivatives:
        rate = dv.fixed_rate if dv.kind == "swap" else dv.strike
        what = "pays fixed" if dv.kind == "swap" else "strike"
        rows.append((f"Derivative {dv.name}", f"{dv.kind}, notional USD {dv.initial_notional:,.0f}, {dv.start} to {dv.end}, "
                                               f"{what} {rate:.4%}"))
    return pd.DataFrame(rows, columns=["Item", "Value"])


def collateral_summary(tape: pd.DataFrame, deal=None) -> pd.DataFrame:
    """Pool figures computed from the loan tape, beside the deal file's cut-off figures."""
    from stress.collateral.strats import net_rate

    bal = tape["balance"].to_numpy(float)
    w = bal / bal.sum()
    fico = tape["fico"].to_numpy(float)
    known = np.isfinite(fico)
    rows = [
        ("Loans", f"{len(tape):,}"),
        ("Aggregate balance (USD)", f"{bal.sum():,.2f}"),
        ("Average balance (USD)", f"{bal.mean():,.0f}"),
        ("WA gross coupon", pct(w @ tape["gross_rate"].to_numpy(float), 3)),
        ("WA net mortgage rate (after all fees)", pct(w @ net_rate(tape), 3)),
        ("WA margin", pct(w @ tape["margin"].to_numpy(float), 3)),
        ("WA months to next reset", f"{w @ tape['months_to_reset'].to_numpy(float):.1f}"),
        ("WA remaining term (months)", f"{w @ tape['remaining_term'].to_numpy(float):.1f}"),
        ("WA age (months)", f"{w @ tape['age'].to_numpy(float):.1f}"),
        ("WA original LTV", pct(w @ tape["ltv"].to_numpy(float), 1)),
        ("WA FICO", f"{bal[known] @ fico[known] / bal[known].sum():.0f}" if known.any() else DASH),
        ("California share", pct(bal[(tape["state"] == "CA").to_numpy()].sum() / bal.sum(), 1)),
        ("Full documentation share", pct(bal[(tape["doc_type"] == "FULL").to_numpy()].sum() / bal.sum(), 1)),
        ("With prepayment penalty", pct(bal[(tape["prepay_penalty_months"] > 0).to_numpy()].sum() / bal.sum(), 1)),
    ]
    if deal is not None:
        c = deal.collateral
        rows.insert(2, ("Deal file cut-off balance / loans", f"USD {c.cutoff_balance:,.2f} / {c.loan_count:,}"))
    return pd.DataFrame(rows, columns=["Item", "Value"])


def collateral_by_product(tape: pd.DataFrame) -> pd.DataFrame:
    """The term sheet's product stratification, recomputed from the tape."""
    from stress.collateral.strats import compute_strats

    frame = compute_strats(tape)["product"]
    out = pd.DataFrame({
        "Product": frame.index,
        "Loans": frame["loan_count"].map(lambda v: f"{int(v):,}"),
        "Balance (USD)": frame["balance"].map(usd),
        "% of pool": frame["pct"].map(lambda v: f"{v:.2f}%"),
        "WA gross coupon": frame["gross_wac"].map(lambda v: DASH if not _finite(v) else f"{v:.3f}%"),
        "WA net rate": frame["net_wac"].map(lambda v: DASH if not _finite(v) else f"{v:.3f}%"),
        "WA FICO": frame["fico"].map(lambda v: DASH if not _finite(v) else f"{v:.0f}"),
        "WA orig. LTV": frame["orig_ltv"].map(lambda v: DASH if not _finite(v) else f"{v:.1f}%"),
    })
    return out.reset_index(drop=True)


# -- assumptions --------------------------------------------------------------
def _assumption_text(a) -> dict:
    return {
        "Prepayment": str(a.prepayment) if not isinstance(a.prepayment, float) else f"{a.prepayment:.1%} CPR",
        "Default": str(a.default) if not isinstance(a.default, float) else f"{a.default:.2%} CDR",
        "Severity": (f"{a.severity:.0%}" if isinstance(a.severity, float) else "vector"),
        "Liquidation lag": f"{a.liquidation_lag} months",
        "Servicer advancing": "yes" if a.advancing else "no",
    }


def deterministic_assumptions(sections: list[tuple[str, str, str, object, str]]) -> pd.DataFrame:
    """One row per deterministic section: ``(section, rate cases, speeds, Assumptions, to)``."""
    rows = []
    for section, rates, speeds, a, to in sections:
        text = _assumption_text(a)
        rows.append({"Section": section, "Rate vectors": rates, "Prepayment speeds": speeds,
                     "Default (CDR)": text["Default"], "Severity": text["Severity"],
                     "Liq. lag": text["Liquidation lag"], "Advancing": text["Servicer advancing"],
                     "Run to": "call (exercised)" if to == "call" else "maturity (no call)"})
    return pd.DataFrame(rows)


def flatten_scenario(scenario) -> dict[str, object]:
    """A scenario's drivers as ``{"home_prices.california.volatility": 0.1, ...}`` (identity keys left out)."""
    data = scenario.model_dump(mode="json", exclude={"path", "scenario", "simulation"})
    out: dict[str, object] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        else:
            out[prefix] = value

    walk("", data)
    return out


def _driver_label(key: str) -> str:
    """``"home_prices.california.volatility"`` -> ``"Home prices: California: volatility"``."""
    parts = [p.replace("_", " ") for p in key.split(".")]
    parts = [("California" if p == "california" else ("G2++" if p == "g2pp" else p)) for p in parts]
    return ": ".join([parts[0][:1].upper() + parts[0][1:]] + parts[1:])


def _driver_value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_driver_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_driver_value(v)}" for k, v in value.items())
    return str(value)


def scenario_assumptions(runs, base) -> pd.DataFrame:
    """Every driver that differs from the base scenario, per Monte Carlo run (columns), beside base's value.

    ``runs`` is a sequence of objects with ``name``, ``attrs`` (the results
    Dataset's attributes), ``scenario`` (the validated Scenario, or None) and
    ``n_paths``; ``base`` is the base Scenario. The rows are computed from the
    scenario objects (:func:`flatten_scenario`), so a new scenario key shows
    up here when a run sets it away from base.
    """
    base_drivers = flatten_scenario(base)
    drivers = {run.name: flatten_scenario(run.scenario) for run in runs if run.scenario is not None}
    keys = list(base_drivers)
    for d in drivers.values():
        keys += [k for k in d if k not in keys]
    differing = [k for k in keys if any(d.get(k, base_drivers.get(k)) != base_drivers.get(k)
                                        for d in drivers.values())]
    ref = f"{base.name} (reference)"
    to_text = {"call": "call (exercised)", "maturity": "maturity (no call)"}
    rows = {
        "Paths / seed": {run.name: f"{run.n_paths:,} / {run.attrs.get('seed')}" for run in runs},
        "Run to": {run.name: to_text.get(str(run.attrs.get("to")), str(run.attrs.get("to"))) for run in runs},
    }
    rows["Paths / seed"][ref] = f"{base.simulation.paths:,} / {base.simulation.seed}"
    rows["Run to"][ref] = to_text[base.scenario.to]
    for key in differing:
        row = {ref: _driver_value(base_drivers.get(key))}
        for run in runs:
            d = drivers.get(run.name)
            row[run.name] = DASH if d is None else _driver_value(d.get(key, base_drivers.get(key)))
        rows[_driver_label(key)] = row
    columns = [ref] + [run.name for run in runs]
    frame = pd.DataFrame(rows).T.reindex(columns=columns).fillna(DASH)
    frame.insert(0, "Driver", frame.index)
    return frame.reset_index(drop=True)


# -- deterministic sections ---------------------------------------------------
def decrement(runs: list[tuple[str, object]]) -> pd.DataFrame:
    """WAL and principal window per class (rows) and speed (columns), from ``(label, CashflowRun)`` pairs."""
    summaries = [(label, run.class_summary()) for label, run in runs]
    names = runs[0][1].deal.tranche_names
    rows = []
    for name in names:
        for metric in ("WAL (years)", "Principal window"):
            row = {"Class": name, "Measure": metric}
            for label, s in summaries:
                r = s.loc[name]
                if metric == "WAL (years)":
                    row[label] = DASH if not _finite(r["wal_years"]) else f"{r['wal_years']:.2f}"
                else:
                    row[label] = (f"{r['first_principal']} to {r['last_principal']}"
                                  if r["first_principal"] else DASH)
            rows.append(row)
    row = {"Class": "Pool", "Measure": "Clean-up call date"}
    for label, run in runs:
        row[label] = _month(run.schedule.unadjusted_dates[run.call_period]) if run.call_period >= 0 else DASH
    rows.append(row)
    return pd.DataFrame(rows)


def annualized_derivative_rate(run) -> np.ndarray:
    """Derivative income as an annual rate on the bonds [decimal, actual/360], by period.

    ``income x 360 / accrual days / bond balance before the payment``; the
    AFR "with cap income" adds this to the AFR as computed by the waterfall.
    """
    b = run.bonds
    before = np.concatenate([[run.deal.bond_balance], b.balance.sum(axis=1)[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = b.derivative_income * 360.0 / run.schedule.accrual_days / before
    return np.where(before > conventions.NO_LOSS_USD, rate, np.nan)


def afr_schedule(runs: dict[str, object], *, n_periods: int | None = None, numeric: bool = False) -> pd.DataFrame:
    """AFR by period per rate case, without and with derivative (cap/swap) income.

    Parameters
    ----------
    runs : dict of str to CashflowRun
        Rate case label -> deterministic run (same speed and horizon).
    n_periods : int, optional
        Periods to list (default: the longest run's last period).
    numeric : bool
        Return decimals (for charts) instead of formatted percent strings.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``date`` and, per case ``C``, ``"C"`` (AFR as computed:
        net mortgage rate after Net Derivative Fees x pool / bonds x 30 /
        days) and ``"C + cap income"`` (plus derivative receipts x 360 / days /
        bond balance before the payment) [annual rate, actual/360].
    """
    first = next(iter(runs.values()))
    n = n_periods or max(run.last_period + 1 for run in runs.values())
    frame = pd.DataFrame({"period": np.arange(1, n + 1),
                          "date": [str(d) for d in first.schedule.payment_dates[:n]]})
    for label, run in runs.items():
        afr = np.full(n, np.nan)
        m = min(n, run.last_period + 1)
        afr[:m] = run.bonds.afr[:m]
        extra = np.full(n, np.nan)
        extra[:m] = annualized_derivative_rate(run)[:m]
        frame[label] = afr
        frame[f"{label} + cap income"] = afr + np.nan_to_num(extra)
    if numeric:
        return frame
    out = frame.copy()
    for col in out.columns[2:]:
        out[col] = out[col].map(lambda v: pct(v, 3))
    out.columns = ["Period", "Payment date"] + [f"{c} (AFR, %)" for c in frame.columns[2:]]
    return out


def excess_spread(runs: dict[str, object], *, n_periods: int | None = None, numeric: bool = False) -> pd.DataFrame:
    """Excess spread by period per rate case [annual, decimal of the pool balance].

    Excess spread = (net interest collected after every fee - Net Derivative
    Fees paid - current interest paid to the bonds) x 12 / pool balance at
    the start of the period: the interest left to absorb losses. It is the
    interest part of the waterfall's Excess Cash Flow; OC releases and the
    clean-up call proceeds (principal, not spread) are left out, and
    derivative receipts (which only pay basis risk) are not counted.
    """
    first = next(iter(runs.values()))
    n = n_periods or max(run.last_period + 1 for run in runs.values())
    frame = pd.DataFrame({"period": np.arange(1, n + 1),
                          "date": [str(d) for d in first.schedule.payment_dates[:n]]})
    for label, run in runs.items():
        values = np.full(n, np.nan)
        m = min(n, run.last_period + 1)
        begin = run.pool.pool_balance_begin[:m]
        b = run.bonds
        spread = run.pool.net_interest[:m] - b.derivative_fee[:m] - b.interest_paid[:m].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values[:m] = np.where(begin > conventions.NO_LOSS_USD, spread * 12.0 / begin, np.nan)
        frame[label] = values
    if numeric:
        return frame
    out = frame.copy()
    for col in out.columns[2:]:
        out[col] = out[col].map(lambda v: pct(v, 3))
    out.columns = ["Period", "Payment date"] + [f"{c} (% p.a.)" for c in frame.columns[2:]]
    return out


def breakeven_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Breakeven CDR and the cumulative loss it implies, class (rows) by speed / severity / rate case (columns)."""
    cols = {}
    several = table["rate_case"].nunique() > 1
    for (case, speed, sev), cell in table.groupby(["rate_case", "prepayment", "severity"], sort=False):
        label = f"{speed}, {sev:.0%} severity" + (f", {case}" if several else "")
        cols[label] = {r.tranche: f"{r.breakeven_cdr:.2%} ({r.cumulative_loss:.2%})" for r in cell.itertuples()}
    frame = pd.DataFrame(cols)
    frame.insert(0, "Class", frame.index)
    return frame.reset_index(drop=True)


# -- Monte Carlo sections -----------------------------------------------------
def scenario_results(ds, deal) -> pd.DataFrame:
    """Per class, over the paths of one run: write-down, principal loss, interest shortfall, WAL, first loss.

    - Write-down: realized losses allocated to the class over the run
      [percent of original balance]; mean and worst path.
    - Principal loss: written down and not reimbursed, or never repaid.
    - Interest shortfall: share of paths with an Unpaid Interest Shortfall at
      any time; mean of each path's largest outstanding amount [USD].
    - First loss: payment month of the first write-down, earliest and median
      over the paths that have one.

    Importance-sampled runs (``weight`` not all 1): means, shares and the
    median are weighted (:mod:`stress.metrics` ``path_mean``, ``path_nanmean``,
    ``path_quantiles``); "worst" and "earliest" are over the paths drawn.
    """
    from stress.metrics import path_mean, path_nanmean, path_quantiles, path_weights

    original = np.array([t.balance for t in deal.tranches], dtype=np.float64)
    written = np.asarray(ds["writedown"].sum("period").values) / original[None, :]
    short = np.asarray(ds["interest_shortfall"].max("period").values)
    loss = np.asarray(ds["loss_pct"].values)
    wal = np.asarray(ds["wal_years"].values)
    first = np.asarray(ds["first_loss_period"].values)
    dates = np.asarray(ds["date"].values).astype("datetime64[M]")
    w = path_weights(ds)  # importance-sampled runs: every mean, share and median weighted
    mean = lambda x: float(path_mean(x, w)[0])  # noqa: E731
    wal_mean = path_nanmean(wal, w)[0]
    rows = []
    for j, name in enumerate(str(t) for t in ds["tranche"].values):
        hit = np.isfinite(first[:, j])
        median = int(round(float(path_quantiles(first[:, j], [0.5], w)[0]))) if hit.any() else 0
        rows.append({
            "Class": name,
            "Write-down, mean (% orig.)": pct(mean(written[:, j]), 3),
            "Write-down, worst path (% orig.)": pct(written[:, j].max(), 3),
            "Principal loss, mean (% orig.)": pct(mean(loss[:, j]), 3),
            "Paths with interest shortfall": pct(mean((short[:, j] > conventions.NO_LOSS_USD).astype(float)), 1),
            "Max interest shortfall, mean (USD)": usd(mean(short[:, j])),
            "WAL, mean (years)": DASH if not np.isfinite(wal_mean[j]) else f"{wal_mean[j]:.2f}",
            "First loss, earliest": str(dates[int(first[hit, j].min()) - 1]) if hit.any() else "no loss",
            "First loss, median": str(dates[median - 1]) if hit.any() else "no loss",
        })
    return pd.DataFrame(rows)


def monte_carlo_results(summary: dict) -> pd.DataFrame:
    """Per class from ``summary.json``: expected loss, P(loss), tail quantiles, ES, WAL, each ± one standard error."""
    rows = []
    for name, t in summary["tranches"].items():
        q, qse = t["loss_quantiles"], t["loss_quantiles_se"]
        rows.append({
            "Class": name,
            "Expected loss": pct(t["expected_loss"], 3, t["expected_loss_se"]),
            "P(loss)": pct(t["probability_of_loss"], 2, t["probability_of_loss_se"]),
            "Median loss": pct(q.get("0.5"), 3),
            "95% loss": pct(q.get("0.95"), 3, qse.get("0.95")),
            "99% loss": pct(q.get("0.99"), 3, qse.get("0.99")),
            "99.9% loss": pct(q.get("0.999"), 3, qse.get("0.999")),
            "ES 99%": pct(t["expected_shortfall_99"], 3, t.get("expected_shortfall_99_se")),
            "WAL mean (yr)": (DASH if not _finite(t["wal_mean"]) else
                              f"{t['wal_mean']:.2f}" + (f" \u00b1 {t['wal_mean_se']:.2f}"
                                                         if _finite(t.get("wal_mean_se")) else "")),
        })
    return pd.DataFrame(rows)


def monte_carlo_collateral(summary: dict, ds=None) -> pd.DataFrame:
    """Collateral loss and OC figures of a run as Item / Value rows (± one standard error)."""
    c, oc = summary["collateral"], summary["oc"]
    rows = [
        ("Paths", f"{summary['paths']:,}"),
        ("Cumulative collateral loss, mean (% of cut-off)", pct(c["cumulative_loss_mean"], 3,
                                                                c["cumulative_loss_se"])),
        ("Cumulative collateral loss, 99th percentile", pct(c["cumulative_loss_p99"], 3)),
        ("P(OC below target after build-up, ever)", pct(oc["probability_ever_breached"], 2,
                                                         oc["probability_ever_breached_se"])),
        ("P(undercollateralized: bonds > pool)", pct(oc["probability_undercollateralized"], 2,
                                                      oc.get("probability_undercollateralized_se"))),
    ]
    keys = ("first_breach_period_p10", "first_breach_period_median", "first_breach_period_p90")
    if ds is not None:
        dates = np.asarray(ds["date"].values)
        rows.append(("First OC breach (payment date): 10th / median / 90th percentile of breaching paths",
                     " / ".join(period_date(dates, oc.get(k)) for k in keys)))
    else:
        rows.append(("First OC breach (period): 10th / median / 90th percentile of breaching paths",
                     " / ".join(DASH if oc.get(k) is None else f"{oc[k]:.0f}" for k in keys)))
    if ds is not None:
        from stress.metrics import oc_breach_probability

        p = oc_breach_probability(ds)
        est = np.asarray(p["estimate"].values)
        if est.size and np.nanmax(est) > 0:
            k = int(np.nanargmax(est))
            rows.append(("Highest per-period P(OC below target)",
                         f"{pct(est[k], 2, float(p['std_error'].values[k]))} on "
                         f"{_month(np.asarray(ds['date'].values)[k])}"))
        else:
            rows.append(("Highest per-period P(OC below target)", pct(0.0, 2)))
    return pd.DataFrame(rows, columns=["Item", "Value"])


def afr_percentiles(ds, *, periods=(1, 6, 12, 24, 36, 48, 60)) -> pd.DataFrame:
    """AFR percentiles over paths at selected periods (while any path has bonds) [annual, percent]."""
    from stress.metrics import afr_quantiles

    q = (0.01, 0.05, 0.5, 0.95, 0.99)
    n = int(np.flatnonzero(np.asarray(ds["bond_balance"].max("path").values) > conventions.NO_LOSS_USD).max(initial=0)) + 1
    chosen = [p for p in periods if p <= n]
    sub = ds[["afr"] + (["weight"] if "weight" in ds else [])].isel(period=[p - 1 for p in chosen])  # weighted
    values = np.asarray(afr_quantiles(sub, q=q).values)  # (q, period)
    dates = np.asarray(ds["date"].values)
    rows = []
    for k, p in enumerate(chosen):
        row = {"Period": str(p), "Payment date": _month(dates[p - 1])}
        for i, qq in enumerate(q):
            row[f"{qq:.0%} AFR"] = pct(values[i, k], 3)
        rows.append(row)
    return pd.DataFrame(rows)


# -- deterministic runs shown as such ------------------------------------------
def deterministic_results(summary: dict, ds) -> pd.DataFrame:
    """Per class of a one-path (or randomness-free) run: principal loss, WAL, first loss; no standard errors."""
    dates = np.asarray(ds["date"].values)
    rows = []
    for name, t in summary["tranches"].items():
        rows.append({
            "Class": name,
            "Principal loss (% orig.)": pct(t["expected_loss"], 3),
            "Loses principal": "yes" if t["probability_of_loss"] > 0.5 else "no",
            "WAL (yr)": DASH if not _finite(t["wal_mean"]) else f"{t['wal_mean']:.2f}",
            "First write-down (payment date)": ("no loss" if t.get("first_loss_period_median") is None
                                                else period_date(dates, t["first_loss_period_median"])),
        })
    return pd.DataFrame(rows)


def deterministic_collateral(summary: dict, ds) -> pd.DataFrame:
    """Collateral loss and OC figures of a one-path run as Item / Value rows (no probabilities)."""
    c, oc = summary["collateral"], summary["oc"]
    dates = np.asarray(ds["date"].values)
    rows = [
        ("Cumulative collateral loss (% of cut-off)", pct(c["cumulative_loss_mean"], 3)),
        ("OC below target after build-up", "yes" if oc["probability_ever_breached"] > 0.5 else "no"),
        ("First OC breach (payment date)", period_date(dates, oc.get("first_breach_period_median"))),
        ("Undercollateralized (bonds > pool)", "yes" if oc["probability_undercollateralized"] > 0.5 else "no"),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"])


# -- analyst tables ------------------------------------------------------------
def group_label(names: list[str], order: list[str] | None = None) -> str:
    """``["A-1", "A-2", "M-1"]`` -> ``"A-1 \u2026 M-1"`` when they run consecutively in ``order``, else a list."""
    if len(names) == 1:
        return names[0]
    order = order or names
    idx = [order.index(n) for n in names]
    if len(names) > 2 and idx == list(range(idx[0], idx[0] + len(names))):
        return f"{names[0]} \u2026 {names[-1]}"
    return ", ".join(names)


def anniversary_periods(run) -> list[tuple[str, int]]:
    """``(label, period index)`` of the last payment date on or before each anniversary of closing."""
    dates = np.asarray(run.schedule.payment_dates).astype("datetime64[D]")
    closing = run.deal.dates.closing
    out = []
    for k in range(1, 61):
        try:
            anniversary = closing.replace(year=closing.year + k)
        except ValueError:  # 29 February
            anniversary = closing.replace(year=closing.year + k, day=28)
        day = np.datetime64(anniversary, "D")
        idx = np.flatnonzero(dates <= day)
        if not idx.size or day - dates[-1] > np.timedelta64(31, "D"):  # past the last payment date
            break
        out.append((_month(dates[idx[-1]]), int(idx[-1])))
    return out


def _decrement_cell(share: float) -> str:
    # prospectus convention: whole percent; "*" for more than 0% but less than 0.5%
    if share <= 0.0:
        return "0"
    if share < 0.005:
        return "*"
    return f"{100.0 * share:.0f}"


def percent_outstanding(runs: list[tuple[str, object]], j: int) -> pd.DataFrame:
    """Percent of class ``j``'s original balance outstanding at each anniversary, per speed (numeric, decimal)."""
    first = runs[0][1]
    original = first.deal.tranches[j].balance
    rows = {"Initial": [1.0] * len(runs)}
    for label, k in anniversary_periods(first):
        rows[label] = [float(run.bonds.balance[k, j]) / original if k <= run.last_period else 0.0
                       for _, run in runs]
        if all(v <= 0.0 for v in rows[label]):
            break
    return pd.DataFrame.from_dict(rows, orient="index", columns=[label for label, _ in runs])


def prospectus_decrement(maturity_runs: list[tuple[str, object]], call_runs: list[tuple[str, object]],
                         group: list[str]) -> pd.DataFrame:
    """The prospectus decrement table of the classes in ``group`` (identical): % outstanding, then WALs."""
    deal = maturity_runs[0][1].deal
    j = deal.tranche_names.index(group[0])
    shares = percent_outstanding(maturity_runs, j)
    out = shares.apply(lambda col: col.map(_decrement_cell))
    wal_m = [r.class_summary().loc[group[0], "wal_years"] for _, r in maturity_runs]
    wal_c = [r.class_summary().loc[group[0], "wal_years"] for _, r in call_runs]
    out.loc["WAL to maturity (yr)"] = [DASH if not _finite(w) else f"{w:.2f}" for w in wal_m]
    out.loc["WAL to call (yr)"] = [DASH if not _finite(w) else f"{w:.2f}" for w in wal_c]
    out.insert(0, "Payment date", out.index)
    return out.reset_index(drop=True)


def class_cashflows(run, j: int) -> pd.DataFrame:
    """Class ``j``'s cash flows by payment date [USD; coupon as annual decimal]: the CSV written beside the report."""
    b = run.bonds
    n = run.last_period + 1
    original = run.deal.tranches[j].balance
    begin = np.concatenate([[original], b.balance[: n - 1, j]])
    return pd.DataFrame({
        "period": np.arange(1, n + 1),
        "payment_date": [str(d) for d in run.schedule.payment_dates[:n]],
        "beginning_balance": begin,
        "coupon": b.coupon[:n, j],
        "interest_paid": b.interest_paid[:n, j],
        "principal_paid": b.principal_paid[:n, j],
        "writedown": b.writedown[:n, j],
        "loss_reimbursed": b.arla_reimbursed[:n, j],
        "interest_shortfall_paid": b.shortfall_paid[:n, j],
        "basis_risk_paid": b.basis_risk_paid_from_derivatives[:n, j] + b.basis_risk_paid_from_excess[:n, j],
        "total_cash": run.class_cashflow(j)[:n],
        "ending_balance": b.balance[:n, j],
    })


def cashflows_by_year(run) -> pd.DataFrame:
    """Every class's cash flows summed by calendar year of payment [USD], with the balance at year end."""
    rows = []
    for j, name in enumerate(run.deal.tranche_names):
        cf = class_cashflows(run, j)
        cf["year"] = cf["payment_date"].str[:4]
        for year, g in cf.groupby("year", sort=True):
            rows.append({"Class": name, "Year": year, "Payments": f"{len(g)}",
                         "Interest (USD)": usd(g["interest_paid"].sum()),
                         "Principal (USD)": usd(g["principal_paid"].sum()),
                         "Write-down (USD)": usd(g["writedown"].sum()),
                         "Coupon range (%)": (f"{fixed(100 * g['coupon'].min(), 3)}\u2013"
                                              f"{fixed(100 * g['coupon'].max(), 3)}"),
                         "Balance at year end (USD)": usd(g["ending_balance"].iloc[-1])})
    return pd.DataFrame(rows)


def strat_beside_termsheet(computed: pd.DataFrame, printed, *, label: str = "Bucket",
                           top: int | None = None) -> pd.DataFrame:
    """One term-sheet stratification beside the tape's: share of pool, loans, WA FICO and LTV.

    ``computed`` is :func:`stress.collateral.strats.compute_strats` output for
    the table, ``printed`` the :class:`~stress.collateral.termsheet.StratTable`.
    ``top`` keeps the largest rows by printed balance and sums the rest.
    """
    base = printed.total.balance
    rows = []
    for r in printed.rows:
        m = computed.loc[r.label]
        rows.append({"label": r.label, "ts_pct": 100 * r.balance / base, "tape_pct": float(m["pct"]),
                     "ts_n": r.loan_count, "tape_n": int(m["loan_count"]), "fico": m["fico"], "ltv": m["orig_ltv"],
                     "wac": m["gross_wac"], "bal": float(m["balance"])})
    frame = pd.DataFrame(rows)
    if top is not None and len(frame) > top:
        frame = frame.sort_values("ts_pct", ascending=False)
        head, rest = frame.iloc[:top], frame.iloc[top:]
        w = rest["bal"].to_numpy()
        wsum = w.sum() or 1.0
        other = {"label": f"all other ({len(rest)})", "ts_pct": rest["ts_pct"].sum(),
                 "tape_pct": rest["tape_pct"].sum(),
                 "ts_n": rest["ts_n"].sum(), "tape_n": rest["tape_n"].sum(),
                 "fico": float(np.nansum(rest["fico"] * w) / wsum), "ltv": float((rest["ltv"] * w).sum() / wsum),
                 "wac": float((rest["wac"] * w).sum() / wsum), "bal": wsum}
        frame = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    return pd.DataFrame({
        label: frame["label"],
        "Term sheet (% of pool)": frame["ts_pct"].map(lambda v: f"{fixed(v, 2)}%"),
        "Tape (% of pool)": frame["tape_pct"].map(lambda v: f"{fixed(v, 2)}%"),
        "Difference (pp)": (frame["tape_pct"] - frame["ts_pct"]).map(lambda v: fixed(v, 2)),
        "Loans: term sheet / tape": [f"{int(a):,} / {int(b):,}" for a, b in zip(frame["ts_n"], frame["tape_n"])],
        "Tape WA coupon": frame["wac"].map(lambda v: DASH if not _finite(v) else f"{fixed(v, 3)}%"),
        "Tape WA FICO": frame["fico"].map(lambda v: DASH if not _finite(v) else f"{v:.0f}"),
        "Tape WA LTV": frame["ltv"].map(lambda v: DASH if not _finite(v) else f"{fixed(v, 1)}%"),
    })


def rating_stress(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`stress.report.sources.rating_stress_table` formatted: loss and pass/fail per level, implied rating."""
    levels = table.attrs["levels"]
    rows = []
    for name, r in table.iterrows():
        row = {"Class": name,
               "Expected (Moody's / S&P)": f"{r['expected_moodys'] or DASH} / {r['expected_sp'] or DASH}"}
        for level in levels:
            row[f"{level} stress"] = f"{pct(r[level], 2)} {'pass' if r[level] <= 0 else 'FAIL'}"
        row["Implied rating"] = r["implied_rating"]
        met = r.get("meets_expected")
        row["Implied vs expected"] = DASH if met is None else ("at or above" if met else "below")
        rows.append(row)
    return pd.DataFrame(rows)


def rating_pool_stresses(table: pd.DataFrame) -> pd.DataFrame:
    """Per rating level, the pool stress of the loan-level method: default x severity = loss, and realized loss.

    ``table`` is :func:`stress.report.sources.rating_stress_table`'s frame;
    its ``attrs["pool"]`` holds each level's cumulative default, severity and
    loss [fractions of the cut-off balance] and the collateral loss realized
    in the deal run at each prepayment speed.
    """
    rows = []
    for level in table.attrs.get("levels", []):
        p = table.attrs["pool"][level]
        row = {"Level": level, "Pool default (% of cut-off)": pct(p["cumulative_default"], 2),
               "Severity": pct(p["severity"], 2), "Loss = default x severity": pct(p["loss"], 2)}
        for speed in table.attrs.get("prepayment", []):
            row[f"Realized loss, {speed}"] = pct(p[f"realized_loss {speed}"], 2)
        rows.append(row)
    return pd.DataFrame(rows)


def breakeven_side_by_side(first_dollar: pd.DataFrame, material: pd.DataFrame, *, threshold: float,
                           prepayment: str, rate_case: str) -> pd.DataFrame:
    """First-dollar and loss-threshold breakeven CDR per class (rows) and severity, for one speed and rate case."""
    sel = lambda t: t[(t["prepayment"] == prepayment) & (t["rate_case"] == rate_case)]  # noqa: E731
    a, b = sel(first_dollar), sel(material)
    cols = {}
    for sev in sorted(a["severity"].unique()):
        fa, fb = a[a["severity"] == sev], b[b["severity"] == sev]
        cols[f"{sev:.0%} severity: first dollar"] = {r.tranche: f"{r.breakeven_cdr:.2%} ({r.cumulative_loss:.2%})"
                                                    for r in fa.itertuples()}
        cols[f"{sev:.0%} severity: {threshold:.0%} loss"] = {
            r.tranche: f"{r.breakeven_cdr:.2%} ({r.cumulative_loss:.2%})" for r in fb.itertuples()}
    frame = pd.DataFrame(cols)
    frame.insert(0, "Class", frame.index)
    return frame.reset_index(drop=True)


def _pm(x, se, digits: int, deterministic: bool) -> str:
    return pct(x, digits) if deterministic else pct(x, digits, se)


def comparison_classes(comparison: dict, deterministic: dict[str, bool]) -> pd.DataFrame:
    """Per class and scenario: E[loss], P(loss), 99% / 99.9% loss, WAL and the paired differences from base."""
    base = comparison["base"]
    scenarios = comparison["scenarios"]
    tranches = list(next(iter(scenarios.values()))["tranches"])
    rows = []
    for tranche in tranches:
        for name, entry in scenarios.items():
            r = entry["tranches"][tranche]
            det = deterministic.get(name, False)
            diff = lambda k, d=3: (DASH if name == base or r.get(f"{k}_diff") is None  # noqa: E731
                                   else pct(r[f"{k}_diff"], d, r.get(f"{k}_diff_se")))
            rows.append({
                "Class": tranche, "Scenario": name + (" (base)" if name == base else ""),
                "Expected loss": _pm(r["expected_loss"], r["expected_loss_se"], 3, det),
                "Difference": diff("expected_loss"),
                "P(loss)": ("loses" if r["probability_of_loss"] > 0.5 else "no loss") if det
                else pct(r["probability_of_loss"], 1, r["probability_of_loss_se"]),
                "P(loss) difference": diff("probability_of_loss", 1),
                "99% loss": DASH if det else pct(r["loss_99"], 3, r["loss_99_se"]),
                "99.9% loss": DASH if det else pct(r["loss_999"], 3, r["loss_999_se"]),
                "WAL (yr)": DASH if not _finite(r["wal"]) else (
                    f"{r['wal']:.2f}" if det or not _finite(r.get("wal_se"))
                    else f"{r['wal']:.2f} \u00b1 {r['wal_se']:.2f}"),
                "WAL difference (yr)": (DASH if name == base or r.get("wal_diff") is None else
                                        f"{fixed(r['wal_diff'], 2)} \u00b1 {fixed(r['wal_diff_se'], 2)}"),
            })
    return pd.DataFrame(rows)


def comparison_collateral(comparison: dict, deterministic: dict[str, bool]) -> pd.DataFrame:
    """Per scenario: mean collateral loss and P(OC ever below target), with the paired differences from base."""
    base = comparison["base"]
    rows = []
    for name, e in comparison["scenarios"].items():
        det = deterministic.get(name, False)
        diff = lambda k: (DASH if name == base or e.get(f"{k}_diff") is None  # noqa: E731
                          else pct(e[f"{k}_diff"], 3, e.get(f"{k}_diff_se")))
        rows.append({
            "Scenario": name + (" (base)" if name == base else ""),
            "Collateral loss (% of cut-off)": _pm(e["collateral_loss"], e.get("collateral_loss_se"), 3, det),
            "Difference": diff("collateral_loss"),
            "P(OC below target)": ("yes" if e["oc_breach_probability"] > 0.5 else "no") if det
            else pct(e["oc_breach_probability"], 2, e["oc_breach_probability_se"]),
            "P(OC below target) difference": diff("oc_breach_probability"),
        })
    return pd.DataFrame(rows)


# -- HTML ---------------------------------------------------------------------
def is_numeric_column(series: pd.Series) -> bool:
    """Whether a column of formatted cells is mostly figures (right-aligned) rather than text."""
    text = series.astype(str).str.replace(r"[\s,%.\-\u00b1+()]|bp|CDR|yr", "", regex=True)
    return bool(len(text)) and text.str.isdigit().mean() > 0.6


def to_html(frame: pd.DataFrame) -> str:
    """A ``<table>`` with a header row and one body row per frame row (cells escaped; text columns left-aligned)."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    align = ["" if is_numeric_column(frame.iloc[:, j]) else " class='text'" for j in range(frame.shape[1])]
    body = "".join("<tr>" + "".join(f"<td{a}>{escape(str(v))}</td>" for a, v in zip(align, row)) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- the realized path, the back-test and the call ------------------------------
def _measure_label(measure: str) -> str:
    if measure == "collateral_loss":
        return "Cumulative collateral loss (% of cut-off)"
    if measure == "min_afr_margin":
        return "Minimum AFR margin over 1M LIBOR (annual)"
    return f"Principal loss, {measure[len('loss_'):]} (% of original)"


def realized_placement(placement) -> pd.DataFrame:
    """:func:`stress.metrics.place_in_distribution` as rows: the realized value, its percentile ± SE, share below.

    Percentile = share of Monte Carlo probability below the realized value
    plus half the share equal to it (mid-rank).
    """
    rows = []
    for k, measure in enumerate(str(m) for m in placement["measure"].values):
        v = float(placement["history_value"].values[k])
        rows.append({"Measure": _measure_label(measure),
                     "Realized path": pct(v, 3),
                     "Percentile in the Monte Carlo": pct(float(placement["percentile"].values[k]), 1,
                                                          float(placement["std_error"].values[k])),
                     "Paths below": pct(float(placement["below"].values[k]), 1),
                     "Paths equal": pct(float(placement["equal"].values[k]), 1)})
    return pd.DataFrame(rows)


def backtest_by_year(by_year: pd.DataFrame) -> pd.DataFrame:
    """The pool on the realized path per calendar year: cumulative default and loss, CPR, severity, pool factor."""
    return pd.DataFrame({
        "Year": [str(y) for y in by_year.index],
        "Cumulative default (% of cut-off)": [pct(v, 2) for v in by_year["cumulative_default"]],
        "Cumulative loss (% of cut-off)": [pct(v, 3) for v in by_year["cumulative_loss"]],
        "CPR (annual)": [pct(v, 1) for v in by_year["cpr"]],
        "Severity of the year's liquidations": [pct(v, 1) if _finite(v) else DASH for v in by_year["severity"]],
        "Pool factor (year end)": [pct(v, 1) for v in by_year["pool_factor"]],
    })


_BACKTEST_METRIC = {"serious_delinquency_at_seasoning": "Serious delinquency (90+/FC/REO)",
                    "cumulative_default": "Cumulative default", "cumulative_loss": "Cumulative loss",
                    "cumulative_loss_lifetime": "Lifetime cumulative loss", "severity": "Loss severity",
                    "cpr": "CPR (annual)"}


def backtest_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`stress.backtest.compare` formatted: metric, window, published value or range, model, within.

    The ``Source`` column numbers each row ``[n]``; the page's notes list the sources in that order.
    """
    rows = []
    for k, (_, r) in enumerate(comparison.iterrows(), start=1):
        if _finite(r.get("seasoning_months")):
            window = f"at {r['seasoning_months']:.0f} months' seasoning"
        elif isinstance(r.get("start"), str) and r["start"]:
            window = f"{r['start']} to {r['end']}"
        else:
            window = "lifetime"
        published = pct(r["low"], 2) if r["low"] == r["high"] else f"{pct(r['low'], 2)} to {pct(r['high'], 2)}"
        rows.append({"Metric": _BACKTEST_METRIC.get(r["metric"], r["metric"]), "Window": window,
                     "Published": published, "Model (realized path)": pct(r["model"], 2),
                     "Within published": "yes" if r["inside"] else "no", "Source": f"[{k}]"})
    return pd.DataFrame(rows)


def call_table(ds, summary: dict | None = None) -> pd.DataFrame:
    """The clean-up call of a run as Item / Value rows: rule, exercise probability ± SE, when it was exercised.

    From :func:`stress.metrics.call_summary` (weighted when the run is
    importance-sampled) and the weighted 10th / 50th / 90th percentiles of the
    call date among the paths that called.
    """
    from stress.metrics import call_summary, path_quantiles, path_weights

    c = call_summary(ds)
    rule = c.get("rule") or (summary or {}).get("call", {}).get("rule") or DASH
    rows = [("Call rule (scenario key call)", str(rule))]
    if "exercise_probability" not in c:
        rows.append(("Exercise probability", "not recorded in this run"))
        return pd.DataFrame(rows, columns=["Item", "Value"])
    rows.append(("Exercise probability (share of paths that called)",
                 pct(c["exercise_probability"], 1, c["exercise_probability_se"])))
    periods = np.asarray(ds["call_period"].values, dtype=float)
    dates = np.asarray(ds["date"].values)
    if np.isfinite(periods).any():
        w = path_weights(ds)
        q = path_quantiles(periods, [0.1, 0.5, 0.9], w)
        rows.append(("Call date: 10th / median / 90th percentile of the paths that called",
                     " / ".join(period_date(dates, v) for v in q)))
        rows.append(("Earliest / latest call date", f"{period_date(dates, np.nanmin(periods))} / "
                                                     f"{period_date(dates, np.nanmax(periods))}"))
    else:
        rows.append(("Call date", "no path called"))
    return pd.DataFrame(rows, columns=["Item", "Value"])
