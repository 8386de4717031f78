"""Framing: tag blocks, trailers, $PGHP, multi-part reassembly, time policy, framing rejects."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from nmea_helpers import encoded, sentence, tagged

from watchkeeper.ingest.nmea_framing import (
    FRAMES,
    NO_TIMESTAMP_DETAIL,
    FramingLimits,
    TagBlock,
    iter_frames,
    nmea_checksum,
    parse_tag_block,
    parse_trailer,
)
from watchkeeper.schema import REJECTS

T0 = 1_600_000_000  # 2020-09-13T12:26:40Z
POS = "15NBj>PP1gG>1PVKTDTUJOv00<0M"  # a real type 1 (gatehouse.nmea)


def frame(lines: list[str], **kw: object) -> tuple[pa.Table, pa.Table, Counter[str]]:
    """All frames, rejects and skip counts of ``lines`` as single tables."""
    chunks = list(iter_frames(lines, file="t.nmea", **kw))  # type: ignore[arg-type]
    frames = pa.concat_tables([c.frames for c in chunks]) if chunks else FRAMES.empty_table()
    rejects = pa.concat_tables([c.rejects for c in chunks]) if chunks else REJECTS.empty_table()
    skipped: Counter[str] = Counter()
    for c in chunks:
        skipped.update(c.skipped)
    return frames, rejects, skipped


def reasons(rejects: pa.Table) -> Counter[str]:
    return Counter(rejects.column("reason").to_pylist())


def ms(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


# ----------------------------------------------------------------- parsing pieces


def test_checksum_of_known_sentence() -> None:
    assert nmea_checksum("AIVDM,1,1,,B,15NBj>PP1gG>1PVKTDTUJOv00<0M,0") == 0x09


@pytest.mark.parametrize(
    ("c", "expected_ms"),
    [
        ("1418169601", 1418169601000),  # seconds
        ("1418169601123", 1418169601123),  # milliseconds (> 1e11)
        ("1418169601.5", 1418169601500),  # fractional seconds
    ],
)
def test_tag_block_time_seconds_or_milliseconds(c: str, expected_ms: int) -> None:
    fields = f"s:rX,c:{c},g:1-2-77"
    block = parse_tag_block(f"{fields}*{nmea_checksum(fields):02X}")
    assert isinstance(block, TagBlock)
    assert block == TagBlock(expected_ms, "rX", (1, 2, "77"))


def test_trailer_time_is_last_unix_field_and_station_first_r_or_b() -> None:
    ts, station = parse_trailer(
        ",d-109,S2105,t050056.00,T56.13718694,r003669946,1325394060,1325394001"
    )
    assert ts == 1325394001000
    assert station == "r003669946"
    assert parse_trailer(",b003669794,1272412827") == (1272412827000, "b003669794")
    assert parse_trailer(",d-109,S9999") == (None, None)


# ----------------------------------------------------------------- sources of time


def test_tag_block_time_and_source_and_any_talker() -> None:
    lines = [tagged(f"s:rA,c:{T0}", sentence(POS, talker="BS"))]
    frames, rejects, _ = frame(lines)
    assert rejects.num_rows == 0
    row = frames.to_pylist()[0]
    assert row["ts"] == ms(T0)
    assert row["source"] == "rA"
    assert row["time_assumed"] is False
    assert row["payload"] == POS
    assert row["line"] == 1
    assert row["raw"] == lines[0]


def test_tag_block_time_in_milliseconds() -> None:
    frames, _, _ = frame([tagged(f"c:{T0}250", sentence(POS))])
    assert frames.column("ts").to_pylist() == [datetime.fromtimestamp(T0 + 0.25, UTC)]


def test_trailer_gives_time_and_station() -> None:
    frames, _, _ = frame([sentence(POS, trailer=f",b003669794,{T0}")])
    assert frames.to_pylist()[0]["ts"] == ms(T0)
    assert frames.to_pylist()[0]["source"] == "b003669794"


def test_pghp_times_only_the_next_sentence() -> None:
    body = "PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09"
    pghp = f"${body}*{nmea_checksum(body):02X}"
    frames, rejects, _ = frame([pghp, sentence(POS), sentence(POS)])
    assert frames.column("ts").to_pylist() == [datetime(2008, 5, 9, 0, 0, 0, 10_000, UTC)]
    assert reasons(rejects) == {"no_timestamp": 1}


def test_pghp_with_impossible_date_is_bad_timestamp() -> None:
    body = "PGHP,1,2008,13,9,0,0,0,10,338,2,,1,09"
    _, rejects, _ = frame([f"${body}*{nmea_checksum(body):02X}"])
    assert reasons(rejects) == {"bad_timestamp": 1}


# ----------------------------------------------------------------- time policy


def test_no_time_without_policy_rejects_with_hint() -> None:
    frames, rejects, _ = frame([sentence(POS)])
    assert frames.num_rows == 0
    row = rejects.to_pylist()[0]
    assert row["reason"] == "no_timestamp"
    assert row["detail"] == NO_TIMESTAMP_DETAIL
    assert "--time <ISO time>" in row["detail"]
    assert "--time file-order" in row["detail"]


def test_explicit_time_policy_is_assumed() -> None:
    when = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    frames, rejects, _ = frame([sentence(POS), tagged(f"c:{T0}", sentence(POS))], time=when)
    assert rejects.num_rows == 0
    assert frames.column("ts").to_pylist() == [when, ms(T0)]
    assert frames.column("time_assumed").to_pylist() == [True, False]


def test_file_order_uses_previous_timed_line() -> None:
    lines = [
        sentence(POS),  # nothing timed yet: rejected
        tagged(f"c:{T0}", sentence(POS)),
        sentence(POS),
        tagged(f"c:{T0 + 60}", sentence(POS)),
        sentence(POS),
    ]
    frames, rejects, _ = frame(lines, time="file-order")
    assert reasons(rejects) == {"no_timestamp": 1}
    assert rejects.column("line").to_pylist() == [1]
    assert frames.column("ts").to_pylist() == [ms(T0), ms(T0), ms(T0 + 60), ms(T0 + 60)]
    assert frames.column("time_assumed").to_pylist() == [False, True, False, True]


@pytest.mark.parametrize("c", ["abc", "12415440354000000", "100"])
def test_impossible_tag_time_is_bad_timestamp(c: str) -> None:
    _, rejects, _ = frame([tagged(f"c:{c}", sentence(POS))])
    assert reasons(rejects) == {"bad_timestamp": 1}


# ----------------------------------------------------------------- rejects and skips


def test_bad_sentence_checksum() -> None:
    line = sentence(POS)[:-2] + "00"
    _, rejects, _ = frame([tagged(f"c:{T0}", line)])
    assert reasons(rejects) == {"bad_checksum": 1}


def test_bad_tag_block_checksum() -> None:
    line = f"\\c:{T0}*00\\{sentence(POS)}"
    _, rejects, _ = frame([line])
    assert reasons(rejects) == {"bad_checksum": 1}
    assert rejects.column("raw").to_pylist() == [line]


def test_tag_block_checksum_that_omits_the_group_field_is_accepted() -> None:
    """The Norwegian feed's quirk: g: added after the checksum was computed."""
    fields = f"c:{T0}"
    line = f"\\g:1-1-9999,{fields}*{nmea_checksum(fields):02X}\\{sentence(POS)}"
    frames, rejects, _ = frame([line])
    assert (frames.num_rows, rejects.num_rows) == (1, 0)


