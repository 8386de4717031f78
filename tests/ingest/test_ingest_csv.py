"""CSV reader: the real NOAA MarineCadastre sample, dialects, and every reject reason."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import ConfigError, FormatError, StrictInputError
from watchkeeper.ingest.csv import iter_csv, read_csv
from watchkeeper.schema import IDENTITIES, POSITIONS, REJECTS, Decoded

NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"
HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
SNAKE = (
    "mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,"
    "vessel_type,status,length,width,draft,cargo,transceiver"
)
GOOD = (
    "374208000,2022-01-03T00:02:59,37.71043,-122.32879,0.0,81.9,157,"
    "MAGUS,IMO9018464,3EUM7,80,1,268,46,16.9,70,A"
)


def _read(text: str, **kw: object) -> Decoded:
    return read_csv(io.BytesIO(text.encode()), file="t.csv", **kw)  # type: ignore[arg-type]


def _static(row: dict[str, str]) -> tuple[object, ...] | None:
    """The oracle's static tuple: zero IMO and dimensions mean 'not available'."""

    def num(v: str) -> float | None:
        return float(v) if v.strip() and float(v) > 0 else None

    imo = row["IMO"].removeprefix("IMO")
    values = (
        int(imo) if imo and int(imo) > 0 else None,
        row["VesselName"].strip() or None,
        row["CallSign"].strip() or None,
        int(row["VesselType"]) if row["VesselType"] else None,
        num(row["Length"]),
        num(row["Width"]),
        num(row["Draft"]),
    )
    return values if any(v is not None for v in values) else None


def _oracle(path: Path) -> tuple[int, int, int, Counter[str]]:
    """Positions, identity runs, identity reports and rejects of the NOAA file, computed with
    the stdlib csv module."""
    positions, identities, reports, rejects = 0, 0, 0, Counter[str]()
    last: dict[int, tuple[object, ...]] = {}
    with gzip.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            mmsi = int(row["MMSI"])
            if not 0 < mmsi <= 999_999_999:
                rejects["bad_mmsi"] += 1
                continue
            positions += 1
            key = _static(row)
            reports += key is not None
            if key is not None and last.get(mmsi) != key:
                last[mmsi] = key
                identities += 1
    return positions, identities, reports, rejects


@pytest.fixture(scope="module")
def noaa(shared_data: Path) -> Decoded:
    return read_csv(shared_data / NOAA)


def test_noaa_counts_match_an_independent_reading(noaa: Decoded, shared_data: Path) -> None:
    positions, identities, reports, rejects = _oracle(shared_data / NOAA)
    assert noaa.positions.num_rows == positions
    assert noaa.identities.num_rows == identities  # runs of equal static fields
    assert pc.sum(noaa.identities.column("n_reports")).as_py() == reports  # every row counts
    assert noaa.reject_counts() == rejects
    assert positions + sum(rejects.values()) == 99_999


def test_noaa_tables_have_the_canonical_schemas(noaa: Decoded) -> None:
    assert noaa.positions.schema.equals(POSITIONS)
    assert noaa.identities.schema.equals(IDENTITIES)
    assert noaa.rejects.schema.equals(REJECTS)


def test_magus_identity_and_position(noaa: Decoded) -> None:
    ids = noaa.identities.filter(pc.equal(noaa.identities.column("mmsi"), 374208000))
    assert ids.num_rows == 1  # repeated on every row, emitted once
    row = ids.to_pylist()[0]
    assert (row["imo"], row["name"], row["callsign"], row["ship_type"]) == (
        9018464,
        "MAGUS",
        "3EUM7",
        80,
    )
    assert row["length_m"] == 268 and row["beam_m"] == 46
    assert row["draught_m"] == pytest.approx(16.9)
    assert row["ts"] == datetime(2022, 1, 3, 0, 2, 59, tzinfo=UTC)
    pos = noaa.positions.filter(pc.equal(noaa.positions.column("mmsi"), 374208000)).to_pylist()
    first = pos[0]
    assert (first["lat"], first["lon"], first["heading_deg"], first["nav_status"]) == (
        37.71043,
        -122.32879,
        157,
        1,
    )
    assert first["ais_class"] == "A" and first["msg_type"] is None
    assert first["source"] == "AIS_2022_01_03_first99999.csv.gz"


