"""The report's pages: a registry of page functions, each ``(Context) -> list[Page]``.

A new page is one function::

    @page("My section")
    def my_section(ctx: Context) -> list[Page]:
        return [Page("My section", "Title", [Block("table", table=...)], ctx.footer)]

Pages appear in the order their functions are registered below. The data a
page needs comes from :class:`Context`, which computes each source once
(:mod:`stress.report.sources`) and times it; findings in the executive
summary are sentences generated from those results and from the deal file,
never fixed text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import pandas as pd

import stress
from stress.report import figures as F
from stress.report import sources as S
from stress.report import tables as T
from stress.report.build import Block, Page

__all__ = ["PAGES", "page", "Context", "PageEntry"]


@dataclass
class PageEntry:
    name: str
    build: Callable


#: The registry: every page function, in report order.
PAGES: list[PageEntry] = []


def page(name: str):
    """Register a page function under ``name`` (its place in the report is its place in this module)."""
    def register(fn):
        PAGES.append(PageEntry(name, fn))
        return fn
    return register


@dataclass
class Context:
    """What every page function may use: inputs, the runs, and each data source computed once."""

    deal: object
    tape: pd.DataFrame
    curve: object
    runs: list
    grid: S.BreakevenGrid
    built: str
    progress: object
    attachments: dict = field(default_factory=dict)

    def _timed(self, category: str, what: str, fn):
        with self.progress.step(category, what, announce=True):
            return fn()

    # -- sources --------------------------------------------------------------
    @cached_property
    def decrement(self) -> dict:
        return self._timed("deterministic runs", "decrement runs (5 speeds, to call and to maturity)",
                           lambda: S.decrement_runs(self.deal, self.tape, self.curve))

    @cached_property
    def rate_cases(self) -> tuple:
        return self._timed("deterministic runs", "AFR / excess-spread rate cases",
                           lambda: S.rate_case_runs(self.deal, self.tape, self.curve))

    @cached_property
    def breakeven(self) -> pd.DataFrame:
        return self._timed("breakevens", "first-dollar breakevens",
                           lambda: S.breakevens(self.deal, self.tape, self.curve, self.grid))

    @cached_property
    def breakeven_material(self) -> pd.DataFrame:
        return self._timed("breakevens", f"{S.MATERIAL_LOSS:.0%}-loss breakevens",
                           lambda: S.breakevens(self.deal, self.tape, self.curve, self.grid,
                                                loss_threshold=S.MATERIAL_LOSS))

    @cached_property
    def ratings(self) -> pd.DataFrame:
        return self._timed("rating stresses", "rating-level stresses",
                           lambda: S.rating_stress_table(self.deal, self.tape))

    @cached_property
    def history_run(self):
        """The realized-path run (:data:`~stress.report.sources.HISTORY_SCENARIO`, one path), or None."""
        return next((r for r in self.runs if r.name == S.HISTORY_SCENARIO and r.deterministic), None)

    @property
    def monte_carlo_runs(self) -> list:
        return [r for r in self.runs if not r.deterministic]

    @cached_property
    def placements(self) -> dict:
        """Monte Carlo run name -> where the realized path sits in it (empty without the history run)."""
        if self.history_run is None:
            return {}
        return self._timed("comparison", "the realized path in each Monte Carlo distribution",
                           lambda: {r.name: S.realized_placement(r, self.history_run) for r in self.monte_carlo_runs})

    @cached_property
    def backtest(self) -> tuple:
        return self._timed("deterministic runs", "back-test on the realized 2004-2014 path",
                           lambda: S.backtest_tables(self.tape))

    @cached_property
    def comparison(self) -> dict | None:
        return self._timed("comparison", "scenario comparison", lambda: S.scenario_comparison(self.runs))

    @cached_property
    def strats(self) -> dict:
        from stress.collateral.strats import compute_strats

        return compute_strats(self.tape)

    @cached_property
    def base_scenario(self):
        from stress.scenario import load_scenario

        return load_scenario("base")

    # -- facts ----------------------------------------------------------------
    @cached_property
    def tape_hash(self) -> str:
        from stress.results import tape_hash

        return tape_hash(self.tape)

    @cached_property
    def tape_is_synthesized(self) -> bool:
        """Whether the tape is the built-in one, synthesized from the term-sheet strats (by content hash)."""
        from stress.collateral import reference_tape
        from stress.results import tape_hash

        return bool(self.tape.attrs.get("synthesized")) or self.tape_hash == tape_hash(reference_tape())

    @cached_property
    def footer(self) -> str:
        runs = "; ".join(r.footer() for r in self.runs)
        return (f"{self.deal.deal.name} | deterministic runs: {self.curve.name}, tape sha256 {self.tape_hash[:12]}"
                + (f" | {runs}" if runs else "") + f" | stress {stress.__version__} | built {self.built}")

    @property
    def names(self) -> list[str]:
        return list(self.deal.tranche_names)

    @property
    def pro_rata(self) -> bool:
        return any("principal" in s and "pro_rata" in s for s in self.deal.priority_of_payments.steps)

    @property
    def has_trigger(self) -> bool:
        steps = " ".join(self.deal.priority_of_payments.steps)
        return "trigger" in steps or bool(getattr(self.deal, "triggers", None))


def _pages(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    return [frame.iloc[i:i + rows] for i in range(0, len(frame), rows)] or [frame]


def _continued(title: str, k: int) -> str:
    return title + (f" (continued, {k + 1})" if k else "")


# -- findings (sentences from the results) --------------------------------------
def structure_sentence(ctx: Context) -> str:
    """How principal and losses are allocated, read from the deal file."""
    deal = ctx.deal
    oc = deal.overcollateralization
    order = sorted((t for t in deal.tranches if t.writedown_order > 0), key=lambda t: t.writedown_order)
    never = [t.name for t in deal.tranches if t.writedown_order == 0]
    target = (f"a fixed OC target ({oc.target_fraction_of_cutoff:.2%} of the cut-off balance"
              + (", no step-down)" if not oc.step_down else ", stepping down)"))
    trigger = "no delinquency or loss trigger" if not ctx.has_trigger else "a trigger that can redirect principal"
    if ctx.pro_rata:
        text = (f"Principal is paid pro rata to every class, with {target} and {trigger}, so the classes amortize "
                "together and stay outstanding to the end: once overcollateralization and excess spread are "
                "gone, they lose together.")
    else:
        text = f"Principal is paid sequentially, with {target} and {trigger}."
    if order:
        text += (f" Realized losses are written down in the order {', '.join(t.name for t in order)}"
                 + (f" ({', '.join(never)} never written down)" if never else "")
                 + ", which separates the classes by how much, not whether, they lose.")
    return text


def rating_sentence(ctx: Context) -> str:
    table = ctx.ratings
    groups: dict[str, list[str]] = {}
    for name, implied in table["implied_rating"].items():
        groups.setdefault(implied, []).append(name)
    parts = [f"{level} for {T.group_label(names, ctx.names)}" for level, names in groups.items()]
    below = [n for n, ok in table["meets_expected"].items() if ok is False]
    to = " and ".join(table.attrs.get("to", []))
    text = (f"The rating-level stresses of the loan-level method ({table.attrs.get('criteria_file', 'criteria')}; to "
            f"{to}, call never exercised, no call credit) imply {'; '.join(parts)}.")
    if below:
        text += (f" {T.group_label(below, ctx.names)} fall{'s' if len(below) == 1 else ''} below the term "
                 "sheet's expected rating (implied vs expected S&P: "
                 + "; ".join(f"{n} {table.loc[n, 'implied_rating']} vs {table.loc[n, 'expected_sp']}" for n in below)
                 + ").")
    else:
        text += " Every class reaches at least its expected S&P rating level."
    return text


def _percentile_text(placement, measure: str) -> str:
    """``"percentile 45.0 \u00b1 5.0"``: the realized path's percentile of one measure, with its standard error."""
    k = [str(m) for m in placement["measure"].values].index(measure)
    return (f"percentile {T.fixed(100 * float(placement['percentile'].values[k]), 1)} "
            f"\u00b1 {T.fixed(100 * float(placement['std_error'].values[k]), 1)}")


