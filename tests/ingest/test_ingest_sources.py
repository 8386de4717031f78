"""Format sniffing and stream opening."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper import FormatError
from watchkeeper.ingest.sources import LineReader, detect_format, open_source, sha256_file

NMEA_FILES = [
    "nmea/libais/test.aivdm",
    "nmea/libais/tagblock.nmea",
    "nmea/libais/typeexamples.nmea",
    "nmea/pyais/nmea_data_sample.txt",
    "nmea/pyais/mixed.txt",
    "nmea/pyais/gatehouse.nmea",
    "nmea/pyais/timestamped.ais",
    "nmea/kystverket/Ais1000Lines.nm4",
]


@pytest.mark.parametrize("name", NMEA_FILES)
def test_nmea_detected(shared_data: Path, name: str) -> None:
    assert detect_format(shared_data / name) == "nmea"


def test_csv_and_parquet_detected(shared_data: Path, tmp_path: Path) -> None:
    assert detect_format(shared_data / "csv/noaa/AIS_2022_01_03_first99999.csv.gz") == "csv"
    pq.write_table(pa.table({"a": [1]}), tmp_path / "x.bin")
    assert detect_format(tmp_path / "x.bin") == "parquet"


def test_unknown_and_empty_files(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("")
    with pytest.raises(FormatError, match="empty"):
        detect_format(tmp_path / "empty")
    (tmp_path / "prose").write_text("hello world\nno commas here\n")
    with pytest.raises(FormatError, match="not recognised"):
        detect_format(tmp_path / "prose")


def test_truncated_gzip_ends_cleanly(tmp_path: Path) -> None:
    lines = [f"line {i}" for i in range(20000)]
    data = gzip.compress("\n".join(lines).encode())
    cut = tmp_path / "cut.gz"
    cut.write_bytes(data[: len(data) // 2])
    reader, _, _ = open_source(cut, None)
    lines_read = LineReader(reader)
    got = list(lines_read)
    reader.close()
    assert lines_read.truncated is not None
    assert 0 < len(got) < len(lines)
    assert got[:-1] == lines[: len(got) - 1]  # everything before the cut is intact


def test_sha256_is_content_based(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert sha256_file(a) == sha256_file(b)
