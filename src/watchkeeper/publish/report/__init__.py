"""Case reports for analysts: one self-contained HTML file per case (see ``docs/report.md``).

>>> from watchkeeper.publish.report import ReportParams
>>> ReportParams().evidence_per_event
12
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from watchkeeper.publish._sink import atomic_file
from watchkeeper.publish.report.case import Case, ReportParams, evidence_rows, load_case
from watchkeeper.publish.report.html import render_html
from watchkeeper.publish.report.pdf import html_to_pdf
from watchkeeper.store.base import Store

__all__ = ["Case", "ReportParams", "evidence_rows", "load_case", "render_html", "write_report"]


def write_report(
    ws: Store,
    out: str | Path,
    *,
    vessel: int | None = None,
    event: str | None = None,
    top: int | None = None,
    params: ReportParams | None = None,
    generated: datetime | None = None,
) -> Case:
    """Write the report of one case (exactly one of vessel, event, top) to ``out``: HTML, or
    PDF when ``out`` ends in ``.pdf`` (printed by headless Chromium, :mod:`.pdf`)."""
    case = load_case(ws, vessel=vessel, event=event, top=top, params=params)
    html = render_html(case, workspace=Path(ws.location), generated=generated)
    if Path(out).suffix.lower() == ".pdf":
        html_to_pdf(html, Path(out))
        return case
    with atomic_file(out) as tmp:
        tmp.write_text(html, "utf-8")
    return case
