"""Anchorages are learned where several vessels sit still for hours; a pair is not enough."""

from __future__ import annotations

from watchkeeper.context.anchorages import learn_anchorages
from watchkeeper.tracks.build import concat, stationary


def test_crowded_spot_becomes_an_anchorage_but_a_pair_does_not() -> None:
    crowd = [stationary(100 + i, "2024-01-01", 22.4 + i * 0.001, 120.1, hours=6) for i in range(5)]
    pair = [stationary(200 + i, "2024-01-01", 30.0 + i * 0.001, 140.0, hours=6) for i in range(2)]
    found = learn_anchorages(concat(*crowd, *pair))
    assert found.num_rows == 1
    assert abs(found.column("lat")[0].as_py() - 22.402) < 0.01
