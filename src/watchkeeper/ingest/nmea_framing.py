"""NMEA 0183 framing: text lines into *frames*, one per complete AIS message.

A frame is the armoured payload of one AIS message after multi-part reassembly, with its
receive time and receiver. Handled here (see ``/work/briefs/frames.md`` for the contract):

* any talker ``!xxVDM`` / ``!xxVDO``; other ``$``/``!`` sentences are skipped and counted;
* NMEA 4.10 tag blocks ``\\s:src,c:time,g:1-2-7*hh\\`` (``c:`` in s or ms; checksum checked);
* USCG/NAIS trailers after the checksum (``,b003669794,1272412827``);
* Gatehouse ``$PGHP`` lines, which time the next AIS sentence;
* multi-part reassembly keyed by (tag-block group id, else source; talker; channel; seq id),
  interleaved groups allowed, consecutive parts at most ``max_part_gap_s`` seconds and
  ``max_part_lines`` lines apart; incomplete groups are quarantined as ``broken_multipart``;
* the ``--time`` policy for untimed sentences (:mod:`watchkeeper.ingest.options`).

The parsing functions are pure; :class:`_Framer` holds the little state a stream needs
(pending fragments, the last time seen, a pending ``$PGHP`` time).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import pyarrow as pa

from watchkeeper.ingest.options import FILE_ORDER, TimeOption
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import REJECTS, TIMESTAMP, RejectReason

__all__ = [
    "FRAMES",
    "NO_TIMESTAMP_DETAIL",
    "FramedChunk",
    "FramingLimits",
    "iter_frames",
    "nmea_checksum",
    "parse_tag_block",
    "parse_trailer",
]

FRAMES = pa.schema(
    [
        pa.field("payload", pa.string(), nullable=False),
        pa.field("fill_bits", pa.int8(), nullable=False),
        pa.field("ts", TIMESTAMP),
        pa.field("time_assumed", pa.bool_(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
    ]
)

#: Told to the user on every ``no_timestamp`` reject: how to give untimed lines a time.
NO_TIMESTAMP_DETAIL = (
    "no receive time on this line (tag block c:, trailer unix time or $PGHP); "
    "rerun with --time <ISO time> to give one time to all untimed lines, "
    "or --time file-order to use the time of the previous timed line"
)

_MIN_MS = int(datetime(1990, 1, 1, tzinfo=UTC).timestamp() * 1000)  # AIS dates from 1998
_MAX_MS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)  # beyond: corrupt
_MS_THRESHOLD = 100_000_000_000  # c: above 1e11 is milliseconds (1e11 s is year 5138)


@dataclass(frozen=True)
class FramingLimits:
    """Bounds that keep memory flat on hostile input.

    ``max_pending``: multi-part groups waiting for their next part; the oldest is dropped
    as ``broken_multipart`` beyond it (a real feed has a few dozen at most: 10 sequence ids
    per channel per receiver). ``max_groups``: remembered tag-block groups, same idea.
    """

    max_pending: int = 10_000  # generous: 10 seq ids x 2 channels x 500 receivers
    max_groups: int = 10_000  # same order as max_pending
    # The parts of one message go out in consecutive 26.67 ms slots (ITU-R M.1371-5,
    # Annex 2 §3.3.4), so a receiver stamps them within the same second; 10 s leaves room
    # for feeds that stamp at batch time. Parts further apart belong to different messages
    # that reuse the sequence id (it cycles 0-9), and are ``broken_multipart``.
    max_part_gap_s: float = 10.0
    # Lines between consecutive parts, for feeds without times: a merged feed interleaves
    # other receivers' sentences, but at ~1,000 sentences/s (a busy national feed) parts of
    # one message are a second's lines apart at most.
    max_part_lines: int = 1_000


@dataclass
class FramedChunk:
    """One chunk of framing output: frames, framing rejects and skipped-line counts."""

    frames: pa.Table
    rejects: pa.Table
    skipped: Counter[str] = field(default_factory=Counter)


# --------------------------------------------------------------------------- pure parsing


class TagBlock(NamedTuple):
    """The fields of an NMEA 4.10 tag block that matter here."""

    ts_ms: int | None
    source: str | None
    group: tuple[int, int, str] | None  # (part, total, group id)


class Fragment(NamedTuple):
    """One parsed ``!xxVDM`` sentence with its context."""

    line: int
    raw: str
    talker: str
    total: int
    part: int
    seq: str
    channel: str
    payload: str
    fill: int
    ts_ms: int | None  # the sentence's own time (tag block, trailer or $PGHP)
    source: str | None
    group: tuple[int, int, str] | None


class Rejected(NamedTuple):
    """A line that cannot be used, with the reason."""

    reason: RejectReason
    detail: str


def nmea_checksum(text: str) -> int:
    """XOR of the characters of ``text`` (the part between ``!``/``$``/``\\`` and ``*``)."""
    value = 0
    for byte in text.encode("latin-1", errors="replace"):
        value ^= byte
    return value


def _check(body: str, given: str, what: str) -> Rejected | None:
    """Compare a checksum field with the computed one."""
    try:
        expected = int(given, 16)
    except ValueError:
        return Rejected(RejectReason.MALFORMED_SENTENCE, f"{what} checksum {given!r} is not hex")
    if len(given) > 2:
        return Rejected(RejectReason.MALFORMED_SENTENCE, f"{what} checksum {given!r} too long")
    actual = nmea_checksum(body)
    if actual != expected:
        return Rejected(
            RejectReason.BAD_CHECKSUM, f"{what} checksum {given} but content gives {actual:02X}"
        )
    return None


def _unix_ms(text: str) -> int | None:
    """A unix time in s or ms (> 1e11) as ms, or None when not a plausible number."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    ms = int(value) if value > _MS_THRESHOLD else round(value * 1000)
    return ms if _MIN_MS <= ms < _MAX_MS else None


