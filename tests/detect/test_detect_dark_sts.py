"""Dark STS: a loitering vessel and a partner whose AIS gap fits the spot and time."""

from __future__ import annotations

import json

import pyarrow as pa

from watchkeeper.detect.dark_sts import detect_dark_sts
from watchkeeper.detect.loitering import detect_loitering
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, stationary, track

SPOT = (28.5, 124.5)
TANKERS = {1: 80, 2: 81, 3: 80}


def _tracks(*t: pa.Table) -> pa.Table:
    return segment(clean(concat(*t))).sort_by([("track_id", "ascending"), ("ts", "ascending")])


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
    assert detect_dark_sts(t, detect_loitering(t)).num_rows == 0  # types unknown: 0.7 x 0.7
    rows = detect_dark_sts(t, detect_loitering(t), ship_types=TANKERS).to_pylist()
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
    assert detect_dark_sts(t, detect_loitering(t), ship_types=TANKERS).num_rows == 0


def test_loitering_alone_is_not_dark_sts() -> None:
    t = _tracks(stationary(1, "2024-01-01T20:00", *SPOT, hours=6), _witnesses())
    assert detect_dark_sts(t, detect_loitering(t), ship_types=TANKERS).num_rows == 0