@pytest.mark.parametrize(
    "line",
    [
        "foobar",
        "!AIVDM,1,1,,B,15N4cJ005Jrek0H@9nDW5608EP,013",  # no checksum
        f"!AIVDM,1,1,,A,{POS},0*ZZ",  # checksum not hex
        "\\c:1600000000\\" + sentence(POS),  # tag block without checksum
        "\\c:1600000000*52",  # unterminated tag block
    ],
)
def test_malformed_sentences(line: str) -> None:
    _, rejects, _ = frame([line], time=datetime(2020, 1, 1, tzinfo=UTC))
    assert reasons(rejects) == {"malformed_sentence": 1}


def test_wrong_field_count_with_right_checksum_is_malformed() -> None:
    body = f"AIVDM,1,1,,A,extra,{POS},0"
    _, rejects, _ = frame([f"!{body}*{nmea_checksum(body):02X}"])
    assert reasons(rejects) == {"malformed_sentence": 1}


def test_skips_are_counted_by_kind() -> None:
    lines = ["# a comment", "", "   ", "$GPGGA,184353.07,1929.045,S*6D", "!AIALR,1,2*00"]
    frames, rejects, skipped = frame(lines)
    assert frames.num_rows == rejects.num_rows == 0
    assert skipped == {"comment": 1, "blank": 2, "other_sentence": 2}


# ----------------------------------------------------------------- multi-part


def five(mmsi: int, name: str) -> dict[str, object]:
    return {"type": 5, "mmsi": mmsi, "shipname": name, "callsign": "AB1234", "imo": 9074729}