def realized_path_sentence(ctx: Context) -> str | None:
    """Where the realized 2004-2014 path sits in the first Monte Carlo run's distribution, or None."""
    if not ctx.placements:
        return None
    run = ctx.monte_carlo_runs[0]
    pl = ctx.placements[run.name]
    hist = ctx.history_run
    worst = ctx.names[-1]
    loss = float(pl["history_value"].values[list(pl["measure"].values).index("collateral_loss")])
    return (f"The realized 2004-2014 path ({hist.name}: rates and home prices as they happened) loses "
            f"{T.pct(loss, 3)} of the cut-off balance. Among {run.name}'s {run.n_paths:,} Monte Carlo paths it sits "
            f"at {_percentile_text(pl, 'collateral_loss')} of collateral loss, "
            f"{_percentile_text(pl, 'loss_' + worst)} of {worst}'s principal loss and "
            f"{_percentile_text(pl, 'min_afr_margin')} of the minimum AFR margin.")


def breakeven_sentences(ctx: Context) -> tuple[str, bool]:
    """One sentence on the first-dollar breakevens (and why they tie, when they do); whether they all tie."""
    fd, mat = ctx.breakeven, ctx.breakeven_material
    cells = fd.groupby(["rate_case", "prepayment", "severity"], sort=False)["breakeven_cdr"]
    tie = bool((cells.nunique() == 1).all())
    spread = mat.groupby(["rate_case", "prepayment", "severity"], sort=False)["breakeven_cdr"].agg(["min", "max"])
    lo, hi = spread.iloc[0]
    cell = spread.index[0]
    where = f"{cell[1]}, {cell[2]:.0%} severity"
    sep = (f"at a {S.MATERIAL_LOSS:.0%}-of-balance loss threshold they range from {lo:.2%} to {hi:.2%} CDR "
           f"({where})")
    if tie:
        why = (" because principal is paid pro rata: every class is still outstanding when the pool runs out, so "
               "the first dollar that overcollateralization and excess spread cannot cover leaves every class "
               "short at once" if ctx.pro_rata else "")
        first = float(cells.first().iloc[0])
        return (f"Every class has the same first-dollar breakeven CDR in every cell ({first:.2%} at {where}){why}; "
                f"{sep}.", True)
    return (f"First-dollar breakevens differ by class; {sep}.", False)


