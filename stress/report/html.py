"""The HTML writer: one self-contained file, tables as ``<table>``, charts embedded as base64 PNG.

The contents list links to each section's first heading.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import Callable

import stress
from stress.report import tables as T

__all__ = ["write_html"]

_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1150px;
       color: #1f2d3d; line-height: 1.4; }
h1 { font-size: 1.7em; border-bottom: 2px solid #1f4e79; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2.2em; color: #1f4e79; }
section { page-break-inside: avoid; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .85em; }
th { background: #dfe7ef; padding: 4px 8px; border: 1px solid #c8d2dc; }
td { padding: 3px 8px; border: 1px solid #dde3e8; text-align: right; font-variant-numeric: tabular-nums; }
td.text { text-align: left; } td:first-child { text-align: left; font-weight: 600; }
tbody tr:nth-child(even) { background: #f6f8fa; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #e3e7eb; }
figcaption, .note { font-size: .85em; color: #3d4b59; }
.footer { font-size: .72em; color: #6b7785; border-top: 1px solid #e3e7eb; padding-top: .3em; }
ol.contents li { margin: .15em 0; }
"""


def _png(make: Callable) -> str:
    fig = make()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def write_html(report, out: str | Path, *, progress=None) -> Path:
    """Write ``report`` as one self-contained HTML file (tables as ``<table>``, charts as base64 PNG)."""
    from stress.report.progress import Progress

    progress = progress or Progress()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    anchors: dict[str, str] = {}
    for k, page in enumerate(report.pages):
        if page.kind != "contents":
            anchors.setdefault(page.section, f"p{k + 1}")
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(report.title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{escape(report.title)}</h1>"
             f"<p class='note'>Built {escape(report.built)} with stress {escape(stress.__version__)}.</p>"]
    for k, page in enumerate(report.pages):
        with progress.step("render html", f"section {k + 1}/{len(report.pages)}: {page.title}"):
            parts.append(f"<section id='p{k + 1}'><h2>{escape(page.title)}</h2>")
            if page.kind == "contents":
                parts.append("<ol class='contents'>" + "".join(
                    f"<li><a href='#{a}'>{escape(s)}</a></li>" for s, a in anchors.items()) + "</ol>")
            parts.extend(f"<p class='note'>{escape(n)}</p>" for n in page.notes if n)
            for b in page.blocks:
                if b.kind == "text":
                    parts.append(f"<p>{escape(b.text)}</p>")
                elif b.kind == "table":
                    if b.caption:
                        parts.append(f"<p><b>{escape(b.caption)}</b></p>")
                    parts.append(T.to_html(b.table))
                else:
                    parts.append(f"<figure><img alt='{escape(page.title)}' src='data:image/png;base64,{_png(b.make)}'>"
                                 + (f"<figcaption>{escape(b.caption)}</figcaption>" if b.caption else "")
                                 + "</figure>")
            parts.append(f"<p class='footer'>{escape(page.footer)}</p></section>")
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
