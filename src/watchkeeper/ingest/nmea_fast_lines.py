"""Lines of a block into AIS sentence fragments, line rejects and skip counts, vectorised.

*Regular* lines, the shapes real feeds are made of, are recognised and read in one compiled
pass over the block's bytes (:mod:`~watchkeeper.ingest.nmea_fast_kernel`, numba); the numpy
passes it replaced (one regular expression, RE2 in Arrow, then fields read by byte position)
are kept, give the same fragments, and read blocks too large for the compiled reader:

* an optional NMEA 4.10 tag block of ``s:``, ``c:`` and ``g:`` fields in any order (the
  ``g:part-total-id`` group of multi-sentence messages included), checksum verified, also the
  Norwegian variant whose checksum leaves out the ``g:`` field;
* one ``!xxVDM`` / ``!xxVDO`` sentence, checksum verified;
* an optional receiver trailer after the checksum: a station (``,rAIS12``, ``,b003669794``)
  and / or a unix time (``,1577836800``), as USCG / NAIS and receiver software write them.

Any other line (comments, ``$PGHP``, other sentences, bad checksums, malformed fields,
implausible times...) is rare and is read one at a time with the public parsing functions of
:mod:`~watchkeeper.ingest.nmea_framing`, so its reject reason and detail are the documented
ones. Nothing here keeps state across lines: ordering and state are the reassembler's
(:mod:`~watchkeeper.ingest.nmea_fast_groups`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest import nmea_framing as nf
from watchkeeper.ingest.nmea_fast_bytes import (
    buffers,
    digits,
    first_at,
    hex_at,
    substrings,
    windows,
)
from watchkeeper.schema import RejectReason

__all__ = ["MAX_MS", "MIN_MS", "MS_THRESHOLD", "Frags", "LineResult", "parse_block"]

# The same plausibility bounds as the reference framer documents (nmea_framing):
MIN_MS = int(datetime(1990, 1, 1, tzinfo=UTC).timestamp() * 1000)  # AIS dates from 1998
MAX_MS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)  # beyond: corrupt
MS_THRESHOLD = 100_000_000_000  # a time above 1e11 is in ms (1e11 s is year 5138)

_SRC = r"[A-Za-z0-9_./+\-]*"
_FIELD = rf"(?:s:{_SRC}|c:[0-9]{{1,13}}|g:[0-9]{{1,6}}-[0-9]{{1,6}}-[A-Za-z0-9_./+]*)"
_REGULAR = (
    rf"^(?:\\{_FIELD}(?:,{_FIELD}){{0,2}}\*[0-9A-Fa-f]{{2}}\\)?"
    r"![A-Z]{2}VD[MO],[1-9],[1-9],[0-9]?,[A-Za-z0-9]?,[0-9:;<=>?@A-W`a-w]*,[0-5]"
    r"\*[0-9A-Fa-f]{2}(?:,[rb][A-Za-z0-9]+)?(?:,[0-9]{9,13})?$"
)
_BSLASH, _BANG, _COMMA, _STAR, _DASH = (ord(c) for c in "\\!,*-")


_NUMBERS = ("line", "ts", "has_ts", "total", "part", "fill", "has_g", "gpart", "gtotal", "talker")


@dataclass
class Frags:
    """Columns of sentence fragments (one row per parsed ``!xxVDM`` sentence).

    ``ts`` is valid where ``has_ts``; ``gpart``/``gtotal`` where ``has_g`` (tag-block group);
    ``talker`` (two bytes as a number) and ``tail`` ("seq,channel") are the sentence's part
    of the reassembly key.
    """

    line: np.ndarray
    ts: np.ndarray
    has_ts: np.ndarray
    total: np.ndarray
    part: np.ndarray
    fill: np.ndarray
    has_g: np.ndarray
    gpart: np.ndarray
    gtotal: np.ndarray
    talker: np.ndarray
    source: pa.Array
    gid: pa.Array
    tail: pa.Array
    payload: pa.Array
    raw: pa.Array

    def __len__(self) -> int:
        return len(self.line)

    def take(self, idx: np.ndarray) -> Frags:
        """The rows ``idx``, in that order."""
        arrow = pa.array(idx, pa.int64())
        return Frags(
            **{k: v[idx] for k, v in self._numbers().items()},
            **{k: v.take(arrow) for k, v in self._texts().items()},
        )

    def _numbers(self) -> dict[str, np.ndarray]:
        names = (
            "line",
            "ts",
            "has_ts",
            "total",
            "part",
            "fill",
            "has_g",
            "gpart",
            "gtotal",
            "talker",
        )
        return {k: getattr(self, k) for k in names}

    def _texts(self) -> dict[str, pa.Array]:
        return {k: getattr(self, k) for k in ("source", "gid", "tail", "payload", "raw")}

    @staticmethod
    def concat(parts: list[Frags]) -> Frags:
        """The rows of ``parts`` one after the other."""
        parts = [p for p in parts if len(p)] or parts[:1]
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        return Frags(
            **{k: np.concatenate([p._numbers()[k] for p in parts]) for k in first._numbers()},
            **{k: pa.concat_arrays([p._texts()[k] for p in parts]) for k in first._texts()},
        )

    @staticmethod
    def empty() -> Frags:
        z = np.zeros(0, np.int64)
        b = np.zeros(0, bool)
        s = pa.array([], pa.string())
        return Frags(z, z, b, z, z, np.zeros(0, np.int8), b, z, z, z, s, s, s, s, s)


@dataclass
class LineResult:
    """What the lines of one block give: fragments, line rejects, skips and $PGHP events.

    ``rejects`` rows are (line, reason, detail, raw); ``regular`` and ``others`` are the
    block rows of the lines holding a VDM sentence, regular or not (each takes a pending
    $PGHP time, valid or not); ``pghp`` are (block row, time ms) of valid $PGHP lines.
    """

    frags: Frags
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    regular: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    others: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pghp: list[tuple[int, int]] = field(default_factory=list)

    def consumers(self) -> np.ndarray:
        """Block rows of the lines holding a VDM sentence, in order."""
        return np.union1d(self.regular, self.others) if len(self.others) else self.regular


def parse_block(texts: pa.Array, first_line: int, *, compiled: bool = True) -> LineResult:
    """Parse one block of lines numbered from ``first_line``.

    ``compiled``: the regular lines are read in one compiled pass
    (:mod:`~watchkeeper.ingest.nmea_fast_kernel`); otherwise (and for blocks beyond its
    int32 string offsets) by the numpy passes below, which give the same result."""
    if compiled and texts.nbytes < _KERNEL_MAX_BYTES:
        return _parse_compiled(texts, first_line)
    trimmed = pc.ascii_trim_whitespace(texts)
    found = pc.match_substring_regex(trimmed, _REGULAR).to_numpy(zero_copy_only=False)
    rows = np.arange(len(found)) if found.all() else np.flatnonzero(found)
    regular = trimmed if len(rows) == len(found) else trimmed.filter(pa.array(found))
    frags, ok = _regular(regular, rows + first_line)
    if not ok.all():  # frags holds the right ones only
        found[rows[~ok]] = False
        rows = rows[ok]
    result = LineResult(frags, regular=rows)
    other = np.flatnonzero(~found)
    if len(other):
        _irregular(texts.take(pa.array(other)).to_pylist(), other, first_line, result)
    return result


_KERNEL_MAX_BYTES = 2**31 - 1  # nmea_fast_kernel.MAX_BYTES: its strings have int32 offsets


def _parse_compiled(texts: pa.Array, first_line: int) -> LineResult:
    """:func:`parse_block` with the regular lines read by the compiled kernel (imported
    here: numba takes ~0.2 s to import, which commands that read no NMEA need not pay)."""
    from watchkeeper.ingest import nmea_fast_kernel as kernel

    data, f, rows = kernel.scan(texts)
    has_g = f["has_g"] == 1
    frags = Frags(
        line=rows + first_line,
        ts=f["ts"],
        has_ts=f["has_ts"] == 1,
        total=f["total"],
        part=f["part"],
        fill=f["fill"].astype(np.int8),
        has_g=has_g,
        gpart=f["gpart"],
        gtotal=f["gtotal"],
        talker=f["talker"],
        source=kernel.gather(data, f["src_start"], f["src_end"], f["has_src"] == 1),
        gid=(
            kernel.gather(data, f["gid_start"], f["gid_end"], has_g)
            if has_g.any()
            else pa.nulls(len(rows), pa.string())
        ),
        tail=kernel.gather(data, f["tail_start"], f["tail_end"]),
        payload=kernel.gather(data, f["pay_start"], f["pay_end"]),
        raw=kernel.gather(data, f["start"], f["end"]),
    )
    result = LineResult(frags, regular=rows)
    if len(rows) < len(texts):
        other = np.setdiff1d(np.arange(len(texts)), rows, assume_unique=True)
        _irregular(texts.take(pa.array(other)).to_pylist(), other, first_line, result)
    return result


class _Layout:
    """Byte positions of the parts of each regular line (found once, used by every reader).

    A regular line has exactly one ``!`` and, after it, exactly six commas up to the
    sentence's checksum; its tag block (if any) has at most two commas. So the fields are
    found from the positions of the ``!`` and of the commas alone.
    """

    def __init__(self, lines: pa.Array) -> None:
        data, off = buffers(lines)
        self.data, self.start, self.end = data, off[:-1], off[1:]
        n = len(self.start)
        bangs = np.flatnonzero(data == _BANG)
        self.bang = bangs if len(bangs) == n else first_at(data, _BANG, self.start, bangs)
        commas = np.flatnonzero(data == _COMMA)
        self.commas = np.append(commas, [len(data)] * 8)  # room for k + 5 below
        self.tagged = data[self.start] == _BSLASH if n else np.zeros(0, bool)
        self.tstar = np.where(self.tagged, self.bang - 4, self.start + 1)
        k0 = np.searchsorted(commas, self.start)
        self.c1, self.c2 = self.commas[k0], self.commas[k0 + 1]
        self.n_tag = np.where(self.tagged, (self.c1 < self.tstar) + 0 + (self.c2 < self.tstar), 0)
        k = k0 + self.n_tag  # the sentence's first comma
        self.pay_start = self.commas[k + 4] + 1
        self.sstar = self.commas[k + 5] + 2

    def sums(self) -> tuple[np.ndarray, np.ndarray]:
        """XOR of each tag block's and each sentence's checksummed bytes."""
        if not len(self.start):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        at = np.stack([self.start + 1, self.tstar, self.bang + 1, self.sstar], axis=1).ravel()
        sums = np.bitwise_xor.reduceat(self.data, at)
        return sums[0::4].astype(np.int64), sums[2::4].astype(np.int64)

    def number(self, has: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Decimal numbers in [a, b) where ``has`` (0 elsewhere)."""
        value = digits(self.data, np.where(has, a, self.start), np.where(has, b, self.start + 1))
        return np.where(has, value, 0)

    def text(self, a: np.ndarray, b: np.ndarray) -> pa.Array:
        return substrings(self.data, a, b)

    def keep(self, rows: np.ndarray) -> None:
        """Only the lines ``rows`` from now on."""
        for name in ("start", "end", "bang", "tagged", "tstar", "c1", "c2", "n_tag"):
            setattr(self, name, getattr(self, name)[rows])
        self.pay_start, self.sstar = self.pay_start[rows], self.sstar[rows]


