"""The stress report, checked in real renderers.

A tiny Monte Carlo run (vector behaviour, 10 paths) and a 1 x 1 breakeven
grid feed one report, written as PDF and as HTML. The PDF is rasterized with
``pdftoppm`` and every page must carry ink; the HTML is loaded in headless
Chromium and every ``<img>`` must be a decodable PNG of real size and every
``<table>`` must have body rows with text. Both tools are system packages
(Debian: ``poppler-utils``, ``chromium``); the tests skip, saying so, where
they are missing.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from stress.report import BreakevenGrid, collect_report, write_html, write_pdf

SCENARIO = """
[scenario]
name = "report-test"
description = "report test: Hull-White rates, 100 PPC, 3% CDR, 45% severity, 12-month lag"
to = "call"

[simulation]
paths = 16
seed = 7
chunk_size = 10

[rates]
model = "hull_white"
curve = "forward"

[behaviour]
mode = "vectors"
prepayment = "100 PPC"
default = 0.03
severity = 0.45
liquidation_lag = 12
"""

TINY_GRID = BreakevenGrid(severities=(0.45,), prepayments=("100 PPC",), tolerance=1e-3)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One small report shared by every test here: a 16-path run, the one-path AAA rating stress and (run by
    default beside a Monte Carlo run) the one-path realized 2004-2014 path."""
    import io

    from stress.engine import run_monte_carlo
    from stress.report.progress import Progress
    from stress.scenario import load_scenario

    root = tmp_path_factory.mktemp("report")
    path = root / "report_test.toml"
    path.write_text(SCENARIO)
    run_monte_carlo(load_scenario(path), n_paths=16, out=root / "run", scheduler="synchronous")
    progress = Progress(io.StringIO())
    rep = collect_report([root / "run"], breakeven_grid=TINY_GRID, scenarios=["rating_aaa"], scenario_paths=16,
                         runs_dir=root / "runs", progress=progress)
    rep.progress_text = progress.stream.getvalue()
    return root, rep


@pytest.fixture(scope="module")
def pdf(report):
    root, rep = report
    return write_pdf(rep, root / "report.pdf")


@pytest.fixture(scope="module")
def html(report):
    root, rep = report
    return write_html(rep, root / "report.html")


# -- content ------------------------------------------------------------------
def test_report_has_every_section(report):
    _, rep = report
    sections = {p.section for p in rep.pages}
    for needed in ("Executive summary", "Contents", "Deal summary", "Collateral summary", "Assumptions",
                   "Decrement tables", "Cash flows per class", "Available funds rate", "Excess spread", "Breakevens",
                   "Rating stresses", "Scenario report-test", "Scenario rating_aaa", "Scenario comparison",
                   "Scenario history_2004", "Realized path", "Back-test"):
        assert needed in sections
    charts = [b for p in rep.pages for b in p.blocks if b.kind == "figure"]
    assert len(charts) >= 10  # AFR, excess spread, breakeven + 7 Monte Carlo charts


def test_every_page_footer_names_deal_run_and_version(report):
    import stress

    _, rep = report
    for page in rep.pages:
        assert "Impac CMB Trust Series 2004-1" in page.footer
        assert f"stress {stress.__version__}" in page.footer
        if page.section == "Scenario rating_aaa":
            assert "scenario rating_aaa: 1 path, seed 20040129, to maturity" in page.footer
        elif page.section == "Scenario history_2004":
            assert "scenario history_2004: 1 path, seed 20040129, to call" in page.footer
        else:
            assert "report-test" in page.footer and "seed 7" in page.footer and "16 paths" in page.footer


def test_monte_carlo_table_matches_summary_json(report):
    import json

    root, rep = report
    summary = json.loads((root / "run" / "summary.json").read_text())["summary"]
    page = next(p for p in rep.pages if p.title.endswith("Monte Carlo loss statistics"))
    frame = page.blocks[0].table
    for name, t in summary["tranches"].items():
        row = frame[frame["Class"] == name].iloc[0]
        assert row["Expected loss"].startswith(f"{100 * t['expected_loss']:.3f}%")
        assert row["P(loss)"].startswith(f"{100 * t['probability_of_loss']:.2f}%")


def test_afr_with_cap_income_adds_derivative_receipts():
    from stress.assumptions import Assumptions
    from stress.cashflows import run_cashflows
    from stress.collateral import reference_tape
    from stress.deal import load_deal
    from stress.rates.curves import forward_curve
    from stress.report.tables import afr_schedule

    deal = load_deal()
    run = run_cashflows(deal, reference_tape(), forward_curve().set_all(0.2, from_month=1),
                        Assumptions(prepayment="100 PPC"), to="call")
    frame = afr_schedule({"max": run}, numeric=True)
    b = run.bonds
    before = np.concatenate([[deal.bond_balance], b.balance.sum(axis=1)[:-1]])
    t = int(np.argmax(b.derivative_income))
    assert b.derivative_income[t] > 0
    expected = b.afr[t] + b.derivative_income[t] * 360.0 / run.schedule.accrual_days[t] / before[t]
    assert frame["max + cap income"].iloc[t] == pytest.approx(expected)
    assert frame["max"].iloc[t] == pytest.approx(b.afr[t])


