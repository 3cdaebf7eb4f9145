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

__all__ = [
    "deal_terms", "deal_facts", "collateral_summary", "collateral_by_product", "deterministic_assumptions",
    "scenario_assumptions", "decrement", "afr_schedule", "excess_spread", "breakeven_matrix",
    "scenario_results", "monte_carlo_results", "monte_carlo_collateral", "afr_percentiles", "to_html", "is_numeric_column",
    "annualized_derivative_rate",
]

DASH = "-"


def _finite(x) -> bool:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def pct(x, digits: int = 2, se=None) -> str:
    """``0.0123`` -> ``"1.23%"``; with ``se`` -> ``"1.23% ± 0.05"``; None / NaN -> ``"-"``."""
    if not _finite(x):
        return DASH
    text = f"{100.0 * float(x):.{digits}f}%"
    return text if not _finite(se) else f"{text} \u00b1 {100.0 * float(se):.{digits}f}"


def usd(x) -> str:
    return DASH if not _finite(x) else f"{float(x):,.0f}"


def _month(d) -> str:
    return str(np.datetime64(d, "M"))


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
def _option(amount, rule) -> str:
    """A servicer option as a scenario states it: "off", or its share / limit and exercise rule."""
    return "off" if amount is None or amount == 0 else f"{amount:g} by {rule or 'value'}"


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


def scenario_assumptions(runs) -> pd.DataFrame:
    """Per Monte Carlo run (columns): rate model, behaviour, servicing, call, paths, seed.

    ``runs`` is a sequence of objects with ``name``, ``attrs`` (the results
    Dataset's attributes) and ``scenario`` (the validated Scenario, or None).
    """
    columns = {}
    for run in runs:
        attrs, sc = run.attrs, run.scenario
        col = {
            "Description": attrs.get("scenario_description") or DASH,
            "Paths / seed": f"{int(attrs.get('n_paths', 0)):,} / {attrs.get('seed')}",
            "Clean-up call": "exercised (to call)" if attrs.get("to") == "call" else "not exercised (to maturity)",
            "Rate model": str(attrs.get("rate_model")),
        }
        if sc is not None:
            r, b = sc.rates, sc.behaviour
            col["Rate curve"] = str(r.curve)
            shocks = []
            if r.shock_bp:
                shocks.append(f"{r.shock_bp:+g}bp from month {r.shock_from_month}"
                              + (f" over {r.shock_ramp_months} months" if r.shock_ramp_months else ""))
            if r.all_indices_to is not None:
                shocks.append(f"all indices {r.all_indices_to:.2%} from month {r.all_indices_from_month}")
            col["Rate shock"] = "; ".join(shocks) or "none"
            for key in ("mean_reversion", "volatility"):
                if hasattr(r, key):
                    col[f"Rates: {key.replace('_', ' ')}"] = f"{getattr(r, key):g}"
            hp = sc.home_prices
            col["Home prices: drift / vol (annual)"] = f"{hp.drift:.1%} / {hp.volatility:.1%}"
            col["Behaviour mode"] = b.mode
            if b.mode == "vectors":
                rating_stress = b.cumulative_default is not None
                if rating_stress:  # the CDR vector depends on the pool: describe the stress as given
                    sc = sc.model_copy(update={"behaviour": b.model_copy(update={"cumulative_default": None})})
                a = sc.assumptions()
                text = _assumption_text(a)
                col["Prepayment"] = text["Prepayment"]
                col["Default"] = (f"{b.cumulative_default:.1%} of the cut-off pool, yearly timing "
                                  f"{', '.join(f'{x:.0%}' for x in b.default_timing or [])}"
                                  if rating_stress else text["Default"])
                col["Severity"] = text["Severity"]
                col["Liquidation lag"] = text["Liquidation lag"]
                col["Servicer advancing"] = text["Servicer advancing"]
            else:
                col["Behaviour parameters"] = b.parameters
                for label, m in (("Prepayment", b.prepayment_multiplier), ("Default", b.default_multiplier),
                                 ("Severity", b.severity_multiplier)):
                    col[f"{label} multiplier"] = f"{m.value:g}x from month {m.from_month}"
                col["Liquidation lag"] = "model" if b.liquidation_lag is None else f"{b.liquidation_lag} months"
                col["Servicer advancing"] = "model" if b.advancing is None else ("yes" if b.advancing else "no")
            col["Servicer buy-out 90+ / fair-value sale / 1% purchase"] = (
                f"{_option(b.buyout_share, b.buyout_rule)} / {_option(b.fair_value_share, b.fair_value_rule)} / "
                f"{_option(b.purchase_limit, b.purchase_rule)}")
        columns[run.name] = col
    frame = pd.DataFrame(columns).fillna(DASH)
    frame.insert(0, "Assumption", frame.index)
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
    return np.where(before > 0.005, rate, np.nan)


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
            values[:m] = np.where(begin > 0.005, spread * 12.0 / begin, np.nan)
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
    """
    original = np.array([t.balance for t in deal.tranches], dtype=np.float64)
    written = np.asarray(ds["writedown"].sum("period").values) / original[None, :]
    short = np.asarray(ds["interest_shortfall"].max("period").values)
    loss = np.asarray(ds["loss_pct"].values)
    wal = np.asarray(ds["wal_years"].values)
    first = np.asarray(ds["first_loss_period"].values)
    dates = np.asarray(ds["date"].values).astype("datetime64[M]")
    rows = []
    for j, name in enumerate(str(t) for t in ds["tranche"].values):
        hit = first[:, j][np.isfinite(first[:, j])].astype(int)
        rows.append({
            "Class": name,
            "Write-down, mean (% orig.)": pct(written[:, j].mean(), 3),
            "Write-down, worst path (% orig.)": pct(written[:, j].max(), 3),
            "Principal loss, mean (% orig.)": pct(loss[:, j].mean(), 3),
            "Paths with interest shortfall": pct((short[:, j] > 0.005).mean(), 1),
            "Max interest shortfall, mean (USD)": usd(short[:, j].mean()),
            "WAL, mean (years)": DASH if not np.isfinite(wal[:, j]).any() else f"{np.nanmean(wal[:, j]):.2f}",
            "First loss, earliest": str(dates[hit.min() - 1]) if hit.size else "no loss",
            "First loss, median": str(dates[int(np.median(hit)) - 1]) if hit.size else "no loss",
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
        ("First OC breach period: 10th / median / 90th percentile",
         " / ".join(DASH if oc.get(k) is None else f"{oc[k]:.0f}"
                    for k in ("first_breach_period_p10", "first_breach_period_median", "first_breach_period_p90"))),
    ]
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
    n = int(np.flatnonzero(np.asarray(ds["bond_balance"].max("path").values) > 0.005).max(initial=0)) + 1
    chosen = [p for p in periods if p <= n]
    sub = ds[["afr"]].isel(period=[p - 1 for p in chosen])
    values = np.asarray(afr_quantiles(sub, q=q).values)  # (q, period)
    dates = np.asarray(ds["date"].values)
    rows = []
    for k, p in enumerate(chosen):
        row = {"Period": str(p), "Payment date": _month(dates[p - 1])}
        for i, qq in enumerate(q):
            row[f"{qq:.0%} AFR"] = pct(values[i, k], 3)
        rows.append(row)
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
