"""read_nmea / iter_nmea on every real NMEA file: exact counts, time policy, gzip, strict.

The counts were cross-checked independently: ``grep`` for lines and fragments, and
``pyais.decode`` line by line for message types and impossible positions (see the comments).
"""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nmea_helpers import sentence, tagged

from watchkeeper.errors import FormatError, StrictInputError
from watchkeeper.ingest.nmea import iter_nmea, read_nmea
from watchkeeper.schema import Decoded, Quality

NOW = datetime(2020, 1, 1, tzinfo=UTC)
POS = "15NBj>PP1gG>1PVKTDTUJOv00<0M"

# libais test.aivdm: message types of its 261 messages (pyais.decode per message).
TEST_AIVDM_OTHER = {
    4: 3, 6: 10, 7: 6, 8: 13, 9: 6, 10: 7, 11: 7, 12: 10, 13: 6, 14: 12, 15: 18, 16: 9,
    17: 7, 20: 13, 21: 9, 22: 9, 23: 13, 25: 16, 26: 17, 28: 17,
}  # fmt: skip
TYPEEXAMPLES_OTHER = dict.fromkeys(set(range(1, 28)) - {1, 2, 3, 5, 18, 19, 24, 27}, 1)

# (file, time option) -> positions, identities, rejects by reason, skipped by kind
CASES: dict[tuple[str, str | None], tuple[int, int, dict[str, int], dict[str, int]]] = {
    # 1000 lines: 754 single + 123 two-part type 5 = 877 messages; 621 type 1 + 115 type 3
    # + 12 type 18 = 748 positions, of which 5 with lat 91 / lon 181; 123 type 5 + 6 type 24.
    ("kystverket/Ais1000Lines.nm4", None): (743, 129, {"position_unavailable": 5}, {}),
    # 5 lines: 3 type 1 + one 2-part type 5 (tag-block group g:1-2-1604)
    ("libais/tagblock.nmea", None): (3, 1, {}, {}),
    # 263 sentences (2 two-part type 5) = 261 messages; 41 position reports: 7 type 27 too
    # short to decode, 6 off the globe; 15 identities = 2 type 5 + 3 type 19 + 10 type 24
    (
        "libais/test.aivdm",
        None,
    ): (
        28,
        15,
        {"undecodable": 7, "position_out_of_range": 6},
        {"comment": 47, "blank": 35} | {f"msg_type_{t}": n for t, n in TEST_AIVDM_OTHER.items()},
    ),
    # one message per type but 19; type 2 (lat -101.5) and type 27 (lon 200.2) are impossible
    ("libais/typeexamples.nmea", None): (
        3,
        2,
        {"position_out_of_range": 2},
        {f"msg_type_{t}": n for t, n in TYPEEXAMPLES_OTHER.items()},
    ),
    # $PGHP times only the next sentence; one $PGHP has a bad checksum
    ("pyais/gatehouse.nmea", None): (
        1,
        0,
        {"no_timestamp": 3, "bad_checksum": 1},
        {"blank": 2, "comment": 1},
    ),
    ("pyais/gatehouse.nmea", "file-order"): (4, 0, {"bad_checksum": 1}, {"blank": 2, "comment": 1}),
    ("pyais/timestamped.ais", None): (
        1,
        0,
        {"no_timestamp": 3, "bad_checksum": 1},
        {"blank": 2, "comment": 1},
    ),
    # AISHub dispatcher sample: 4 other sentences, 2 garbage lines, 3 tag blocks with a 1-digit
    # checksum (wrong), a bad $PGHP checksum; the SAVDM 2-part group has s:/c: on part 1 only
    ("pyais/mixed.txt", None): (
        1,
        1,
        {"no_timestamp": 8, "malformed_sentence": 2, "bad_checksum": 4},
        {"comment": 5, "blank": 7, "other_sentence": 4},
    ),
    ("pyais/mixed.txt", "file-order"): (
        2,
        1,
        {"no_timestamp": 7, "malformed_sentence": 2, "bad_checksum": 4},
        {"comment": 5, "blank": 7, "other_sentence": 4},
    ),
    # 898 untimed lines: 20 are part 1 of 2 with no part 2
    ("pyais/nmea_data_sample.txt", None): (
        0,
        0,
        {"no_timestamp": 878, "broken_multipart": 20},
        {},
    ),
    # with a time: 100 empty payloads, 762 position reports (4 with lat 91), 2 type 24
    ("pyais/nmea_data_sample.txt", "2020-01-01"): (
        758,
        2,
        {"broken_multipart": 20, "undecodable": 100, "position_unavailable": 4},
        {"msg_type_4": 6, "msg_type_15": 7, "msg_type_20": 1},
    ),
}


def _time(option: str | None) -> datetime | str | None:
    if option is None or option == "file-order":
        return option
    return datetime.fromisoformat(option).replace(tzinfo=UTC)


@pytest.mark.parametrize(("name", "option"), list(CASES))
def test_real_file_counts(shared_data: Path, name: str, option: str | None) -> None:
    decoded = read_nmea(shared_data / "nmea" / name, time=_time(option))  # type: ignore[arg-type]
    positions, identities, rejects, skipped = CASES[name, option]
    assert decoded.positions.num_rows == positions
    assert decoded.identities.num_rows == identities
    assert decoded.reject_counts() == rejects
    assert dict(decoded.skipped) == skipped


