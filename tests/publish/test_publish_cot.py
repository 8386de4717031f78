"""Cursor-on-Target: each line parses as an <event>; uid, type from screening, times."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from publish_case import MAGUS

from watchkeeper import Workspace
from watchkeeper.publish.cot import CotParams, cot_type, events_cot, vessels_cot, write_cot
from watchkeeper.publish.exports import vessels_with_position


def _lines(events: object) -> list[ET.Element]:
    out = io.BytesIO()
    write_cot(events, out)  # type: ignore[arg-type]
    return [ET.fromstring(line) for line in out.getvalue().decode().splitlines()]


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_vessels(case_ws: Workspace) -> None:
    vessels = case_ws.read_table("vessels")
    assert vessels is not None
    table = vessels_with_position(case_ws, vessels.slice(0, 50))
    parsed = _lines(vessels_cot(table, CotParams(stale_min=30)))
    assert len(parsed) == 50
    magus = next(e for e in parsed if e.get("uid") == f"MMSI-{MAGUS}")
    assert magus.tag == "event" and magus.get("version") == "2.0"
    assert magus.get("type") == "a-h-S-X-M-O"  # sanctions match, tanker (AIS type 80)
    row = next(r for r in table.to_pylist() if r["mmsi"] == MAGUS)
    point = magus.find("point")
    assert point is not None and float(point.get("lat", "nan")) == pytest.approx(row["lat"])
    start, stale = _t(magus.get("start", "")), _t(magus.get("stale", ""))
    assert start == row["ts"] and (stale - start).total_seconds() == 1800
    assert "sanctioned" in (magus.findtext("detail/remarks") or "")
    assert magus.find("detail/contact").get("callsign") == "MAGUS"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"risk": 10.0, "ship_type": 30}, "a-n-S-X-F"),
        ({"risk": 60.0, "ship_type": 70}, "a-s-S-X-M-C"),
        ({"risk": None, "ship_type": None}, "a-u-S-X-M"),
        ({"risk": 0.0, "flag": "KP", "ship_type": 52}, "a-h-S-X-M-T-U"),
    ],
)
def test_type_from_screening_and_ship_type(row: dict[str, object], expected: str) -> None:
    assert cot_type(row) == expected


def test_events_markers(case_ws: Workspace) -> None:
    events = case_ws.read_table("events")
    assert events is not None
    parsed = _lines(events_cot(events))
    assert [e.get("uid") for e in parsed] == ["WK-encounter-e-encounter", "WK-ais_gap-e-gap"]
    assert all(e.get("type") == "b-m-p-s-m" for e in parsed)


def test_every_cot_line_is_valid_against_the_event_schema(case_ws: Workspace) -> None:
    import xmlschema

    from watchkeeper.live.outputs import alert_cot

    schema = xmlschema.XMLSchema(Path(__file__).parents[1] / "data" / "cot_event.xsd")
    vessels = case_ws.read_table("vessels")
    events = case_ws.read_table("events")
    assert vessels is not None and events is not None
    lines = _lines(vessels_cot(vessels_with_position(case_ws, vessels.slice(0, 50))))
    lines += _lines(events_cot(events))
    alert = {**events.slice(0, 1).to_pylist()[0], "alert_id": "a1", "state": "retracted"}
    lines.append(alert_cot(alert))  # type: ignore[arg-type]  # a live alert's marker
    assert len(lines) > 10
    for ev in lines:
        schema.validate(ET.tostring(ev, encoding="unicode"))