def test_interleaved_multipart_groups_reassemble() -> None:
    a1, a2 = encoded(five(211000001, "ALPHA"), seq="1", channel="A")
    b1, b2 = encoded(five(211000002, "BRAVO"), seq="2", channel="A")
    c1, c2 = encoded(five(211000003, "CHARLIE"), seq="1", channel="B")
    lines = [a1, b1, c1, sentence(POS), b2, c2, a2]
    frames, rejects, _ = frame(lines, time=datetime(2020, 1, 1, tzinfo=UTC))
    assert rejects.num_rows == 0
    rows = frames.to_pylist()
    assert [r["line"] for r in rows] == [4, 2, 3, 1]  # emitted when complete
    assert rows[1]["raw"] == f"{b1}\n{b2}"
    assert rows[3]["payload"] == a1.split(",")[5] + a2.split(",")[5]
    assert rows[3]["fill_bits"] == int(a2.split(",")[6][0])


def test_tag_block_group_takes_time_and_source_of_first_fragment() -> None:
    p1, p2 = encoded(five(211000001, "ALPHA"), seq="6")
    lines = [
        tagged(f"g:1-2-1604,s:rORB,c:{T0}", p1),
        tagged(f"c:{T0 + 5}", sentence(POS)),
        tagged("g:2-2-1604,n:2", p2),
    ]
    frames, rejects, _ = frame(lines)
    assert rejects.num_rows == 0
    rows = frames.to_pylist()
    grouped = next(r for r in rows if r["line"] == 1)
    assert grouped["ts"] == ms(T0)
    assert grouped["source"] == "rORB"


def test_same_group_id_different_sequence_ids_do_not_mix() -> None:
    """Kystverket uses group id 9999 for every group; the sentence sequence id separates them."""
    a1, a2 = encoded(five(211000001, "ALPHA"), seq="3")
    b1, b2 = encoded(five(211000002, "BRAVO"), seq="4")
    lines = [
        tagged(f"g:1-2-9999,c:{T0}", a1),
        tagged(f"g:1-2-9999,c:{T0}", b1),
        tagged(f"g:2-2-9999,c:{T0}", a2),
        tagged(f"g:2-2-9999,c:{T0}", b2),
    ]
    frames, rejects, _ = frame(lines)
    assert rejects.num_rows == 0
    expected = [x.split(",")[5] + y.split(",")[5] for x, y in ((a1, a2), (b1, b2))]
    assert sorted(frames.column("payload").to_pylist()) == sorted(expected)


def test_broken_multipart_per_fragment() -> None:
    a1, a2 = encoded(five(211000001, "ALPHA"), seq="1")
    b1, _ = encoded(five(211000002, "BRAVO"), seq="2")
    c1, c2 = encoded(five(211000003, "CHARLIE"), seq="3")
    lines = [
        a2,  # part 2 without part 1
        b1,  # never completes
        c1,
        c1,  # a new part 1 with the same id: the first one is broken
        c2,
        a1,  # never completes (input ends)
    ]
    frames, rejects, _ = frame(lines, time=datetime(2020, 1, 1, tzinfo=UTC))
    assert frames.num_rows == 1
    assert frames.column("line").to_pylist() == [4]
    assert reasons(rejects) == {"broken_multipart": 4}
    assert sorted(rejects.column("line").to_pylist()) == [1, 2, 3, 6]


def test_out_of_order_part_breaks_the_group() -> None:
    msg = {"type": 8, "mmsi": 211000001, "dac": 1, "fid": 1, "data": b"\xff" * 100}
    parts = encoded(msg, seq="5")
    assert len(parts) == 3
    frames, rejects, _ = frame([parts[0], parts[2], parts[1]], time="file-order")
    assert frames.num_rows == 0
    assert reasons(rejects) == {"broken_multipart": 3}


def test_pending_groups_are_bounded() -> None:
    lines = [encoded(five(211000000 + i, "X"), seq=str(i))[0] for i in range(5)]
    _, rejects, _ = frame(lines, limits=FramingLimits(max_pending=2))
    assert reasons(rejects) == {"broken_multipart": 5}


# ----------------------------------------------------------------- streaming