def _parse_group(text: str) -> tuple[int, int, str] | None:
    parts = text.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def _group_added_after_checksum(body: str, given: str, bad: Rejected) -> bool:
    """A tag block whose checksum covers everything but its ``g:`` field.

    The Norwegian Coastal Administration's open feed adds ``g:`` to tag blocks after their
    checksum is computed (every grouped line of the Kystverket sample). The sentence keeps its
    own checksum, so the AIS content is still verified; rejecting would lose every multi-part
    (type 5) message of that feed.
    """
    if bad.reason is not RejectReason.BAD_CHECKSUM or "g:" not in body:
        return False
    rest = ",".join(item for item in body.split(",") if not item.startswith("g:"))
    return f"{nmea_checksum(rest):02X}" == given.upper().rjust(2, "0")


def parse_tag_block(block: str) -> TagBlock | Rejected:
    """Parse the text between the two backslashes of a tag block (``s:..,c:..*hh``)."""
    body, star, given = block.partition("*")
    if not star:
        return Rejected(RejectReason.MALFORMED_SENTENCE, "tag block without *checksum")
    bad = _check(body, given, "tag block")
    if bad is not None and not _group_added_after_checksum(body, given, bad):
        return bad
    ts_ms: int | None = None
    source: str | None = None
    group: tuple[int, int, str] | None = None
    for item in body.split(","):
        key, colon, value = item.partition(":")
        if not colon:
            return Rejected(RejectReason.MALFORMED_SENTENCE, f"tag block field {item!r}")
        if key == "c":
            ts_ms = _unix_ms(value)
            if ts_ms is None:
                return Rejected(RejectReason.BAD_TIMESTAMP, f"tag block time c:{value}")
        elif key == "s":
            source = value or None
        elif key == "g":
            group = _parse_group(value)
            if group is None:
                return Rejected(RejectReason.MALFORMED_SENTENCE, f"tag block group g:{value}")
    return TagBlock(ts_ms, source, group)


def parse_trailer(rest: str) -> tuple[int | None, str | None]:
    """Time and station from USCG/NAIS fields after the checksum (``,r003669945,1325394060``).

    The time is the last all-digit field that is a plausible unix time (s or ms); the station
    is the first field that starts with ``r`` or ``b`` (receiver / base station id).
    """
    ts_ms: int | None = None
    station: str | None = None
    for item in rest.split(",")[1:]:
        if item.isdigit() and 9 <= len(item) <= 13:
            ts_ms = _unix_ms(item) or ts_ms
        elif station is None and len(item) > 1 and item[0] in "rb" and item[1:].isalnum():
            station = item
    return ts_ms, station


