"""Open a report in headless Chromium: no network request, and the map is not blank.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package;
no browser is downloaded.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from publish_case import MAGUS

from watchkeeper import Workspace
from watchkeeper.publish.report import write_report
from watchkeeper.publish.report.land import LAND, SEA

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() or shutil.which("chromium") is None,
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def test_report_offline_and_map_drawn(case_ws: Workspace, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    html = tmp_path / "case.html"
    write_report(case_ws, html, vessel=MAGUS)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            page.wait_for_load_state("networkidle")
            shot = page.locator("#map").screenshot()
        finally:
            browser.close()
    assert requests == [html.as_uri()]
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3).astype(int)
    assert len(pixels) > 100_000

    def share(rgb: tuple[int, int, int]) -> float:
        return float((np.abs(pixels - rgb).sum(axis=1) < 12).mean())

    # San Francisco Bay: the offline land layer shows both sea and land (coastline drawn)
    assert share(SEA) > 0.1 and share(LAND) > 0.1
    assert share((255, 255, 255)) < 0.05  # not a blank page
    track = (np.abs(pixels - (0x1F, 0x4E, 0x9C)).sum(axis=1) < 60).sum()
    marker = (np.abs(pixels - (0xD6, 0x27, 0x28)).sum(axis=1) < 60).sum()
    assert track > 0 and marker > 20  # the track and the encounter marker


def test_report_as_pdf(case_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "case.pdf"
    write_report(case_ws, out, vessel=MAGUS)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2  # a multi-page case
