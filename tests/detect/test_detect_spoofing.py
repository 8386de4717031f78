"""Spoofing: one MMSI in two places, impossible jumps; a normal voyage is not spoofing."""

from __future__ import annotations

import json

import pyarrow as pa

from watchkeeper.detect.spoofing import SpoofParams, detect_spoofing
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, track


def _tracks(t: pa.Table) -> pa.Table:
    return segment(clean(t)).sort_by([("track_id", "ascending"), ("ts", "ascending")])


def _sailing(mmsi: int, start: str, lat: float, lon: float, n: int = 30) -> pa.Table:
    """12 kn eastward, a report every 10 minutes."""
    return track(mmsi, start, lat, lon, [(i * 10, i * 3704.0, 0.0) for i in range(n)])


def test_normal_voyage_is_not_spoofing() -> None:
    assert detect_spoofing(_tracks(_sailing(1, "2024-01-01", 30.0, 125.0))).num_rows == 0


def test_one_mmsi_in_two_places_at_once() -> None:
    real = _sailing(1, "2024-01-01", 30.0, 125.0)
    clone = _sailing(1, "2024-01-01T01:05", 33.0, 128.0, n=12)  # 450 km away, same hours
    ev = detect_spoofing(_tracks(concat(real, clone))).to_pylist()
    assert len(ev) == 1
    d = json.loads(ev[0]["details"])
    assert d["kind"] == "two_places" and d["findings"][0]["implied_speed_kn"] > 100
    assert abs(ev[0]["lat"] - 33.0) < 0.1


def test_jump_and_return_across_the_antimeridian() -> None:
    before = track(2, "2024-01-01T22:00", 10.0, 179.9, [(i * 10, i * 3704.0, 0) for i in range(6)])
    jumped = track(2, "2024-01-01T23:05", 11.5, -179.5, [(i * 10, 0, 0) for i in range(4)])
    after = track(2, "2024-01-02T00:00", 10.0, -179.8, [(i * 10, i * 3704.0, 0) for i in range(6)])
    ev = detect_spoofing(_tracks(concat(before, jumped, after))).to_pylist()
    assert len(ev) == 1
    assert json.loads(ev[0]["details"])["kind"] == "impossible_jump"


def test_short_glitch_below_min_positions_is_noise() -> None:
    real = _sailing(3, "2024-01-01", 30.0, 125.0)
    glitch = track(3, "2024-01-01T02:01", 35.0, 130.0, [(0, 0, 0), (1, 0, 0)])
    t = _tracks(concat(real, glitch))
    assert detect_spoofing(t).num_rows == 0
    assert detect_spoofing(t, params=SpoofParams(min_positions=2)).num_rows == 1
