"""KML/KMZ parsed by fastkml: events with TimeSpan, vessels, gx:Track round trip."""

from __future__ import annotations

import io
import warnings
import zipfile
from typing import Any

import pytest
from publish_case import MAGUS

from watchkeeper import Workspace
from watchkeeper.publish.exports import vessels_with_position
from watchkeeper.publish.kml import events_kml, tracks_kml, vessels_kml, write_kml
from watchkeeper.publish.tracks import read_tracks


def _parse(doc: bytes) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fastkml warns that lxml is absent (pretty print)
        from fastkml import kml

        return kml.KML.from_string(doc).features[0]


def test_events_placemarks(case_ws: Workspace) -> None:
    events = case_ws.read_table("events")
    assert events is not None
    doc = _parse(events_kml(events))
    marks = {p.name: p for p in doc.features}
    assert len(marks) == 2  # the event without a position is left out
    enc = next(p for name, p in marks.items() if name.startswith("encounter"))
    assert enc.geometry.x == pytest.approx(events["lon"][0].as_py())
    assert enc.times.begin.dt == events["start"][0].as_py()
    data = {d.name: d.value for d in enc.extended_data.elements}
    assert data["event_id"] == "e-encounter" and data["other_mmsi"] != ""


def test_vessels_at_last_position(case_ws: Workspace) -> None:
    vessels = case_ws.read_table("vessels")
    assert vessels is not None
    table = vessels_with_position(case_ws, vessels.slice(0, 20))
    doc = _parse(vessels_kml(table))
    first = doc.features[0]
    assert first.name == "MAGUS"  # highest risk first
    assert first.geometry.y == pytest.approx(table["lat"][0].as_py())


@pytest.mark.parametrize("kmz", [False, True])
def test_gx_track_round_trip(case_ws: Workspace, kmz: bool) -> None:
    tracks = read_tracks(case_ws, mmsis=[MAGUS])
    out = io.BytesIO()
    write_kml(tracks_kml(tracks, names={MAGUS: "MAGUS"}), out, kmz=kmz)
    raw = out.getvalue()
    if kmz:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            assert zf.namelist()[0] == "doc.kml"
            raw = zf.read("doc.kml")
    (mark,) = _parse(raw).features
    items = mark.kml_geometry.track_items
    seg = tracks[0].segments[0]
    assert len(items) == len(seg.t_ms)
    assert [round(i.when.dt.timestamp() * 1000) for i in items] == [int(t) for t in seg.t_ms]
    assert items[0].coord.x == pytest.approx(seg.lon[0]) and items[0].coord.y == pytest.approx(
        seg.lat[0]
    )
