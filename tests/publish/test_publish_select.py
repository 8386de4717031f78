"""Selecting events for triage and export: filters, order, and numbers without float32 noise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from watchkeeper.cli import app
from watchkeeper.detect.events import event, events_table
from watchkeeper.errors import ConfigError
from watchkeeper.publish.select import EventFilter, parse_bbox, round_meaning, select_events
from watchkeeper.store import Workspace

T0 = datetime(2024, 3, 5, tzinfo=UTC)
Row = dict[str, Any]


def _events() -> pa.Table:
    def ev(kind: str, mmsi: int, h: tuple[float, float | None], *at: float, **kw: Any) -> Row:
        end = None if h[1] is None else T0 + timedelta(hours=h[1])
        return event(kind, mmsi, T0 + timedelta(hours=h[0]), end, at[0], at[1], **kw)

    return events_table(
        [
            ev("encounter", 1, (0, 3), 29.0, 123.0, other=2, confidence=0.9, risk=20.0),
            ev("port_visit", 3, (1, 5), 30.6, 122.1, confidence=0.9, risk=0.0),
            ev("dark_sts", 4, (2, None), 38.7, 124.5, other=1, confidence=0.8, risk=60.0),
            ev("zone_entry", 5, (6, 7), 10.0, 179.5, risk=50.0),
        ]
    )


def _ids(t: pa.Table) -> list[tuple[str, int]]:
    return [(r["type"], r["mmsi"]) for r in t.to_pylist()]


def test_each_filter_keeps_what_it_says() -> None:
    ev = _events()
    assert _ids(select_events(ev, EventFilter(types=("encounter", "dark_sts")))) == [
        ("encounter", 1),
        ("dark_sts", 4),
    ]
    assert _ids(select_events(ev, EventFilter(mmsis=(1,)))) == [("encounter", 1), ("dark_sts", 4)]
    assert _ids(select_events(ev, EventFilter(min_risk=50))) == [("dark_sts", 4), ("zone_entry", 5)]
    # going on at 04:00: the open dark STS and the visit until 05:00, not the encounter (to 03:00)
    since = EventFilter(since=T0 + timedelta(hours=4), until=T0 + timedelta(hours=6))
    assert _ids(select_events(ev, since)) == [("port_visit", 3), ("dark_sts", 4)]
    assert _ids(select_events(ev, EventFilter(bbox=(120, 25, 130, 35)))) == [
        ("encounter", 1),
        ("port_visit", 3),
    ]
    across = EventFilter(bbox=(179.0, 0.0, -179.0, 20.0))  # across the antimeridian
    assert _ids(select_events(ev, across)) == [("zone_entry", 5)]


def test_sorting_by_risk_puts_the_most_serious_first() -> None:
    ev = _events()
    assert [r["risk"] for r in select_events(ev, EventFilter(sort="risk")).to_pylist()] == [
        60.0,
        50.0,
        20.0,
        0.0,
    ]
    with pytest.raises(ConfigError, match="sort"):
        EventFilter(sort="size")


@given(st.lists(st.sampled_from(["encounter", "port_visit", "dark_sts", "zone_entry"])))
def test_a_type_filter_is_a_subset_in_start_order(types: list[str]) -> None:
    out = select_events(_events(), EventFilter(types=tuple(types)))
    starts = out.column("start").to_pylist()
    assert starts == sorted(starts)
    assert set(out.column("type").to_pylist()) <= set(types) or not types


def test_a_bbox_is_checked() -> None:
    assert parse_bbox("-10.5,40,5,50") == (-10.5, 40.0, 5.0, 50.0)
    for bad in ("1,2,3", "0,50,10,40", "a,b,c,d", "0,-95,10,10"):
        with pytest.raises(ConfigError, match="bbox"):
            parse_bbox(bad)


def test_stored_float32_numbers_are_written_as_people_read_them() -> None:
    t = round_meaning(_events())
    assert t.schema.field("confidence").type == pa.float64()
    assert t.column("confidence").to_pylist()[:3] == [0.9, 0.9, 0.8]


def test_the_cli_filters_sorts_and_says_what_it_wrote(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.write_table("events", _events())
    runner = CliRunner()
    w = str(tmp_path / "ws")
    res = runner.invoke(app, ["events", "-w", w, "--mmsi", "1", "--sort", "risk"])
    assert res.exit_code == 0, res.output
    assert res.output.index("dark_sts") < res.output.index("encounter")
    assert "2 events" in res.output
    res = runner.invoke(app, ["events", "-w", w, "--type", "port_visit", "--details"])
    assert "port_visit 3" in res.output and "confidence 0.90" in res.output
    out = tmp_path / "e.geojson"
    args = ["export", "events", "-w", w, "--format", "geojson", "--min-risk", "50", "-o", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert f"wrote 2 events to {out}" in res.output
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert [p["type"] for p in props] == ["dark_sts", "zone_entry"]
    assert props[0]["confidence"] == 0.8  # not 0.800000011920929
    res = runner.invoke(app, ["events", "-w", w, "--bbox", "1,2,3"])
    assert isinstance(res.exception, ConfigError) and "bbox" in str(res.exception)


def _vessels_ws(tmp_path: Path) -> str:
    """A workspace with two vessels' positions (one in the East China Sea, one far away)."""
    from watchkeeper.schema import POSITIONS

    rows = [
        {"mmsi": 412000001, "ts": T0, "lat": 29.0, "lon": 123.0},
        {"mmsi": 412000001, "ts": T0 + timedelta(hours=1), "lat": 29.1, "lon": 123.1},
        {"mmsi": 538000002, "ts": T0 + timedelta(hours=5), "lat": 1.2, "lon": 103.8},
    ]
    full = [{f.name: r.get(f.name) for f in POSITIONS} for r in rows]
    ws = Workspace(tmp_path / "ws")
    w = ws.writer("positions", "test")
    w.write(pa.Table.from_pylist(full, schema=POSITIONS))
    w.close()
    return str(tmp_path / "ws")