def test_unknown_suffix_is_refused(tmp_path):
    from stress.errors import OutputError
    from stress.report import build_report

    with pytest.raises(OutputError, match=r"report --out .*report\.docx: must end in \.pdf or \.html or \.htm"):
        build_report([], out=tmp_path / "report.docx")


# -- PDF in a real renderer ---------------------------------------------------
def _png_pixels(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("L"), dtype=np.float64)


def test_pdf_pages_render_with_ink(pdf, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed (Debian/Ubuntu: apt-get install -y poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 20
    for page in pages:
        gray = _png_pixels(page)
        ink = (gray < 200).mean()
        # a title and footer alone are ~0.5% of a page; real content is well above 1%
        assert ink > 0.01, f"{page.name}: nearly blank ({ink:.2%} of pixels not white)"


# -- HTML in a real renderer --------------------------------------------------
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"]


class _DomCheck(HTMLParser):
    """Collects every <img src> and, per <table>, its body rows' cell texts."""

    def __init__(self):
        super().__init__()
        self.images: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._in_body = self._in_cell = False
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._in_cell = True
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell and self._row is not None:
            self._row[-1] += data


def test_html_renders_with_images_and_tables(html, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium not installed (Debian: apt-get install -y chromium)")
    url = html.resolve().as_uri()
    dom = subprocess.run([browser, *_FLAGS, "--dump-dom", url], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    check = _DomCheck()
    check.feed(dom)
    assert len(check.images) >= 10
    for k, src in enumerate(check.images):
        match = re.fullmatch(r"data:image/png;base64,([A-Za-z0-9+/=]+)", src)
        assert match, f"image {k}: not an embedded PNG ({src[:40]!r})"
        png = base64.b64decode(match.group(1))
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000, f"image {k}: not a real PNG"
    assert len(check.tables) >= 15
    for k, rows in enumerate(check.tables):
        assert rows, f"table {k}: no body rows"
        assert all(any(cell.strip() for cell in row) for row in rows), f"table {k}: an empty row"
    assert not re.search(r"\b(TODO|TBD|lorem|placeholder|nan)\b", dom, flags=re.IGNORECASE)
    # the contents list links to a section of the page for every section of the report
    links = re.findall(r"<li><a href=[\"']#(p\d+)[\"']>", dom)
    assert len(links) >= 12
    ids = set(re.findall(r"<section id=[\"'](p\d+)[\"']", dom))
    assert set(links) <= ids

    shot = tmp_path / "page.png"
    subprocess.run([browser, *_FLAGS, "--window-size=1200,2400", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)
    gray = _png_pixels(shot)
    assert (gray < 200).mean() > 0.02, "HTML screenshot is nearly blank"


# -- analyst content (issue 16) -------------------------------------------------
def _page(rep, title_part: str):
    return next(p for p in rep.pages if title_part in p.title)


def _ctx(rep):
    return rep.context


def _texts(page) -> str:
    return " ".join([*page.notes, *(b.text for b in page.blocks if b.kind == "text")])


def test_executive_summary_comes_first_and_is_generated_from_the_results(report):
    _, rep = report
    first = rep.pages[0]
    assert first.section == "Executive summary" and rep.pages[1].section == "Executive summary"
    assert rep.pages[2].kind == "contents"
    text = _texts(first)
    # the built-in tape is the synthesized one (its hash equals the shipped tape's)
    assert "synthesized from the term sheet's stratification tables" in text
    assert "report-test (Monte Carlo, 16 paths, seed 7, to call)" in text
    assert "rating_aaa (deterministic, one path, to maturity)" in text
    assert "pro rata" in text and "no delinquency or loss trigger" in text
    # the AAA stress writes M-4 down more than a 3% CDR run can: it is the worst scenario
    assert "The worst scenario in this report is rating_aaa" in text
    # the rating stresses: implied beside expected, from the loan-level method's table
    ratings = _ctx(rep).ratings
    assert "rating-level stresses of the loan-level method (agency_levels.toml; to maturity" in text
    below = [n for n, ok in ratings["meets_expected"].items() if ok is False]
    for name in below:
        assert f"{name} {ratings.loc[name, 'implied_rating']} vs {ratings.loc[name, 'expected_sp']}" in text
    # the realized path placed in the Monte Carlo run, with the percentile of place_in_distribution
    pl = _ctx(rep).placements["report-test"]
    k = list(pl["measure"].values).index("collateral_loss")
    assert (f"Among report-test's 16 Monte Carlo paths it sits at percentile "
            f"{100 * float(pl['percentile'].values[k]):.1f}") in text
    table = rep.pages[1].blocks[-1].table
    assert list(table["Class"]) == ["A-1", "A-2", "M-1", "M-2", "M-3", "M-4"]
    assert table.loc[0, "Expected (Moody's / S&P)"] == "Aaa / AAA"  # deal file / term sheet


def test_structure_sentence_follows_the_deal_file():
    from stress.collateral import reference_tape
    from stress.deal import load_deal
    from stress.report.pages import Context, structure_sentence
    from stress.report.progress import Progress
    from stress.report.sources import BreakevenGrid

    deal = load_deal()
    steps = tuple(s.replace("principal_distribution_pro_rata", "principal_distribution_sequential")
                  for s in deal.priority_of_payments.steps)
    sequential = deal.model_copy(update={"priority_of_payments": deal.priority_of_payments.model_copy(
        update={"steps": steps})})
    make = lambda d: Context(d, reference_tape(), None, [], BreakevenGrid(), "", Progress())  # noqa: E731
    assert "pro rata" in structure_sentence(make(deal))
    text = structure_sentence(make(sequential))
    assert "sequentially" in text and "pro rata" not in text
    assert "written down in the order M-4, M-3, M-2, M-1, A-2 (A-1 never written down)" in text


def test_rating_stress_table_levels_pass_fail_and_expected_ratings(report):
    from stress.deal import load_deal

    _, rep = report
    table = _ctx(rep).ratings
    levels = ["AAA", "AA", "A", "BBB", "BB"]  # scenarios/ratings/agency_levels.toml, strongest first
    assert table.attrs["levels"] == levels
    assert table.attrs["to"] == ["maturity"]  # stress.ratings runs every level to maturity, no call credit
    assert table.attrs["criteria_file"] == "agency_levels.toml"
    for level in levels:  # the pool stress is default x severity, as the criteria file defines it
        p = table.attrs["pool"][level]
        assert p["loss"] == pytest.approx(p["cumulative_default"] * p["severity"])
    deal = load_deal()
    for name in deal.tranche_names:
        losses = [table.loc[name, level] for level in levels]
        # implied: the strongest level of an unbroken run of passes read from BB upwards
        implied = "below BB"
        for level, loss in reversed(list(zip(levels, losses))):
            if loss > 0.0:
                break
            implied = level
        assert table.loc[name, "implied_rating"] == implied
    # expected ratings as the term sheet prints them (deal file)
    assert table.loc["M-4", "expected_moodys"] == "A2" and table.loc["M-4", "expected_sp"] == "AA-"
    # meets_expected compares rating levels, notches ignored: A is below AA- (level AA)
    rank = {level: k for k, level in enumerate(levels)}
    for name in deal.tranche_names:
        implied = rank.get(table.loc[name, "implied_rating"], len(levels))
        expected = rank[table.loc[name, "expected_sp"].rstrip("+-")]
        assert table.loc[name, "meets_expected"] == (implied <= expected)
    page = _page(rep, "Rating-level stresses")
    text = _texts(page)
    assert "no credit for the clean-up call" in text and 'call = "never"' in text
    assert "agency_levels.toml" in text and "S&P U.S. RMBS criteria" in text
    cells = page.blocks[1].table
    assert all(c.endswith(("pass", "FAIL")) for c in cells["AAA stress"])
    pool = page.blocks[2].table
    assert list(pool["Level"]) == levels
    aaa = table.attrs["pool"]["AAA"]
    assert pool["Loss = default x severity"].iloc[0] == f"{100 * aaa['loss']:.2f}%"


def test_pdf_rating_page_cites_the_criteria(pdf):
    text = " ".join(_pdftotext(pdf).split())
    assert "agency_levels.toml" in text and "Pool stress per level" in text


def test_deterministic_scenarios_are_recognised_from_their_drivers():
    from stress.report.runs import has_randomness
    from stress.scenario import load_scenario

    base = load_scenario("base")
    assert has_randomness(base)
    assert not has_randomness(load_scenario("rating_aaa"))
    flat = base.model_copy(update={
        "rates": base.rates.model_copy(update={"model": "deterministic"}),
        "home_prices": base.home_prices.model_copy(update={
            "volatility": 0.0, "california": base.home_prices.california.model_copy(update={"volatility": 0.0})})})
    assert not has_randomness(flat)
    california = flat.model_copy(update={"home_prices": flat.home_prices.model_copy(update={
        "california": flat.home_prices.california.model_copy(update={"volatility": 0.1})})})
    assert has_randomness(california)
    # the realized 2004-2014 path: history rates and history home prices, loan-level models, one path
    history = load_scenario("history_2004")
    assert history.behaviour.mode != "vectors" and history.home_prices.volatility > 0.0
    assert not has_randomness(history)
    # history rates under model home prices still draw home-price shocks
    half = history.model_copy(update={"home_prices": history.home_prices.model_copy(update={"source": "model"})})
    assert has_randomness(half)


def test_deterministic_run_is_one_line_without_bands_or_errors(report):
    from matplotlib.collections import PolyCollection

    _, rep = report
    run = next(p for p in rep.pages if p.section == "Scenario rating_aaa")
    assert "(deterministic, one path)" in run.title
    pages = [p for p in rep.pages if p.section == "Scenario rating_aaa"]
    for p in pages:
        for b in p.blocks:
            if b.kind == "table":
                text = b.table.to_string()
                assert "\u00b1" not in text and "P(" not in text
            elif b.kind == "figure":
                assert "5-95%" not in b.caption and "median" not in b.caption
                fig = b.make()
                for ax in fig.axes:
                    bands = [c for c in ax.collections if isinstance(c, PolyCollection) and "of paths" in c.get_label()]
                    assert not bands, p.title  # percentile bands; the stacked class balances are no band
                    labels = [t.get_text() for t in (ax.get_legend().get_texts() if ax.get_legend() else [])]
                    assert not [t for t in labels if "of paths" in t or "median" in t], (p.title, labels)


def test_pct_never_prints_negative_zero():
    from stress.report.tables import pct

    assert pct(-1e-9, 3) == "0.000%"
    assert pct(-0.0) == "0.00%"
    assert pct(-4e-7, 3, se=-1e-12) == "0.000% \u00b1 0.000"
    assert pct(-0.0123, 2) == "-1.23%"  # a real negative keeps its sign


def test_breakevens_side_by_side_with_the_tie_explained_and_labelled(report):
    _, rep = report
    page = _page(rep, "Breakeven CDR: first dollar")
    table = page.blocks[1].table
    assert list(table.columns) == ["Class", "45% severity: first dollar", "45% severity: 1% loss"]
    first = {c.split(" ")[0] for c in table["45% severity: first dollar"]}
    material = [float(c.split("%")[0]) for c in table["45% severity: 1% loss"]]
    assert len(first) == 1  # pro rata: one first-dollar breakeven for all six classes
    assert material[-1] < material[0]  # M-4 reaches a 1% loss at a lower CDR than A-1
    assert "Every class has the same first-dollar breakeven CDR" in page.blocks[0].text
    chart = _page(rep, "Breakeven CDR vs severity").blocks[0].make()
    labels = [t.get_text() for t in chart.axes[0].get_legend().get_texts()]
    assert "first dollar: A-1 \u2026 M-4 (identical)" in labels


def test_prospectus_decrement_table_and_cash_flow_csv(report):
    _, rep = report
    page = next(p for p in rep.pages if p.title.startswith("Decrement table: percent of original balance"))
    table = page.blocks[0].table
    assert list(table.columns) == ["Payment date", "0% PPC", "80% PPC", "100% PPC", "150% PPC", "180% PPC"]
    years = table["Payment date"].tolist()
    assert years[0] == "Initial" and years[1] == "2005-01"  # closing 2004-01-29: the January payment dates
    body = table[~table["Payment date"].str.startswith(("Initial", "WAL"))]
    assert (table.iloc[0, 1:] == "100").all()
    for col in table.columns[1:]:
        values = [0.25 if v == "*" else float(v) for v in body[col]]
        assert values == sorted(values, reverse=True)  # never increases
    assert "WAL to maturity (yr)" in years and "WAL to call (yr)" in years
    # the CSV of each class: a no-default run to call repays the whole class (the call redeems at par)
    from stress.deal import load_deal

    deal = load_deal()
    assert sorted(rep.attachments) == sorted(f"{n}.csv" for n in deal.tranche_names)
    for t in deal.tranches:
        cf = rep.attachments[f"{t.name}.csv"]
        assert cf["principal_paid"].sum() == pytest.approx(t.balance, abs=0.01)
        assert cf["writedown"].sum() == 0.0
        assert cf["ending_balance"].iloc[-1] == pytest.approx(0.0, abs=0.01)


def test_strats_beside_the_term_sheet(report):
    _, rep = report
    titles = [p.title for p in rep.pages if p.section == "Collateral summary"]
    for needed in ("state and documentation", "FICO", "original LTV"):
        assert any(needed in t for t in titles)
    state = _page(rep, "state and documentation").blocks[0].table
    assert len(state) == 11 and state.iloc[-1, 0] == "all other (37)"  # 47 printed states: 10 + the rest
    shares = [float(v.rstrip("%")) for v in state["Term sheet (% of pool)"]]
    assert sum(shares) == pytest.approx(100.0, abs=0.05)


def test_comparison_uses_batch_figures_with_paired_differences(report):
    from stress.batch import compare_datasets

    _, rep = report
    run = next(p for p in rep.pages if p.section == "Scenario report-test")
    assert run is not None
    table = _page(rep, "Scenario comparison per class").blocks[0].table
    for col in ("Expected loss", "Difference", "P(loss)", "99% loss", "99.9% loss", "WAL (yr)"):
        assert col in table.columns
    det = table[table["Scenario"] == "rating_aaa"]
    assert (det["99% loss"] == "-").all() and not det["Expected loss"].str.contains("\u00b1").any()
    collateral = _page(rep, "collateral loss and OC breach").blocks[0].table
    assert "Collateral loss (% of cut-off)" in collateral.columns
    # a run compared with itself: paired differences exactly zero, with zero standard error
    root, _ = report
    from stress.store import open_results

    ds = open_results(root / "run")
    same = compare_datasets({"a": ds, "b": ds}, base="a")["scenarios"]["b"]
    assert same["tranches"]["M-4"]["expected_loss_diff"] == 0.0
    assert same["tranches"]["M-4"]["expected_loss_diff_se"] == 0.0
    assert same["collateral_loss_diff"] == 0.0 and same["oc_breach_probability_diff"] == 0.0
    assert "loss_999" in same["tranches"]["M-4"]


def test_assumptions_list_every_driver_that_differs_from_base():
    from types import SimpleNamespace

    from stress.report.tables import scenario_assumptions
    from stress.scenario import load_scenario

    base = load_scenario("base")
    crash = load_scenario("hpi_crash")
    run = SimpleNamespace(name="hpi_crash", attrs={"seed": 1, "to": "call"}, scenario=crash, n_paths=10)
    table = scenario_assumptions([run], base)
    drivers = dict(zip(table["Driver"], table["hpi_crash"]))
    # scenarios/hpi_crash.toml starts from the June 2007 state (12 monthly growths, oldest first)
    assert drivers["Home prices: initial growth"].startswith("-0.0189, -0.0056, 0.0217")
    assert drivers["Home prices: initial gap"] == "0.2448"
    assert drivers["Home prices: California: initial growth"].endswith("-0.1235, -0.109, -0.1069, -0.1072")
    assert "Rates: volatility" not in drivers  # equal to base: left out
    assert "Home prices: drift" not in drivers


def test_progress_reports_runs_and_sources(report):
    _, rep = report
    text = rep.progress_text
    assert "run scenario rating_aaa (1 path)" in text  # no randomness: one path whatever --paths says
    for step in ("first-dollar breakevens", "1%-loss breakevens", "rating-level stresses", "pages: Executive"):
        assert step in text


def test_existing_cash_flow_folder_is_refused_before_any_work(tmp_path):
    from stress.errors import OutputError
    from stress.report import build_report

    (tmp_path / "r_cashflows").mkdir()
    (tmp_path / "r_cashflows" / "A-1.csv").write_text("x")
    with pytest.raises(OutputError, match="r_cashflows already exists; use --overwrite"):
        build_report([], out=tmp_path / "r.pdf")


# -- legibility in the rendered PDF -----------------------------------------------
def _pdftotext(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian/Ubuntu: apt-get install -y poppler-utils)")
    args = ["pdftotext", "-layout"] + (["-f", str(first), "-l", str(last)] if first else []) + [str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def test_pdf_tables_fit_at_8_points_or_more(report, pdf):
    _, rep = report
    assert rep.layout
    for t in rep.layout:
        assert t["font"] >= 8.0 and t["fits"], t


def test_pdf_text_has_no_negative_zero_nor_scientific_ticks(pdf):
    text = _pdftotext(pdf)
    assert not re.search(r"-0\.0+%", text)
    assert not re.search("\u00d7\\s*10", text)  # log-axis ticks such as 7x10^-1 (pdftotext: "7 × 10−1")


def test_loss_histogram_of_few_paths_has_whole_path_count_ticks(tmp_path):
    """With 4 paths the log axis spans less than a decade, where matplotlib labels 6x10^0, 7x10^-1 ..."""
    import xarray as xr

    from stress.report.figures import loss_histograms

    loss = np.array([[0.0, 0.0], [0.0, 0.01], [0.0, 0.02], [0.0, 0.0]])
    ds = xr.Dataset({"loss_pct": (("path", "tranche"), loss)}, coords={"tranche": ["A", "B"]})
    fig = loss_histograms(ds, scenario="four paths")
    fig.savefig(tmp_path / "h.pdf")
    text = _pdftotext(tmp_path / "h.pdf")
    assert not re.search("\u00d7\\s*10", text), text
    for ax in fig.axes[:2]:
        labels = [t.get_text() for t in ax.yaxis.get_ticklabels() if t.get_text()]
        assert labels and all(re.fullmatch(r"[\d,]+", t) for t in labels), labels


def test_pdf_first_oc_breach_is_a_date(pdf):
    text = _pdftotext(pdf)
    line = next(ln for ln in text.splitlines() if "First OC breach (payment date)" in ln)
    values = line.split("paths")[-1] if "paths" in line else line.split(")")[-1]
    assert re.fullmatch(r"\s*(\d{4}-\d{2}|-)( / (\d{4}-\d{2}|-))*\s*", values), line


def test_pdf_contents_page_numbers_point_at_their_sections(report, pdf):
    _, rep = report
    contents = _pdftotext(pdf, 3, 3)  # after the two executive-summary sheets
    entries = re.findall(r"^\s*(Executive summary|Breakevens|Rating stresses|Scenario rating_aaa|Scenario comparison)"
                         r"\s+(\d+)\s*$", contents, flags=re.MULTILINE)
    assert len(entries) == 5, contents
    for section, number in entries:
        page = _pdftotext(pdf, int(number), int(number))
        assert f"{section} | page {number} of" in page


def test_pdf_assumptions_table_lists_the_differing_drivers(pdf):
    text = _pdftotext(pdf)
    assert "drivers that differ from base" in text
    for driver in ("Behaviour: mode", "Rates: model", "Home prices: volatility"):
        assert driver in text


def test_charts_have_no_clipped_titles_or_overlapping_tick_labels(report):
    """Every chart drawn at PDF size: everything drawn inside the figure; tick labels of an axis never overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from stress.report.pdf import PAGE

    _, rep = report
    for p in rep.pages:
        for b in p.blocks:
            if b.kind != "figure":
                continue
            fig = b.make()
            fig.set_size_inches(*PAGE)
            fig.set_dpi(50)  # geometry in figure units does not depend on the resolution; drawing is faster
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            renderer = canvas.get_renderer()
            box = fig.bbox

            def inside(extent, what):
                assert (extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1 and extent.y0 >= box.y0 - 1
                        and extent.y1 <= box.y1 + 1), (p.title, what)

            if fig._suptitle is not None:
                inside(fig._suptitle.get_window_extent(renderer), "figure title clipped")
            panels = [ax for ax in fig.axes if ax.get_visible()]
            tight = [ax.get_tightbbox(renderer) for ax in panels]
            for i in range(len(panels)):
                for j in range(i + 1, len(panels)):  # one panel's labels never run into the next panel
                    assert not tight[i].overlaps(tight[j]), (p.title, panels[i].get_title(), panels[j].get_title())
            for ax in panels:
                # the tight box holds what is drawn: panel title, axis labels, tick labels, legend
                inside(ax.get_tightbbox(renderer), f"panel {ax.get_title()!r} clipped")
                for axis in (ax.xaxis, ax.yaxis):
                    lo, hi = sorted(axis.get_view_interval())
                    boxes = [lbl.get_window_extent(renderer)
                             for loc, lbl in zip(axis.get_majorticklocs(), axis.get_majorticklabels())
                             if lo <= loc <= hi and lbl.get_visible() and lbl.get_text().strip()]
                    for i in range(len(boxes)):
                        for j in range(i + 1, len(boxes)):
                            assert not boxes[i].overlaps(boxes[j]), (p.title, "tick labels overlap")


def test_cli_report_shows_progress_and_where_the_time_went(tmp_path, monkeypatch, capsys):
    from stress import cli
    from stress.report import build

    def fake_build(run_dirs, *, out, progress, **kw):
        with progress.step("scenario runs", "run scenario base (4 paths)", announce=True):
            pass
        with progress.step("render charts", "page 1/1: chart"):
            pass
        return out

    monkeypatch.setattr(build, "build_report", fake_build)
    assert cli.main(["report", "--out", str(tmp_path / "r.pdf")]) == 0
    err = capsys.readouterr().err
    assert "report: run scenario base (4 paths) ..." in err and "report: page 1/1: chart:" in err
    assert re.search(r"where the time went: [\d.]+ s in all: .*scenario runs [\d.]+ s \(1 step\)", err)


# -- importance-sampled runs: every statistic of the report is weighted ---------------------------
def _weighted_ds():
    """Four paths, two periods, one class; weights 0.5, 0.5, 1.5, 1.5 (mean 1), values chosen for hand sums."""
    import xarray as xr

    nan = np.nan
    dims2, dims3 = ("path", "period"), ("path", "period", "tranche")
    ds = xr.Dataset(
        {"weight": ("path", [0.5, 0.5, 1.5, 1.5]),
         "loss_pct": (("path", "tranche"), [[0.0], [0.0], [0.1], [0.2]]),
         "wal_years": (("path", "tranche"), [[2.0], [3.0], [4.0], [nan]]),
         # (first loss is read on its own: here paths 1-3 have one, so the plain and weighted medians differ)
         "first_loss_period": (("path", "tranche"), [[1.0], [1.0], [2.0], [nan]]),
         "first_oc_breach_period": ("path", [nan, 5.0, nan, 7.0]),
         "cumulative_collateral_loss_pct": ("path", [0.01, 0.02, 0.03, 0.05]),
         "writedown": (dims3, [[[0.0], [0.0]], [[0.0], [0.0]], [[10.0], [0.0]], [[10.0], [10.0]]]),
         "interest_shortfall": (dims3, np.zeros((4, 2, 1))),
         "afr": (dims2, [[0.01, 0.01], [0.02, 0.02], [0.03, 0.03], [0.04, 0.04]]),
         "bond_balance": (dims2, np.full((4, 2), 100.0)),
         "libor_1m": (dims2, np.full((4, 2), 0.01)),
         "date": ("period", np.array(["2004-02-25", "2004-03-25"], dtype="datetime64[ns]"))},
        coords={"tranche": ["A"], "period": [1, 2]}, attrs={"seed": 1})
    return ds


def test_weighted_helpers_match_hand_computed_values():
    from stress.metrics import paired_difference, path_mean, path_nanmean, path_quantiles

    w = np.array([0.5, 0.5, 1.5, 1.5])
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert path_mean(x, w)[0] == pytest.approx((0.5 + 1.0 + 4.5 + 6.0) / 4)  # mean(w x) = 3.0
    assert path_mean(x)[0] == pytest.approx(2.5)
    # WAL-like: self-normalized over the finite paths: (0.5*2 + 0.5*3 + 1.5*4) / 2.5 = 3.4
    assert path_nanmean(np.array([2.0, 3.0, 4.0, np.nan]), w)[0] == pytest.approx(3.4)
    # weighted CDF 0.125, 0.25, 0.625, 1.0: the median is 3, the 10% quantile 1; plain median 2.5
    assert list(path_quantiles(x, [0.1, 0.5], w)) == [1.0, 3.0]
    assert path_quantiles(x, [0.5])[0] == pytest.approx(2.5)
    # paired: mean(w_o x_o - w_b x_b) with a plain base of zeros = mean(w x)
    assert paired_difference(np.zeros(4), x, None, w)[0] == pytest.approx(3.0)


def test_report_statistics_use_the_path_weights():
    from types import SimpleNamespace

    from stress.batch import compare_datasets
    from stress.report import figures as F
    from stress.report.tables import afr_percentiles, scenario_results

    ds = _weighted_ds()
    deal = SimpleNamespace(tranches=[SimpleNamespace(balance=100.0)])
    row = scenario_results(ds, deal).iloc[0]
    assert row["Principal loss, mean (% orig.)"] == "11.250%"  # (1.5 x 0.1 + 1.5 x 0.2) / 4; plain: 7.500%
    assert row["Write-down, mean (% orig.)"] == "11.250%"  # (1.5 x 0.1 + 1.5 x 0.2) / 4 of balance 100
    assert row["WAL, mean (years)"] == "3.40"
    # weights 0.5, 0.5, 1.5 on periods 1, 1, 2: weighted CDF 0.2, 0.4, 1.0, median period 2 (plain: period 1)
    assert row["First loss, median"] == "2004-03"
    # AFR: weighted CDF 0.125, 0.25, 0.625, 1.0 over 1%, 2%, 3%, 4%: the median is 3% (plain: 2.5%)
    afr = afr_percentiles(ds, periods=(1,))
    assert afr["50% AFR"].iloc[0] == "3.000%" and afr["5% AFR"].iloc[0] == "1.000%"
    plain = ds.assign(weight=("path", np.ones(4)))
    comparison = compare_datasets({"plain": plain, "weighted": ds}, base="plain")
    e, t = comparison["scenarios"]["weighted"], comparison["scenarios"]["weighted"]["tranches"]["A"]
    assert t["expected_loss"] == pytest.approx(0.1125) and t["probability_of_loss"] == pytest.approx(0.75)
    assert t["wal"] == pytest.approx(3.4)
    assert e["collateral_loss"] == pytest.approx((0.005 + 0.01 + 0.045 + 0.075) / 4)
    assert e["oc_breach_probability"] == pytest.approx((0.5 + 1.5) / 4)
    # paired with the plain run (same paths): mean(w x - x) = 0.1125 - 0.075
    assert t["expected_loss_diff"] == pytest.approx(0.1125 - 0.075)
    assert comparison["scenarios"]["plain"]["tranches"]["A"]["expected_loss"] == pytest.approx(0.075)
    # histogram: the no-loss bar is the no-loss paths' probability, (0.5 + 0.5) / 4 = 25%
    fig = F.loss_histograms(ds, scenario="w")
    assert fig.axes[0].patches[0].get_height() == pytest.approx(25.0)
    assert "P(loss) 75.0%" in fig.axes[0].get_title()
    # fan median of the AFR: 3% in both periods
    fig = F.afr_fan(ds, scenario="w")
    median = next(line for line in fig.axes[0].get_lines() if line.get_label() == "AFR: median")
    assert np.allclose(median.get_ydata(), 3.0)


# -- the realized path, the back-test and the call ---------------------------------------------------
def test_realized_path_is_placed_in_the_monte_carlo_distribution(report):
    from stress.store import open_results
    from stress.metrics import min_afr_margin

    root, rep = report
    ctx = _ctx(rep)
    assert ctx.history_run is not None and ctx.history_run.deterministic and ctx.history_run.n_paths == 1
    mc, hist = open_results(root / "run"), ctx.history_run.ds
    # by hand: mid-rank share of the 16 equally weighted paths below the realized collateral loss
    h = float(hist["cumulative_collateral_loss_pct"].values[0])
    x = mc["cumulative_collateral_loss_pct"].values
    expected = (np.sum(x < h - 1e-9) + 0.5 * np.sum(np.abs(x - h) <= 1e-9)) / 16
    pl = ctx.placements["report-test"]
    k = list(pl["measure"].values).index("collateral_loss")
    assert float(pl["percentile"].values[k]) == pytest.approx(expected)
    m = min_afr_margin(hist)[0]
    assert float(pl["history_value"].values[-1]) == pytest.approx(m)
    page = _page(rep, "The realized 2004-2014 path in report-test")
    table = page.blocks[-1].table
    assert list(table["Measure"])[0] == "Cumulative collateral loss (% of cut-off)"
    assert table["Percentile in the Monte Carlo"].iloc[0].startswith(f"{100 * expected:.1f}%")
    assert "Principal loss, M-4 (% of original)" in list(table["Measure"])
    # the MC run's charts carry the realized path: a histogram with the marked loss, the AFR fan's line
    titles = [p.title for p in rep.pages if p.section == "Scenario report-test"]
    assert "Scenario report-test: Collateral loss distribution" in titles
    afr_page = next(p for p in rep.pages if p.title == "Scenario report-test: AFR vs coupon")
    fig = afr_page.blocks[0].make()
    assert any("realized path (history_2004)" in str(line.get_label()) for line in fig.axes[0].get_lines())


def test_backtest_page_shows_years_and_published_sources(report):
    from stress.backtest import backtest, load_published

    _, rep = report
    by_year = backtest("history_2004").by_year()
    page = _page(rep, "Back-test: the pool on the realized path by calendar year")
    table = page.blocks[0].table
    assert list(table["Year"]) == [str(y) for y in range(2004, 2015)]  # history_2004's realized window
    assert table["Cumulative default (% of cut-off)"].iloc[4] == f"{100 * by_year.loc[2008, 'cumulative_default']:.2f}%"
    assert table["CPR (annual)"].iloc[0] == f"{100 * by_year.loc[2004, 'cpr']:.1f}%"
    page = _page(rep, "Back-test: model beside published")
    text = _texts(page)
    published = load_published()
    assert len(page.blocks[0].table) == len(published)
    for source in published["source"]:
        assert source in text
    assert "alt_a_2004_vintage_published.csv" in text


def test_call_page_shows_rule_and_exercise_probability(report):
    import json

    root, rep = report
    table = _page(rep, "Scenario report-test: clean-up call").blocks[0].table
    values = dict(zip(table["Item"], table["Value"]))
    ds = _ctx(rep).runs[0].ds
    called = np.asarray(ds["call_exercised"].values) > 0
    p = called.mean()
    assert values["Call rule (scenario key call)"] == ds.attrs["call_rule"]
    assert values["Exercise probability (share of paths that called)"] == (
        f"{100 * p:.1f}% \u00b1 {100 * np.sqrt(p * (1 - p) / 16):.1f}")
    assert json.loads((root / "run" / "summary.json").read_text())["summary"]["call"]["exercise_probability"] == \
        pytest.approx(p)


def test_pdf_shows_the_realized_path_percentile_and_backtest_sources(pdf):
    text = re.sub(r"-\s+", "-", " ".join(_pdftotext(pdf).split()))  # words hyphenated at a line end rejoined
    assert "Among report-test's 16 Monte Carlo paths it sits at percentile" in text
    assert "alt_a_2004_vintage_published.csv" in text and "Moody's Investors Service" in text
    assert 'The rating-level stresses run with call = "never", to maturity.' in text
