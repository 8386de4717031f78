"""Lines of a block into AIS sentence fragments, line rejects and skip counts, vectorised.

*Regular* lines, the shapes real feeds are made of, are recognised for a whole block at once
with one regular expression (RE2, in Arrow) and read by byte position with numpy:

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
    xor_prefix,
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


@dataclass
class Frags:
    """Columns of sentence fragments (one row per parsed ``!xxVDM`` sentence).

    ``ts`` is valid where ``has_ts``; ``gpart``/``gtotal`` where ``has_g`` (tag-block group);
    ``tail`` is "talker,seq,channel", the sentence's part of the reassembly key.
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
        names = ("line", "ts", "has_ts", "total", "part", "fill", "has_g", "gpart", "gtotal")
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
        return Frags(z, z, b, z, z, np.zeros(0, np.int8), b, z, z, s, s, s, s, s)


@dataclass
class LineResult:
    """What the lines of one block give: fragments, line rejects, skips and $PGHP events.

    ``rejects`` rows are (line, reason, detail, raw); ``consumers`` are the block rows of
    lines holding a VDM sentence (each takes a pending $PGHP time, valid or not);
    ``pghp`` are (block row, time ms) of valid $PGHP lines.
    """

    frags: Frags
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    consumers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pghp: list[tuple[int, int]] = field(default_factory=list)


def parse_block(texts: pa.Array, first_line: int) -> LineResult:
    """Parse one block of lines numbered from ``first_line``."""
    trimmed = pc.ascii_trim_whitespace(texts)
    found = pc.match_substring_regex(trimmed, _REGULAR).to_numpy(zero_copy_only=False)
    rows = np.arange(len(found)) if found.all() else np.flatnonzero(found)
    regular = trimmed if len(rows) == len(found) else trimmed.filter(pa.array(found))
    frags, ok = _regular(regular, rows + first_line)
    if not ok.all():
        frags = frags.take(np.flatnonzero(ok))
        found[rows[~ok]] = False
        rows = rows[ok]
    result = LineResult(frags)
    other = np.flatnonzero(~found)
    if len(other):
        _irregular(texts.take(pa.array(other)).to_pylist(), other, first_line, result)
        result.consumers = np.union1d(rows, result.consumers)
    else:
        result.consumers = rows
    return result


