"""Fast against reference on realistic feeds: the same rows, rejects and counts.

The feeds are the benchmark's generator (``benchmarks/feed.py``: tag-blocked, ``g:``
groups, receiver trailers, duplicates, corrupt lines) and hypothesis streams built from the
shapes that break multi-sentence reassembly: interleaved groups, missing and repeated
parts, corrupt checksums, parts too far apart.
"""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nmea_helpers import encoded, sentence, tagged

from watchkeeper.ingest.nmea import iter_nmea
from watchkeeper.ingest.nmea_framing import FRAMES, iter_frames
from watchkeeper.ingest.nmea_framing_fast import iter_frames_fast
from watchkeeper.ingest.options import FILE_ORDER, TimeOption
from watchkeeper.schema import REJECTS, Decoded

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_600_000_000


def _feed_module() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("benchmarks.feed")
    finally:
        sys.path.remove(str(ROOT))


FEED = _feed_module()


def _decode(lines: list[str], engine: str, chunk: int, time: TimeOption = None) -> Decoded:
    parts = iter_nmea(lines, file="f", engine=engine, chunk_size=chunk, time=time)  # type: ignore[arg-type]
    return Decoded.concat(list(parts))


def _rows(table: pa.Table) -> list[dict[str, object]]:
    return table.sort_by([(c, "ascending") for c in ("line", "mmsi", "msg_type")]).to_pylist()


def assert_same_decoding(lines: list[str], chunk: int, time: TimeOption = None) -> Decoded:
    fast = _decode(lines, "fast", chunk, time)
    ref = _decode(lines, "reference", chunk, time)
    assert _rows(fast.positions) == _rows(ref.positions)
    assert _rows(fast.identities) == _rows(ref.identities)
    assert fast.rejects.sort_by("line").to_pylist() == ref.rejects.sort_by("line").to_pylist()
    assert fast.skipped == ref.skipped
    return fast


def _framing(framer: object, lines: list[str], chunk: int, time: TimeOption) -> tuple[object, ...]:
    frames, rejects, skipped = [FRAMES.empty_table()], [REJECTS.empty_table()], Counter[str]()
    for c in framer(lines, file="f", time=time, chunk_size=chunk):  # type: ignore[operator]
        frames.append(c.frames)
        rejects.append(c.rejects)
        skipped.update(c.skipped)
    return (
        pa.concat_tables(frames).to_pylist(),
        pa.concat_tables(rejects).to_pylist(),
        skipped,
    )


def assert_same_framing(lines: list[str], chunk: int, time: TimeOption = None) -> None:
    """Frames in the same order, rejects with the same reasons and details, same counts."""
    assert _framing(iter_frames_fast, lines, chunk, time) == _framing(
        iter_frames, lines, chunk, time
    )


@pytest.mark.parametrize(("seed", "chunk"), [(1, 100_000), (2, 997), (3, 64)])
def test_generated_feed_decodes_identically(seed: int, chunk: int) -> None:
    lines = FEED.feed_lines(4_000, seed=seed)
    grouped = sum("g:" in line for line in lines) / len(lines)
    assert grouped >= 0.25  # the feed is what the benchmark claims
    decoded = assert_same_decoding(lines, chunk)
    reasons = Counter(decoded.rejects.column("reason").to_pylist())
    assert reasons["bad_checksum"] > 0
    assert reasons["broken_multipart"] > 0
    assert decoded.identities.num_rows > 300
    assert_same_framing(lines, chunk)


def test_generated_feed_is_seeded() -> None:
    assert FEED.feed_lines(500, seed=4) == FEED.feed_lines(500, seed=4)
    assert FEED.feed_lines(500, seed=4) != FEED.feed_lines(500, seed=5)


# ------------------------------------------------------------------ hypothesis streams

TYPE5 = {"type": 5, "mmsi": 366_000_001, "shipname": "TEST", "destination": "NAMPO"}
POS = "15NBj>PP1gG>1PVKTDTUJOv00<0M"


def _group(i: int, gid: str, rcv: str, seq: str, only_g: bool, trailer: str) -> list[str]:
    parts = encoded({**TYPE5, "mmsi": 366_000_000 + i}, seq=seq)
    out = []
    for k, s in enumerate(parts, start=1):
        g = f"g:{k}-{len(parts)}-{gid}"
        fields = g if (k > 1 and only_g) else f"{g},s:{rcv},c:{T0 + i}"
        out.append(tagged(fields, s + (trailer if k == 1 else "")))
    return out