def test_noaa_sentinels_become_null(noaa: Decoded) -> None:
    p = noaa.positions
    assert pc.max(p.column("heading_deg")).as_py() <= 359  # 511 and 360 are gone
    assert pc.max(p.column("sog_kn")).as_py() < 102.25  # 102.3 = not available
    assert pc.sum(pc.is_null(p.column("heading_deg"))).as_py() > 0


def test_bad_mmsi_rejects_keep_line_and_raw(noaa: Decoded, shared_data: Path) -> None:
    with gzip.open(shared_data / NOAA, "rt") as f:
        lines = f.read().splitlines()
    for rej in noaa.rejects.to_pylist():
        assert lines[rej["line"] - 1] == rej["raw"]


def test_small_chunks_give_the_same_result(noaa: Decoded, shared_data: Path) -> None:
    parts = list(iter_csv(shared_data / NOAA, chunk_size=300_000))
    assert len(parts) > 5
    joined = Decoded.concat(parts)
    assert joined.positions.equals(noaa.positions)
    order = [("mmsi", "ascending"), ("ts", "ascending"), ("line", "ascending")]
    # identity runs are joined across chunks (they close in another order)
    assert joined.identities.sort_by(order).equals(noaa.identities.sort_by(order))


CRAFTED = "\n".join(
    [
        HEADER,
        GOOD,  # line 2: good
        "374208000,2022-01-03T00:03:59,37.7,-122.3,0.0,81.9",  # 3: wrong field count
        "374208000,2022-01-03T00:04:59,37.7,abc,0.0,81.9,157,MAGUS,,,,,,,,,A",  # 4: bad number
        "374208000,2022-01-03T99:00:00,37.7,-122.3,0.0,81.9,157,,,,,,,,,,A",  # 5: bad time
        "374208000,,37.7,-122.3,0.0,81.9,157,,,,,,,,,,A",  # 6: no time
        "0,2022-01-03T00:05:59,37.7,-122.3,0.0,81.9,157,,,,,,,,,,A",  # 7: bad mmsi
        "374208000,2022-01-03T00:06:59,91,181,0.0,81.9,157,,,,,,,,,,A",  # 8: unavailable
        "374208000,2022-01-03T00:07:59,95,-122.3,0.0,81.9,157,,,,,,,,,,A",  # 9: out of range
        "374208000,2022-01-03T00:08:59,0,0,0.0,81.9,157,,,,,,,,,,A",  # 10: null island
        '374208000,2022-01-03T00:09:59,37.7,-122.3,0.0,81.9,157,"MAGUS,,,,,,,,,A',  # 11: quote
        "",  # 12: empty, skipped
        "374208000,2022-01-03 00:10:59Z,37.7,-122.3,0.0,81.9,157,MAGUS,,,,,,,,,A",  # 13: good
        "374208000,2022-01-03T00:11:59,37.7,-122.3,0.0,81",  # 14: cut off, no newline
    ]
)


def test_every_reject_reason_on_its_own_line() -> None:
    d = _read(CRAFTED)
    got = {r["line"]: r["reason"] for r in d.rejects.to_pylist()}
    assert got == {
        3: "malformed_row",
        4: "malformed_row",
        5: "bad_timestamp",
        6: "no_timestamp",
        7: "bad_mmsi",
        8: "position_unavailable",
        9: "position_out_of_range",
        10: "null_island",
        11: "malformed_row",
        14: "truncated",
    }
    assert d.positions.num_rows == 2  # the good rows of the same chunk survive
    assert d.skipped["empty_line"] == 1
    raws = {r["line"]: r["raw"] for r in d.rejects.to_pylist()}
    assert raws[4] == CRAFTED.split("\n")[3]
    details = {r["line"]: r["detail"] for r in d.rejects.to_pylist()}
    assert "LON" in details[4] and "abc" in details[4]


