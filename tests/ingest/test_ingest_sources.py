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


# ------------------------------------------------ text normalisation (fault reproductions)

_CSV_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
_CSV_ROWS = [
    f"21100000{i},2024-03-01T00:0{i}:00,54.1,10.1,5.0,90.0,90,SHIP,,,70,0,,,,,A" for i in range(6)
]
_NMEA = "!AIVDM,1,1,,A,15NBj>PP1gG>1PVKTDTUJOv00<0M,0*0A,1700000000"


def _ingest(path: Path) -> tuple[str, int, int]:
    from watchkeeper import Workspace
    from watchkeeper.ingest.pipeline import ingest_file

    s = ingest_file(Workspace(path.parent / f"ws-{path.name}"), path)
    return s.format, s.positions, s.n_rejects


def _lines(text: str) -> list[str]:
    return [ln for ln in text.split("\n") if ln]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("cr.csv", "\r".join([_CSV_HEADER, *_CSV_ROWS]).encode(), ("csv", 6, 0)),
        ("crlf.csv", "\r\n".join([_CSV_HEADER, *_CSV_ROWS]).encode(), ("csv", 6, 0)),
        ("bom.csv", b"\xef\xbb\xbf" + "\n".join([_CSV_HEADER, *_CSV_ROWS]).encode(), ("csv", 6, 0)),
        ("u16.csv", "\n".join([_CSV_HEADER, *_CSV_ROWS]).encode("utf-16"), ("csv", 6, 0)),
        ("u16be.csv", "\n".join([_CSV_HEADER, *_CSV_ROWS]).encode("utf-16-be"), ("csv", 0, -1)),
        # the same report three times: every line read, stored once (two duplicates)
        ("bom.nmea", b"\xef\xbb\xbf" + f"{_NMEA}\n".encode() * 3, ("nmea", 1, 0)),
        ("cr.nmea", f"{_NMEA}\r".encode() * 3, ("nmea", 1, 0)),
        ("u16.nmea", f"{_NMEA}\r\n".encode("utf-16") * 1, ("nmea", 1, 0)),
    ],
)
def test_any_line_ending_bom_and_utf16(
    tmp_path: Path, name: str, content: bytes, expected: tuple[str, int, int]
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if expected[2] == -1:  # UTF-16 without a byte-order mark: refused with a clear message
        with pytest.raises(FormatError, match="NUL bytes"):
            _ingest(path)
        return
    assert _ingest(path) == expected


def test_every_zip_member_is_read(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", "\n".join([_CSV_HEADER, *_CSV_ROWS[:3]]))  # no final newline
        z.writestr("b.csv", "\n".join([_CSV_HEADER, *_CSV_ROWS[3:]]) + "\n")
        z.writestr("c.csv", "\n".join([_CSV_HEADER, *_CSV_ROWS[:1]]) + "\n")
    assert _ingest(path) == ("csv", 6, 0)  # c.csv's row repeats one of a.csv: stored once
    nmea = tmp_path / "n.zip"
    with zipfile.ZipFile(nmea, "w") as z:
        z.writestr("a.nmea", f"{_NMEA}\n" * 2)
        z.writestr("b.nmea", f"{_NMEA.replace('1700000000', '1700000600')}\n" * 3)
    assert _ingest(nmea) == ("nmea", 2, 0)  # one report per member (repeats stored once)
