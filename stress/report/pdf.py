"""The PDF writer: one topic per US-letter landscape sheet, tables drawn as matplotlib tables.

Every table is set at :data:`MIN_FONT` points or more: a table too wide for
the sheet first gets smaller type (down to the minimum), then its longest
text cells are wrapped onto more lines. Each sheet's footer names the deal,
the runs and the page number; the contents page lists the first sheet of
each section. ``write_pdf`` records the font and fit of every table in
``report.layout``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

import stress
from stress.report import tables as T

__all__ = ["write_pdf", "PAGE", "MIN_FONT"]

PAGE = (11.0, 8.5)  # US letter, landscape [inches]
MIN_FONT = 8.0  # smallest type of a table [points]
_RENDERER = None


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of the widest line of ``text`` at ``size`` points as the PDF will draw it [points]."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    global _RENDERER
    if _RENDERER is None:
        _RENDERER = RendererAgg(10, 10, 72)
    props = FontProperties(size=size, weight="bold" if bold else "normal")
    return max(float(_RENDERER.get_text_width_height_descent(line or " ", props, ismath=False)[0])
               for line in str(text).split("\n"))


def _decorate(fig, page, number: int, total: int, *, title: bool) -> None:
    from matplotlib.lines import Line2D

    if title:
        fig.text(0.04, 0.955, page.title, fontsize=16, fontweight="bold", va="top", color="#1f2d3d")
    footer = "\n".join(textwrap.wrap(page.footer, 165))
    fig.text(0.04, 0.018, footer, fontsize=7, color="0.3", va="bottom")
    fig.text(0.96, 0.018, f"{page.section} | page {number} of {total}", fontsize=7.5, color="0.3",
             va="bottom", ha="right")
    fig.add_artist(Line2D([0.04, 0.96], [0.055, 0.055], color="0.75", lw=0.6))


def _layout(frame: pd.DataFrame, avail_in: float, rows: int) -> tuple[float, list[list[str]], list[str], list[float]]:
    """Font, (wrapped) cells, headers and column widths [in] that fit ``avail_in``, at MIN_FONT or more."""
    cells = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    ncol = len(frame.columns)
    font = 10.0 if rows <= 20 else 9.0
    wrap = {j: None for j in range(ncol)}

    def measure(j, cells, headers):  # widest text of column j at 10 pt [points]; widths scale with the size
        return max([_text_width(r[j], 10.0) for r in cells] + [_text_width(headers[j], 10.0, bold=True)])

    headers = [_wrap(c, 16) for c in frame.columns]
    at10 = [measure(j, cells, headers) for j in range(ncol)]
    while True:
        col_in = [(w * font / 10.0 / 0.8 + 4.0) / 72.0 for w in at10]
        if sum(col_in) <= avail_in:
            return font, cells, headers, col_in
        if font > MIN_FONT:
            font -= 0.5
            continue
        # at the minimum size: wrap the widest column that still has long lines
        j = max(range(ncol), key=lambda k: col_in[k])
        longest = max((len(line) for r in cells for line in r[j].split("\n")), default=0)
        width = (wrap[j] or longest) - 4
        if width < 8:
            return font, cells, headers, col_in  # cannot narrow further; reported as not fitting
        wrap[j] = width
        cells = [[_wrap(" ".join(c.split("\n")), width) if k == j else c for k, c in enumerate(r)] for r in cells]
        headers[j] = _wrap(frame.columns[j], max(8, width))
        at10[j] = measure(j, cells, headers)


def _draw_table(fig, frame: pd.DataFrame, top: float, bottom: float, caption: str = "") -> tuple[float, dict]:
    """Draw ``frame`` between ``top`` and ``bottom`` (figure fraction); return its bottom and layout facts."""
    if caption:
        fig.text(0.04, top, caption, fontsize=10.5, fontweight="bold", va="top")
        top -= 0.035
    avail = 0.92 * PAGE[0]
    font, cells, headers, col_in = _layout(frame, avail, len(frame))
    ncol = len(frame.columns)
    header_lines = max(h.count("\n") + 1 for h in headers)
    lines = [max(c.count("\n") + 1 for c in r) for r in cells] or [1]
    row_in = font / 72.0 * 1.75
    total_w = sum(col_in)
    height_in = row_in * (sum(lines) + header_lines)
    max_h = (top - bottom) * PAGE[1]
    fits = total_w <= avail + 1e-9
    if height_in > max_h:  # tighter rows, never tighter than 1.2 x the type size
        squeeze = max(max_h / height_in, 1.2 / 1.75)
        fits = fits and max_h / height_in >= 1.2 / 1.75
        row_in *= squeeze
        height_in = row_in * (sum(lines) + header_lines)
    ax = fig.add_axes([(1 - total_w / PAGE[0]) / 2, top - height_in / PAGE[1], total_w / PAGE[0],
                       height_in / PAGE[1]])
    ax.axis("off")
    table = ax.table(cellText=cells or [[""] * ncol], colLabels=headers, loc="upper center",
                     colWidths=[c / total_w for c in col_in], cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    numeric = [T.is_numeric_column(frame.iloc[:, c]) for c in range(ncol)]
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.8")
        cell.set_linewidth(0.4)
        if r == 0:
            cell.set_height(row_in * header_lines / height_in)
            cell.set_facecolor("#dfe7ef")
            cell.get_text().set_fontweight("bold")
            cell.get_text().set_ha("center")
        else:
            cell.set_height(row_in * lines[r - 1] / height_in)
            if r % 2 == 0:
                cell.set_facecolor("#f6f8fa")
            if c == 0 or not numeric[c]:
                cell.get_text().set_ha("left")
                cell._loc = "left"  # the text position follows the cell's alignment
    return top - height_in / PAGE[1], {"font": font, "fits": fits, "rows": len(cells), "columns": ncol}


def _draw_notes(fig, notes: list[str], top: float, *, size: float = 9.0, width: int = 135) -> float:
    for note in notes:
        if not note:
            continue
        wrapped = "\n".join(textwrap.wrap(note, width))
        fig.text(0.04, top, wrapped, fontsize=size, va="top", color="0.2")
        top -= (0.022 * size / 9.0) * (wrapped.count("\n") + 1) + 0.008
    return top


def _figure_sheet(page, block, number: int, total: int):
    fig = block.make()
    fig.set_size_inches(*PAGE)
    caption = "\n".join(textwrap.wrap(block.caption, 160)) if block.caption else ""
    lines = caption.count("\n") + 1 if caption else 0
    bottom = 0.075 + 0.022 * lines
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0.03, bottom, 0.94, 0.97 - bottom))
    if caption:
        fig.text(0.04, 0.065, caption, fontsize=8.5, va="bottom", color="0.25")
    _decorate(fig, page, number, total, title=False)
    return fig


def sheets(report) -> list[tuple[object, list]]:
    """The PDF's sheets: ``(page, blocks)``, a page's text and tables on one sheet and each chart on its own."""
    out = []
    for page in report.pages:
        tables = [b for b in page.blocks if b.kind != "figure"]
        if tables or page.kind == "contents":
            out.append((page, tables))
        for b in page.blocks:
            if b.kind == "figure":
                out.append((page, [b]))
    return out


def contents_table(report, numbered: list[tuple[object, list]]) -> pd.DataFrame:
    """Section and the page its first sheet is on, in report order (the contents page itself left out)."""
    first: dict[str, int] = {}
    for k, (page, _) in enumerate(numbered, start=1):
        if page.kind != "contents":
            first.setdefault(page.section, k)
    return pd.DataFrame({"Section": list(first), "Page": [str(v) for v in first.values()]})


def write_pdf(report, out: str | Path, *, progress=None) -> Path:
    """Write ``report`` to a PDF, one topic per sheet; ``progress`` (:class:`~stress.report.progress.Progress`)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from stress.report.build import Block
    from stress.report.progress import Progress

    progress = progress or Progress()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    numbered = sheets(report)
    total = len(numbered)
    report.layout = []
    with PdfPages(out, metadata={"Title": report.title, "Creator": f"stress {stress.__version__}"}) as pdf:
        for number, (page, blocks) in enumerate(numbered, start=1):
            kind = "charts" if blocks and blocks[0].kind == "figure" else "tables"
            with progress.step(f"render {kind}", f"page {number}/{total}: {page.title}"):
                if page.kind == "contents":
                    blocks = [Block("table", table=contents_table(report, numbered), caption="")] + blocks
                if blocks and blocks[0].kind == "figure":
                    fig = _figure_sheet(page, blocks[0], number, total)
                else:
                    fig = Figure(figsize=PAGE)
                    _decorate(fig, page, number, total, title=True)
                    top = _draw_notes(fig, page.notes, 0.905)
                    for b in blocks:
                        if b.kind == "text":
                            top = _draw_notes(fig, [b.text], top, size=9.5, width=135) - 0.004
                        else:
                            top, facts = _draw_table(fig, b.table, top - 0.01, 0.08, b.caption)
                            top -= 0.03
                            report.layout.append({"page": number, "title": page.title, **facts})
                pdf.savefig(fig)
    return out