def parse_pghp(sentence: str) -> int | Rejected:
    """Time (ms) of a Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...*hh`` line."""
    body, star, given = sentence[1:].partition("*")
    if not star:
        return Rejected(RejectReason.MALFORMED_SENTENCE, "$PGHP without *checksum")
    bad = _check(body, given[:2], "sentence")
    if bad is not None:
        return bad
    fields = body.split(",")
    if len(fields) < 9 or fields[1] != "1":
        return Rejected(RejectReason.MALFORMED_SENTENCE, "$PGHP is not a type 1 time record")
    try:
        y, mo, d, h, mi, s, ms = (int(v) for v in fields[2:9])
        when = datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)
    except (ValueError, OverflowError):  # out of range, or beyond a C int
        return Rejected(RejectReason.BAD_TIMESTAMP, f"$PGHP date {','.join(fields[2:9])}")
    stamp = int(when.timestamp() * 1000)
    if not _MIN_MS <= stamp < _MAX_MS:
        return Rejected(RejectReason.BAD_TIMESTAMP, f"$PGHP date {when.isoformat()}")
    return stamp


def _is_vdm(head: str) -> bool:
    return len(head) == 6 and head[0] == "!" and head[3:5] == "VD" and head[5] in "MO"


def parse_vdm(
    sentence: str, tag: TagBlock | None, line: int, raw: str, ts_ms: int | None
) -> Fragment | Rejected:
    """Parse ``!xxVDM,total,part,seq,channel,payload,fill*hh[,trailer...]``.

    ``ts_ms`` is a time from a preceding ``$PGHP`` line, used when the sentence has none.
    """
    body, star, after = sentence[1:].partition("*")
    if not star or len(after) < 2:
        return Rejected(RejectReason.MALFORMED_SENTENCE, "no *checksum")
    given, rest = after[:2], after[2:]
    bad = _check(body, given, "sentence")
    if bad is not None:
        return bad
    if rest and rest[0] != ",":
        return Rejected(RejectReason.MALFORMED_SENTENCE, f"text after checksum: {rest[:20]!r}")
    fields = body.split(",")
    if len(fields) != 7:
        return Rejected(RejectReason.MALFORMED_SENTENCE, f"{len(fields)} fields, expected 7")
    _, total, part, seq, channel, payload, fill = fields
    if not (total.isdigit() and part.isdigit() and fill.isdigit() and len(fill) == 1):
        return Rejected(RejectReason.MALFORMED_SENTENCE, "fragment count, number or fill bits")
    n_total, n_part, n_fill = int(total), int(part), int(fill)
    if not (1 <= n_part <= n_total <= 9 and n_fill <= 5):
        return Rejected(RejectReason.MALFORMED_SENTENCE, f"fragment {part} of {total}, fill {fill}")
    trailer_ts, station = parse_trailer(rest) if rest else (None, None)
    own_ts = tag.ts_ms if tag is not None and tag.ts_ms is not None else trailer_ts
    source = tag.source if tag is not None and tag.source is not None else station
    return Fragment(
        line,
        raw,
        fields[0][:2],
        n_total,
        n_part,
        seq,
        channel,
        payload,
        n_fill,
        own_ts if own_ts is not None else ts_ms,
        source,
        tag.group if tag is not None else None,
    )


# --------------------------------------------------------------------------- stateful stream


