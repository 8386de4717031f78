"""Places are learned where several vessels, or one vessel again and again, sit still for
hours; a pair, or one ship at anchor, is not enough."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from watchkeeper.context.anchorages import learn_anchorages, places_of
from watchkeeper.tracks.build import concat, stationary, track


def test_crowded_spot_becomes_an_anchorage_but_a_pair_does_not() -> None:
    crowd = [stationary(100 + i, "2024-01-01", 22.4 + i * 0.001, 120.1, hours=6) for i in range(5)]
    pair = [stationary(200 + i, "2024-01-01", 30.0 + i * 0.001, 140.0, hours=6) for i in range(2)]
    found = learn_anchorages(concat(*crowd, *pair))
    assert found.num_rows == 1
    assert abs(found.column("lat")[0].as_py() - 22.402) < 0.01


def test_a_harbour_across_a_cell_edge_counts_whole() -> None:
    # four boats 300 m apart on both sides of a 0.02-degree cell edge (lat 48.00)
    lats = (47.9985, 47.9995, 48.0005, 48.0015)
    boats = [stationary(300 + i, "2024-01-01", la, -123.1, hours=6) for i, la in enumerate(lats)]
    assert learn_anchorages(concat(*boats)).num_rows >= 1


def _ferry_day(mmsi: int, calls: int, stay_h: float = 0.5) -> list[pa.Table]:
    """A ferry that sails 20 min at 12 kn and stays ``stay_h`` at its berth, ``calls`` times."""
    out = []
    t = datetime(2024, 1, 1, tzinfo=UTC)
    for _ in range(calls):
        out.append(
            track(mmsi, t, 47.60, -122.50, [(i * 2, -7400 + i * 740.0, 0) for i in range(10)])
        )
        t += timedelta(minutes=20)
        out.append(stationary(mmsi, t, 47.60, -122.50, hours=stay_h, every_min=2))
        t += timedelta(hours=stay_h, minutes=2)
        out.append(track(mmsi, t, 47.60, -122.50, [(i * 2, -i * 740.0, 0) for i in range(1, 10)]))
        t += timedelta(minutes=20)
    return out


def test_one_vessel_calling_again_and_again_makes_a_berth() -> None:
    found = learn_anchorages(concat(*_ferry_day(400, calls=9)))
    assert found.num_rows == 1
    assert "berth" in found.column("source")[0].as_py()
    assert abs(found.column("lat")[0].as_py() - 47.60) < 0.01
    # two long calls (6 h still) are an out-and-back, not a berth
    assert learn_anchorages(concat(*_ferry_day(401, calls=2, stay_h=3.0))).num_rows == 0


def test_a_lone_ship_swinging_at_anchor_is_not_a_place() -> None:
    # 12 h at anchor, swinging 150 m back and forth below 1 kn: one stop, not repeated calls
    swing = track(500, "2024-01-01", 30.0, 140.0, [(i * 10, (i % 2) * 150.0, 0) for i in range(73)])
    assert learn_anchorages(swing).num_rows == 0


def test_learned_places_do_not_depend_on_summation_order() -> None:
    """Means that a parallel scan sums in another order differ in the last bits; the
    places (and so the events placed at them) must come out the same bytes."""
    a = pa.table({"lat": [37.399957298407635], "lon": [126.54999960476039], "why": ["x"]})
    b = pa.table({"lat": [37.39995729840763], "lon": [126.54999960476037], "why": ["x"]})
    assert places_of([a]).equals(places_of([b]))


@pytest.mark.parametrize("cut_h", [0.3, 1.0, 2.6, 5.5, 8.1])
def test_berths_merged_from_parts_equal_berths_over_the_whole(cut_h: float) -> None:
    """A call cut by a part edge (a day window's midnight) is one call: the trips of later
    parts are numbered on from the vessel's sailing in the earlier ones."""
    from watchkeeper.context.anchorages import berth_calls, berth_places, learn_berths

    ferry = concat(*_ferry_day(600, calls=9), *_ferry_day(601, calls=10, stay_h=0.45))
    cut = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=cut_h)
    ts = ferry.column("ts")
    parts = [ferry.filter(pc.less(ts, cut)), ferry.filter(pc.greater_equal(ts, cut))]
    whole = learn_berths(ferry)
    merged = berth_places([berth_calls(p) for p in parts])
    assert whole.num_rows >= 1
    assert places_of([merged]).equals(places_of([whole]))
