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
paths = 10
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
    from stress.engine import run_monte_carlo
    from stress.scenario import load_scenario

    root = tmp_path_factory.mktemp("report")
    path = root / "report_test.toml"
    path.write_text(SCENARIO)
    run_monte_carlo(load_scenario(path), n_paths=10, out=root / "run", scheduler="synchronous")
    return root, collect_report([root / "run"], breakeven_grid=TINY_GRID)


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
    for needed in ("Deal summary", "Collateral summary", "Assumptions", "Decrement tables",
                   "Available funds rate", "Excess spread", "Breakeven matrix", "Scenario report-test"):
        assert needed in sections
    charts = [b for p in rep.pages for b in p.blocks if b.kind == "figure"]
    assert len(charts) >= 10  # AFR, excess spread, breakeven + 7 Monte Carlo charts


def test_every_page_footer_names_deal_run_and_version(report):
    import stress

    _, rep = report
    for page in rep.pages:
        assert "Impac CMB Trust Series 2004-1" in page.footer
        assert f"stress {stress.__version__}" in page.footer
        assert "report-test" in page.footer and "seed 7" in page.footer and "10 paths" in page.footer


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
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
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

    shot = tmp_path / "page.png"
    subprocess.run([browser, *_FLAGS, "--window-size=1200,2400", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)
    gray = _png_pixels(shot)
    assert (gray < 200).mean() > 0.02, "HTML screenshot is nearly blank"