def _unix_ms(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unix times in s or ms (above 1e11) as ms, and whether each is plausible."""
    ms = np.where(raw > MS_THRESHOLD, raw, raw * 1000)
    return ms, (ms >= MIN_MS) & (ms < MAX_MS)


class _Tag:
    """The ``s:``, ``c:`` and ``g:`` fields of each line's tag block (up to three fields)."""

    def __init__(self, b: _Layout) -> None:
        self.starts = [b.start + 1, b.c1 + 1, b.c2 + 1]
        self.ends = [np.where(b.n_tag >= 1, b.c1, b.tstar), np.where(b.n_tag >= 2, b.c2, b.tstar)]
        self.ends.append(b.tstar)
        data = b.data
        self.letter = [
            np.where(b.tagged, data[self.starts[0]], 0),
            np.where(b.n_tag >= 1, data[np.minimum(self.starts[1], len(data) - 1)], 0),
            np.where(b.n_tag >= 2, data[np.minimum(self.starts[2], len(data) - 1)], 0),
        ]
        self.s = self.field("s")
        self.c = self.field("c")
        self.g = self.field("g")

    def field(self, want: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where field ``want`` has its value (start, end), and whether it is there once."""
        code = ord(want)
        at = [letter == code for letter in self.letter]
        start = np.where(at[0], self.starts[0], np.where(at[1], self.starts[1], self.starts[2]))
        end = np.where(at[0], self.ends[0], np.where(at[1], self.ends[1], self.ends[2]))
        count = at[0] + 0 + at[1] + at[2]
        return start + 2, end, count == 1

    def keep(self, rows: np.ndarray) -> None:
        """Only the lines ``rows`` from now on (the fields read later: ``s:`` and ``g:``)."""
        self.s = (self.s[0][rows], self.s[1][rows], self.s[2][rows])
        self.g = (self.g[0][rows], self.g[1][rows], self.g[2][rows])

    def ok(self, b: _Layout, tag_sum: np.ndarray) -> np.ndarray:
        """Each field letter once, and the checksum right (also without ``g:``, as the
        Norwegian feed computes it)."""
        used = (self.letter[0] != 0) + 0 + (self.letter[1] != 0) + (self.letter[2] != 0)
        once = self.s[2] + 0 + self.c[2] + self.g[2]
        given = np.where(b.tagged, hex_at(b.data, np.where(b.tagged, b.bang - 3, b.start)), 0)
        right = tag_sum == given
        g_start, g_end, has_g = self.g
        norwegian = np.flatnonzero(has_g & ~right)
        if len(norwegian):
            at = np.stack([g_start[norwegian] - 2, g_end[norwegian]], axis=1).ravel()
            g_sum = np.bitwise_xor.reduceat(b.data, at)[0::2].astype(np.int64)
            comma = np.where(b.n_tag[norwegian] >= 1, _COMMA, 0)
            right[norwegian] = (tag_sum[norwegian] ^ g_sum ^ comma) == given[norwegian]
        result: np.ndarray = (used == once) & (~b.tagged | right)
        return result


def _regular(lines: pa.Array, numbers: np.ndarray) -> tuple[Frags, np.ndarray]:
    """Fragments of the regular lines that are right (checksums, times, parts), and which
    lines those are; the others are re-read one by one for their reject reason."""
    b = _Layout(lines)
    data = b.data
    tag_sum, body_sum = b.sums()
    ok = body_sum == hex_at(data, b.sstar + 1)
    ok &= data[b.bang + 9] <= data[b.bang + 7]  # part <= total
    tag = _Tag(b)
    ok &= tag.ok(b, tag_sum)
    c_start, c_end, has_c = tag.c
    c_ms, c_ok = _unix_ms(b.number(has_c, c_start, c_end))
    ok &= ~has_c | c_ok
    if not ok.all():
        rows = np.flatnonzero(ok)
        b.keep(rows)
        tag.keep(rows)
        has_c, c_ms, lines, numbers = (
            has_c[rows],
            c_ms[rows],
            lines.filter(pa.array(ok)),
            numbers[rows],
        )
    bang, sstar, end = b.bang, b.sstar, b.end
    # the receiver trailer: ",station" and / or ",unix time" after the checksum
    trail = sstar + 3
    after = np.minimum(trail + 1, len(data) - 1)
    station = (trail < end) & ((data[after] == ord("r")) | (data[after] == ord("b")))
    st_end = np.minimum(np.where(station, first_at(data, _COMMA, after, b.commas), trail), end)
    has_unix = st_end < end
    t_ms, t_ok = _unix_ms(b.number(has_unix, st_end + 1, end))
    t_ok &= has_unix
    frags = Frags(
        line=numbers.astype(np.int64),
        ts=np.where(has_c, c_ms, np.where(t_ok, t_ms, 0)),
        has_ts=has_c | t_ok,
        total=data[bang + 7].astype(np.int64) - 48,
        part=data[bang + 9].astype(np.int64) - 48,
        fill=(data[sstar - 1].astype(np.int64) - 48).astype(np.int8),
        has_g=tag.g[2],
        gpart=np.zeros(len(bang), np.int64),
        gtotal=np.zeros(len(bang), np.int64),
        source=_source(b, tag, station, st_end),
        gid=pa.nulls(len(bang), pa.string()),
        talker=data[bang + 1].astype(np.int64) * 256 + data[bang + 2],
        tail=b.text(bang + 11, b.pay_start - 1),
        payload=b.text(b.pay_start, sstar - 2),
        raw=lines.cast(pa.string()),
    )
    if frags.has_g.any():
        _groups(b, tag, frags)
    return frags, ok


_GROUP_WIDTH = 14  # "part-total-" of a regular g: field: at most 6 + 1 + 6 + 1 characters


def _groups(b: _Layout, tag: _Tag, frags: Frags) -> None:
    """``g:part-total-id`` of the lines that have one."""
    g_start, g_end, has_g = tag.g
    rows = np.flatnonzero(has_g)
    start, end = g_start[rows], g_end[rows]
    dash = windows(b.data, start, _GROUP_WIDTH) == _DASH
    d1 = start + np.argmax(dash, axis=1)
    dash[np.arange(len(rows)), d1 - start] = False
    d2 = start + np.argmax(dash, axis=1)
    part, total = np.zeros(len(has_g), np.int64), np.zeros(len(has_g), np.int64)
    part[rows] = digits(b.data, start, d1)
    total[rows] = digits(b.data, d1 + 1, d2)
    frags.gpart, frags.gtotal = part, total
    ids = b.text(d2 + 1, end)
    index = np.full(len(has_g), len(rows))
    index[rows] = np.arange(len(rows))
    nulls = pa.nulls(1, pa.string())
    frags.gid = pa.concat_arrays([ids, nulls]).take(pa.array(index))


def _source(b: _Layout, tag: _Tag, station: np.ndarray, st_end: np.ndarray) -> pa.Array:
    """``s:`` of the tag block (empty: none), else the trailer's station, else null."""
    s_start, s_end, has_s = tag.s
    s_len = np.where(has_s, s_end - s_start, 0)
    use_st = (s_len == 0) & station
    src = b.text(
        np.where(use_st, b.sstar + 4, np.where(has_s, s_start, b.start)),
        np.where(use_st, st_end, np.where(has_s, s_end, b.start)),
    )
    none = (s_len == 0) & ~station
    return pc.if_else(pa.array(none), pa.scalar(None, pa.string()), src) if none.any() else src


def _is_vdm(head: str) -> bool:
    return len(head) == 6 and head[0] == "!" and head[3:5] == "VD" and head[5] in "MO"


_Read = nf.Fragment | nf.Rejected | tuple[str, int] | str | None


def _read(number: int, text: str) -> tuple[_Read, bool]:
    """One line as the reference reads it: a fragment, a reject, ("pghp", ms), a skip kind
    (str) or None; and whether it holds a VDM sentence (it takes a pending $PGHP time)."""
    line = text.strip()
    if not line:
        return "blank", False
    if line[0] == "#":
        return "comment", False
    tag: nf.TagBlock | None = None
    sentence = line
    if line[0] == "\\":
        end = line.find("\\", 1)
        if end < 0:
            return nf.Rejected(RejectReason.MALFORMED_SENTENCE, "tag block"), False
        parsed = nf.parse_tag_block(line[1:end])
        if isinstance(parsed, nf.Rejected):
            return parsed, False
        tag, sentence = parsed, line[end + 1 :]
    head = sentence[:6]
    if _is_vdm(head):
        return nf.parse_vdm(sentence, tag, number, line, None), True
    if head == "$PGHP,":
        stamp = nf.parse_pghp(sentence)
        return (stamp if isinstance(stamp, nf.Rejected) else ("pghp", stamp)), False
    if sentence[:1] in ("$", "!") and len(sentence) > 6 and sentence[6] == ",":
        return "other_sentence", False
    return nf.Rejected(RejectReason.MALFORMED_SENTENCE, "not NMEA"), False


def _irregular(texts: list[str], rows: np.ndarray, first_line: int, out: LineResult) -> None:
    """Read the other lines one by one, as the reference reads every line."""
    frags: list[nf.Fragment] = []
    consumers: list[int] = []
    for row, text in zip(rows.tolist(), texts, strict=True):
        number = row + first_line
        what, vdm = _read(number, text)
        if vdm:
            consumers.append(row)
        if isinstance(what, nf.Fragment):
            frags.append(what)
        elif isinstance(what, nf.Rejected):
            out.rejects.append((number, what.reason.value, what.detail, text.strip()))
        elif isinstance(what, tuple):
            out.pghp.append((row, what[1]))
        elif what is not None:
            out.skipped[what] += 1
    out.others = np.array(consumers, dtype=np.int64)
    if frags:
        out.frags = _merge(out.frags, _from_fragments(frags))


#: Above this many rows to insert, a merge sorts and takes every row instead of splicing.
_SPLICE_MAX = 256  # splices cost a slice each; the feed has ~4 per 100 k-line block


def _merge(regular: Frags, extra: Frags) -> Frags:
    """The rows of both in line order (each sorted by line, no line in both).

    The one-by-one reader gives a few fragments per block: spliced into the regular ones
    (one copy of each column) rather than all rows sorted and taken (measured: ~14 ms
    of a 100 k-line block's ~60 ms read, down to a few)."""
    if not len(regular) or len(extra) > _SPLICE_MAX:
        both = Frags.concat([regular, extra])
        order = np.argsort(both.line, kind="stable")
        return both.take(order) if (np.diff(order) != 1).any() else both
    at = np.searchsorted(regular.line, extra.line)
    numbers = {k: np.insert(v, at, extra._numbers()[k]) for k, v in regular._numbers().items()}
    texts = {}
    for k, v in regular._texts().items():
        add, pieces, prev = extra._texts()[k], [], 0
        for i, cut in enumerate(at.tolist()):
            pieces += [v.slice(prev, cut - prev), add.slice(i, 1)]
            prev = cut
        pieces.append(v.slice(prev))
        texts[k] = pa.concat_arrays(pieces)
    return Frags(**numbers, **texts)


def _from_fragments(frags: list[nf.Fragment]) -> Frags:
    """Columns of fragments parsed one by one."""
    ts = [f.ts_ms for f in frags]
    group = [f.group for f in frags]
    return Frags(
        line=np.array([f.line for f in frags], np.int64),
        ts=np.array([t or 0 for t in ts], np.int64),
        has_ts=np.array([t is not None for t in ts], bool),
        total=np.array([f.total for f in frags], np.int64),
        part=np.array([f.part for f in frags], np.int64),
        fill=np.array([f.fill for f in frags], np.int8),
        has_g=np.array([g is not None for g in group], bool),
        gpart=np.array([g[0] if g else 0 for g in group], np.int64),
        gtotal=np.array([g[1] if g else 0 for g in group], np.int64),
        source=pa.array([f.source for f in frags], pa.string()),
        gid=pa.array([g[2] if g else None for g in group], pa.string()),
        talker=np.array([ord(f.talker[0]) * 256 + ord(f.talker[1]) for f in frags], np.int64),
        tail=pa.array([f"{f.seq},{f.channel}" for f in frags], pa.string()),
        payload=pa.array([f.payload for f in frags], pa.string()),
        raw=pa.array([f.raw for f in frags], pa.string()),
    )
