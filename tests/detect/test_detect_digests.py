"""Regression: the events of two simulated scenarios, as stored digests, and the same events
whether detection runs as one window or one window per day.

The digests pin the whole events table (every column, rows by ``event_id``). A change of
detector behaviour changes them on purpose: rerun with ``WATCHKEEPER_UPDATE_DIGESTS=1`` and
commit ``tests/data/detect_digests.json`` with the change. The input digest tells a changed
simulator apart from a changed detector.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper import Workspace
from watchkeeper.detect import DetectParams, detect_workspace
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig

DIGESTS = Path(__file__).parents[1] / "data" / "detect_digests.json"
SEEDS = (1, 2)
#: The simulator tests' small fleet (tests/simulate/conftest.py), two days: about 40 k positions.
SMALL = TrafficConfig(n_cargo=14, n_tanker=8, n_fishing=10, n_pair_trawl=2, n_reefer=1, n_bunker=2)


def table_digest(table: pa.Table) -> str:
    """SHA-256 of a table's rows in a canonical form: sorted by ``event_id``, JSON columns
    parsed, floats to 7 decimals (DuckDB's parallel sums differ in the last bits from run to
    run; 1e-7 degree is 1 cm), times as ISO strings."""
    rows = [{k: _canonical(k, v) for k, v in r.items()} for r in table.to_pylist()]
    if "event_id" in table.column_names:
        rows.sort(key=lambda r: str(r["event_id"]))
    text = json.dumps(rows, sort_keys=True, default=lambda v: v.isoformat())
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(name: str, value: Any) -> Any:
    if name in ("details", "evidence") and isinstance(value, str):
        value = json.loads(value)
    return _rounded(value)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 7)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Each seed's simulated reports loaded into a workspace (as ingest would store them)."""
    out = {}
    for seed in SEEDS:
        root = tmp_path_factory.mktemp(f"seed{seed}")
        simulate(ScenarioConfig(seed=seed, days=2.0, traffic=SMALL), root / "sim")
        ws = Workspace(root / "ws")
        for layer in ("positions", "identities"):
            w = ws.writer(layer, "sim")
            w.write(_truth(root, layer))
            w.close()
        out[seed] = root
    return out


def _params(root: Path, **kw: int) -> DetectParams:
    return DetectParams(port_files=(str(root / "sim" / "ports.csv"),), **kw)  # type: ignore[arg-type]


def _input_digest(root: Path) -> str:
    """Digest of the simulated reports (in the simulator's order)."""
    layers = ("positions", "identities")
    return table_digest(pa.table({n: [table_digest(_truth(root, n))] for n in layers}))


def _truth(root: Path, layer: str) -> pa.Table:
    return pq.read_table(root / "sim" / "truth" / f"{layer}.parquet")


def test_events_match_the_stored_digests(scenarios: dict[int, Path]) -> None:
    found: dict[str, dict[str, Any]] = {}
    for seed, root in scenarios.items():
        ws = Workspace(root / "ws", create=False)
        events = detect_workspace(ws, params=_params(root))
        found[str(seed)] = {
            "input": _input_digest(root),
            "events": table_digest(events),
            "rows": events.num_rows,
        }
    if os.environ.get("WATCHKEEPER_UPDATE_DIGESTS"):
        DIGESTS.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n", "utf-8")
    stored = json.loads(DIGESTS.read_text("utf-8"))
    for key, got in found.items():
        want = stored[key]
        assert got["input"] == want["input"], f"seed {key}: the simulator's output changed"
        assert got == want, f"seed {key}: events changed ({got['rows']} rows, {want['rows']})"


@pytest.mark.xfail(
    strict=True,
    reason="places, zone stays, stitched durations, places and end states, silences beyond a "
    "window, a gap's look-back and identity changes confirmed after a window now agree (seed "
    "1: 336 events whole, 335 per day, 318 identical rows); left: the track numbers of a "
    "vessel with several tracks (an MMSI used by two ships) count from each window's start, "
    "so its spoofing findings and gaps differ in track ids, one loitering stitched across "
    "midnight keeps the later part's centre and counts, and one dark-STS likelihood",
)
def test_one_window_per_day_gives_the_same_events(scenarios: dict[int, Path]) -> None:
    root = scenarios[SEEDS[0]]
    ws = Workspace(root / "ws", create=False)
    assert len(ws.day_counts()) >= 2
    whole = detect_workspace(ws, params=_params(root))
    per_day = detect_workspace(ws, params=_params(root, window_positions=1))
    assert table_digest(per_day) == table_digest(whole)
