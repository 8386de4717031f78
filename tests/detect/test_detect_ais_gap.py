"""ais_gap: closed and open gaps, monotone in the threshold, and causes on real excerpts
(leaving coverage, a short sample)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from _real_excerpts import positions, reception
from watchkeeper.context.ports import PlaceIndex, places_table
from watchkeeper.context.reception import ReceptionMap, reception_map
from watchkeeper.detect.ais_gap import CAUSES, GapParams, detect_gaps
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, parse_time, track

DAY_END = datetime(2020, 1, 1, 23, 59, 59, tzinfo=UTC)


def _gaps(t: pa.Table, **kw: object) -> list[dict[str, object]]:
    rows = detect_gaps(segment(clean(t)), **kw).to_pylist()  # type: ignore[arg-type]
    return [r | {"d": json.loads(str(r["details"]))} for r in rows]


def _one(mmsi: int) -> pa.Table:
    t = positions("noaa_2020_01_01_leaving_coverage.csv")
    return t.filter(pc.equal(t.column("mmsi"), mmsi))


def test_vessel_sailing_out_of_the_receivers_area_is_out_of_coverage() -> None:
    # 316001236 leaves a berth at 7.6 kn heading north-east out of the Salish Sea area
    # (49.5 N) at 02:39 and is next heard back at the berth at 16:08 (2020-01-01)
    day = reception("noaa_2020_01_01_reception_map.csv")
    (gap,) = _gaps(_one(316001236), data_end=DAY_END, reception=day)
    assert gap["end"] is not None and gap["d"]["duration_h"] > 13
    assert gap["d"]["cause"] == "out_of_coverage" and gap["d"]["deliberate"] is False
    assert gap["d"]["reception"]["leaving"] is True
    # the same silence in water heard all round (a map of the area, every hour) is not
    far = 49.0 + np.arange(-8, 8) * 0.25
    covered = _area_map(far, -124.7 + np.arange(-8, 8) * 0.25, 1_577_836_800, 24)
    (same,) = _gaps(_one(316001236), data_end=DAY_END, reception=covered)
    assert same["d"]["cause"] == "in_coverage"  # near shore: reported, not deliberate


def _area_map(lats: np.ndarray, lons: np.ndarray, t0_s: int, hours: int) -> ReceptionMap:
    """A vessel heard in every cell of the grid ``lats`` x ``lons`` every hour."""
    lat, lon, hour = np.meshgrid(lats + 0.1, lons + 0.1, np.arange(hours), indexing="ij")
    return reception_map(
        pa.table(
            {
                "mmsi": np.full(lat.size, 999),
                "ts": pa.array((t0_s + hour.ravel() * 3600) * 1000, pa.timestamp("ms", "UTC")),
                "lat": lat.ravel(),
                "lon": lon.ravel(),
            }
        )
    )


def test_short_sample_gaps_are_open_or_feed_holes_never_deliberate() -> None:
    # NOAA 2022-01-03, first 99,999 rows: 00:00-00:20 plus a few rows at 23:4x-23:59;
    # 323 vessels off southern California (31-33 N, 117-119 W)
    t = positions("noaa_2022_01_03_short_sample_socal.csv")
    end = datetime(2022, 1, 3, 23, 59, 59, tzinfo=UTC)
    gaps = _gaps(t, data_end=end)
    causes = {g["d"]["cause"] for g in gaps}
    assert causes == {"open", "no_data"}  # the 24 h silences hold no data in 22 hours
    assert not any(g["d"]["deliberate"] for g in gaps)
    # GFW's thresholds alone (>= 12 h, > 50 nm offshore) would have called some deliberate
    offshore = [g for g in gaps if (g["d"]["start_shore_km"] or 1e9) > 92.6]
    assert any(g["d"]["duration_h"] >= 12 for g in offshore)


def test_open_gap_is_never_deliberate() -> None:
    # heard all round for two days, silent from hour 2 to the end of the data
    t = track(1, "2024-01-01T00:00", 20.0, -40.0, [(m, 0, 0) for m in range(0, 121, 10)])
    area = _area_map(
        20.0 + np.arange(-3, 3) * 0.25, -40.0 + np.arange(-3, 3) * 0.25, 1_704_067_200, 48
    )
    (gap,) = _gaps(t, data_end=datetime(2024, 1, 2, 23, 0, tzinfo=UTC), reception=area)
    assert gap["end"] is None and gap["d"]["cause"] == "open" and not gap["d"]["deliberate"]
    back = track(1, "2024-01-02T23:00", 20.0, -40.0, [(0, 0, 0)])
    (closed,) = _gaps(concat(t, back), reception=area)
    assert closed["d"]["cause"] == "deliberate" and closed["d"]["deliberate"] is True


def test_causes_are_the_documented_ones() -> None:
    assert set(CAUSES) == {"open", "no_data", "out_of_coverage", "deliberate", "in_coverage"}
    assert GapParams().min_heard_share == 0.5


def _tracks(*t):  # type: ignore[no-untyped-def]
    return segment(clean(concat(*t)))


def test_closed_and_open_gaps() -> None:
    a = track(1, "2024-01-01T20:00", 10.0, 120.0, [(0, 0, 0), (60, 0, 0), (60 * 9, 0, 0)])
    ev = detect_gaps(_tracks(a), data_end=parse_time("2024-01-02T12:00"))
    rows = sorted(ev.to_pylist(), key=lambda r: r["start"])
    assert len(rows) == 2
    assert rows[0]["end"] is not None and rows[1]["end"] is None


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.integers(1, 30 * 60), min_size=2, max_size=12), st.floats(1, 10), st.floats(0, 10)
)
def test_gap_count_is_monotone_in_the_threshold(steps: list[int], lo: float, extra: float) -> None:
    minutes = [sum(steps[: i + 1]) for i in range(len(steps))]
    t = _tracks(track(1, "2024-01-01", 0.0, 0.0, [(m, 0.0, 0.0) for m in minutes]))
    n_lo = detect_gaps(t, params=GapParams(min_gap_h=lo, suspicious_h=lo + 20)).num_rows
    n_hi = detect_gaps(t, params=GapParams(min_gap_h=lo + extra, suspicious_h=lo + 30)).num_rows
    assert n_hi <= n_lo


def _near_shore_gap(lat: float, lon: float, every_min: int, **kw: object) -> dict[str, object]:
    """One vessel heard every ``every_min`` minutes for 3 h, silent 14 h, heard again, in
    water where others are heard every hour."""
    before = [(m, 0, 0) for m in range(0, 181, every_min)]
    t = concat(
        track(1, "2024-03-05T00:00", lat, lon, before),
        track(1, "2024-03-05T17:00", lat, lon, [(0, 0, 0)]),
    )
    area = _area_map(
        lat + np.arange(-3, 3) * 0.25, lon + np.arange(-3, 3) * 0.25, 1_709_596_800, 24
    )
    (gap,) = _gaps(t, reception=area, **kw)
    return gap


def test_near_shore_silence_of_a_steadily_heard_vessel_is_deliberate() -> None:
    # 29.55 N 122.63 E: open water about 36 km from the nearest island (Zhoushan group),
    # inside GFW's 50 nm, outside every harbour
    gap = _near_shore_gap(29.55, 122.63, 10)
    d = gap["d"]
    assert 5.6 < d["start_shore_km"] < 92.6  # type: ignore[index,operator]
    assert d["cause"] == "deliberate" and d["deliberate"] is True  # type: ignore[index]
    # heard only now and then before it (4 positions in 3 h): its silence proves nothing
    sparse = _near_shore_gap(29.55, 122.63, 60)["d"]
    assert sparse["cause"] == "in_coverage"  # type: ignore[index]
    # the same silence beginning within 10 km of an anchorage area: a ship waiting there
    anchorage = PlaceIndex(
        places_table([{"name": "A", "lat": 29.58, "lon": 122.66, "kind": "anchorage"}])
    )
    held = _near_shore_gap(29.55, 122.63, 10, places=anchorage)["d"]
    assert held["in_place"] is True and held["cause"] == "in_coverage"  # type: ignore[index]
    # GFW's rule still stands as the stricter one: with min_shore_km at 50 nm, not deliberate
    gfw = _near_shore_gap(29.55, 122.63, 10, params=GapParams(min_shore_km=92.6))["d"]
    assert gfw["cause"] == "in_coverage"  # type: ignore[index]


def test_silence_at_the_shore_is_never_deliberate() -> None:
    # a berth on the Huangpu in Shanghai (31.24 N 121.49 E, on the shore line)
    d = _near_shore_gap(31.24, 121.49, 10)["d"]
    assert d["start_shore_km"] < 5.6  # type: ignore[index,operator]
    assert d["cause"] == "in_coverage" and not d["deliberate"]  # type: ignore[index]


def test_vessels_that_do_no_sts_are_never_deliberate() -> None:
    # the same steady vessel's silence, declared a pleasure craft (37) or a tug (52): a yacht
    # switching off offshore is no sanctions case; a tanker (80) or an unknown type still is
    for kind, want in ((37, "in_coverage"), (52, "in_coverage"), (80, "deliberate")):
        d = _near_shore_gap(29.55, 122.63, 10, ship_types={1: kind})["d"]
        assert d["cause"] == want and d["sts_candidate"] is (want == "deliberate")  # type: ignore[index]


def _silent_fleet(n: int) -> list[dict[str, object]]:
    """``n`` vessels 2 km apart mid-ocean, heard every 10 min for 3 h, all silent for 14 h
    from the same minute, then heard again, in water heard every hour."""
    parts = []
    for k in range(n):
        steps = [(m, 2_000.0 * k, 0) for m in range(0, 181, 10)]
        parts.append(track(100 + k, "2024-01-01T00:00", 20.0, -40.0, steps))
        parts.append(track(100 + k, "2024-01-01T17:00", 20.0, -40.0, [(0, 2_000.0 * k, 0)]))
    area = _area_map(
        20.0 + np.arange(-3, 3) * 0.25, -40.0 + np.arange(-3, 3) * 0.25, 1_704_067_200, 24
    )
    return _gaps(concat(*parts), reception=area)


def test_a_silence_shared_by_many_is_reception_not_a_choice() -> None:
    # two ships going dark together (a transfer pair) stay deliberate
    pair = _silent_fleet(2)
    assert [g["d"]["cause"] for g in pair] == ["deliberate"] * 2  # type: ignore[index]
    assert {g["d"]["reception"]["silent_together"] for g in pair} == {1}  # type: ignore[index]
    # six falling silent in the same minute within 10 km: the receivers lost them all
    fleet = _silent_fleet(6)
    assert {g["d"]["cause"] for g in fleet} == {"out_of_coverage"}  # type: ignore[index]
    assert not any(g["d"]["deliberate"] for g in fleet)  # type: ignore[index]