def worst_run(ctx: Context):
    """The run in which the first-loss class loses most (ties: the larger collateral loss)."""
    if not ctx.runs:
        return None, None
    first_loss = min((t for t in ctx.deal.tranches if t.writedown_order > 0), key=lambda t: t.writedown_order,
                     default=ctx.deal.tranches[-1]).name

    def key(run):
        t = run.summary["tranches"].get(first_loss, {})
        return (t.get("expected_loss", 0.0), run.summary["collateral"]["cumulative_loss_mean"])

    return max(ctx.runs, key=key), first_loss


def _run_kind(run) -> str:
    to = "to call" if run.attrs.get("to") == "call" else "to maturity"
    if run.deterministic:
        return f"deterministic, one path, {to}"
    return f"Monte Carlo, {run.n_paths:,} paths, seed {run.attrs.get('seed')}, {to}"


def _loss_text(run, name: str) -> str:
    t = run.summary["tranches"][name]
    if run.deterministic:
        return f"loss {T.pct(t['expected_loss'], 3)}"
    return (f"E[loss] {T.pct(t['expected_loss'], 3, t['expected_loss_se'])}, "
            f"P(loss) {T.pct(t['probability_of_loss'], 1, t['probability_of_loss_se'])}")


# -- the pages, in report order -------------------------------------------------
@page("Executive summary")
def executive_summary(ctx: Context) -> list[Page]:
    deal, tape = ctx.deal, ctx.tape
    c = deal.collateral
    bal = float(tape["balance"].sum())
    sentences = [
        f"Deal: {deal.deal.name}, {len(deal.tranches)} classes of floating-rate bonds "
        f"({T.group_label(ctx.names, ctx.names)}, USD {deal.bond_balance:,.0f}) backed by {c.loan_count:,} "
        f"mortgage loans of USD {c.cutoff_balance:,.0f} at the {deal.dates.cutoff} cut-off; closed "
        f"{deal.dates.closing}.",
        (f"Tape: the built-in loan tape ({len(tape):,} loans, USD {bal:,.0f}, sha256 {ctx.tape_hash[:12]}), "
         "synthesized from the term sheet's stratification tables: it reproduces the printed strats, not the "
         "actual loans." if ctx.tape_is_synthesized else
         f"Tape: a supplied loan tape ({len(tape):,} loans, USD {bal:,.0f}, sha256 {ctx.tape_hash[:12]})."),
        ("Scenarios: " + "; ".join(f"{r.name} ({_run_kind(r)})" for r in ctx.runs) + "."
         if ctx.runs else "Scenarios: none (deterministic sections only)."),
        "Findings:",
        structure_sentence(ctx),
        rating_sentence(ctx),
        breakeven_sentences(ctx)[0],
    ]
    realized = realized_path_sentence(ctx)
    if realized:
        sentences.append(realized)
    worst, first_loss = worst_run(ctx)
    if worst is not None:
        text = (f"The worst scenario in this report is {worst.name}: {first_loss} {_loss_text(worst, first_loss)}, "
                f"collateral loss {T.pct(worst.summary['collateral']['cumulative_loss_mean'], 2)} of the cut-off "
                "balance.")
        others = [r for r in ctx.runs if r is not worst]
        if others:
            others_text = "; ".join(f"under {r.name}, {first_loss} {_loss_text(r, first_loss)}" for r in others)
            text += " U" + others_text[1:] + "."
        sentences.append(text)
    rows = []
    for t in deal.tranches:
        row = {"Class": t.name, "Expected (Moody's / S&P)": f"{t.rating_moodys or T.DASH} / {t.rating_sp or T.DASH}",
               "Implied (rating stresses)": ctx.ratings.loc[t.name, "implied_rating"]}
        for r in ctx.runs:
            row[f"{r.name}: {'loss' if r.deterministic else 'E[loss] / P(loss)'}"] = (
                T.pct(r.summary["tranches"][t.name]["expected_loss"], 3) if r.deterministic else
                f"{T.pct(r.summary['tranches'][t.name]['expected_loss'], 3)} / "
                f"{T.pct(r.summary['tranches'][t.name]['probability_of_loss'], 1)}")
        rows.append(row)
    blocks = [Block("text", text=s) for s in sentences]
    note = ("Losses are principal lost (written down and not reimbursed, or never repaid) as a share of original "
            "balance; Monte Carlo figures are means over paths (standard errors on the scenario pages).")
    return [Page("Executive summary", f"{deal.deal.name}: executive summary", blocks, ctx.footer),
            Page("Executive summary", f"{deal.deal.name}: executive summary per class",
                 [Block("table", table=pd.DataFrame(rows), caption="Per class")], ctx.footer, notes=[note])]