def test_every_file_ingests_with_each_time_policy(shared_data: Path) -> None:
    files = sorted((shared_data / "nmea").glob("*/*.*"))
    nmea = [f for f in files if f.suffix not in (".json", ".md", ".csv")]
    assert len(nmea) == 8
    for path in nmea:
        for option in (None, "file-order", NOW):
            decoded = read_nmea(path, time=option)
            assert decoded.positions.column("ts").null_count == 0
            assumed = Quality.TIME_ASSUMED & decoded.positions.column("quality").to_numpy()
            if option is None:
                assert not assumed.any()
            if option is NOW:
                assert "no_timestamp" not in decoded.reject_counts()


def test_untimed_rows_become_assumed_with_a_time(shared_data: Path) -> None:
    path = shared_data / "nmea" / "pyais" / "gatehouse.nmea"
    decoded = read_nmea(path, time=NOW)
    rows = decoded.positions.to_pylist()
    assert len(rows) == 4
    assert [r["quality"] for r in rows] == [0, 2, 2, 2]
    assert [r["ts"] for r in rows][1:] == [NOW, NOW, NOW]


def test_kystverket_type5_is_reassembled_with_its_time(shared_data: Path) -> None:
    decoded = read_nmea(shared_data / "nmea" / "kystverket" / "Ais1000Lines.nm4")
    five = decoded.identities.filter(decoded.identities.column("msg_type").to_numpy() == 5)
    assert five.num_rows == 123
    assert five.column("name").null_count < 5
    first = min(five.column("ts").to_pylist())
    assert first == datetime.fromtimestamp(1565218798, UTC)


def test_gzip_is_detected_by_magic_bytes(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "nmea" / "libais" / "test.aivdm"
    packed = tmp_path / "test.txt"  # no .gz suffix on purpose
    packed.write_bytes(gzip.compress(src.read_bytes()))
    plain, zipped = read_nmea(src), read_nmea(packed)
    assert zipped.positions.equals(plain.positions)
    assert zipped.identities.equals(plain.identities)
    assert zipped.reject_counts() == plain.reject_counts()


def test_truncated_gzip_keeps_the_good_part(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "nmea" / "kystverket" / "Ais1000Lines.nm4"
    data = gzip.compress(src.read_bytes())
    cut = tmp_path / "cut.nm4.gz"
    cut.write_bytes(data[: len(data) // 2])
    decoded = read_nmea(cut)
    assert 0 < decoded.positions.num_rows < 743
    assert decoded.reject_counts()["truncated"] == 1
    with pytest.raises(StrictInputError):
        read_nmea(cut, strict=True)


def test_invalid_bytes_are_replaced_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "bytes.nmea"
    good = tagged("c:1600000000", sentence(POS)).encode()
    path.write_bytes(b"\xff\xfe garbage \x80\n" + good + b"\n")
    decoded = read_nmea(path)
    assert decoded.positions.num_rows == 1
    assert decoded.reject_counts() == {"malformed_sentence": 1}


def test_strict_raises_on_first_reject(shared_data: Path) -> None:
    with pytest.raises(StrictInputError) as info:
        read_nmea(shared_data / "nmea" / "pyais" / "mixed.txt", strict=True)
    assert info.value.reason == "no_timestamp"
    assert info.value.line == 2
    clean = read_nmea(shared_data / "nmea" / "libais" / "tagblock.nmea", strict=True)
    assert clean.positions.num_rows == 3


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError):
        read_nmea(tmp_path / "nope.nmea")


def test_lines_iterable_and_chunking_give_the_same_result(shared_data: Path) -> None:
    path = shared_data / "nmea" / "kystverket" / "Ais1000Lines.nm4"
    lines = path.read_text().splitlines()
    whole = read_nmea(lines)
    chunks = list(iter_nmea(lines, file="k", chunk_size=50))
    assert len(chunks) > 10
    joined = Decoded.concat(chunks)
    assert joined.positions.equals(whole.positions)
    assert joined.identities.equals(whole.identities)
    assert Counter(joined.reject_counts()) == whole.reject_counts()


def test_custom_decoder_is_used() -> None:
    seen: list[int] = []

    def decoder(frames, *, file, type24_names=None):  # type: ignore[no-untyped-def]
        seen.append(frames.num_rows)
        return Decoded()

    list(iter_nmea([tagged("c:1600000000", sentence(POS))], file="x", decoder=decoder))
    assert seen == [1]


def test_rejects_are_in_line_order_for_strict() -> None:
    lines = [tagged("c:1600000000", sentence("")), "foobar"]  # undecodable, then malformed
    decoded = read_nmea(lines)
    assert decoded.rejects.column("reason").to_pylist() == ["undecodable", "malformed_sentence"]
    with pytest.raises(StrictInputError) as info:
        read_nmea(lines, strict=True)
    assert info.value.line == 1


@pytest.mark.parametrize("lines", [[], ["# only a comment"], [""]])
def test_empty_inputs_give_empty_tables(lines: list[str]) -> None:
    decoded = read_nmea(lines)
    assert decoded.positions.num_rows == decoded.identities.num_rows == 0
    assert decoded.rejects.num_rows == 0