class _Out:
    """Column buffers of one chunk."""

    def __init__(self) -> None:
        self.cols: dict[str, list[object]] = {name: [] for name in FRAMES.names}
        self.rej: dict[str, list[object]] = {"line": [], "reason": [], "detail": [], "raw": []}
        self.skipped: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.cols["line"]) + len(self.rej["line"])

    def frame(self, frags: list[Fragment], ts_ms: int, assumed: bool) -> None:
        last = frags[-1]
        c = self.cols
        c["payload"].append("".join(f.payload for f in frags))
        c["fill_bits"].append(last.fill)
        c["ts"].append(ts_ms)
        c["time_assumed"].append(assumed)
        c["source"].append(frags[0].source)
        c["line"].append(frags[0].line)
        c["raw"].append("\n".join(f.raw for f in frags))

    def reject(self, line: int, reason: RejectReason, detail: str, raw: str) -> None:
        r = self.rej
        r["line"].append(line)
        r["reason"].append(reason.value)
        r["detail"].append(detail)
        r["raw"].append(raw)

    def chunk(self, file: str) -> FramedChunk:
        frames = pa.table({n: pa.array(self.cols[n], FRAMES.field(n).type) for n in FRAMES.names})
        r = self.rej
        rejects = (
            make_rejects(file, r["line"], r["reason"], r["raw"], r["detail"])
            if r["line"]
            else REJECTS.empty_table()
        )
        return FramedChunk(frames.cast(FRAMES), rejects, self.skipped)


def _policy_ms(time: TimeOption) -> int | None:
    if isinstance(time, datetime):
        when = time if time.tzinfo is not None else time.replace(tzinfo=UTC)
        return int(when.timestamp() * 1000)
    return None