def _field(
    letter: np.ndarray, starts: list[np.ndarray], ends: list[np.ndarray], want: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the tag-block field ``want`` is (value start, end) and whether it is there."""
    code = ord(want)
    has = np.zeros(len(starts[0]), dtype=bool)
    start = np.zeros(len(starts[0]), dtype=np.int64)
    end = np.zeros(len(starts[0]), dtype=np.int64)
    count = np.zeros(len(starts[0]), dtype=np.int64)
    for k in range(len(starts)):
        at = letter[k] == code
        count += at
        start = np.where(at, starts[k] + 2, start)
        end = np.where(at, ends[k], end)
        has |= at
    return start, end, has & (count == 1)


def _regular(lines: pa.Array, numbers: np.ndarray) -> tuple[Frags, np.ndarray]:
    """Fragments of regular lines and which of them are right (checksums, times, parts);
    the others are re-read one by one for their reject reason."""
    data, off = buffers(lines)
    start, end = off[:-1], off[1:]
    n = len(start)
    px = xor_prefix(data)
    tagged = data[start] == _BSLASH if len(data) else np.zeros(n, bool)
    bang = first_at(data, _BANG, start)
    sstar = first_at(data, _STAR, bang)
    ok = (px[sstar] ^ px[bang + 1]) == hex_at(data, sstar + 1)
    ok &= data[bang + 9] <= data[bang + 7]  # part <= total
    # fragment fields: total, part at fixed places; then "seq,channel," and the payload
    commas = np.flatnonzero(data == _COMMA)
    k = np.searchsorted(commas, bang)
    pay_start = commas[np.minimum(k + 4, len(commas) - 1)] + 1 if len(commas) else bang
    # tag block fields (up to three), each "x:value"
    tstar = np.where(tagged, bang - 4, start)
    k0 = np.searchsorted(commas, start)
    n_commas = np.where(tagged, k - k0, 0)
    last = len(commas) - 1
    c1 = commas[np.minimum(k0, last)] if len(commas) else start
    c2 = commas[np.minimum(k0 + 1, last)] if len(commas) else start
    starts = [start + 1, c1 + 1, c2 + 1]
    ends = [
        np.where(n_commas >= 1, c1, tstar),
        np.where(n_commas >= 2, c2, tstar),
        tstar,
    ]
    padded = np.append(data, np.zeros(4, np.uint8))
    letter = [
        np.where(tagged & (n_commas >= j), padded[np.minimum(starts[j], len(data))], 0)
        for j in range(3)
    ]
    s_start, s_end, has_s = _field(np.array(letter), starts, ends, "s")
    c_start, c_end, has_c = _field(np.array(letter), starts, ends, "c")
    g_start, g_end, has_g = _field(np.array(letter), starts, ends, "g")
    for j in range(3):  # a field letter given twice: the line is re-read one by one
        used = letter[j] != 0
        ok &= ~used | (
            ((letter[j] == ord("s")) & has_s)
            | ((letter[j] == ord("c")) & has_c)
            | ((letter[j] == ord("g")) & has_g)
        )
    tag_sum = px[tstar] ^ px[np.where(tagged, start + 1, tstar)]
    given = np.where(tagged, hex_at(data, np.where(tagged, bang - 3, start)), 0)
    g_sum = px[g_end] ^ px[np.maximum(g_start - 2, 0)]
    rest_sum = tag_sum ^ g_sum ^ np.where(n_commas >= 1, _COMMA, 0)
    ok &= ~tagged | (tag_sum == given) | (has_g & (rest_sum == given))
    # times: c: in the tag block, else a unix time in the trailer
    ms = np.zeros(n, np.int64)
    if has_c.any():
        raw_c = digits(data, np.where(has_c, c_start, start), np.where(has_c, c_end, start + 1))
        c_ms = np.where(raw_c > MS_THRESHOLD, raw_c, raw_c * 1000)
        ok &= ~has_c | ((c_ms >= MIN_MS) & (c_ms < MAX_MS))
        ms = np.where(has_c, c_ms, 0)
    trail = sstar + 3
    has_trail = trail < end
    station = has_trail & np.isin(data[np.minimum(trail + 1, len(data) - 1)], [ord("r"), ord("b")])
    st_end = np.where(station, first_at(data, _COMMA, trail + 1, commas), trail)
    st_end = np.minimum(st_end, end)
    has_unix = has_trail & (st_end < end)
    unix_ok = np.zeros(n, bool)
    if has_unix.any():
        raw_t = digits(
            data, np.where(has_unix, st_end + 1, start), np.where(has_unix, end, start + 1)
        )
        t_ms = np.where(raw_t > MS_THRESHOLD, raw_t, raw_t * 1000)
        unix_ok = has_unix & (t_ms >= MIN_MS) & (t_ms < MAX_MS)
        ms = np.where(~has_c & unix_ok, t_ms, ms)
    has_ts = has_c | unix_ok
    # groups
    gpart = np.zeros(n, np.int64)
    gtotal = np.zeros(n, np.int64)
    gid = pa.nulls(n, pa.string())
    if has_g.any():
        d1 = first_at(data, _DASH, np.where(has_g, g_start, start))
        d2 = first_at(data, _DASH, d1 + 1)
        gpart = np.where(
            has_g, digits(data, np.where(has_g, g_start, start), np.where(has_g, d1, start + 1)), 0
        )
        gtotal = np.where(
            has_g, digits(data, np.where(has_g, d1 + 1, start), np.where(has_g, d2, start + 1)), 0
        )
        gid = substrings(data, np.where(has_g, d2 + 1, start), np.where(has_g, g_end, start))
        gid = pc.if_else(pa.array(has_g), gid, pa.scalar(None, pa.string()))
    # source: s: of the tag block (empty: none), else the trailer's station
    s_len = np.where(has_s, s_end - s_start, 0)
    use_st = (s_len == 0) & station
    src = substrings(
        data,
        np.where(use_st, trail + 1, np.where(has_s, s_start, start)),
        np.where(use_st, st_end, np.where(has_s, s_end, start)),
    )
    no_src = (s_len == 0) & ~station
    source = (
        pc.if_else(pa.array(no_src), pa.scalar(None, pa.string()), src) if no_src.any() else src
    )
    talker = substrings(data, bang + 1, bang + 3)
    seq_ch = substrings(data, bang + 11, pay_start - 1)
    frags = Frags(
        line=numbers.astype(np.int64),
        ts=ms,
        has_ts=has_ts,
        total=data[bang + 7].astype(np.int64) - 48,
        part=data[bang + 9].astype(np.int64) - 48,
        fill=(data[sstar - 1].astype(np.int64) - 48).astype(np.int8),
        has_g=has_g,
        gpart=gpart,
        gtotal=gtotal,
        source=source,
        gid=gid,
        tail=pc.binary_join_element_wise(talker, seq_ch, ","),
        payload=substrings(data, pay_start, sstar - 2),
        raw=lines.cast(pa.string()),
    )
    return frags, ok


def _is_vdm(head: str) -> bool:
    return len(head) == 6 and head[0] == "!" and head[3:5] == "VD" and head[5] in "MO"


def _irregular(texts: list[str], rows: np.ndarray, first_line: int, out: LineResult) -> None:
    """Read the other lines one by one, as the reference reads every line."""
    frags: list[nf.Fragment] = []
    consumers: list[int] = []
    for row, text in zip(rows.tolist(), texts, strict=True):
        number = row + first_line
        line = text.strip()
        if not line:
            out.skipped["blank"] += 1
            continue
        if line[0] == "#":
            out.skipped["comment"] += 1
            continue
        tag: nf.TagBlock | None = None
        sentence = line
        if line[0] == "\\":
            end = line.find("\\", 1)
            if end < 0:
                out.rejects.append(
                    (number, RejectReason.MALFORMED_SENTENCE.value, "tag block", line)
                )
                continue
            parsed = nf.parse_tag_block(line[1:end])
            if isinstance(parsed, nf.Rejected):
                out.rejects.append((number, parsed.reason.value, parsed.detail, line))
                continue
            tag, sentence = parsed, line[end + 1 :]
        head = sentence[:6]
        if _is_vdm(head):
            consumers.append(row)
            frag = nf.parse_vdm(sentence, tag, number, line, None)
            if isinstance(frag, nf.Rejected):
                out.rejects.append((number, frag.reason.value, frag.detail, line))
            else:
                frags.append(frag)
        elif head == "$PGHP,":
            stamp = nf.parse_pghp(sentence)
            if isinstance(stamp, nf.Rejected):
                out.rejects.append((number, stamp.reason.value, stamp.detail, line))
            else:
                out.pghp.append((row, stamp))
        elif sentence[:1] in ("$", "!") and len(sentence) > 6 and sentence[6] == ",":
            out.skipped["other_sentence"] += 1
        else:
            detail = "not NMEA"
            out.rejects.append((number, RejectReason.MALFORMED_SENTENCE.value, detail, line))
    out.consumers = np.array(consumers, dtype=np.int64)
    if frags:
        out.frags = Frags.concat([out.frags, _from_fragments(frags)])
        order = np.argsort(out.frags.line, kind="stable")
        if (np.diff(order) != 1).any():
            out.frags = out.frags.take(order)


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
        tail=pa.array([f"{f.talker},{f.seq},{f.channel}" for f in frags], pa.string()),
        payload=pa.array([f.payload for f in frags], pa.string()),
        raw=pa.array([f.raw for f in frags], pa.string()),
    )