def _item(draw: st.DrawFn, i: int) -> list[str]:
    """The lines of one message (or tag-block group) of a drawn kind."""
    kinds = ["group", "group", "single", "untagged_group", "trailer", "grouped_singles"]
    kind = draw(st.sampled_from(kinds))
    rcv = draw(st.sampled_from(["r1", "r2", "SAT1"]))
    seq = draw(st.sampled_from(["", "1", "2"]))
    if kind == "group":
        gid = draw(st.sampled_from(["1", "2", "77", str(i)]))
        only_g = draw(st.booleans())
        trailer = draw(st.sampled_from(["", f",{T0 + i}", f",r{rcv}", ",r9,99"]))
        return _group(i, gid, rcv, seq, only_g, trailer)
    if kind == "grouped_singles":  # a tag-block group of single-sentence messages:
        gid = draw(st.sampled_from(["1", "9", str(i)]))  # later ones take part 1's time
        return [
            tagged(f"g:1-2-{gid},s:{rcv},c:{T0 + i}", sentence(POS)),
            tagged(f"g:2-2-{gid}", sentence(POS)),
        ]
    if kind == "untagged_group":
        return [tagged(f"s:{rcv},c:{T0 + i}", s) for s in encoded(TYPE5, seq=seq)]
    if kind == "trailer":
        return [sentence(POS, trailer=f",b{rcv},{T0 + i}")]
    return [tagged(f"c:{T0 + i},s:{rcv}", sentence(POS))]


def _damage(draw: st.DrawFn, lines: list[str]) -> None:
    """Drop, repeat, corrupt or move one line."""
    at = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["drop", "repeat", "corrupt", "move", "tag_sum"]))
    line = lines[at]
    if how == "drop":
        del lines[at]
    elif how == "repeat":
        lines.insert(draw(st.integers(at, len(lines))), line)
    elif how == "corrupt":
        lines[at] = line[:-2] + ("00" if not line.endswith("00") else "11")
    elif how == "tag_sum":
        star = line.find("*")
        lines[at] = line[: star + 1] + "ZZ" + line[star + 3 :]
    else:
        lines.insert(draw(st.integers(0, len(lines))), lines.pop(at))


@st.composite
def streams(draw: st.DrawFn) -> list[str]:
    """Groups and single lines, interleaved, with parts dropped, repeated or corrupted."""
    lines = [line for i in range(draw(st.integers(1, 25))) for line in _item(draw, i)]
    for _ in range(draw(st.integers(0, 4))):
        if lines:
            _damage(draw, lines)
    return lines


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POLICIES: list[TimeOption] = [None, datetime(2021, 5, 6, tzinfo=UTC), FILE_ORDER]


@_SETTINGS
@given(streams(), st.sampled_from([2, 7, 1000]), st.sampled_from(POLICIES))
def test_damaged_group_streams_frame_identically(
    lines: list[str], chunk: int, time: TimeOption
) -> None:
    assert_same_framing(lines, chunk, time)


@_SETTINGS
@given(streams(), st.sampled_from([3, 1000]))
def test_damaged_group_streams_decode_identically(lines: list[str], chunk: int) -> None:
    assert_same_decoding(lines, chunk, FILE_ORDER)


def test_group_parts_apart_break_like_the_reference() -> None:
    """Parts of one g: group 20 s apart, and more than 1,000 lines apart."""
    first, second = _group(1, "5", "r1", "3", False, "")
    late = second.replace(f"c:{T0 + 1}", f"c:{T0 + 21}")
    late = tagged(late[1 : late.index("*")], late[late.index("\\", 1) + 1 :])
    filler = [tagged(f"c:{T0 + 1}", sentence(POS))] * 1_001
    for lines in ([first, late], [first, *filler, second]):
        assert_same_framing(lines, 100_000)
        assert_same_framing(lines, 50)


def test_waiting_groups_are_bounded_like_the_reference() -> None:
    """More incomplete groups than ``max_pending``: all broken, in both engines (the fast
    one counts them at the end of each block, the reference at each line)."""
    from watchkeeper.ingest.nmea_framing import FramingLimits

    lines = [_group(i, str(i), "r1", str(i % 10), False, "")[0] for i in range(5)]
    limits = FramingLimits(max_pending=2)
    for framer in (iter_frames, iter_frames_fast):
        chunks = list(framer(lines, file="f", limits=limits, chunk_size=2))
        reasons = Counter(r for c in chunks for r in c.rejects.column("reason").to_pylist())
        assert reasons == {"broken_multipart": 5}
        assert sum(c.frames.num_rows for c in chunks) == 0
