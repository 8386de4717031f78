"""Identity runs: reports of every format as runs with counts, the same evidence for detectors;
and the simulator's NMEA and CSV through the whole pipeline give the same events."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from watchkeeper import Workspace
from watchkeeper.detect import DetectParams, detect_workspace
from watchkeeper.detect.identity_change import stable_changes
from watchkeeper.ingest.identity_runs import IdentityRuns, collapse_runs
from watchkeeper.ingest.pipeline import ingest_file
from watchkeeper.ingest.validate import candidate_names, validate_identities
from watchkeeper.schema import IDENTITIES
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def _reports(rows: list[tuple[int, float, str | None, float | None]]) -> pa.Table:
    """Single AIS type 5 reports: (mmsi, minutes after T0, name, draught)."""
    blank = dict.fromkeys(candidate_names(IDENTITIES))
    schema = pa.schema([IDENTITIES.field(n) for n in blank])
    table = pa.Table.from_pylist(
        [
            blank
            | {"mmsi": m, "ts": T0 + timedelta(minutes=t), "name": n, "draught_m": d}
            | {"msg_type": 5}
            for m, t, n, d in rows
        ],
        schema=schema,
    )
    table = table.append_column("_line", pa.array(range(1, len(rows) + 1), pa.int64()))
    ids, rejects = validate_identities(table, file="f")
    assert rejects.num_rows == 0
    return ids


def _stream(ids: pa.Table, chunk: int) -> pa.Table:
    runs = IdentityRuns()
    parts = [runs.add(ids.slice(i, chunk)) for i in range(0, ids.num_rows, chunk)]
    return pa.concat_tables([*parts, runs.flush()])


def test_equal_reports_become_one_run_with_their_count_and_times() -> None:
    ids = _reports([(1, 0, "A", 5.0), (1, 6, "A", 5.0), (1, 12, "A", 5.0), (1, 18, "B", 5.0)])
    out = _stream(ids, 2).sort_by("ts").to_pylist()
    assert [(r["name"], r["n_reports"]) for r in out] == [("A", 3), ("B", 1)]
    assert out[0]["ts"] == T0 and out[0]["ts_last"] == T0 + timedelta(minutes=12)


def test_runs_are_the_same_whatever_the_chunks() -> None:
    rows = [(m, t, "AB"[(t // 30) % 2], 5.0 + (t // 60)) for t in range(0, 240, 6) for m in (1, 2)]
    ids = _reports(rows)
    key = [("mmsi", "ascending"), ("ts", "ascending")]
    one = _stream(ids, ids.num_rows).sort_by(key)
    assert _stream(ids, 3).sort_by(key).equals(one)
    assert pc.sum(one.column("n_reports")).as_py() == len(rows)


def test_runs_are_cut_at_midnight() -> None:
    ids = _reports([(1, 23 * 60 + 54, "A", None), (1, 24 * 60 + 6, "A", None)])
    assert _stream(ids, 10).num_rows == 2


def test_a_broadcast_heard_twice_counts_once() -> None:
    ids = _reports([(1, 0, "A", None), (1, 0, "A", None), (1, 6, "A", None)])
    runs, dups = collapse_runs(ids)
    assert dups == 1 and runs.column("n_reports").to_pylist() == [2]


def test_stable_changes_see_the_same_evidence_as_single_reports() -> None:
    """A value needs min_reports reports in a row: runs give the very changes the reports give,
    with the interval from the last old report to the first new one."""
    rows = [(1, t, None, 5.0) for t in range(0, 60, 6)] + [(1, 60, None, 9.0), (1, 66, None, 9.0)]
    rows += [(1, 72, None, 5.0)]  # one garbled report: not stable
    ids = _reports(rows)
    runs = _stream(ids, 4).sort_by([("mmsi", "ascending"), ("ts", "ascending")])
    assert runs.num_rows < ids.num_rows
    for min_reports in (1, 2, 3):
        single = stable_changes(ids, "draught_m", min_reports)
        joined = stable_changes(runs, "draught_m", min_reports)
        assert [c[:5] for c in joined] == [c[:5] for c in single], min_reports
    (change,) = stable_changes(runs, "draught_m", 2)
    assert change.last_old == (T0 + timedelta(minutes=54)).timestamp()
    assert change.first_new == (T0 + timedelta(minutes=60)).timestamp()


# -- the same scenario as NMEA and as CSV --------------------------------------------------

#: The simulator tests' small fleet (tests/simulate/conftest.py) with every planted case.
SMALL = TrafficConfig(n_cargo=14, n_tanker=8, n_fishing=10, n_pair_trawl=2, n_reefer=1, n_bunker=2)
#: Event types whose times come from identity reports: NMEA has them at the static message,
#: CSV only on the position rows after it (docs/formats.md).
_FROM_STATICS = {"identity_change", "draught_change"}


def _events_of(sim: Path, name: str, root: Path) -> pa.Table:
    ws = Workspace(root / name)
    summary = ingest_file(ws, sim / name)
    assert summary.positions > 0
    params = DetectParams(port_files=(str(sim / "ports.csv"),))
    return detect_workspace(ws, params=params)


def _by_key(events: pa.Table) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    out: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for e in events.to_pylist():
        out[(e["type"], e["mmsi"], e["other_mmsi"])].append(e)
    return {k: sorted(v, key=lambda e: e["start"]) for k, v in out.items()}


def _same_events(seed: int, root: Path) -> None:
    sim = root / "sim"
    simulate(ScenarioConfig(seed=seed, days=2.0, traffic=SMALL), sim)
    nmea = _events_of(sim, "traffic.nmea", root)
    csv = _events_of(sim, "traffic.csv", root)
    a, b = _by_key(nmea), _by_key(csv)
    assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}
    kinds = {e["type"] for e in nmea.to_pylist()}
    assert kinds >= _FROM_STATICS, "the scenario must plant identity and draught changes"
    for key, xs in a.items():
        for x, y in zip(xs, b[key], strict=True):
            if key[0] not in _FROM_STATICS:
                assert (x["start"], x["end"]) == (y["start"], y["end"]), key
                continue
            # the CSV has a static value on the position rows after its static report, and
            # up to the vessel's last position (not its last static report): the intervals
            # of one change overlap
            x_end, y_end = x["end"] or x["start"], y["end"] or y["start"]
            assert x["start"] <= y_end and y["start"] <= x_end, key


def test_nmea_and_csv_of_one_scenario_give_the_same_events(tmp_path: Path) -> None:
    _same_events(3, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 5, 7])
def test_nmea_and_csv_give_the_same_events_on_more_seeds(seed: int, tmp_path: Path) -> None:
    _same_events(seed, tmp_path)
