"""The vectorised framing gives exactly the reference framing's frames, rejects and counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nmea_helpers import NMEA_FILES, encoded, sentence, tagged

from watchkeeper.ingest import nmea_fast_bytes, nmea_fast_lines
from watchkeeper.ingest.nmea import open_lines
from watchkeeper.ingest.nmea_framing import FRAMES, iter_frames
from watchkeeper.ingest.nmea_framing_fast import iter_frames_fast
from watchkeeper.ingest.options import FILE_ORDER, TimeOption
from watchkeeper.schema import REJECTS

T0 = 1_600_000_000
POS = "15NBj>PP1gG>1PVKTDTUJOv00<0M"  # a real type 1 (gatehouse.nmea)
POLICIES: list[TimeOption] = [None, datetime(2021, 5, 6, tzinfo=UTC), FILE_ORDER]

Framer = Callable[..., Iterator[Any]]


def run(framer: Framer, lines: list[str], time: TimeOption, chunk: int) -> tuple[Any, ...]:
    """All frames, all rejects and the skip counts of one framing run."""
    frames, rejects, skipped = [FRAMES.empty_table()], [REJECTS.empty_table()], Counter[str]()
    for c in framer(lines, file="f", time=time, chunk_size=chunk):
        frames.append(c.frames)
        rejects.append(c.rejects)
        skipped.update(c.skipped)
    return pa.concat_tables(frames), pa.concat_tables(rejects), skipped


def assert_same_framing(lines: list[str], time: TimeOption = None, chunk: int = 100_000) -> None:
    ref = run(iter_frames, lines, time, chunk)
    fast = run(iter_frames_fast, lines, time, chunk)
    assert fast[0].schema == ref[0].schema
    assert fast[0].to_pylist() == ref[0].to_pylist()
    assert fast[1].to_pylist() == ref[1].to_pylist()
    assert fast[2] == ref[2]


@pytest.mark.parametrize("name", NMEA_FILES)
@pytest.mark.parametrize("time", POLICIES)
@pytest.mark.parametrize("chunk", [5, 100_000])
def test_real_files_frame_identically(
    shared_data: Path, name: str, time: TimeOption, chunk: int
) -> None:
    assert_same_framing(list(open_lines(shared_data / "nmea" / name)), time, chunk)


def test_plain_lines_take_the_fast_path() -> None:
    """Single-part tag-blocked lines become frames without the reference parser."""
    lines = [tagged(f"s:r1,c:{T0 + i}", sentence(POS)) for i in range(5)]
    frames = run(iter_frames_fast, lines, None, 100)[0]
    assert frames.column("line").to_pylist() == [1, 2, 3, 4, 5]
    assert frames.column("source").to_pylist() == ["r1"] * 5
    assert_same_framing(lines)


def _plain(i: int, payload: str = POS) -> str:
    return tagged(f"c:{T0 + i}", sentence(payload))


TYPE5 = {"type": 5, "mmsi": 366_000_001, "shipname": "TEST", "destination": "NAMPO"}


def _line(kind: str, i: int) -> list[str]:
    """One or more lines of a kind, covering every path of the reference framer."""
    lines: dict[str, Callable[[], list[str]]] = {
        "plain": lambda: [_plain(i)],
        "plain_s_first": lambda: [tagged(f"s:rx{i % 3},c:{T0 + i}", sentence(POS))],
        "plain_c_first": lambda: [tagged(f"c:{T0 + i},s:rx{i % 3}", sentence(POS))],
        "plain_empty_source": lambda: [tagged(f"s:,c:{T0 + i}", sentence(POS))],
        "plain_ms": lambda: [tagged(f"c:{(T0 + i) * 1000}", sentence(POS))],
        "plain_bad_time": lambda: [tagged("c:99", sentence(POS))],
        "plain_bad_tag_sum": lambda: [_plain(i).replace("*", "*0", 1)[:-1]],
        "plain_bad_sum": lambda: [_plain(i)[:-2] + "00"],
        "multi": lambda: [tagged(f"c:{T0 + i}", s) for s in encoded(TYPE5, seq=str(i % 10))],
        "multi_first": lambda: [tagged(f"c:{T0 + i}", encoded(TYPE5, seq="3")[0])],
        "multi_second": lambda: [tagged(f"c:{T0 + i}", encoded(TYPE5, seq="3")[1])],
        "untimed": lambda: [sentence(POS)],
        "untimed_multi": lambda: encoded(TYPE5, seq="4"),
        "trailer": lambda: [sentence(POS, trailer=f",b003669794,{T0 + i}")],
        "pghp": lambda: ["$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17"],
        "group": lambda: [
            tagged(f"g:1-2-{i},c:{T0 + i}", encoded(TYPE5, seq="5")[0]),
            tagged(f"g:2-2-{i}", encoded(TYPE5, seq="5")[1]),
        ],
        "comment": lambda: ["# a comment"],
        "blank": lambda: ["   "],
        "other": lambda: ["$GPGGA,1,2,3*00"],
        "junk": lambda: ["hello"],
        "padded": lambda: [f"  {_plain(i)} \r\n"],
    }
    return lines[kind]()


KINDS = st.sampled_from(
    ["plain", "plain", "plain", "multi", "multi_first", "multi_second", "untimed",
     "untimed_multi", "trailer", "pghp", "group", "comment", "blank", "other", "junk",
     "padded", "plain_s_first", "plain_c_first", "plain_empty_source", "plain_ms",
     "plain_bad_time", "plain_bad_tag_sum", "plain_bad_sum"]
)  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(KINDS, min_size=1, max_size=40),
    st.sampled_from(POLICIES),
    st.sampled_from([3, 17, 1000]),
)
def test_mixed_streams_frame_identically(kinds: list[str], time: TimeOption, chunk: int) -> None:
    lines = [text for i, kind in enumerate(kinds) for text in _line(kind, i)]
    assert_same_framing(lines, time, chunk)


def test_pghp_before_a_plain_line_is_consumed_by_it() -> None:
    """The plain line in between takes the $PGHP time slot: the untimed line gets none."""
    lines = ["$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17", _plain(1), sentence(POS)]
    ref = run(iter_frames, lines, None, 100)
    assert [r["reason"] for r in ref[1].to_pylist()] == ["no_timestamp"]
    assert_same_framing(lines)


def test_file_order_takes_the_time_of_a_plain_line() -> None:
    lines = [sentence(POS, trailer=f",b1,{T0}"), _plain(50), sentence(POS)]
    fast = run(iter_frames_fast, lines, FILE_ORDER, 100)[0]
    assert fast.column("ts").to_pylist()[-1] == datetime.fromtimestamp(T0 + 50, UTC)
    assert_same_framing(lines, FILE_ORDER)


def test_adjacent_plain_pairs_are_joined_in_bulk() -> None:
    """Two-part groups on adjacent plain lines, as a tag-blocking receiver writes them."""
    lines = [text for i in range(6) for text in _line("multi", i)] + [_plain(9)]
    framer = iter_frames_fast(lines, file="f")
    frames = next(framer).frames
    assert frames.column("line").to_pylist() == [1, 3, 5, 7, 9, 11, 13]
    assert "\n" in frames.column("raw")[0].as_py()
    assert_same_framing(lines)


def _frame_file(framer: Framer, path: Path, chunk: int) -> tuple[Any, ...]:
    reader = open_lines(path)
    frames, rejects, skipped = run(framer, reader, None, chunk)  # type: ignore[arg-type]
    return frames.to_pylist(), rejects.to_pylist(), skipped, reader.count, reader.truncated


@pytest.mark.parametrize("chunk", [1, 4, 1000])
@pytest.mark.parametrize(
    "content",
    [
        b"\n".join(_plain(i).encode() for i in range(9)) + b"\n",
        b"\r\n".join(_plain(i).encode() for i in range(9)),  # CRLF, no final newline
        b"\n\n" + _plain(1).encode() + b"\r\r\n\n# c\n" + _plain(2).encode() + b" \n",
        b"\n".join(s.encode() for i in range(5) for s in _line("multi", i)) + b"\n",
        _plain(1).encode() + b"\n\xe9\xff junk\n" + _plain(2).encode() + b"\x85\n",  # latin-1
        b"",
    ],
)
def test_line_reader_blocks_of_bytes(tmp_path: Path, content: bytes, chunk: int) -> None:
    """A LineReader is read as bytes: same frames, rejects, counts and line count."""
    path = tmp_path / "f.nmea"
    path.write_bytes(content)
    assert _frame_file(iter_frames_fast, path, chunk) == _frame_file(iter_frames, path, chunk)


def test_truncated_gzip_read_as_bytes(tmp_path: Path) -> None:
    import gzip

    text = "".join(f"{_plain(i)}\n" for i in range(3000)).encode()
    path = tmp_path / "f.nmea.gz"
    path.write_bytes(gzip.compress(text)[:-4000])  # cut off: the end of the stream is lost
    fast = _frame_file(iter_frames_fast, path, 500)
    assert fast == _frame_file(iter_frames, path, 500)
    assert fast[4] is not None  # truncation noticed
    assert 0 < len(fast[0]) < 3000


RANGES = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 40)), max_size=30)


@settings(max_examples=80, deadline=None)
@given(st.binary(min_size=1, max_size=200).map(lambda b: bytes(c % 128 for c in b)), RANGES)
def test_substrings_are_the_byte_ranges(text: bytes, spans: list[tuple[int, int]]) -> None:
    """String views (inline <= 12 bytes, else by offset) and the copying fallback both give
    exactly the slices, for ranges of any length, in any order, overlapping or not."""
    data = np.frombuffer(text, dtype=np.uint8)  # unpadded: windows at the end pad
    start = np.array([min(a, len(text)) for a, _ in spans], dtype=np.int64)
    end = np.array([min(a + n, len(text)) for a, n in spans], dtype=np.int64)
    expected = [text[a:b].decode() for a, b in zip(start.tolist(), end.tolist(), strict=True)]
    for got in (
        nmea_fast_bytes.substrings(data, start, end),
        nmea_fast_bytes._substrings_copy(data, start, end),
    ):
        assert got.type == pa.string()
        assert got.to_pylist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**13 - 1), min_size=1, max_size=20))
def test_digits_read_decimal_numbers(numbers: list[int]) -> None:
    texts = [str(n) for n in numbers]
    joined = ",".join(texts).encode()
    start = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    end = start + np.array([len(t) for t in texts])
    data = np.frombuffer(joined, dtype=np.uint8)
    assert nmea_fast_bytes.digits(data, start, end).tolist() == numbers


def test_blocks_beyond_string_view_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of more than 2 GiB (int32 offsets) are read by the numpy passes, which copy
    bytes instead of making string views: same frames."""
    monkeypatch.setattr(nmea_fast_lines, "_KERNEL_MAX_BYTES", 0)
    monkeypatch.setattr(nmea_fast_bytes, "_VIEW_MAX", 0)
    lines = [text for i in range(4) for text in _line("multi", i)]
    lines += [_plain(7), tagged("s:rx1,c:1600000008", sentence(POS))]
    assert_same_framing(lines)