def test_export_vessels_filters_by_vessel_time_and_area(tmp_path: Path) -> None:
    w = _vessels_ws(tmp_path)
    runner = CliRunner()
    cases = {
        ("--mmsi", "538000002"): [538000002],
        ("--bbox", "120,25,130,35"): [412000001],
        ("--since", "2024-03-05T03:00"): [538000002],
        ("--until", "2024-03-05T03:00"): [412000001],
        ("--min-risk", "1"): [538000002],  # Marshall Islands: a flag of convenience
    }
    for args, want in cases.items():
        out = tmp_path / "v.json"
        res = runner.invoke(
            app, ["export", "vessels", "-w", w, "--format", "json", "-o", str(out), *args]
        )
        assert res.exit_code == 0, res.output
        assert sorted(v["mmsi"] for v in json.loads(out.read_text())) == want, args
        assert f"wrote {len(want)} vessels" in res.output


def test_numbers_are_rounded_to_their_meaning() -> None:
    from watchkeeper.publish.select import round_meaning

    t = pa.table(
        {
            "risk": pa.array([27.760000228881836], pa.float32()),
            "confidence": pa.array([0.8999999761581421], pa.float32()),
            "lat": [29.123456789],
            "other": pa.array([0.1], pa.float32()),
        }
    )
    assert round_meaning(t).to_pylist() == [
        {"risk": 27.8, "confidence": 0.9, "lat": 29.12346, "other": 0.1}
    ]


def test_no_export_of_events_carries_float32_noise(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.write_table("events", _events())
    runner = CliRunner()
    for fmt in ("csv", "geojson", "kml", "cot", "ftm"):
        out = tmp_path / f"e.{fmt}"
        res = runner.invoke(
            app, ["export", "events", "-w", str(tmp_path / "ws"), "--format", fmt, "-o", str(out)]
        )
        assert res.exit_code == 0, res.output
        text = out.read_text()
        assert "0.8999999" not in text and "0.800000" not in text, fmt


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (
            ["--since", "2024-03-05T04:00", "--until", "2024-03-05T06:00"],
            ["port_visit", "dark_sts"],
        ),
        (["--bbox", "120,25,130,35"], ["encounter", "port_visit"]),
        (["--type", "zone_entry", "--type", "encounter"], ["encounter", "zone_entry"]),
        (["--min-risk", "50", "--sort", "risk"], ["dark_sts", "zone_entry"]),
    ],
)
def test_each_events_filter_on_the_command_line(
    tmp_path: Path, args: list[str], want: list[str]
) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.write_table("events", _events())
    out = tmp_path / "e.csv"
    cmd = ["export", "events", "-w", str(tmp_path / "ws"), "-o", str(out), *args]
    res = CliRunner().invoke(app, cmd)
    assert res.exit_code == 0, res.output
    rows = out.read_text().splitlines()[1:]
    assert [r.split(",")[1].strip('"') for r in rows] == want


def test_events_and_vessels_geojson_are_valid_rfc_7946(tmp_path: Path) -> None:
    from shapely.geometry import shape

    w = _vessels_ws(tmp_path)
    Workspace(tmp_path / "ws").write_table("events", _events())
    runner = CliRunner()
    for what in ("events", "vessels"):
        out = tmp_path / f"{what}.geojson"
        res = runner.invoke(app, ["export", what, "-w", w, "--format", "geojson", "-o", str(out)])
        assert res.exit_code == 0, res.output
        doc = json.loads(out.read_text())
        assert doc["type"] == "FeatureCollection" and doc["features"]
        for f in doc["features"]:
            assert f["type"] == "Feature" and isinstance(f["properties"], dict)
            geom = shape(f["geometry"])  # raises on an invalid geometry
            assert geom.is_valid and -180 <= geom.x <= 180 and -90 <= geom.y <= 90
