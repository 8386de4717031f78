"""The vessels table from a real workspace: NOAA sample, OFAC list, and an events table."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from watchkeeper import Workspace
from watchkeeper.assess.vessels import build_vessels, screen_workspace, write_vessels
from watchkeeper.cli._app import app
from watchkeeper.context.sanctions import add_list, read_list
from watchkeeper.errors import ConfigError
from watchkeeper.ingest.csv import read_csv
from watchkeeper.schema import EVENTS, VESSELS, Decoded

MAGUS = 374208000


@pytest.fixture(scope="module")
def noaa(shared_data: Path) -> Decoded:
    return read_csv(shared_data / "csv/noaa/AIS_2022_01_03_first99999.csv.gz")


def _store(ws: Workspace, decoded: Decoded) -> None:
    for layer in ("positions", "identities"):
        writer = ws.writer(layer, "noaa")
        writer.write(getattr(decoded, layer))
        writer.close()


def _fill(ws: Workspace, decoded: Decoded, shared_data: Path) -> None:
    _store(ws, decoded)
    add_list(ws, read_list(shared_data / "sanctions/ofac-sdn-2021/sdn.csv"))


@pytest.fixture(scope="module")
def filled(shared_data: Path, noaa: Decoded, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("vessels") / "ws")
    _fill(ws, noaa, shared_data)
    screen_workspace(ws)
    return ws


def test_vessels_without_events_table(filled: Workspace) -> None:
    table = build_vessels(filled)
    assert table.schema == VESSELS
    assert table.num_rows == 10630  # every MMSI with a valid position or identity
    top = table.slice(0, 1).to_pylist()[0]
    assert (top["mmsi"], top["name"], top["imo"], top["flag"]) == (MAGUS, "MAGUS", 9018464, "PA")
    assert top["sanctions_match"] == "ofac_sdn:29485" and top["sanctions_score"] == 1.0
    reasons = {r["reason"]: r for r in json.loads(top["reasons"])}
    assert "IMO 9018464" in reasons["sanctioned"]["detail"]
    assert top["risk"] == sum(r["weight"] for r in reasons.values())
    assert filled.read_table("vessels") is not None


def test_only_one_match_in_noaa(filled: Workspace) -> None:
    table = build_vessels(filled)
    assert [m for m in table["sanctions_match"].to_pylist() if m] == ["ofac_sdn:29485"]


def test_events_feed_the_reasons(shared_data: Path, noaa: Decoded, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    _fill(ws, noaa, shared_data)
    screen_workspace(ws)
    t = datetime(2022, 1, 3, tzinfo=UTC)
    other = 367379190  # EAGLE, a US vessel
    events = pa.Table.from_pylist(
        [
            {
                "event_id": "enc1",
                "type": "encounter",
                "mmsi": other,
                "other_mmsi": MAGUS,
                "start": t,
                "confidence": 0.9,
                "details": "{}",
            },
            {
                "event_id": "gap1",
                "type": "ais_gap",
                "mmsi": other,
                "start": t,
                "confidence": 1.0,
                "details": "{}",
            },
        ],
        schema=EVENTS,
    )
    ws.write_table("events", events)
    rows = {r["mmsi"]: r for r in build_vessels(ws).to_pylist()}
    reasons = {r["reason"]: r for r in json.loads(rows[other]["reasons"])}
    assert reasons["sts_with_flagged"]["event_ids"] == ["enc1"]  # partner is sanctioned
    assert reasons["ais_gap"]["event_ids"] == ["gap1"]
    magus = {r["reason"] for r in json.loads(rows[MAGUS]["reasons"])}
    assert "encounter" in magus or "sts_tanker" in magus


def test_write_vessels_csv_and_json(filled: Workspace) -> None:
    table = build_vessels(filled).slice(0, 5)
    out = io.StringIO()
    assert write_vessels(table, out, "csv") == 5
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == VESSELS.names
    assert rows[0]["sanctions_match"] == "ofac_sdn:29485"
    assert json.loads(rows[0]["reasons"])[0]["reason"] == "sanctioned"
    out = io.StringIO()
    write_vessels(table, out, "json")
    data = json.loads(out.getvalue())
    assert data[0]["names"] == ["MAGUS"] and data[0]["first_seen"].startswith("2022-01-03T")
    with pytest.raises(ConfigError):
        write_vessels(table, io.StringIO(), "xml")


def test_cli_end_to_end(shared_data: Path, noaa: Decoded, tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    _store(Workspace(ws_dir), noaa)
    runner = CliRunner()
    ofac = shared_data / "sanctions/ofac-sdn-2021"
    un = shared_data / "sanctions/un-consolidated-2026/UN_consolidated.xml"
    res = runner.invoke(
        app,
        [
            "lists",
            "add",
            str(ofac / "sdn.csv"),
            str(ofac / "alt.csv"),
            str(un),
            "-w",
            str(ws_dir),
            "--date",
            "2021-07-15",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "406 vessels" in res.output and "1026 entities, 23 vessels" in res.output
    res = runner.invoke(app, ["lists", "show", "-w", str(ws_dir)])
    assert res.exit_code == 0 and "ofac_sdn" in res.output and "un_sc" in res.output
    res = runner.invoke(app, ["screen", "-w", str(ws_dir)])
    assert res.exit_code == 0 and "1 match" in res.output
    res = runner.invoke(app, ["vessels", "-w", str(ws_dir), "--top", "3"])
    assert res.exit_code == 0 and str(MAGUS) in res.output
    out = tmp_path / "v.json"
    res = runner.invoke(
        app, ["export", "vessels", "-w", str(ws_dir), "--format", "json", "-o", str(out)]
    )
    assert res.exit_code == 0
    assert json.loads(out.read_text())[0]["mmsi"] == MAGUS
    res = runner.invoke(app, ["export", "vessels", "-w", str(ws_dir), "--format", "xml"])
    assert res.exit_code != 0


def test_cli_screen_without_lists_warns(tmp_path: Path) -> None:
    from watchkeeper import Workspace

    Workspace(tmp_path / "ws")  # screen never creates a mistyped workspace
    res = CliRunner().invoke(app, ["screen", "-w", str(tmp_path / "ws")])
    assert res.exit_code == 0 and "0 match" in res.output
    assert "no listed vessels" in res.output


def test_cli_bad_date(tmp_path: Path, shared_data: Path) -> None:
    sdn = shared_data / "sanctions/ofac-sdn-2021/sdn.csv"
    res = CliRunner().invoke(app, ["lists", "add", str(sdn), "-w", str(tmp_path), "--date", "x"])
    assert res.exit_code != 0