@page("Contents")
def contents(ctx: Context) -> list[Page]:
    blocks = []
    if ctx.runs:
        runs = pd.DataFrame([{"Scenario": r.name, "Kind": "deterministic" if r.deterministic else "Monte Carlo",
                              "Run directory": str(r.path), "Run date": r.run_date, "Paths": f"{r.n_paths:,}",
                              "Seed": str(r.attrs.get("seed")), "To": str(r.attrs.get("to")),
                              "Run time (s)": f"{r.attrs['wall_seconds']:.1f}" if r.attrs.get("wall_seconds")
                              else T.DASH} for r in ctx.runs])
        blocks.append(Block("table", table=runs, caption="Runs in this report"))
    return [Page("Contents", "Contents", blocks, ctx.footer, kind="contents")]


@page("Deal summary")
def deal_summary(ctx: Context) -> list[Page]:
    return [
        Page("Deal summary", "Deal summary: classes", [Block("table", table=T.deal_terms(ctx.deal))], ctx.footer,
             notes=["Balances at closing from the deal file; subordination as printed."]),
        Page("Deal summary", "Deal summary: terms", [Block("table", table=T.deal_facts(ctx.deal))], ctx.footer,
             notes=[structure_sentence(ctx)]),
    ]


@page("Collateral summary")
def collateral_summary(ctx: Context) -> list[Page]:
    from stress.collateral.termsheet import load_termsheet

    ts = load_termsheet()
    origin = ("the built-in tape, synthesized from the term-sheet strats" if ctx.tape_is_synthesized
              else "the supplied tape")
    def strat(key: str, label: str, top: int | None = None) -> pd.DataFrame:
        return T.strat_beside_termsheet(ctx.strats[key], ts.tables[key], label=label, top=top)

    note = (f"Printed term-sheet shares beside those of {origin}; WA coupon, FICO and LTV computed from the tape "
            "(balance-weighted).")
    sec = "Collateral summary"
    return [
        Page(sec, "Collateral summary", [Block("table", table=T.collateral_summary(ctx.tape, ctx.deal))], ctx.footer,
             notes=[f"Computed from {origin}, used for every deterministic run; balance-weighted."]),
        Page(sec, "Collateral by product type", [Block("table", table=T.collateral_by_product(ctx.tape))], ctx.footer,
             notes=["The term sheet's product stratification recomputed from the tape."]),
        Page(sec, "Collateral by state and documentation",
             [Block("table", table=strat("state", "State", 10), caption="State (ten largest by term-sheet balance)"),
              Block("table", table=strat("doc_type", "Documentation"), caption="Documentation")],
             ctx.footer, notes=[note]),
        Page(sec, "Collateral by FICO", [Block("table", table=strat("fico", "FICO"))], ctx.footer, notes=[note]),
        Page(sec, "Collateral by original LTV", [Block("table", table=strat("ltv", "Original LTV"))], ctx.footer,
             notes=[note]),
    ]


