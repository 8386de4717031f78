"""Port visits: GFW hysteresis, a stop required, North Korean ports flagged."""

from __future__ import annotations

import json

import pyarrow as pa

from watchkeeper.context.places import DPRK_PORT_RADIUS_KM
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.detect.port_visit import detect_port_visits, dprk_ports
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, stationary, track

NAMPO = (38.717, 125.400)


def _tracks(*t: pa.Table) -> pa.Table:
    return segment(clean(concat(*t))).sort_by([("track_id", "ascending"), ("ts", "ascending")])


def _visit(mmsi: int, start: str, lat: float, lon: float) -> pa.Table:
    """Sail in from 10 km west, stop 6 h, sail out west again."""
    come = track(mmsi, start, lat, lon, [(i * 10, -10_000 + i * 2000.0, 0) for i in range(5)])
    stay = stationary(mmsi, come.column("ts")[-1].as_py(), lat, lon, hours=6)
    leave = track(
        mmsi,
        stay.column("ts")[-1].as_py(),
        lat,
        lon,
        [(i * 10, -i * 2000.0, 0) for i in range(1, 7)],
    )
    return concat(come, stay, leave)


def test_visit_to_nampo_across_midnight_is_flagged_kp() -> None:
    ev = detect_port_visits(
        _tracks(_visit(1, "2024-01-01T21:00", *NAMPO)), PlaceIndex(dprk_ports())
    )
    rows = ev.to_pylist()
    assert len(rows) == 1 and rows[0]["end"] is not None
    d = json.loads(rows[0]["details"])
    assert d["country"] == "KP" and d["dprk"] and d["port"] == "NAMPO"
    assert rows[0]["risk"] >= 80


def test_passing_without_stopping_and_boundary_swinging() -> None:
    passing = track(
        2, "2024-01-01", NAMPO[0], NAMPO[1] - 0.2, [(i * 10, i * 3000.0, 0) for i in range(13)]
    )
    # swinging between 3.5 and 3.9 km from the port's area: inside the hysteresis band
    edge = DPRK_PORT_RADIUS_KM * 1000.0
    swing = track(
        3,
        "2024-01-01",
        NAMPO[0],
        NAMPO[1],
        [(i * 10, edge + 3500 + (i % 2) * 400, 0) for i in range(30)],
    )
    rows = detect_port_visits(_tracks(passing, swing), PlaceIndex(dprk_ports())).to_pylist()
    # no visit to the port's area; the 5 h stop in North Korean waters is a call all the same
    assert [json.loads(r["details"])["place_kind"] for r in rows] == ["territorial_waters"]
    assert rows[0]["mmsi"] == 3 and json.loads(rows[0]["details"])["dprk"]


def test_stop_in_dprk_waters_far_from_ports_is_a_dprk_call_but_not_off_korea() -> None:
    # 12 h drifting 5 km off the coast south of Chongjin (no listed port within 20 km),
    # and the same stop off Busan, South Korea
    far = stationary(5, "2024-01-01", 41.55, 129.75, hours=12)
    south = stationary(6, "2024-01-01", 35.05, 129.2, hours=12)
    rows = detect_port_visits(_tracks(far, south), PlaceIndex(dprk_ports())).to_pylist()
    assert [r["mmsi"] for r in rows] == [5]
    d = json.loads(rows[0]["details"])
    assert d["dprk"] and d["country"] == "KP" and rows[0]["risk"] >= 80
    assert "dprk-waters" in d["places_checked"] and d["duration_h"] >= 11.5


def test_still_inside_at_the_end_is_open() -> None:
    t = concat(
        track(
            4,
            "2024-01-01",
            NAMPO[0],
            NAMPO[1],
            [(i * 10, -10_000 + i * 2000.0, 0) for i in range(6)],
        ),
        stationary(4, "2024-01-01T01:00", *NAMPO, hours=3),
    )
    rows = detect_port_visits(_tracks(t), PlaceIndex(dprk_ports())).to_pylist()
    assert len(rows) == 1 and rows[0]["end"] is None