class _Framer:
    """Turns numbered lines into frames, rejects and skip counts, chunk by chunk."""

    def __init__(self, time: TimeOption, limits: FramingLimits) -> None:
        self.time = time
        self.fixed_ms = _policy_ms(time)
        self.limits = limits
        self.out = _Out()
        self.pending: dict[tuple[str, ...], list[Fragment]] = {}
        self.groups: dict[str, tuple[int | None, str | None]] = {}
        self.last_ms: int | None = None  # last own time seen (for --time file-order)
        self.pghp_ms: int | None = None  # time of a $PGHP line, for the next sentence

    def feed(self, number: int, text: str) -> None:
        """Handle one input line."""
        line = text.strip()
        if not line:
            self.out.skipped["blank"] += 1
            return
        if line[0] == "#":
            self.out.skipped["comment"] += 1
            return
        tag: TagBlock | None = None
        sentence = line
        if line[0] == "\\":
            end = line.find("\\", 1)
            if end < 0:
                self._reject(number, line, Rejected(RejectReason.MALFORMED_SENTENCE, "tag block"))
                return
            parsed = parse_tag_block(line[1:end])
            if isinstance(parsed, Rejected):
                self._reject(number, line, parsed)
                return
            tag, sentence = parsed, line[end + 1 :]
        self._sentence(number, line, sentence, tag)

    def _sentence(self, number: int, line: str, sentence: str, tag: TagBlock | None) -> None:
        head = sentence[:6]
        if _is_vdm(head):
            pghp, self.pghp_ms = self.pghp_ms, None
            frag = parse_vdm(sentence, tag, number, line, pghp)
            if isinstance(frag, Rejected):
                self._reject(number, line, frag)
            else:
                self._fragment(self._inherit(frag))
        elif head == "$PGHP,":
            stamp = parse_pghp(sentence)
            if isinstance(stamp, Rejected):
                self._reject(number, line, stamp)
            else:
                self.pghp_ms = stamp
        elif sentence[:1] in ("$", "!") and len(sentence) > 6 and sentence[6] == ",":
            self.out.skipped["other_sentence"] += 1
        else:
            self._reject(number, line, Rejected(RejectReason.MALFORMED_SENTENCE, "not NMEA"))

    def _reject(self, number: int, line: str, why: Rejected) -> None:
        self.out.reject(number, why.reason, why.detail, line)

    def _inherit(self, frag: Fragment) -> Fragment:
        """Tag-block groups: later sentences take the first one's time and source."""
        if frag.group is None:
            return frag
        part, total, gid = frag.group
        if part == 1:
            self.groups[gid] = (frag.ts_ms, frag.source)
            if len(self.groups) > self.limits.max_groups:
                del self.groups[next(iter(self.groups))]
            return frag
        ts_ms, source = self.groups.get(gid, (None, None))
        if part >= total:
            self.groups.pop(gid, None)
        return frag._replace(
            ts_ms=frag.ts_ms if frag.ts_ms is not None else ts_ms,
            source=frag.source if frag.source is not None else source,
        )

    def _fragment(self, frag: Fragment) -> None:
        if frag.ts_ms is not None:
            self.last_ms = frag.ts_ms
        if frag.total == 1:
            self._complete([frag])
            return
        owner = frag.group[2] if frag.group is not None else (frag.source or "")
        key = ("g" if frag.group is not None else "s", owner, frag.talker, frag.channel, frag.seq)
        waiting = self.pending.pop(key, None)
        if frag.part == 1:
            if waiting is not None:
                self._broken(waiting, "a new group with the same id started")
            self._wait(key, [frag])
            return
        if waiting is None:
            self._broken([frag], f"part {frag.part} of {frag.total} without part 1")
            return
        if waiting[-1].part + 1 != frag.part or waiting[-1].total != frag.total:
            self._broken([*waiting, frag], f"part {frag.part} after part {waiting[-1].part}")
            return
        apart = self._apart(waiting[-1], frag)
        if apart is not None:
            self._broken([*waiting, frag], apart)
            return
        waiting.append(frag)
        if frag.part == frag.total:
            self._complete(waiting)
        else:
            self._wait(key, waiting)

    def _apart(self, prev: Fragment, frag: Fragment) -> str | None:
        """Why two consecutive parts are too far apart to be one message (None: they are not)."""
        lines = frag.line - prev.line
        if lines > self.limits.max_part_lines:
            return f"part {frag.part} came {lines} lines after part {prev.part}"
        if prev.ts_ms is not None and frag.ts_ms is not None:
            gap_s = abs(frag.ts_ms - prev.ts_ms) / 1000
            if gap_s > self.limits.max_part_gap_s:
                return f"part {frag.part} came {gap_s:,.0f} s after part {prev.part}"
        return None

    def _wait(self, key: tuple[str, ...], frags: list[Fragment]) -> None:
        self.pending[key] = frags
        if len(self.pending) > self.limits.max_pending:
            oldest = next(iter(self.pending))
            self._broken(self.pending.pop(oldest), "too many incomplete groups")

    def _broken(self, frags: list[Fragment], why: str) -> None:
        for f in frags:
            detail = f"fragment {f.part} of {f.total}: {why}"
            self.out.reject(f.line, RejectReason.BROKEN_MULTIPART, detail, f.raw)

    def _complete(self, frags: list[Fragment]) -> None:
        first = frags[0]
        if first.ts_ms is not None:
            self.out.frame(frags, first.ts_ms, False)
            return
        assumed = self.fixed_ms if self.fixed_ms is not None else None
        if assumed is None and self.time == FILE_ORDER:
            assumed = self.last_ms
        if assumed is None:
            raw = "\n".join(f.raw for f in frags)
            self.out.reject(first.line, RejectReason.NO_TIMESTAMP, NO_TIMESTAMP_DETAIL, raw)
            return
        self.out.frame(frags, assumed, True)

    def finish(self) -> None:
        """End of input: every group still waiting is broken."""
        for frags in self.pending.values():
            self._broken(frags, "the input ended before the group completed")
        self.pending.clear()

    def take(self, file: str) -> FramedChunk:
        """The chunk gathered so far; start a new one."""
        chunk = self.out.chunk(file)
        self.out = _Out()
        return chunk


def iter_frames(
    lines: Iterable[str],
    *,
    file: str,
    time: TimeOption = None,
    chunk_size: int = 100_000,
    limits: FramingLimits = FramingLimits(),
) -> Iterator[FramedChunk]:
    """Frame NMEA lines into chunks of at most about ``chunk_size`` frames plus rejects.

    Streaming: memory is bounded by ``chunk_size`` and ``limits``. Line numbers are 1-based.
    """
    framer = _Framer(time, limits)
    for number, text in enumerate(lines, start=1):
        framer.feed(number, text)
        if len(framer.out) >= chunk_size:
            yield framer.take(file)
    framer.finish()
    if len(framer.out) or framer.out.skipped:
        yield framer.take(file)
