"""JSON reader: a real Global Fishing Watch track (JSON lines), AISHub JSON, bad lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from watchkeeper.errors import FormatError, StrictInputError
from watchkeeper.ingest.csv import read_csv
from watchkeeper.ingest.jsonl import iter_json, read_json
from watchkeeper.ingest.sources import detect_format

DATA = Path(__file__).resolve().parents[1] / "data"
GFW = DATA / "gfw_416000000_tracks.jsonl.gz"


def test_gfw_track_is_read_whole() -> None:
    decoded = read_json(GFW)
    assert decoded.rejects.num_rows == 0
    assert decoded.positions.num_rows == 1668  # every line of the file
    pos = decoded.positions
    assert pc.unique(pos.column("mmsi")).to_pylist() == [416000000]
    assert pos.column("line").to_pylist()[:3] == [1, 2, 3]
    first = pos.slice(0, 1).to_pylist()[0]
    assert first["ts"].isoformat() == "2014-01-01T01:14:25+00:00"
    assert (round(first["lat"], 4), round(first["lon"], 4)) == (22.5682, 120.3109)
    assert detect_format(GFW) == "json"


def test_chunks_keep_line_numbers() -> None:
    parts = list(iter_json(GFW, chunk_rows=500))
    assert len(parts) > 2
    lines = [n for p in parts for n in p.positions.column("line").to_pylist()]
    assert lines == list(range(1, 1669))


def test_aishub_json_equals_its_csv() -> None:
    from_json = read_json(DATA / "aishub_2022_01_03.json")
    assert from_json.rejects.num_rows == 0 and from_json.positions.num_rows == 300
    doc = json.loads((DATA / "aishub_2022_01_03.json").read_text())
    header = list(doc[1][0])
    rows = [",".join(str(r[k]) for k in header) for r in doc[1]]
    from_csv = read_csv(io.BytesIO(("\n".join([",".join(header), *rows]) + "\n").encode()))
    for col in ("mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg", "heading_deg"):
        assert from_json.positions.column(col).equals(from_csv.positions.column(col)), col
    lengths = from_json.identities.column("length_m").to_pylist()
    assert any(v and v > 100 for v in lengths)  # A + B


def test_bad_lines_are_quarantined_not_fatal() -> None:
    good = '{"ssvid": 416000000, "lat": 22.5, "lon": 120.3, "timestamp": "2014-01-01 01:14:25"}'
    data = "\n".join([good, "{not json", "[1, 2]", "", good.replace("22.5", "95")]) + "\n"
    decoded = read_json(io.BytesIO(data.encode()))
    assert decoded.positions.num_rows == 1
    reasons = dict(
        zip(
            decoded.rejects.column("line").to_pylist(),
            decoded.rejects.column("reason").to_pylist(),
            strict=True,
        )
    )
    assert reasons == {2: "malformed_row", 3: "malformed_row", 5: "position_out_of_range"}
    assert decoded.skipped == {"empty_line": 1}
    with pytest.raises(StrictInputError):
        read_json(io.BytesIO(data.encode()), strict=True)


def test_unmappable_json_and_aishub_errors_say_so() -> None:
    with pytest.raises(FormatError, match=r"ssvid|mmsi"):
        read_json(io.BytesIO(b'{"id": 1, "when": "2014-01-01"}\n'))
    with pytest.raises(FormatError, match="AISHub"):
        read_json(io.BytesIO(b'[{"ERROR": true, "ERROR_MESSAGE": "Too frequent requests!"}]'))
    with pytest.raises(FormatError, match="empty"):
        read_json(io.BytesIO(b"\n\n"))
    decoded = read_json(
        io.BytesIO(b'{"MMSI": 1, "TIME": "x", "LATITUDE": 1, "LONGITUDE": 1}\n'),
        columns={"mmsi": "MMSI"},
        layout="aishub",
    )
    assert decoded.rejects.column("reason").to_pylist() == ["bad_timestamp"]
