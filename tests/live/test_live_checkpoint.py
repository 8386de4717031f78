"""The checkpoint is the furthest committed live batch in the store's ingest log."""

from __future__ import annotations

import pyarrow as pa

from watchkeeper.live.checkpoint import Checkpoint, batch_id, from_ingest_log, parse_batch_id


def test_ids_round_trip_and_other_ingests_are_ignored() -> None:
    ids = [batch_id(Checkpoint(10, 2)), "0123abcd" * 4, batch_id(Checkpoint(99, 7))]
    assert from_ingest_log(pa.table({"ingest_id": ids})) == Checkpoint(99, 7)
    assert parse_batch_id("0123abcd" * 4) is None
    assert from_ingest_log(pa.table({"ingest_id": pa.array([], pa.string())})) == Checkpoint()


def test_an_id_never_looks_like_a_second_part_file() -> None:
    # the store names a day's second part file "<id>-<k>.parquet": an id may not end so
    assert "-" not in batch_id(Checkpoint(123, 4))
