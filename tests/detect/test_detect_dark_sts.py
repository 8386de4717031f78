"""Dark STS: a loitering vessel and a partner whose AIS gap fits the spot and time."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from _real_excerpts import positions, reception
from watchkeeper.context.reception import ReceptionMap, reception_map
from watchkeeper.detect.dark_sts import DarkStsParams, detect_dark_sts, stay_factor
from watchkeeper.detect.loitering import detect_loitering
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, stationary, track

SPOT = (28.5, 124.5)
TANKERS = {1: 80, 2: 81, 3: 80, 4: 82, 5: 83}
NORTH_3KM = 3000.0 / 111_195.0  # degrees of latitude


def _tracks(*t: pa.Table) -> pa.Table:
    return segment(clean(concat(*t))).sort_by([("track_id", "ascending"), ("ts", "ascending")])


def _covered_area(
    lat0: float = SPOT[0], lon0: float = SPOT[1], start_ms: int = 1_704_067_200_000
) -> ReceptionMap:
    """Reception over 3 x 5 degrees round (lat0, lon0) for two days from ``start_ms``: a
    vessel heard in every 0.25-degree cell every hour (a busy area in coverage)."""
    lat, lon, hour = np.meshgrid(
        lat0 - 1.5 + 0.25 * np.arange(12) + 0.1,
        lon0 - 2.5 + 0.25 * np.arange(20) + 0.1,
        np.arange(48),
        indexing="ij",
    )
    return reception_map(
        pa.table(
            {
                "mmsi": np.full(lat.size, 999),
                "ts": pa.array(start_ms + hour.ravel() * 3_600_000, pa.timestamp("ms", "UTC")),
                "lat": lat.ravel(),
                "lon": lon.ravel(),
            }
        )
    )


COVERED = _covered_area()
COVERED_DELAWARE = _covered_area(38.5, -74.5, 1_577_836_800_000)  # from 2020-01-01T00:00Z
DAY_END = datetime(2020, 1, 1, 23, 59, 59, tzinfo=UTC)


def _dark(t: pa.Table, loitering: pa.Table, **kw: object) -> pa.Table:
    return detect_dark_sts(t, loitering, reception=COVERED, **kw)  # type: ignore[arg-type]


def _witnesses() -> pa.Table:
    """Other ships reporting nearby all day: reception worked (not a coverage hole)."""
    return concat(
        *[
            track(
                900 + k,
                "2024-01-01T12:00",
                SPOT[0] + 0.2,
                SPOT[1] - 0.3 + 0.1 * k,
                [(i * 30, 0, i * 300.0) for i in range(30)],
            )
            for k in range(2)
        ]
    )


def _partner(mmsi: int, dark_from: str, east_m: float) -> pa.Table:
    """Sails east at 12 kn towards the spot, dark 10 h from ``dark_from``, then sails on."""
    before = track(
        mmsi,
        "2024-01-01T14:00",
        SPOT[0],
        SPOT[1] - 0.6,
        [(i * 10, east_m + i * 3704.0, 0) for i in range(7)],
    )
    after = track(
        mmsi,
        "2024-01-02T04:00",
        SPOT[0],
        SPOT[1] + 0.3,
        [(i * 10, i * 3704.0, 0) for i in range(7)],
    )
    return concat(before, after)


def test_partner_named_across_midnight() -> None:
    loiterer = stationary(1, "2024-01-01T20:00", *SPOT, hours=6)
    t = _tracks(loiterer, _partner(2, "2024-01-01T15:00", 0.0), _witnesses())
    assert _dark(t, detect_loitering(t)).num_rows == 0  # types unknown: 0.7 x 0.7
    rows = _dark(t, detect_loitering(t), ship_types=TANKERS).to_pylist()
    assert len(rows) == 1
    assert rows[0]["mmsi"] == 1 and rows[0]["other_mmsi"] == 2
    cands = json.loads(rows[0]["details"])["candidates"]
    assert cands[0]["mmsi"] == 2 and 0.5 <= cands[0]["likelihood"] <= 1.0


def test_no_partner_out_of_reach() -> None:
    loiterer = stationary(1, "2024-01-01T20:00", *SPOT, hours=6)
    # a gap too far away to reach the spot in time (starts 1,000 km west)
    far = track(
        3, "2024-01-01T14:00", SPOT[0], SPOT[1] - 10.0, [(i * 10, i * 3704.0, 0) for i in range(7)]
    )
    far_after = track(
        3, "2024-01-02T04:00", SPOT[0], SPOT[1] - 9.0, [(i * 10, 0, 0) for i in range(7)]
    )
    t = _tracks(loiterer, far, far_after, _witnesses())
    assert _dark(t, detect_loitering(t), ship_types=TANKERS).num_rows == 0


def test_loitering_alone_is_not_dark_sts() -> None:
    t = _tracks(stationary(1, "2024-01-01T20:00", *SPOT, hours=6), _witnesses())
    assert _dark(t, detect_loitering(t), ship_types=TANKERS).num_rows == 0


def test_candidate_factors_multiply_to_the_likelihood() -> None:
    loiterer = stationary(1, "2024-01-01T20:00", *SPOT, hours=6)
    t = _tracks(loiterer, _partner(2, "2024-01-01T15:00", 0.0), _witnesses())
    rows = _dark(t, detect_loitering(t), ship_types=TANKERS).to_pylist()
    cand = json.loads(rows[0]["details"])["candidates"][0]
    assert set(cand["factors"]) >= {"time", "stay", "type", "heard", "heading", "approach"}
    assert math.isclose(math.prod(cand["factors"].values()), cand["likelihood"], abs_tol=0.01)


def test_one_silence_explains_one_meeting() -> None:
    """Two loiterers 3 km apart compete for one dark partner: only one of them gets it."""
    a = stationary(1, "2024-01-01T20:00", *SPOT, hours=6)
    b = stationary(3, "2024-01-01T20:00", SPOT[0] + NORTH_3KM, SPOT[1], hours=6)
    t = _tracks(a, b, _partner(2, "2024-01-01T15:00", 0.0), _witnesses())
    loitering = detect_loitering(t)
    assert loitering.num_rows >= 2
    every = DarkStsParams(min_likelihood=0.0)
    rows = _dark(t, loitering, ship_types=TANKERS, params=every).to_pylist()
    naming_2 = [r for r in rows if 2 in (r["mmsi"], r["other_mmsi"])]
    assert len(naming_2) == 1
    # both loiterers still list the partner as a candidate: the assignment only names one
    cands = [json.loads(r["details"])["candidates"] for r in rows]
    assert all(any(c["mmsi"] == 2 for c in cs) for cs in cands)


def test_loiterer_with_a_visible_partner_is_not_dark_sts() -> None:
    """Two vessels loitering side by side are an encounter: no dark partner is sought."""
    a = stationary(1, "2024-01-01T20:00", *SPOT, hours=6)
    b = stationary(4, "2024-01-01T20:00", SPOT[0] + 300.0 / 111_195.0, SPOT[1], hours=6)
    t = _tracks(a, b, _partner(2, "2024-01-01T15:00", 0.0), _witnesses())

    def anchors(params: DarkStsParams) -> set[int]:
        rows = _dark(t, detect_loitering(t), ship_types=TANKERS, params=params)
        return {int(r["mmsi"]) for r in rows.to_pylist()}

    assert not anchors(DarkStsParams()) & {1, 4}
    apart = DarkStsParams(alongside_km=0.1)  # not alongside: each is a dark-STS anchor again
    assert anchors(apart) & {1, 4}


@pytest.mark.parametrize(
    ("spare_h", "together_h", "is_open", "expected"),
    [
        (5.0, 2.0, False, 1.0),  # 3 h unexplained, within the reception allowance
        (16.3, 2.0, False, 6.3 / 16.3),  # most of a long silence is left unexplained
        (16.3, 2.0, True, 1.0),  # open gap: its end, and so its spare time, is unknown
        (3.0, -1.0, False, 1.0),  # never together (infeasible): no time credited
    ],
)
def test_stay_factor(spare_h: float, together_h: float, is_open: bool, expected: float) -> None:
    got = stay_factor(
        np.array([spare_h * 3600.0]),
        np.array([together_h * 3600.0]),
        np.array([is_open]),
        DarkStsParams(),
    )
    assert got[0] == pytest.approx(expected, abs=1e-6)


def test_vessel_that_left_coverage_is_never_a_dark_partner() -> None:
    """Real, 2020-01-01 off Delaware Bay: tanker 311000389 loiters at 38.40 N 74.77 W from
    00:01; tanker 368004000 sails south at 14.7 kn out of the receivers' area (38.0 N) and is
    not heard again. Its silence is the coverage edge, not a meeting."""
    t = positions("noaa_2020_01_01_leaving_coverage.csv")
    t = _tracks(t.filter(pc.is_in(t.column("mmsi"), pa.array([311000389, 368004000]))))
    loitering = detect_loitering(t)
    assert 311000389 in loitering.column("mmsi").to_pylist()
    tankers = {311000389: 80, 368004000: 80}
    every = DarkStsParams(min_likelihood=0.0)
    day = reception("noaa_2020_01_01_reception_map.csv")

    def candidates(rec: ReceptionMap) -> set[int]:
        rows = detect_dark_sts(
            t, loitering, data_end=DAY_END, reception=rec, ship_types=tankers, params=every
        ).to_pylist()
        return {c["mmsi"] for r in rows for c in json.loads(r["details"])["candidates"]}

    assert 368004000 not in candidates(day)
    assert 368004000 in candidates(COVERED_DELAWARE)  # water heard all round: it would be


def test_harbour_craft_and_people_carriers_are_never_a_side() -> None:
    loiterer = stationary(1, "2024-01-01T20:00", *SPOT, hours=6)
    t = _tracks(loiterer, _partner(2, "2024-01-01T15:00", 0.0), _witnesses())

    def sides(types: dict[int, int]) -> set[int]:
        rows = _dark(t, detect_loitering(t), ship_types=types).to_pylist()
        return {m for r in rows for m in (r["mmsi"], r["other_mmsi"])}

    for partner_type in (52, 60, 37, 31):  # tug, passenger, pleasure, towing
        assert 2 not in sides({1: 80, 2: partner_type})
    assert 1 not in sides({1: 60, 2: 80})  # a passenger ship loitering: no STS side either
    assert sides({1: 80, 2: 80}) == {1, 2}
