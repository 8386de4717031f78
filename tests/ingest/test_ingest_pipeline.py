"""Ingest into a workspace: idempotent, streaming, strict on request, never silently lossy."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from watchkeeper import StrictInputError, Workspace, ingest_files
from watchkeeper.ingest.pipeline import ingest_file

NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"
KYST = "nmea/kystverket/Ais1000Lines.nm4"


def test_same_file_twice_adds_nothing(shared_data: Path, workspace: Workspace) -> None:
    first = ingest_file(workspace, shared_data / KYST)
    assert (first.positions, first.identities) == (743, 129)
    again = ingest_file(workspace, shared_data / KYST)
    assert again.already_ingested and again.positions == 0
    assert workspace.count("positions") == 743
    assert workspace.rejects().num_rows == first.n_rejects


def test_copy_under_another_name_is_the_same_source(
    shared_data: Path, workspace: Workspace, tmp_path: Path
) -> None:
    copy = tmp_path / "renamed.txt"
    copy.write_bytes((shared_data / KYST).read_bytes())
    ingest_file(workspace, shared_data / KYST)
    assert ingest_file(workspace, copy).already_ingested


def test_folder_walk_passes_over_non_data(shared_data: Path, workspace: Workspace) -> None:
    summaries = ingest_files([shared_data / "nmea/kystverket"], workspace)
    by_name = {Path(s.file).name: s for s in summaries}
    assert by_name["Ais1000Lines.nm4"].positions == 743
    assert by_name["README_licence_excerpt.md"].not_ingested is not None
    assert "not recognised" in (by_name["README_licence_excerpt.md"].not_ingested or "")


def test_rejects_are_stored_with_reason_and_line(shared_data: Path, workspace: Workspace) -> None:
    summary = ingest_file(workspace, shared_data / "nmea/pyais/nmea_data_sample.txt")
    assert summary.positions == 0
    assert summary.rejects == {"no_timestamp": 878, "broken_multipart": 20}
    table = workspace.rejects().sort_by("line").select(["line", "reason", "detail"])
    rows = [tuple(r.values()) for r in table.to_pylist()]
    assert len(rows) == 898
    assert rows[0][0] == 1 and rows[0][1] == "no_timestamp"
    assert "--time" in rows[0][2]


def test_time_policy_keeps_untimed_sentences(shared_data: Path, workspace: Workspace) -> None:
    from datetime import UTC, datetime

    when = datetime(2024, 5, 1, tzinfo=UTC)
    summary = ingest_file(workspace, shared_data / "nmea/pyais/nmea_data_sample.txt", time=when)
    assert summary.positions == 758
    ts = workspace.read("positions").column("ts").to_pylist()
    assert set(ts) == {when}


def test_strict_stops_and_leaves_nothing(shared_data: Path, workspace: Workspace) -> None:
    with pytest.raises(StrictInputError, match="no_timestamp"):
        ingest_file(workspace, shared_data / "nmea/pyais/nmea_data_sample.txt", strict=True)
    assert workspace.count("positions") == 0
    assert not list(workspace.path.glob("positions/*/*"))


def test_truncated_gzip_keeps_the_good_part(shared_data: Path, workspace: Workspace) -> None:
    data = (shared_data / NOAA).read_bytes()
    cut = workspace.path.parent / "cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    summary = ingest_file(workspace, cut)
    assert summary.rejects["truncated"] == 1
    total_rows = len(gzip.decompress(data).splitlines()) - 1
    assert 0.3 * total_rows < summary.positions < total_rows


def test_noaa_round_trip_through_the_workspace(shared_data: Path, tmp_path: Path) -> None:
    from watchkeeper.publish.positions import export_positions

    ws1 = Workspace(tmp_path / "a")
    ingest_file(ws1, shared_data / NOAA)
    out = tmp_path / "export.csv"
    with out.open("wb") as f:
        # 99,994 valid rows less 2 duplicates of MMSI 338120363: line 2814 repeats line 316,
        # line 2802 (00:00:01) says what line 335 (00:00:00) said
        assert export_positions(ws1, f, fmt="csv") == 99_992
    ws2 = Workspace(tmp_path / "b")
    ingest_file(ws2, out)
    # The CSV has no column for the source, the quality flags or the source line;
    # every measured value survives.
    key = [(k, "ascending") for k in ["mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg"]]
    a = ws1.read("positions").drop_columns(["source", "quality", "line"]).sort_by(key)
    b = ws2.read("positions").drop_columns(["source", "quality", "line"]).sort_by(key)
    assert a.equals(b)


def test_format_errors_name_the_file(workspace: Workspace, tmp_path: Path) -> None:
    from watchkeeper import FormatError

    bad = tmp_path / "wrongcols.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(FormatError, match=r"wrongcols\.csv: .*lacks required column"):
        ingest_file(workspace, bad)
    assert workspace.count("positions") == 0


def test_rejects_are_written_in_batches_and_all_kept(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa

    from watchkeeper.ingest.pipeline import _RejectBuffer
    from watchkeeper.ingest.validate import make_rejects

    calls: list[int] = []
    real = workspace.add_rejects

    def counting(ingest_id: str, table: pa.Table) -> None:
        calls.append(table.num_rows)
        real(ingest_id, table)

    monkeypatch.setattr(workspace, "add_rejects", counting)
    buffer = _RejectBuffer(workspace, "abcd", limit=5)
    for start in range(0, 12, 3):  # four chunks of three rejects
        lines = list(range(start + 1, start + 4))
        buffer.add(make_rejects("f", lines, ["malformed_sentence"] * 3, ["x"] * 3, ["d"] * 3))
    buffer.flush()
    assert calls == [6, 6]  # held until 5 rows are reached, then written at once
    assert workspace.rejects(ingest_id="abcd").column("line").to_pylist() == list(range(1, 13))
