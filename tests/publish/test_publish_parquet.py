"""Positions Parquet: each row carries the static fields known at its time, and ingest reads
them back as identity reports (a round trip keeps ship types, names and draughts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.ingest.parquet import read_parquet
from watchkeeper.publish import write_positions_parquet
from watchkeeper.publish.parquet import POSITIONS_WITH_STATICS, STATIC_COLUMNS
from watchkeeper.schema import IDENTITIES, POSITIONS

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def _positions(rows: list[tuple[int, float]]) -> pa.Table:
    """(mmsi, minutes after T0) position reports of type 1."""
    full = [
        dict.fromkeys(POSITIONS.names)
        | {"mmsi": m, "ts": T0 + timedelta(minutes=t), "lat": 30.0, "lon": 122.0}
        | {"msg_type": 1, "quality": 0, "source": "a.nmea"}
        for m, t in rows
    ]
    return pa.Table.from_pylist(full, schema=POSITIONS)


def _identities(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist([dict.fromkeys(IDENTITIES.names) | r for r in rows], IDENTITIES)


def test_rows_carry_the_static_fields_known_at_their_time(tmp_path: Path) -> None:
    ids = _identities(
        [
            {"mmsi": 1, "ts": T0 + timedelta(minutes=10), "name": "A", "draught_m": 5.0},
            {"mmsi": 1, "ts": T0 + timedelta(minutes=30), "ship_type": 80},  # a part B
            {"mmsi": 1, "ts": T0 + timedelta(minutes=50), "name": "B", "draught_m": 9.0},
        ]
    )
    path = tmp_path / "p.parquet"
    positions = _positions([(1, 0), (1, 20), (1, 40), (1, 60), (2, 60)])
    assert write_positions_parquet(positions, path, ids) == 5
    table = pq.read_table(path)
    assert table.schema == POSITIONS_WITH_STATICS
    assert set(STATIC_COLUMNS) >= {"destination", "eta", "imo", "callsign"}
    got = table.select(["mmsi", "name", "ship_type", "draught_m"]).to_pylist()
    assert [tuple(r.values()) for r in got] == [
        (1, "A", None, 5.0),  # before the first report: the first one
        (1, "A", None, 5.0),
        (1, "A", 80, 5.0),  # each field carried forward on its own
        (1, "B", 80, 9.0),
        (2, None, None, None),  # never identified
    ]


def test_without_identities_the_file_has_the_positions_columns(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    write_positions_parquet(_positions([(1, 0)]), path)
    assert pq.read_table(path).schema == POSITIONS


def test_reingested_rows_are_identity_reports_without_a_message_type(tmp_path: Path) -> None:
    ids = _identities([{"mmsi": 1, "ts": T0, "name": "A", "ship_type": 80, "msg_type": 5}])
    path = tmp_path / "p.parquet"
    write_positions_parquet(_positions([(1, 0), (1, 1), (1, 2)]), path, ids)
    back = read_parquet(path)
    assert back.positions.num_rows == 3
    reports = back.identities.select(["mmsi", "name", "ship_type", "msg_type"]).to_pylist()
    assert reports == [{"mmsi": 1, "name": "A", "ship_type": 80, "msg_type": None}] * 3
