"""The compiled line reader against the numpy passes it replaces: the same fragments.

``parse_block(compiled=True)`` (one numba pass, :mod:`watchkeeper.ingest.nmea_fast_kernel`)
and ``parse_block(compiled=False)`` (a regular expression and numpy passes) must accept the
same lines and read the same fields from them; the lines neither accepts go to the same
one-by-one reader. Checked on the benchmark's realistic feed, the real files, and lines
mutated byte by byte around every boundary of the regular shape.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nmea_helpers import NMEA_FILES, encoded, sentence, tagged

from watchkeeper.ingest import nmea_fast_kernel
from watchkeeper.ingest.nmea import open_lines
from watchkeeper.ingest.nmea_fast_lines import LineResult, parse_block

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_600_000_000
POS = "15NBj>PP1gG>1PVKTDTUJOv00<0M"  # a real type 1 (gatehouse.nmea)
TYPE5 = {"type": 5, "mmsi": 366_000_001, "shipname": "TEST", "destination": "NAMPO"}


def assert_same(lines: list[str], first_line: int = 1) -> LineResult:
    """Both readers on one block: equal fragments (values and types), rejects and skips."""
    texts = pa.array(lines, pa.large_string())
    fast = parse_block(texts, first_line, compiled=True)
    slow = parse_block(texts, first_line, compiled=False)
    for name, value in slow.frags._numbers().items():
        got = fast.frags._numbers()[name]
        assert got.dtype == value.dtype, name
        assert got.tolist() == value.tolist(), name
    for name, text in slow.frags._texts().items():
        got = fast.frags._texts()[name]
        assert got.type == text.type, name
        assert got.to_pylist() == text.to_pylist(), name
    assert fast.rejects == slow.rejects
    assert fast.skipped == slow.skipped
    assert fast.regular.tolist() == slow.regular.tolist()
    assert fast.others.tolist() == slow.others.tolist()
    assert fast.pghp == slow.pghp
    return fast


def _feed_lines(n: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    try:
        feed = importlib.import_module("benchmarks.feed")
    finally:
        sys.path.remove(str(ROOT))
    lines: list[str] = feed.feed_lines(n, 11)
    return lines


def test_realistic_feed_reads_the_same() -> None:
    lines = _feed_lines(20_000)
    result = assert_same(lines, first_line=5)
    assert len(result.regular) > 0.95 * len(lines)  # the feed's regular shapes take the pass


@pytest.mark.parametrize("name", NMEA_FILES)
def test_real_files_read_the_same(shared_data: Path, name: str) -> None:
    assert_same(list(open_lines(shared_data / "nmea" / name)))


def _shapes(i: int) -> list[str]:
    """Regular lines of every shape the pass reads (and a few it leaves to the reader)."""
    parts = encoded(TYPE5, seq=str(i % 10))
    return [
        tagged(f"c:{T0 + i}", sentence(POS)),
        tagged(f"s:rx-{i}.a/b+c_d,c:{T0 + i}", sentence(POS, channel="B")),
        tagged(f"c:{(T0 + i) * 1000},s:r{i}", sentence(POS, talker="BS")),
        tagged(f"s:,c:{T0 + i}", sentence(POS, trailer=",r0012")),
        tagged("s:x", sentence(POS, trailer=f",b003669794,{T0 + i}")),
        tagged("s:", sentence(POS, trailer=f",{T0 + i}")),
        sentence(POS, trailer=f",rAIS{i},{(T0 + i) * 1000}"),
        sentence(POS, seq="7", channel="", fill=5),
        sentence("", channel="2"),
        tagged(f"g:1-2-{i}x,s:sat,c:{T0 + i}", parts[0]),
        tagged(f"g:2-2-{i}x", parts[1]),
        "\\g:1-2-77,c:1600000000*00\\" + parts[0],  # a wrong tag checksum
        tagged(f"c:{T0},s:a,g:123456-654321-a.b", sentence(POS)),
        tagged("c:99", sentence(POS)),  # implausible time
        tagged(f"c:{T0},c:{T0}", sentence(POS)),  # a field twice
        sentence(POS, total=1, part=2),
        sentence(POS, trailer=",99"),  # too short for a time
        f"  {tagged(f'c:{T0}', sentence(POS))}\t\r",
        "$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17",
        "# a comment",
        "",
    ]


def _norwegian(i: int) -> str:
    """The Norwegian tag-block checksum: computed without the ``g:`` field."""
    fields = f"c:{T0 + i}"
    body = fields.encode()
    value = 0
    for b in body:
        value ^= b
    return f"\\g:1-1-{i},{fields}*{value:02X}\\" + sentence(POS)


def test_every_shape_reads_the_same() -> None:
    lines = [line for i in range(3) for line in [*_shapes(i), _norwegian(i)]]
    result = assert_same(lines)
    assert len(result.regular) >= 14 * 3  # most shapes are regular: the pass is exercised


_BYTES = st.sampled_from([*list(b"\\!,*-:0123456789ABCDEFabcdefgsrcbVDMO "), 127, 233])


def _resum(line: bytearray) -> None:
    """Rewrite the checksums after a mutation (where the line still has their places), so
    that the shape, not a checksum, decides whether a mutated line is regular."""
    for opener, start in ((ord("\\"), 0), (ord("!"), line.find(b"!"))):
        if start < 0 or start >= len(line) or line[start] != opener:
            continue
        star = line.find(b"*", start + 1)
        if star >= 0 and star + 2 < len(line):
            value = 0
            for b in line[start + 1 : star]:
                value ^= b
            line[star + 1 : star + 3] = f"{value:02X}".encode()


@st.composite
def _mutated(draw: st.DrawFn) -> list[str]:
    """Regular lines with a few bytes replaced, inserted or removed anywhere (and, mostly,
    their checksums made right again)."""
    shapes = [*_shapes(draw(st.integers(0, 30))), _norwegian(3)]
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        line = bytearray(draw(st.sampled_from(shapes)).encode())
        for _ in range(draw(st.integers(0, 3))):
            at = draw(st.integers(0, len(line)))
            how = draw(st.sampled_from(["set", "insert", "delete"]))
            byte = draw(_BYTES)
            if how == "insert":
                line.insert(at, byte)
            elif at < len(line):
                if how == "set":
                    line[at] = byte
                else:
                    del line[at]
        if draw(st.integers(0, 3)):
            _resum(line)
        lines.append(line.decode("latin-1"))
    return lines


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_lines_read_the_same(lines: list[str]) -> None:
    assert_same(lines)


def test_kernel_limit_matches_the_reader() -> None:
    from watchkeeper.ingest import nmea_fast_lines

    assert nmea_fast_lines._KERNEL_MAX_BYTES == nmea_fast_kernel.MAX_BYTES


def test_gather_copies_byte_ranges_with_nulls() -> None:
    data = np.frombuffer(b"abcdefgh", np.uint8)
    start, end = np.array([0, 2, 5, 8]), np.array([2, 2, 8, 8])
    got = nmea_fast_kernel.gather(data, start, end, np.array([True, True, False, True]))
    assert got.to_pylist() == ["ab", "", None, ""]
    assert nmea_fast_kernel.gather(data, start[:0], end[:0]).to_pylist() == []


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(1, 60), min_size=1, max_size=40), st.data())
def test_merge_splices_rows_in_line_order(lines: set[int], data: st.DataObject) -> None:
    """A few fragments read one by one are spliced into the regular ones by line."""
    from watchkeeper.ingest import nmea_fast_lines

    ordered = sorted(lines)
    texts = [tagged(f"c:{T0 + n}", sentence(POS, seq=str(n % 10))) for n in ordered]
    both = parse_block(pa.array(texts, pa.large_string()), 1).frags
    both.line = np.array(ordered, np.int64)  # lines as drawn (the block numbers them 1..n)
    extra = np.array(sorted(data.draw(st.sets(st.sampled_from(range(len(ordered)))))), int)
    regular = np.setdiff1d(np.arange(len(ordered)), extra)
    merged = nmea_fast_lines._merge(both.take(regular), both.take(extra))
    for name, value in both._numbers().items():
        assert merged._numbers()[name].tolist() == value.tolist(), name
    for name, text in both._texts().items():
        assert merged._texts()[name].to_pylist() == text.to_pylist(), name


_TEXTS = st.lists(st.one_of(st.none(), st.text(st.characters(max_codepoint=127), max_size=8)))


@settings(max_examples=100, deadline=None)
@given(_TEXTS, _TEXTS, st.data())
def test_join_is_joined_takes(
    a: list[str | None], b: list[str | None], data: st.DataObject
) -> None:
    """The compiled join gives what Arrow's takes and element-wise join give (nulls aside:
    a row of several parts never names a null, as fragments' payloads and raw texts)."""
    n = len(a) + len(b)
    if not n:
        return
    width = data.draw(st.integers(1, 3))
    rows = np.array(
        data.draw(st.lists(st.lists(st.integers(0, n - 1), min_size=width, max_size=width))),
        np.int64,
    ).reshape(-1, width)
    sep = data.draw(st.sampled_from([None, "\n"]))
    both = pa.array(a + b, pa.string())
    left, right = pa.array(a, pa.string()), pa.array(b, pa.large_string())
    if width == 1:
        got = nmea_fast_kernel.join(rows, left, right, sep)
        assert got.to_pylist() == both.take(pa.array(rows[:, 0])).to_pylist()
        return
    both = pc.fill_null(both, "")
    left, right = pc.fill_null(left, ""), pc.fill_null(right, "")
    ragged = rows.copy()
    cut = data.draw(st.lists(st.integers(1, width), min_size=len(rows), max_size=len(rows)))
    for i, k in enumerate(cut):
        ragged[i, k:] = -1
    got = nmea_fast_kernel.join(ragged, left, right, sep).to_pylist()
    want = [(sep or "").join(both[int(r)].as_py() for r in row if r >= 0) for row in ragged]
    assert got == want
    full = nmea_fast_kernel.join(rows, left, right, sep)
    takes = [both.take(pa.array(rows[:, k])) for k in range(width)]
    assert full.to_pylist() == pc.binary_join_element_wise(*takes, sep or "").to_pylist()
