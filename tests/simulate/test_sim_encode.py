"""NMEA encoding is exact, and the NMEA, CSV and truth positions agree."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyais import decode

from watchkeeper.ingest.nmea import read_nmea
from watchkeeper.simulate.encode import encode_positions, encode_statics, tag_block


@pytest.fixture(scope="module")
def positions(sim_dir: Path) -> pa.Table:
    return pq.read_table(sim_dir / "truth" / "positions.parquet")


def test_position_sentences_decode_exactly(positions: pa.Table) -> None:
    rng = np.random.default_rng(0)
    rows = positions.take(rng.choice(positions.num_rows, 400, replace=False))
    for row, line in zip(rows.to_pylist(), encode_positions(rows), strict=True):
        msg = decode(line.encode()).asdict()
        assert msg["msg_type"] == row["msg_type"]
        assert msg["mmsi"] == row["mmsi"]
        assert msg["lat"] == pytest.approx(row["lat"], abs=1e-6)
        assert msg["lon"] == pytest.approx(row["lon"], abs=1e-6)
        assert msg["speed"] == pytest.approx(row["sog_kn"], abs=0.05)
        assert msg["course"] == pytest.approx(row["cog_deg"], abs=0.05)
        assert msg["second"] == row["ts"].second
        assert msg["heading"] == (511 if row["heading_deg"] is None else row["heading_deg"])
        if row["msg_type"] == 1:
            assert int(msg["status"]) == row["nav_status"]


def test_tag_block_checksum() -> None:
    # From the libais ORBCOMM sample: \g:1-2-1604,s:rORBCOMM008,c:1418169601,T:... *37
    assert tag_block("g:1-2-1604,s:rORBCOMM008,c:1418169601,T:2014-12-10 00.00.01") == (
        "\\g:1-2-1604,s:rORBCOMM008,c:1418169601,T:2014-12-10 00.00.01*37\\"
    )


def test_type5_grouped_with_g(sim_dir: Path) -> None:
    with (sim_dir / "traffic.nmea").open() as f:
        lines = [next(f) for _ in range(2000)]
    firsts = [ln for ln in lines if ln.startswith("\\g:1-2-")]
    assert firsts
    gid = firsts[0].split(",")[0].split("-")[-1]
    assert any(ln.startswith(f"\\g:2-2-{gid},") for ln in lines)


def _key(mmsi: object, ts: datetime, lat: float, lon: float) -> tuple[int, int, int, int]:
    return (int(str(mmsi)), int(ts.timestamp()), round(lat * 600_000), round(lon * 600_000))


def _coordinates(t: pa.Table) -> set[tuple[float, float]]:
    return set(zip(t.column("lat").to_pylist(), t.column("lon").to_pylist(), strict=True))


def test_nmea_csv_and_truth_carry_the_same_positions(sim_dir: Path, positions: pa.Table) -> None:
    truth = {_key(r["mmsi"], r["ts"], r["lat"], r["lon"]) for r in positions.to_pylist()}
    decoded = read_nmea(sim_dir / "traffic.nmea")
    nmea = {_key(r["mmsi"], r["ts"], r["lat"], r["lon"]) for r in decoded.positions.to_pylist()}
    with (sim_dir / "traffic.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    csv_keys = {
        _key(r["MMSI"], datetime.fromisoformat(r["BaseDateTime"]).replace(tzinfo=UTC),
             float(r["LAT"]), float(r["LON"]))
        for r in rows
    }  # fmt: skip
    assert len(rows) == positions.num_rows == len(truth)
    assert nmea == truth == csv_keys
    # to the bit, not only to the unit: a coordinate 1 ulp off falls in another grid cell
    assert _coordinates(decoded.positions) == _coordinates(positions)
    counts = decoded.reject_counts()
    assert counts["bad_checksum"] > 0 and counts["malformed_sentence"] > 0, "noise is there"
    assert decoded.positions.num_rows > positions.num_rows, "duplicates from other receivers"


def test_static_draught_is_the_simulated_one_to_the_field_resolution() -> None:
    """A float32 draught (3.6 is 3.5999999) goes out as 3.6, not truncated to 3.5: the NMEA
    and the CSV of a scenario tell the same draught."""
    draughts = [3.6, 8.7, 0.3, 12.9]
    rows = [
        {"mmsi": 412000000 + i, "ts": datetime(2024, 3, 4, tzinfo=UTC), "msg_type": 5}
        | {"name": "A", "callsign": "B", "ship_type": 80, "length_m": 100.0, "beam_m": 20.0}
        | {"draught_m": d}
        for i, d in enumerate(draughts)
    ]
    schema = pa.schema(
        [
            ("mmsi", pa.int64()),
            ("ts", pa.timestamp("ms", tz="UTC")),
            ("msg_type", pa.int8()),
            ("imo", pa.int32()),
            ("name", pa.string()),
            ("callsign", pa.string()),
            ("ship_type", pa.int16()),
            ("length_m", pa.float32()),
            ("beam_m", pa.float32()),
            ("draught_m", pa.float32()),
            ("destination", pa.string()),
        ]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    decoded = [decode(*(s.encode() for s in lines)).asdict() for _, lines in encode_statics(table)]
    assert [m["draught"] for m in decoded] == draughts
