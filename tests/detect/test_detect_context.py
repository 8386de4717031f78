"""The detection context: anchorages learned over every window are those learned over all the
data at once, and a run stores the context it used, the same whatever the windowing."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper import Workspace
from watchkeeper.context.anchorages import AnchorageParams, learn_anchorages
from watchkeeper.detect import DetectParams, detect_workspace
from watchkeeper.detect.context import anchorages_from_cells, stop_cells
from watchkeeper.tracks.build import concat, parse_time, stationary


def _crowd() -> pa.Table:
    """Five vessels at anchor from 21:00 to 03:00 (across midnight), a pair elsewhere."""
    crowd = [
        stationary(100 + i, "2024-01-01T21:00", 22.4 + i * 0.001, 120.1, hours=6) for i in range(5)
    ]
    pair = [stationary(200 + i, "2024-01-01", 30.0 + i * 0.001, 140.0, hours=6) for i in range(2)]
    return concat(*crowd, *pair)


def test_anchorages_from_window_cells_equal_those_of_all_the_data() -> None:
    positions, params = _crowd(), AnchorageParams()
    midnight = parse_time("2024-01-02")
    before = pc.less(positions.column("ts"), midnight)
    halves = [positions.filter(before), positions.filter(pc.invert(before))]
    merged = anchorages_from_cells([stop_cells(h, params) for h in halves], params)
    whole = learn_anchorages(positions, params)
    assert merged.num_rows == whole.num_rows == 1
    assert merged.column("name").to_pylist() == whole.column("name").to_pylist()
    for col in ("lat", "lon"):
        assert abs(merged.column(col)[0].as_py() - whole.column(col)[0].as_py()) < 1e-9
    # each half alone holds only 3 h of the 6 h stays: per-window learning finds nothing
    assert all(learn_anchorages(h, params).num_rows == 0 for h in halves)
    assert anchorages_from_cells([], params).num_rows == 0


def test_the_stored_context_does_not_depend_on_the_windows(workspace: Workspace) -> None:
    w = workspace.writer("positions", "crowd")
    w.write(_crowd())
    w.close()
    stored = []
    for budget in (1, 5_000_000):  # one window per day, one window
        detect_workspace(workspace, params=DetectParams(window_positions=budget))
        places = workspace.read_table("detect_places")
        assert places is not None
        stored.append(places.filter(pc.starts_with(places.column("source"), "learned")).to_pylist())
        zones = workspace.read_table("detect_zones")
        assert zones is not None and zones.num_rows > 0
    assert len(stored[0]) == len(stored[1]) == 1
    (a,), (b,) = stored
    # the same anchorage; coordinates up to the order of floating-point sums (1e-9 deg: 0.1 mm)
    assert {k: v for k, v in a.items() if k not in ("lat", "lon")} == {
        k: v for k, v in b.items() if k not in ("lat", "lon")
    }
    assert abs(a["lat"] - b["lat"]) < 1e-9 and abs(a["lon"] - b["lon"]) < 1e-9
