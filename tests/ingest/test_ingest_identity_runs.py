"""Identity runs: reports of every format as runs with counts, the same evidence for detectors
(the whole pipeline on NMEA, CSV and Parquet: test_ingest_same_events.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.detect.identity_change import stable_changes
from watchkeeper.ingest.csv_rows import static_key
from watchkeeper.ingest.identity_runs import IdentityRuns, _keys, collapse_runs
from watchkeeper.ingest.validate import candidate_names, validate_identities
from watchkeeper.schema import IDENTITIES

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


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, "A", "B", "A\x1f"]),
            st.sampled_from([None, 5.0, 5.5]),
            st.sampled_from([5, 19, 24]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_run_keys_are_equal_exactly_when_the_key_texts_are(
    rows: list[tuple[str | None, float | None, int]],
) -> None:
    """The keys' integer codes: equal where the static-field texts (and types) are."""
    ids = _reports([(1, float(i), n, d) for i, (n, d, _) in enumerate(rows)])
    ids = ids.set_column(
        ids.schema.get_field_index("msg_type"),
        "msg_type",
        pa.array([t for _, _, t in rows], ids.schema.field("msg_type").type),
    )
    texts = pc.binary_join_element_wise(
        pc.fill_null(static_key(ids), "\x00"),
        pc.fill_null(pc.cast(ids.column("msg_type"), pa.string()), ""),
        "\x1e",
    ).to_pylist()
    codes = _keys(ids).tolist()
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (codes[i] == codes[j]) == (texts[i] == texts[j])