@page("Assumptions")
def assumptions(ctx: Context) -> list[Page]:
    from stress.assumptions import Assumptions

    deal, grid, curve = ctx.deal, ctx.grid, ctx.curve
    pricing, afr_runs = ctx.rate_cases
    speeds = ", ".join(f"{p:g}" for p in S.DECREMENT_SPEEDS) + "% PPC"
    rows = [
        ("Decrement tables", "forward", speeds, ctx.decrement["call"][0][1].assumptions, "call"),
        ("Decrement tables", "forward", speeds, ctx.decrement["maturity"][0][1].assumptions, "maturity"),
        ("AFR, excess spread, cash flows", "; ".join(afr_runs), "100% PPC", pricing, "call"),
    ]
    for speed in grid.prepayments:
        rows.append(("Breakeven matrix", ", ".join(grid.curves(curve)), str(speed),
                     Assumptions(prepayment=speed, liquidation_lag=grid.liquidation_lag), grid.to))
    det = T.deterministic_assumptions(rows)
    det.loc[det["Section"] == "Breakeven matrix", ["Default (CDR)", "Severity"]] = [
        "solved for", ", ".join(f"{s:.0%}" for s in grid.severities)]
    pages = [Page("Assumptions", "Assumptions: deterministic runs", [Block("table", table=det)], ctx.footer,
                  notes=[f"forward = the {curve.name} forward curve. 100% PPC = "
                         f"{deal.collateral.pricing_speed_cpr:.0%} CPR. The +{S.AFR_SHOCK_BP:g}bp case shifts every "
                         "index (1M/6M/12M LIBOR, 1Y CMT) from month 0, floored at 0; the maximum case sets every "
                         f"index to {S.AFR_MAX_LEVEL:.0%} from month {S.AFR_MAX_FROM_MONTH} (the dealer's +1000bp / "
                         "maximum AFR case)."])]
    if ctx.runs:
        table = T.scenario_assumptions(ctx.runs, ctx.base_scenario)
        value_cols = list(table.columns[1:])
        notes = ["Every driver that differs from the base scenario file in at least one run, computed from the "
                 "scenario objects; a blank difference means the run uses base's value."]
        notes += [f"{r.name}: {r.attrs.get('scenario_description')}" for r in ctx.runs
                  if r.attrs.get("scenario_description")]
        for k in range(0, len(value_cols), 4):
            part = table[["Driver"] + value_cols[k:k + 4]]
            for m, rows_part in enumerate(_pages(part, 24)):
                pages.append(Page("Assumptions", _continued("Assumptions: Monte Carlo scenarios, drivers that "
                                                            "differ from base", k // 4 + m),
                                  [Block("table", table=rows_part)], ctx.footer, notes=notes if not (k or m) else []))
    return pages


@page("Decrement tables")
def decrement_tables(ctx: Context) -> list[Page]:
    deal, curve = ctx.deal, ctx.curve
    pages = []
    maturity, call = ctx.decrement["maturity"], ctx.decrement["call"]
    # classes are grouped when their printed tables are identical (cells are whole percents)
    printed = {name: T.prospectus_decrement(maturity, call, [name]) for name in ctx.names}
    groups: list[list[str]] = []
    for name, frame in printed.items():
        match = next((g for g in groups if printed[g[0]].equals(frame)), None)
        if match is None:
            groups.append([name])
        else:
            match.append(name)
    for group in groups:
        label = T.group_label(group, ctx.names)
        notes = [f"Percent of original class balance outstanding after the payment date on or before each "
                 f"anniversary of closing ({deal.dates.closing}), no defaults, {curve.name} forward curve, clean-up "
                 "call not exercised; WAL to maturity and to call in years from settlement. * = more than 0% and "
                 "less than 0.5%."]
        if len(group) > 1:
            notes.append(f"Classes {label} have identical decrement tables"
                         + (": principal is paid pro rata to every class." if ctx.pro_rata else "."))
        pages.append(Page("Decrement tables", f"Decrement table: percent of original balance outstanding, {label}",
                          [Block("table", table=printed[group[0]])], ctx.footer,
                          notes=notes))
    for to in ("call", "maturity"):
        pages.append(Page("Decrement tables", f"WAL and principal window, to {to}",
                          [Block("table", table=T.decrement(ctx.decrement[to]))], ctx.footer,
                          notes=[f"No defaults; {curve.name} forward curve; WAL in years from settlement "
                                 f"({deal.dates.settlement}); window = first to last month of principal."]))
    return pages


@page("Cash flows per class")
def cash_flows(ctx: Context) -> list[Page]:
    label, run = next((lbl, r) for lbl, r in ctx.decrement["call"] if lbl == "100% PPC")
    for j, name in enumerate(ctx.names):
        ctx.attachments[f"{name}.csv"] = T.class_cashflows(run, j)
    table = T.cashflows_by_year(run)
    note = (f"Run: {label}, no defaults, {ctx.curve.name} forward curve, to call. Sums by calendar year of payment; "
            "the monthly cash flows of each class (beginning balance, coupon, interest, principal, write-down, "
            "reimbursements, ending balance) are written beside the report as <report>_cashflows/<class>.csv.")
    return [Page("Cash flows per class", _continued(f"Cash flows per class by year, {label}, to call", k),
                 [Block("table", table=part)], ctx.footer, notes=[note])
            for k, part in enumerate(_pages(table, 26))]


def _chart_then_table(ctx: Context, section: str, title: str, make, table, table_title: str,
                      note: str) -> list[Page]:
    """A chart page, then the table behind it split 30 rows a page, each with the chart's note."""
    pages = [Page(section, title, [Block("figure", make=make, caption=note)], ctx.footer)]
    for k, part in enumerate(_pages(table, 30)):
        pages.append(Page(section, _continued(table_title, k), [Block("table", table=part)], ctx.footer,
                          notes=[note]))
    return pages


@page("Available funds rate")
def available_funds_rate(ctx: Context) -> list[Page]:
    _, afr_runs = ctx.rate_cases
    numeric = T.afr_schedule(afr_runs, numeric=True)
    note = ("AFR without cap income: as computed (net mortgage rate after Net Derivative Fees x pool balance / "
            "bond balance x 30 / days). With cap income: plus derivative receipts x 360 / days / bond balance. "
            "100% PPC, no defaults, to call.")
    return _chart_then_table(ctx, "Available funds rate", "Available funds rate schedule",
                             lambda: F.afr_schedule_chart(numeric, scenario="100% PPC, to call"),
                             T.afr_schedule(afr_runs), "Available funds rate schedule (annual %, actual/360)", note)


@page("Excess spread")
def excess_spread(ctx: Context) -> list[Page]:
    _, afr_runs = ctx.rate_cases
    numeric = T.excess_spread(afr_runs, numeric=True)
    note = ("Excess spread = (net interest after servicing, master servicing, trustee and PMI fees - Net "
            "Derivative Fees - current bond interest) x 12 / pool balance at the start of the period: the "
            "interest part of Excess Cash Flow (OC releases and call proceeds are principal and left out; "
            "derivative receipts, which pay only basis risk, are not counted). 100% PPC, no defaults, to call.")
    return _chart_then_table(ctx, "Excess spread", "Excess spread",
                             lambda: F.excess_spread_chart(numeric, scenario="100% PPC, to call"),
                             T.excess_spread(afr_runs), "Excess spread table (% of pool balance, annualized)", note)


@page("Breakevens")
def breakevens(ctx: Context) -> list[Page]:
    grid = ctx.grid
    fd, mat = ctx.breakeven, ctx.breakeven_material
    sentence, _ = breakeven_sentences(ctx)
    note = (f"Each cell: breakeven CDR (cumulative collateral loss it implies, % of cut-off balance). First dollar: "
            f"the highest constant CDR at which the class loses no principal; {S.MATERIAL_LOSS:.0%} loss: the highest "
            f"at which it loses at most {S.MATERIAL_LOSS:.0%} of its original balance. Bisection to "
            f"{grid.tolerance:.2%} CDR; {grid.liquidation_lag}-month liquidation lag, servicer advancing, "
            f"to {grid.to}" + (" (no call credit)." if grid.to == "maturity" else "."))
    blocks = [Block("text", text=sentence)]
    for case in fd["rate_case"].unique():
        for speed in fd["prepayment"].unique():
            blocks.append(Block("table", table=T.breakeven_side_by_side(fd, mat, threshold=S.MATERIAL_LOSS,
                                                                        prepayment=speed, rate_case=case),
                                caption=f"{speed}, {case} curve"))
    title = f"{'/'.join(str(p) for p in grid.prepayments)}, to {grid.to}"
    return [
        Page("Breakevens", "Breakeven CDR: first dollar and 1% loss", blocks, ctx.footer, notes=[note]),
        Page("Breakevens", "Breakeven CDR vs severity",
             [Block("figure", make=lambda: F.breakeven_chart(fd, scenario=title, material=mat,
                                                             threshold=S.MATERIAL_LOSS),
                    caption=sentence + " Solid: first dollar; dashed: " + f"{S.MATERIAL_LOSS:.0%} of the class "
                    "balance lost. Lines that coincide are drawn once and labelled with every class they stand for.")],
             ctx.footer),
    ]


@page("Rating stresses")
def rating_stresses(ctx: Context) -> list[Page]:
    table = ctx.ratings
    a = table.attrs
    to = " and ".join(a.get("to", []))
    notes = [f"Each cell: the class's principal loss under the stress (% of original balance) and pass (no loss) or "
             f"FAIL. Every stress runs to {to} with call = \"never\""
             + (", no credit for the clean-up call (agencies give none)." if to == "maturity" else ".")
             + " Implied rating: the strongest level passed (every weaker level passed too). Expected ratings: the "
             "term sheet's, from the deal file.",
             f"Method: each loan's foreclosure frequency x loss severity at each level from its attributes (LTV, "
             f"FICO, documentation, occupancy, purpose, product, size), by the criteria file {a['criteria_file']} "
             f"(scenarios/ratings/): {a['criteria_source']}. The pool default is spread over the criteria's default "
             f"timing, liquidated {a['liquidation_lag']} months later at the pool severity, on the forward curve, "
             f"at each speed ({', '.join(a['prepayment'])}); a class's loss is its worst over the speeds."]
    return [Page("Rating stresses", "Rating-level stresses: loss, pass/fail and implied rating",
                 [Block("text", text=rating_sentence(ctx)), Block("table", table=T.rating_stress(table)),
                  Block("table", table=T.rating_pool_stresses(table),
                        caption=f"Pool stress per level (loan-level method, {a['criteria_file']})")],
                 ctx.footer, notes=notes)]


@page("Scenarios")
def scenarios(ctx: Context) -> list[Page]:
    pages = []
    for run in ctx.runs:
        pages.extend(run_pages(ctx, run))
    return pages


@page("Scenario comparison")
def scenario_comparison(ctx: Context) -> list[Page]:
    comparison = ctx.comparison
    if comparison is None:
        return []
    det = {r.name: r.deterministic for r in ctx.runs}
    base = comparison["base"]
    paired = [n for n, e in comparison["scenarios"].items() if n != base and "oc_breach_probability_diff" in e]
    unpaired = [n for n in comparison["scenarios"] if n != base and n not in paired]
    note = (f"Differences from {base}, computed path by path where two runs share their paths (same path count and "
            "seed: common random numbers), with the standard error of the paired difference (stress batch's "
            "comparison). ± is one standard error.")
    if unpaired:
        note += f" Not paired with {base} (different paths): {', '.join(unpaired)}; no difference shown."
    notes = [note, "Deterministic runs show their single loss, with no probability or quantiles."]
    table = T.comparison_classes(comparison, det)
    pages = [Page("Scenario comparison", _continued("Scenario comparison per class", k),
                  [Block("table", table=part)], ctx.footer, notes=notes)
             for k, part in enumerate(_pages(table, 24))]
    pages.append(Page("Scenario comparison", "Scenario comparison: collateral loss and OC breach",
                      [Block("table", table=T.comparison_collateral(comparison, det))], ctx.footer, notes=notes[:1]))
    return pages


@page("Realized path")
def realized_path(ctx: Context) -> list[Page]:
    if not ctx.placements:
        return []
    hist = ctx.history_run
    pages = []
    for run in ctx.monte_carlo_runs:
        pl = ctx.placements[run.name]
        loss = float(pl["history_value"].values[0])
        notes = [f"Realized path: scenario {hist.name} ({hist.attrs.get('scenario_description', '')}), one path, to "
                 f"{hist.attrs.get('to')}. Monte Carlo: {run.name}, {run.n_paths:,} paths, seed "
                 f"{run.attrs.get('seed')}, to {run.attrs.get('to')}.",
                 "Percentile: the share of Monte Carlo paths below the realized value plus half the share equal to "
                 "it (mid-rank; paths weighted by their tail-sampling likelihood ratios when the run has them), "
                 "\u00b1 one standard error. Minimum AFR margin: the smallest AFR minus 1M LIBOR over the periods "
                 "with bonds outstanding (stress.metrics.place_in_distribution)."]
        pages.append(Page("Realized path", f"The realized 2004-2014 path in {run.name}'s distribution",
                          [Block("text", text=realized_path_sentence(ctx) if run is ctx.monte_carlo_runs[0] else
                                 f"The realized path ({hist.name}) in {run.name}: "
                                 f"{_percentile_text(pl, 'collateral_loss')} of collateral loss."),
                           Block("table", table=T.realized_placement(pl))], ctx.footer, notes=notes))
        pages.append(Page("Realized path", f"Collateral loss distribution with the realized path, {run.name}",
                          [Block("figure", make=lambda run=run, loss=loss: F.collateral_loss_histogram(
                              run.ds, scenario=run.name, history=loss, history_label=f"realized path ({hist.name})"),
                                 caption="Cumulative collateral loss of each Monte Carlo path (% of the cut-off "
                                         f"balance); dashed line: the realized path {hist.name}, "
                                         f"{_percentile_text(pl, 'collateral_loss')}.")], ctx.footer))
    return pages


@page("Back-test")
def backtest_page(ctx: Context) -> list[Page]:
    if ctx.history_run is None:
        return []
    by_year, comparison, published_file = ctx.backtest
    sources = [f"[{k}] {r['source']}; {r['where']} ({r['note']})."
               for k, (_, r) in enumerate(comparison.iterrows(), start=1)]
    notes = [f"The pool of {'the built-in tape' if ctx.tape_is_synthesized else 'the supplied tape'} on the realized "
             f"path ({S.HISTORY_SCENARIO}: LIBOR, 1Y CMT and Case-Shiller national / California as they happened, "
             "2004-2014) through the behaviour models, as a Monte Carlo path runs (stress.backtest.backtest), to "
             "maturity. Cumulative default and loss through each year's December, % of the cut-off balance; CPR: "
             "the year's survival to prepayment, annualized (remittance-report method)."]
    return [
        Page("Back-test", "Back-test: the pool on the realized path by calendar year",
             [Block("table", table=T.backtest_by_year(by_year))], ctx.footer, notes=notes),
        Page("Back-test", "Back-test: model beside published 2004-vintage Alt-A figures",
             [Block("table", table=T.backtest_comparison(comparison))], ctx.footer,
             notes=[f"Published figures: stress/data/{published_file} (stress.backtest.compare); each on the basis "
                    "its source states. Sources:"] + sources),
    ]


CALL_NOTE = ("Call rule: \"economic\" exercises the clean-up call on or after the call date only when the pool's "
             "value (stress.call_value: loans valued from their current LTV, delinquency state and the path's "
             "rates) covers the redemption price; \"always\" at the first call date; \"never\" runs to maturity. "
             "A path that does not call has its margins stepped up and runs on.")


def run_pages(ctx: Context, run) -> list[Page]:
    """The pages of one Monte Carlo run; a deterministic run gets single lines and plain figures."""
    deal = ctx.deal
    s = run.name
    footer = f"{deal.deal.name} | {run.footer()} | stress {run.attrs.get('stress_version', stress.__version__)}"
    sec = f"Scenario {s}"
    description = run.attrs.get("scenario_description", "")
    if run.deterministic:
        ds = run.ds.isel(path=[0])
        pages = [Page(sec, f"Scenario {s}: results per class (deterministic, one path)",
                      [Block("table", table=T.deterministic_results(run.summary, ds)),
                       Block("table", table=T.deterministic_collateral(run.summary, ds), caption="Collateral and OC")],
                      footer, notes=[description, "A deterministic run: one path, so each figure is that path's value, "
                                     "with no probability or standard error."])]
        n = "the one path"
    else:
        ds = run.ds
        mc_note = ("Loss = principal written down and not reimbursed, or never repaid, as a share of original "
                   "balance; \u00b1 is one Monte Carlo standard error (quantiles: order-statistic interval).")
        pages = [
            Page(sec, f"Scenario {s}: results per class", [Block("table", table=T.scenario_results(ds, deal))],
                 footer, notes=[description, "Write-down: realized losses allocated to the class; interest "
                                "shortfall: Unpaid Interest Shortfall Amount outstanding; first loss: payment month "
                                "of the first write-down."]),
            Page(sec, f"Scenario {s}: Monte Carlo loss statistics",
                 [Block("table", table=T.monte_carlo_results(run.summary))], footer, notes=[mc_note]),
            Page(sec, f"Scenario {s}: collateral loss, OC breach and AFR distribution",
                 [Block("table", table=T.monte_carlo_collateral(run.summary, ds)),
                  Block("table", table=T.afr_percentiles(ds), caption="AFR percentiles over paths (annual, %)")],
                 footer, notes=["OC breach: OC below target after the build-up period while bonds are outstanding."]),
            Page(sec, f"Scenario {s}: clean-up call",
                 [Block("table", table=T.call_table(ds, run.summary))], footer,
                 notes=[CALL_NOTE, "Exercise probability \u00b1 one Monte Carlo standard error; call dates are "
                        "payment dates (weighted by the tail-sampling likelihood ratios when the run has them). "
                        "The rating-level stresses run with call = \"never\", to maturity."]),
        ]
        n = f"{run.n_paths:,} paths"
    bands = "" if run.deterministic else ": median and 5-95% / 25-75% bands"
    charts = [
        ("Rate path" if run.deterministic else "Rate fan chart", lambda: F.rate_fan(ds, scenario=s),
         f"1M LIBOR set for each accrual period across {n}{bands}."),
        ("CPR and CDR", lambda: F.cpr_cdr_paths(ds, scenario=s),
         "Realized CPR and CDR of each period (remittance-report method: prepayments / (beginning balance - "
         "scheduled principal); liquidated balance / beginning balance), annualized"
         + ("." if run.deterministic else "; grey: sample paths.")),
        ("Pool balance and cumulative loss",
         lambda: F.pool_balance_and_loss(ds, scenario=s, cutoff_balance=deal.collateral.cutoff_balance),
         f"Pool balance at the end of each due period and realized losses to date as a share of the cut-off "
         f"balance (USD {deal.collateral.cutoff_balance:,.0f}), across {n}{bands}."),
        ("Tranche balances", lambda: F.tranche_balances(ds, scenario=s),
         ("Class balance" if run.deterministic else "Mean class balance") + " after each payment date (stacked), and "
         "each class's balance as a share of its first-period balance."),
        ("OC vs target", lambda: F.oc_vs_target(ds, scenario=s),
         f"Overcollateralization (pool balance - bond balance, after distributions) against the OC target{bands}."),
    ]
    if run.deterministic:
        losses = {name: t["expected_loss"] for name, t in run.summary["tranches"].items()}
        charts.append(("Principal loss per class", lambda: F.class_losses_chart(losses, scenario=s),
                       "Principal lost (written down and not reimbursed, or never repaid) as a share of original "
                       "balance, in the one path."))
    else:
        charts.append(("Loss distribution per class", lambda: F.loss_histograms(ds, scenario=s),
                       "Principal lost (written down and not reimbursed, or never repaid) as a share of original "
                       "balance; grey bar: paths with no loss; log scale of path counts."))
    hist = ctx.history_run if not run.deterministic else None
    if hist is not None:
        placement = ctx.placements[run.name]
        loss = float(placement["history_value"].values[0])
        charts.append(("Collateral loss distribution", lambda: F.collateral_loss_histogram(
            ds, scenario=s, history=loss, history_label=f"realized path ({hist.name})"),
            f"Cumulative collateral loss of each path (% of the cut-off balance); dashed line: the realized path "
            f"{hist.name} at {_percentile_text(placement, 'collateral_loss')}."))
    charts.append(("AFR vs coupon", lambda: F.afr_fan(ds, scenario=s, coupon_cap=deal.coupon.fixed_cap,
                                                      history=None if hist is None else hist.ds,
                                                      history_label=f"realized path ({hist.name})" if hist else ""),
                   "Available Funds Rate" + ("" if run.deterministic else " across paths") + " against the coupons "
                   "the senior and most junior class would pay before the AFR cap (1M LIBOR + margin)."
                   + (f" Black line: the AFR on the realized path {hist.name} (minimum margin over 1M LIBOR at "
                      f"{_percentile_text(ctx.placements[run.name], 'min_afr_margin')} of the Monte Carlo)."
                      if hist is not None else "")))
    for title, make, caption in charts:
        pages.append(Page(sec, f"Scenario {s}: {title}", [Block("figure", make=make, caption=caption)], footer))
    return pages

