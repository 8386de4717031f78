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


def test_short_far_glitch_then_back_on_track_is_a_detour() -> None:
    real = _sailing(3, "2024-01-01", 30.0, 125.0)
    glitch = track(3, "2024-01-01T02:01", 35.0, 130.0, [(0, 0, 0), (1, 0, 0)])
    t = _tracks(concat(real, glitch))
    ev = detect_spoofing(t).to_pylist()
    assert [json.loads(e["details"])["kind"] for e in ev] == ["detour"]
    assert detect_spoofing(t, params=SpoofParams(report_detours=False)).num_rows == 0


def _sparse(mmsi: int, start: str, lat: float, hours: list[float], east_m: float = 0.0) -> pa.Table:
    """Northward at 10.8 kn (20 km/h), heard only at ``hours`` after ``start``, shifted east."""
    steps = [(h * 60, east_m, h * 20_000.0) for h in hours]
    return track(mmsi, start, lat, 123.0, steps, sog_kn=10.8)


def test_sideways_offset_under_the_segmenter_speed_is_a_detour() -> None:
    """Seed 1's missed case: 40 km to the side for 2 h between satellite passes, each step
    ~20 kn (below the segmenter's 25 kn), while the ship reports 10.8 kn due north."""
    before = _sparse(4, "2024-01-01", 30.0, [0, 0.1, 0.2, 1.5, 1.6])
    away = _sparse(4, "2024-01-01", 30.0, [3.1, 3.2, 4.7, 4.8], east_m=40_000.0)
    after = _sparse(4, "2024-01-01", 30.0, [6.0, 6.1, 7.0, 7.1])
    ev = detect_spoofing(_tracks(concat(before, away, after))).to_pylist()
    assert len(ev) == 1
    d = json.loads(ev[0]["details"])["findings"][0]
    assert d["kind"] == "detour" and d["n_positions"] == 4
    assert 15 < d["out"]["kn"] < 25 and 15 < d["back"]["kn"] < 25


def test_same_sparse_voyage_on_track_is_not_spoofing() -> None:
    hours = [0, 0.1, 0.2, 1.5, 1.6, 3.1, 3.2, 4.7, 4.8, 6.0, 6.1, 7.0, 7.1]
    assert detect_spoofing(_tracks(_sparse(5, "2024-01-01", 30.0, hours))).num_rows == 0


def test_a_garbled_twin_of_a_clean_report_is_noise() -> None:
    real = _sailing(6, "2024-01-01", 30.0, 125.0)
    twin = track(6, "2024-01-01T02:00", 35.0, 130.0, [(0, 0, 0)])  # same second as a report
    assert detect_spoofing(_tracks(concat(real, twin))).num_rows == 0
