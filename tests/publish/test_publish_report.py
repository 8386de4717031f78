"""The HTML case report: self-contained, the match explained, evidence traced to SHA-256."""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from publish_case import MAGUS, NOAA
from typer.testing import CliRunner

from watchkeeper import Workspace
from watchkeeper.cli import app
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.publish.report import ReportParams, load_case, write_report
from watchkeeper.publish.report.land import land_mask, png_bytes


class _Refs(HTMLParser):
    """Every URL-valued attribute and every tag, to prove nothing is fetched."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "data")]


@pytest.fixture(scope="module")
def report(case_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "case.html"
    write_report(case_ws, out, vessel=MAGUS)
    return out.read_text("utf-8")


def test_self_contained(report: str) -> None:
    refs = _Refs()
    refs.feed(report)
    assert "script" not in refs.tags and "link" not in refs.tags and "iframe" not in refs.tags
    assert refs.urls and all(u.startswith("data:image/png;base64,") for u in refs.urls)
    assert "default-src 'none'" in report  # the CSP forbids any fetch, too


def test_sanctions_match_explained(report: str) -> None:
    assert "ofac_sdn:29485" in report and "FREEDOM" in report
    assert "IMO 9018464 equal (check digit valid" in report
    assert "sanctioned" in report and "+70" in report


def test_evidence_chain_of_custody(report: str, noaa_sha256: str, case_ws: Workspace) -> None:
    case = load_case(case_ws, vessel=MAGUS, params=ReportParams(evidence_per_event=4))
    assert {r["event_no"] for r in case.evidence} == {1, 2, 3}
    assert [r["k"] for r in case.evidence if r["event_no"] == 3] == [1]  # open: from start
    gap = [r for r in case.evidence if r["event_no"] == 2]
    assert [r["k"] for r in gap] == [1, 2] and gap[0]["n"] == 2  # last before, first after
    assert all(r["sha256"] == noaa_sha256 for r in case.evidence)
    assert noaa_sha256 in report
    rows = re.findall(r"positions/day=2022-01-03/([0-9a-f]+)\.parquet#(\d+)", report)
    assert rows and all(noaa_sha256.startswith(ingest) for ingest, _ in rows)
    both = {r["mmsi"] for r in case.evidence if r["event_no"] == 1}
    assert MAGUS in both and len(both) == 2  # both vessels of the encounter


def test_evidence_cites_the_source_line(report: str, case_ws: Workspace, shared_data: Path) -> None:
    """Each evidence position names the CSV line holding its MMSI and position."""
    assert "<th>source line</th>" in report
    case = load_case(case_ws, vessel=MAGUS, params=ReportParams(evidence_per_event=4))
    with gzip.open(shared_data / NOAA, "rt") as f:
        lines = f.read().splitlines()
    positions = [r for r in case.evidence if r["layer"] == "positions"]
    assert positions
    for r in positions:
        fields = lines[r["source_line"] - 1].split(",")  # MMSI,BaseDateTime,LAT,LON,...
        assert int(fields[0]) == r["mmsi"]
        assert (float(fields[2]), float(fields[3])) == (r["lat"], r["lon"])
        if r["k"] in (1, r["n"]):  # first and last are shown at any sampling
            assert f"<td>{r['source_line']}</td>" in report


def test_sections_and_plots(report: str) -> None:
    for heading in (
        "Map",
        "Timeline",
        "Sanctions screening",
        "Risk reasons",
        "Speed and draught",
        "Identity history",
        "Evidence",
        "Sources",
    ):
        assert f">{heading}</h" in report
    assert report.count('class="track"') >= 2  # MAGUS and its encounter partner
    assert "Speed over ground" in report and "Reported draught" in report


def test_exactly_one_selector(case_ws: Workspace) -> None:
    with pytest.raises(ConfigError):
        load_case(case_ws, vessel=MAGUS, top=1)
    with pytest.raises(NotFoundError):
        load_case(case_ws, event="no-such-event")


def test_event_case(case_ws: Workspace) -> None:
    case = load_case(case_ws, event="e-encounter")
    assert [e["event_id"] for e in case.events] == ["e-encounter"]
    assert len(case.tracks) == 2


def test_land_png_decodes() -> None:
    # Shanghai and the sea east of it: both land and sea in the box
    mask = land_mask(120.0, 30.0, 123.0, 32.0, 60, 40)
    assert 0.1 < mask.mean() < 0.9
    png = png_bytes(mask)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    idat = png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, width + 1)
    assert (rows[:, 1:].astype(bool) == mask).all()


def test_cli_report_and_exports(case_ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(case_ws.path)
    out = tmp_path / "top.html"
    result = runner.invoke(app, ["report", "-w", ws, "--top", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "MAGUS" in out.read_text("utf-8")
    for args in (
        ["export", "tracks", "-w", ws, "--format", "kmz", "--mmsi", str(MAGUS)],
        ["export", "tracks", "-w", ws, "--format", "csv", "--mmsi", str(MAGUS)],
        ["export", "events", "-w", ws, "--format", "cot"],
        ["export", "vessels", "-w", ws, "--format", "ftm"],
    ):
        target = tmp_path / f"{args[1]}.{args[5]}"
        result = runner.invoke(app, [*args, "-o", str(target)])
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
    header = (tmp_path / "tracks.csv").read_text().splitlines()[0]
    assert header.startswith("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO")


def test_a_draught_reported_unchanged_all_day_is_drawn(report: str) -> None:
    # MAGUS reported 16.9 m all day: its identity runs hold the value from first to last report
    plot = report[report.index('aria-label="Reported draught"') :]
    plot = plot[: plot.index("</svg>")]
    assert "<polyline" in plot or "<circle" in plot


def test_the_listed_flag_is_compared_with_the_mmsi_flag(report: str) -> None:
    # OFAC lists FREEDOM (ex MAGUS) under Cameroon; MAGUS's MMSI claims Panama (MID 35x)
    assert "Flag: the list says Cameroon" in report
    assert "says Panama: they differ" in report


def test_the_identity_reports_behind_a_sanctions_match_are_evidence(report: str) -> None:
    # MAGUS broadcast IMO 9018464, FREEDOM's on the OFAC list: the reports carrying it,
    # traced to their source lines like an event's records
    at = report.index("Behind sanctions match S1")
    section = report[at : report.index("</table>", at)]
    assert "imo 9018464" in section and "imo=9018464" in section
    assert ".csv" in section  # the source file of the report that carried it


def test_the_plots_shade_the_vessels_events(report: str) -> None:
    plot = report[report.index('aria-label="Speed over ground"') :]
    plot = plot[: plot.index("</svg>")]
    assert "<title>#1 encounter</title>" in plot and 'fill-opacity="0.15"' in plot


def test_each_event_has_a_close_up_with_times_along_the_tracks(report: str) -> None:
    at = report.index("<h2>Events close up</h2>")
    insets = report[at:].split('<figure class="inset">')[1:]
    assert insets and all("<svg" in f for f in insets)
    times = re.findall(r'class="evno" fill="[^"]+">(\d\d:\d\d)</text>', report[at:])
    assert len(times) >= 2  # UTC times written along the tracks
