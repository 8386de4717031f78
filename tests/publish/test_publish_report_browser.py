"""Open a report in headless Chromium: no network request, and the map is not blank.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package;
no browser is downloaded.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
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
    if shutil.which("pdftotext") is None:
        pytest.skip("needs Debian's poppler-utils (pdftotext) to read the PDF back")
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, check=True, text=True
    ).stdout
    for heading in ("Map", "Timeline", "Sanctions screening", "Risk reasons", "Evidence"):
        assert heading in text, heading  # the same sections as the HTML report
    assert "Behind sanctions match S1" in text and "9018464" in text
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, check=True, text=True)
    assert int(re.search(r"Pages:\s+(\d+)", pages.stdout).group(1)) >= 2  # type: ignore[union-attr]


#: In the page: the numbered markers' centres, the widest element's right edge, the plots'
#: time labels.
_GEOMETRY = """() => {
  const marks = [...document.querySelectorAll('#map g.event circle[r="6"]')].map(c => {
    const b = c.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2]; });
  const right = Math.max(...[...document.querySelectorAll('table, svg')].map(
    e => e.getBoundingClientRect().right));
  const ticks = [...document.querySelectorAll('svg.plot text.tick')].map(t => t.textContent);
  return {marks, right, width: document.documentElement.clientWidth, ticks};
}"""


def _geometry(html: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(html.as_uri())
            page.wait_for_load_state("networkidle")
            out: dict[str, Any] = page.evaluate(_GEOMETRY)
        finally:
            browser.close()
    return out


def _check_layout(geo: dict[str, Any]) -> None:
    marks = geo["marks"]
    assert marks
    for i, a in enumerate(marks):
        for b in marks[:i]:
            assert math.dist(a, b) >= 12.0, (a, b)  # no marker hides another
    assert geo["right"] <= geo["width"]  # every table and figure within the page
    assert any(re.match(r"\d{4}-\d{2}-\d{2}", t) for t in geo["ticks"])  # time axes (UTC)


def test_a_real_case_lays_out_within_the_page(case_ws: Workspace, tmp_path: Path) -> None:
    html = tmp_path / "case.html"
    write_report(case_ws, html, vessel=MAGUS)
    _check_layout(_geometry(html))


def test_a_simulated_dark_sts_case_lays_out_within_the_page(tmp_path: Path) -> None:
    from watchkeeper.assess.vessels import build_vessels
    from watchkeeper.detect import DetectParams, detect_workspace
    from watchkeeper.simulate.generate import simulate
    from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig

    tiny = TrafficConfig(n_cargo=4, n_tanker=3, n_fishing=3, n_pair_trawl=1, n_reefer=1, n_bunker=1)
    simulate(ScenarioConfig(seed=5, days=2.0, traffic=tiny), tmp_path / "sim")
    ws = Workspace(tmp_path / "ws")
    for layer in ("positions", "identities"):
        w = ws.writer(layer, "sim")
        w.write(pq.read_table(tmp_path / "sim" / "truth" / f"{layer}.parquet"))
        w.close()
    events = detect_workspace(
        ws, params=DetectParams(port_files=(str(tmp_path / "sim/ports.csv"),))
    )
    build_vessels(ws)
    dark = [r for r in events.to_pylist() if r["type"] == "dark_sts"]
    assert dark, "the scenario plants dark ship-to-ship transfers"
    html = tmp_path / "dark.html"
    write_report(ws, html, vessel=dark[0]["mmsi"])
    _check_layout(_geometry(html))
    assert "could be while dark" in html.read_text()  # the partner's reachable area
