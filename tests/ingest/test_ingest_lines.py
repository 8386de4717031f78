"""Chain of custody: every stored record's ``line`` is where it sits in its source file."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pyais
import pytest

from watchkeeper.ingest.csv import read_csv
from watchkeeper.ingest.nmea import Engine, read_nmea
from watchkeeper.ingest.parquet import read_parquet
from watchkeeper.publish import write_positions_parquet

KYSTVERKET = "nmea/kystverket/Ais1000Lines.nm4"
NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"


def _sentence(text: str) -> str:
    """The NMEA sentence of a line, without its tag block."""
    return text.rsplit("\\", 1)[-1] if text.startswith("\\") else text


def _decode_at(lines: list[str], line: int) -> Any:
    """Decode the message starting at 1-based ``line`` (its fragments follow it)."""
    first = _sentence(lines[line - 1])
    count = int(first.split(",")[1])
    return pyais.decode(*[_sentence(t) for t in lines[line - 1 : line - 1 + count]])


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_nmea_lines_hold_the_decoded_message(shared_data: Path, engine: Engine) -> None:
    path = shared_data / KYSTVERKET
    lines = path.read_text("utf-8").splitlines()
    decoded = read_nmea(path, engine=engine)
    positions = decoded.positions.to_pylist()
    identities = decoded.identities.to_pylist()
    assert len(positions) > 500 and identities
    for row in positions:
        msg = _decode_at(lines, row["line"])
        assert (msg.mmsi, msg.msg_type) == (row["mmsi"], row["msg_type"])
        assert abs(msg.lat - row["lat"]) < 1e-4 and abs(msg.lon - row["lon"]) < 1e-4
    for row in identities:
        msg = _decode_at(lines, row["line"])
        assert (msg.mmsi, msg.msg_type) == (row["mmsi"], row["msg_type"])


def test_engines_give_the_same_lines(shared_data: Path) -> None:
    path = shared_data / KYSTVERKET
    fast, ref = (read_nmea(path, engine=e) for e in ("fast", "reference"))
    assert fast.positions.column("line").equals(ref.positions.column("line"))
    assert fast.identities.column("line").equals(ref.identities.column("line"))


def test_csv_lines_hold_the_row(shared_data: Path) -> None:
    path = shared_data / NOAA
    with gzip.open(path, "rt") as f:
        lines = f.read().splitlines()
    positions = read_csv(path).positions.to_pylist()
    assert len(positions) > 99_000
    for row in positions:
        mmsi, _, lat, lon = lines[row["line"] - 1].split(",")[:4]  # line 1 is the header
        assert (int(mmsi), float(lat), float(lon)) == (row["mmsi"], row["lat"], row["lon"])


def test_parquet_rows_are_row_numbers(shared_data: Path, tmp_path: Path) -> None:
    noaa = read_csv(shared_data / NOAA).positions.slice(0, 1000)
    path = tmp_path / "p.parquet"
    write_positions_parquet(noaa, path)
    back = read_parquet(path).positions
    assert back.column("line").to_pylist() == list(range(1, 1001))
    assert back.column("mmsi").equals(noaa.column("mmsi"))