def test_strict_stops_at_the_first_reject() -> None:
    with pytest.raises(StrictInputError, match="malformed_row"):
        _read(CRAFTED, strict=True)


def test_snake_case_dialect_puts_longitude_first() -> None:
    row = (
        "366996430,2026-03-31 00:00:00,-82.55641,38.40362,0.1,295.2,100,"
        "CAPT JEFF IRBY,,WDK7088,31,12,20,8,3.3,,A"
    )
    p = _read(f"{SNAKE}\n{row}\n").positions.to_pylist()[0]
    assert (p["lat"], p["lon"]) == (38.40362, -82.55641)
    assert p["ts"] == datetime(2026, 3, 31, tzinfo=UTC)


def test_user_column_mapping_and_delimiter() -> None:
    text = "ship_id;time;y;x;knots\n366999999;2022-01-03T01:00:00+01:00;10.5;20.5;3.5\n"
    cols = {"mmsi": "ship_id", "ts": "time", "lat": "y", "lon": "x", "sog": "knots"}
    p = _read(text, columns=cols).positions.to_pylist()[0]
    assert p["mmsi"] == 366999999 and p["sog_kn"] == 3.5
    assert p["ts"] == datetime(2022, 1, 3, 0, 0, tzinfo=UTC)  # offset applied


def test_missing_required_column_is_a_format_error() -> None:
    with pytest.raises(FormatError) as err:
        _read("MMSI,LAT,LON\n1,2,3\n")
    assert "ts" in str(err.value) and "MMSI, LAT, LON" in str(err.value)


def test_mapping_to_an_absent_column_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="no such column"):
        _read(f"{HEADER}\n{GOOD}\n", columns={"ts": "when"})


def test_unknown_mapping_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown column mapping key"):
        _read(f"{HEADER}\n{GOOD}\n", columns={"speed_mph": "SOG"})


def test_identity_emitted_again_when_static_fields_change() -> None:
    renamed = GOOD.replace("MAGUS", "FREEDOM").replace("00:02:59", "00:09:59")
    d = _read(f"{HEADER}\n{GOOD}\n{GOOD}\n{renamed}\n{GOOD}\n")
    assert d.identities.column("name").to_pylist() == ["MAGUS", "FREEDOM", "MAGUS"]
    assert d.positions.num_rows == 4


def test_rows_without_static_fields_give_no_identity() -> None:
    row = "366999999,2022-01-03T00:00:00,37.7,-122.3,0.0,81.9,511,,IMO0000000,,,,0,0,,,B"
    d = _read(f"{HEADER}\n{row}\n")
    assert d.positions.num_rows == 1 and d.identities.num_rows == 0


def test_crlf_and_latin1_are_read() -> None:
    row = GOOD.replace("MAGUS", "SEÑORA")
    data = f"{HEADER}\r\n{row}\r\n".encode("latin-1")
    d = read_csv(io.BytesIO(data), file="x.csv")
    assert d.identities.column("name").to_pylist() == ["SEÑORA"]
    assert d.positions.column("ais_class").to_pylist() == ["A"]


def test_empty_file_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="empty"):
        _read("")