def test_chunks_are_bounded_and_complete(shared_data: Path) -> None:
    path = shared_data / "nmea" / "kystverket" / "Ais1000Lines.nm4"
    lines = path.read_text().splitlines()
    whole, whole_rej, _ = frame(lines)
    chunks = list(iter_frames(lines, file="k", chunk_size=100))
    assert all(c.frames.num_rows + c.rejects.num_rows <= 100 for c in chunks)
    assert len(chunks) >= 8
    joined = pa.concat_tables([c.frames for c in chunks])
    assert joined.equals(whole)
    assert joined.schema.equals(FRAMES)
    # every line of the Norwegian sample is a kept fragment: 754 single + 123 pairs
    assert (whole.num_rows, whole_rej.num_rows) == (877, 0)


def test_group_of_single_sentences_shares_the_first_time_and_source() -> None:
    """NMEA 4.10 may group whole sentences: g:2-2 without c:/s: takes them from g:1-2."""
    lines = [
        tagged(f"g:1-2-42,s:rX,c:{T0}", sentence(POS)),
        tagged("g:2-2-42", sentence(POS, channel="B")),
        sentence(POS),  # the group is over: no time again
    ]
    frames, rejects, _ = frame(lines)
    assert frames.column("ts").to_pylist() == [ms(T0), ms(T0)]
    assert frames.column("source").to_pylist() == ["rX", "rX"]
    assert frames.column("time_assumed").to_pylist() == [False, False]
    assert rejects.column("line").to_pylist() == [3]


def test_source_is_null_without_tag_or_station() -> None:
    frames, _, _ = frame([tagged(f"c:{T0}", sentence(POS))])
    assert frames.column("source").to_pylist() == [None]


# ----------------------------------------------------------------- multi-part limits

# The reproduction of the fault report: part 1 and part 2 of sequence id 3, 25 hours apart.
FAR_1 = (
    "!AIVDM,2,1,3,A,53m62@@0000044440004i0P4000000000000000000000000003lk3p20DPS,0*42,1700000000"
)
FAR_2 = "!AIVDM,2,2,3,A,j84E@FH6000,2*7C,1700090000"


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_parts_hours_apart_are_not_joined(engine: str) -> None:
    from watchkeeper.ingest.nmea import read_nmea

    out = read_nmea([FAR_1, FAR_2], engine=engine)  # type: ignore[arg-type]
    assert out.identities.num_rows == 0 and out.positions.num_rows == 0
    assert reasons(out.rejects) == {"broken_multipart": 2}
    assert "90,000 s after part 1" in out.rejects.column("detail")[1].as_py()


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_parts_seconds_apart_are_joined(engine: str) -> None:
    from watchkeeper.ingest.nmea import read_nmea

    near = FAR_2.replace("1700090000", "1700000002")
    out = read_nmea([FAR_1, near], engine=engine)  # type: ignore[arg-type]
    assert out.rejects.num_rows == 0 and out.identities.num_rows == 1


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_tagged_parts_far_apart_are_not_joined(engine: str) -> None:
    """Adjacent tag-block lines (the vectorised path's bulk pairs) obey the same bound."""
    from watchkeeper.ingest.nmea import read_nmea

    a1, a2 = encoded(five(211000001, "ALPHA"), seq="1", channel="A")
    lines = [tagged(f"s:r1,c:{T0}", a1), tagged(f"s:r1,c:{T0 + 3600}", a2)]
    out = read_nmea(lines, engine=engine)  # type: ignore[arg-type]
    assert reasons(out.rejects) == {"broken_multipart": 2}
    lines[1] = tagged(f"s:r1,c:{T0 + 1}", a2)
    assert read_nmea(lines, engine=engine).identities.num_rows == 1  # type: ignore[arg-type]


def test_untimed_parts_many_lines_apart_are_not_joined() -> None:
    a1, a2 = encoded(five(211000001, "ALPHA"), seq="1", channel="A")
    filler = [sentence(POS)] * 1_000
    frames, rejects, _ = frame([a1, *filler, a2], time=datetime(2020, 1, 1, tzinfo=UTC))
    assert reasons(rejects) == {"broken_multipart": 2}
    assert frames.num_rows == 1_000
    frames, rejects, _ = frame([a1, *filler[:998], a2], time=datetime(2020, 1, 1, tzinfo=UTC))
    assert rejects.num_rows == 0 and frames.num_rows == 999


def test_pghp_with_huge_numbers_is_bad_timestamp() -> None:
    """Found by fuzzing: a field beyond a C int raised OverflowError."""
    body = "PGHP,1,2010,6,11,11,46,11929,24411929,244,0,,1,72"
    _, rejects, _ = frame([f"${body}*{nmea_checksum(body):02X}", sentence(POS)])
    assert reasons(rejects)["bad_timestamp"] == 1