def test_truncated_gzip_keeps_the_rows_before_the_cut(tmp_path: Path) -> None:
    rows = [GOOD.replace("00:02:59", f"00:{m:02d}:{s:02d}") for m in range(60) for s in range(60)]
    data = gzip.compress(("\n".join([HEADER, *rows]) + "\n").encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    d = read_csv(cut)
    reasons = d.reject_counts()
    assert reasons["truncated"] >= 1 and set(reasons) <= {"truncated", "malformed_row"}
    n = d.positions.num_rows
    assert 0 < n < len(rows)
    whole = _read("\n".join([HEADER, *rows[:n]]) + "\n")
    assert d.positions.drop_columns(["source"]).equals(whole.positions.drop_columns(["source"]))


def _rows(n: int) -> list[str]:
    return [GOOD.replace("00:02:59", f"00:{i // 60:02d}:{i % 60:02d}") for i in range(n)]


def test_zip_and_zstd_as_marinecadastre_publishes_them(tmp_path: Path) -> None:
    import zipfile

    import pyarrow as pa

    text = "\n".join([HEADER, *_rows(500)]) + "\n"
    zipped = tmp_path / "AIS_2022_01_03.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("AIS_2022_01_03.csv", text)
    zst = tmp_path / "ais-2022-01-03.csv.zst"
    with pa.CompressedOutputStream(str(zst), "zstd") as out:
        out.write(text.encode())
    for path in (zipped, zst):
        d = read_csv(path)
        assert d.positions.num_rows == 500 and d.rejects.num_rows == 0, path


def test_truncated_zstd_keeps_rows(tmp_path: Path) -> None:
    import pyarrow as pa

    full = tmp_path / "full.csv.zst"
    with pa.CompressedOutputStream(str(full), "zstd") as out:
        out.write(("\n".join([HEADER, *_rows(3600)]) + "\n").encode())
    cut = tmp_path / "cut.csv.zst"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    d = read_csv(cut)
    assert d.reject_counts()["truncated"] == 1
    assert 0 < d.positions.num_rows < 3600


def test_header_only_file_gives_nothing() -> None:
    d = _read(HEADER)
    assert d.positions.num_rows == 0 and d.rejects.num_rows == 0


FIELD = st.one_of(
    st.sampled_from(["", "0", "511", "91", "181", "-0.5", "1e3", "IMO9018464", "A", "nan"]),
    st.sampled_from(["2022-01-03T00:00:00", "2022-13-01", "x", '"', '""', "a,b", " "]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
)
LINE = st.one_of(
    st.lists(FIELD, min_size=0, max_size=20).map(",".join),
    st.just(GOOD),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(LINE, max_size=25), st.integers(min_value=1, max_value=400))
def test_garbage_never_crashes_and_every_line_is_accounted_for(
    lines: list[str], chunk_size: int
) -> None:
    body = "\n".join(ln.replace("\n", " ").replace("\r", " ") for ln in lines)
    data = f"{HEADER}\n{body}".encode()
    d = Decoded.concat(list(iter_csv(io.BytesIO(data), file="g.csv", chunk_size=chunk_size)))
    whole = read_csv(io.BytesIO(data), file="g.csv")
    assert d.positions.equals(whole.positions) and d.identities.equals(whole.identities)
    n_lines = len(data.decode().split("\n")) - 1
    empty = sum(1 for ln in data.decode().split("\n")[1:] if not ln.strip())
    assert d.positions.num_rows + d.rejects.num_rows + empty == n_lines
    lines_seen = d.rejects.column("line").to_pylist()
    assert len(set(lines_seen)) == len(lines_seen)  # one reject per line at most


def test_binary_without_line_breaks_is_a_format_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import watchkeeper.ingest.csv as reader

    monkeypatch.setattr(reader, "_MAX_LINE_BYTES", 1000)
    with pytest.raises(FormatError, match="no line break"):
        list(iter_csv(io.BytesIO(HEADER.encode() + b"\x00" * 5000), chunk_size=100))


def test_a_stray_quote_does_not_swallow_the_next_lines() -> None:
    d = _read(f'{HEADER}\n0","\n0\n{GOOD}\n')
    assert d.positions.num_rows == 1
    assert {r["line"]: r["reason"] for r in d.rejects.to_pylist()} == {
        2: "malformed_row",
        3: "malformed_row",
    }


def test_mmsi_beyond_float_precision_is_rejected_not_fatal() -> None:
    """Found by fuzzing: an MMSI above 2**53 made the range check raise ArrowInvalid."""
    row = GOOD.replace("374208000", "53800736338007363")
    out = _read(f"{HEADER}\n{row}\n{GOOD}\n")
    assert out.positions.num_rows == 1
    assert out.rejects.num_rows == 1
