"""Vectorised multi-sentence reassembly, tag-block groups and receive times of fragments.

The rules are the reference framer's (:mod:`~watchkeeper.ingest.nmea_framing`), applied to a
whole block of fragments with sorts and cumulative sums instead of one fragment at a time:

* a ``$PGHP`` time goes to the next line holding a VDM sentence;
* a tag-block group (``g:part-total-id``): later parts without their own time or source take
  those of the group's part 1, until the part that ends the group;
* ``--time file-order``: the last time seen on any fragment;
* reassembly by key (group id, else source; talker; channel; sequence id): the fragments of
  one key, in line order, form runs of consecutive parts; a run of parts 1..total is a
  message; anything else is ``broken_multipart``, with the reference's detail, emitted at the
  line that broke it; consecutive parts more than ``max_part_gap_s`` or ``max_part_lines``
  apart break the run. A run still open at the end of a block waits for the next block.

Frames come out in the order the reference emits them: by the line of their last fragment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest.nmea_fast_lines import Frags

__all__ = ["END", "Broken", "GroupState", "Heads", "apply_pghp", "inherit", "reassemble"]

#: Emission line of the rejects made when the input ends (after every real line).
END = 2**62


@dataclass
class Heads:
    """Open tag-block groups carried between blocks: id, time and source of their part 1."""

    gid: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    line: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    has_ts: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    source: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))


@dataclass
class GroupState:
    """What a stream carries from one block to the next."""

    pending: Frags = field(default_factory=Frags.empty)
    heads: Heads = field(default_factory=Heads)
    last_ms: int | None = None
    pghp_ms: int | None = None


@dataclass
class Broken:
    """``broken_multipart`` rejects: fragment rows, details and emission order keys."""

    rows: list[int] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    emit: list[tuple[int, int]] = field(default_factory=list)

    def add(self, frags: Frags, idx: list[int], why: str, at: int) -> None:
        for k, i in enumerate(idx):
            self.rows.append(i)
            self.details.append(f"fragment {frags.part[i]} of {frags.total[i]}: {why}")
            self.emit.append((at, k))


def apply_pghp(
    frags: Frags,
    lines: Callable[[], np.ndarray],
    events: list[tuple[int, int]],
    state: GroupState,
    first_line: int,
) -> None:
    """Give untimed fragments the time of a ``$PGHP`` line that came just before them.

    ``lines()`` gives the block rows of the lines holding a VDM sentence (each takes the
    pending time); ``events`` the (block row, time) of valid ``$PGHP`` lines."""
    if not events and state.pghp_ms is None:
        return
    consumers = lines()
    value = np.zeros(len(consumers), np.int64)
    has = np.zeros(len(consumers), bool)
    if state.pghp_ms is not None and len(consumers):
        value[0], has[0] = state.pghp_ms, True
    for row, ms in events:
        k = int(np.searchsorted(consumers, row, side="right"))
        if k < len(consumers):
            value[k], has[k] = ms, True
    after_last = not len(consumers) or (events and events[-1][0] > consumers[-1])
    if events and after_last:
        state.pghp_ms = events[-1][1]
    elif len(consumers):
        state.pghp_ms = None
    at = np.searchsorted(consumers, frags.line - first_line)
    take = ~frags.has_ts & has[np.minimum(at, len(has) - 1)] if len(has) else None
    if take is not None and take.any():
        frags.ts = np.where(take, value[np.minimum(at, len(has) - 1)], frags.ts)
        frags.has_ts = frags.has_ts | take


def inherit(frags: Frags, state: GroupState, max_groups: int) -> None:
    """Tag-block groups: parts after the first take its time and source when they lack them."""
    heads = state.heads
    grouped = np.flatnonzero(frags.has_g)
    if not len(grouped) and not len(heads.line):
        return
    n_heads = len(heads.line)
    gid = pa.concat_arrays([heads.gid, frags.gid.take(pa.array(grouped))])
    code = pc.dictionary_encode(gid).indices.to_numpy(zero_copy_only=False)
    line = np.concatenate([heads.line, frags.line[grouped]])
    gpart = np.concatenate([np.ones(n_heads, np.int64), frags.gpart[grouped]])
    gtotal = np.concatenate([np.ones(n_heads, np.int64), frags.gtotal[grouped]])
    ts = np.concatenate([heads.ts, frags.ts[grouped]])
    has_ts = np.concatenate([heads.has_ts, frags.has_ts[grouped]])
    source = pa.concat_arrays([heads.source, frags.source.take(pa.array(grouped))])
    order = np.lexsort((line, code))
    code, gpart, gtotal = code[order], gpart[order], gtotal[order]
    is_one = gpart == 1
    popper = ~is_one & (gpart >= gtotal)
    new_gid = np.ones(len(order), bool)
    new_gid[1:] = code[1:] != code[:-1]
    new_seg = is_one | new_gid
    seg = np.cumsum(new_seg) - 1
    seg_start = np.flatnonzero(new_seg)
    pops = np.cumsum(popper) - popper  # poppers strictly before each position
    head = seg_start[seg]
    inherits = ~is_one & is_one[head] & (pops - pops[head] == 0)
    if inherits.any():
        child, parent = order[inherits], order[head[inherits]]
        rows = grouped[child - n_heads]  # a child is never a carried head (part 1)
        need_ts = ~has_ts[child]
        frags.ts[rows] = np.where(need_ts, ts[parent], ts[child])
        frags.has_ts[rows] = has_ts[child] | (need_ts & has_ts[parent])
        filled = pc.coalesce(source.take(pa.array(child)), source.take(pa.array(parent)))
        frags.source = _scatter(frags.source, rows, filled)
    # groups still open at the end: the last segment of each id, if a head not yet popped
    last_of_gid = np.append(np.flatnonzero(new_gid[1:]), len(order) - 1)
    open_head = head[last_of_gid]
    still = is_one[open_head] & (pops[last_of_gid] + popper[last_of_gid] - pops[open_head] == 0)
    keep = order[open_head[still]]
    keep = keep[np.argsort(line[keep], kind="stable")][-max_groups:]
    idx = pa.array(keep)
    state.heads = Heads(gid.take(idx), line[keep], ts[keep], has_ts[keep], source.take(idx))


def _scatter(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """``values`` with rows ``rows`` replaced by ``new``."""
    if not len(rows):
        return values
    index = np.arange(len(values))
    index[rows] = len(values) + np.arange(len(rows))
    return pa.concat_arrays([values, new.cast(values.type)]).take(pa.array(index))


@dataclass(frozen=True)
class Limits:
    """The reassembly limits, from :class:`~watchkeeper.ingest.nmea_framing.FramingLimits`."""

    max_part_gap_ms: float
    max_part_lines: int


def reassemble(
    frags: Frags, limits: Limits, broken: Broken, final: bool
) -> tuple[list[np.ndarray], Frags]:
    """Complete runs of multi-part fragments (``frags`` in line order, all multi-part).

    Returns the fragment rows of every complete message (one array of rows per total, each
    row of it one message in part order, as an n x total matrix flattened by message) and
    the fragments still waiting (the open run of each key); broken runs go to ``broken``.
    """
    n = len(frags)
    if not n:
        return [], frags
    owner = pc.if_else(pa.array(frags.has_g), frags.gid, pc.coalesce(frags.source, pa.scalar("")))
    kind = pc.if_else(pa.array(frags.has_g), pa.scalar("g"), pa.scalar("s"))
    key = pc.binary_join_element_wise(kind, owner, frags.tail, "\x1f")
    text_code = pc.dictionary_encode(key).indices.to_numpy(zero_copy_only=False)
    code = text_code.astype(np.int64) * 65536 + frags.talker
    order = np.lexsort((frags.line, code))
    c, part, total = code[order], frags.part[order], frags.total[order]
    line, ts, has_ts = frags.line[order], frags.ts[order], frags.has_ts[order]
    same = np.zeros(n, bool)
    same[1:] = c[1:] == c[:-1]
    step = np.zeros(n, bool)
    step[1:] = (part[1:] == part[:-1] + 1) & (total[1:] == total[:-1])
    near = np.ones(n, bool)
    near[1:] = line[1:] - line[:-1] <= limits.max_part_lines
    both = np.zeros(n, bool)
    both[1:] = has_ts[1:] & has_ts[:-1]
    gap = np.zeros(n, np.int64)
    gap[1:] = np.abs(ts[1:] - ts[:-1])
    near &= ~both | (gap <= limits.max_part_gap_ms)
    cont = same & step & near
    starts = np.flatnonzero(~cont)
    ends = np.append(starts[1:], n)  # exclusive
    first_part = part[starts]
    last = ends - 1
    complete = (first_part == 1) & (part[last] == total[last])
    open_run = (first_part == 1) & ~complete
    key_end = np.ones(len(starts), bool)  # the run is the last of its key
    key_end[:-1] = c[starts[1:]] != c[starts[:-1]]
    messages: list[np.ndarray] = []
    for t in np.unique(total[starts[complete]]).tolist():
        sel = starts[complete & (total[starts] == t)]
        messages.append(order[(sel[:, None] + np.arange(t)[None, :]).ravel()])
    waiting = open_run & key_end & (not final)
    irregular = np.flatnonzero(~complete & ~waiting | (first_part != 1))
    if len(irregular):
        _breaks(frags, order, starts, ends, complete, key_end, irregular, limits, broken)
    spans = zip(starts[waiting].tolist(), ends[waiting].tolist(), strict=True)
    rows = np.concatenate([order[s:e] for s, e in spans] or [np.zeros(0, np.int64)])
    return messages, frags.take(np.sort(rows))


def _breaks(
    frags: Frags,
    order: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    complete: np.ndarray,
    key_end: np.ndarray,
    runs: np.ndarray,
    limits: Limits,
    broken: Broken,
) -> None:
    """The reference's ``broken_multipart`` rejects of the runs that are not messages."""
    absorbed: set[int] = set()  # runs whose first fragment broke the run before them
    for r in runs.tolist():
        s, e = int(starts[r]), int(ends[r])
        idx = order[s:e].tolist()
        first = idx[0]
        if frags.part[first] != 1:
            rest = idx[1:] if r in absorbed else idx
            for i in rest:
                why = f"part {frags.part[i]} of {frags.total[i]} without part 1"
                broken.add(frags, [i], why, int(frags.line[i]))
            continue
        if complete[r]:
            continue
        if key_end[r]:  # open at the end of the input
            at = END + int(frags.line[idx[-1]])  # the reference's order: last update
            broken.add(frags, idx, "the input ended before the group completed", at)
            continue
        nxt = int(order[e])
        if frags.part[nxt] == 1:
            broken.add(frags, idx, "a new group with the same id started", int(frags.line[nxt]))
            continue
        absorbed.add(r + 1)
        prev = idx[-1]
        why = _why(frags, prev, nxt, limits)
        broken.add(frags, [*idx, nxt], why, int(frags.line[nxt]))


def _why(frags: Frags, prev: int, frag: int, limits: Limits) -> str:
    """Why ``frag`` does not continue the run ending at ``prev`` (the reference's words)."""
    p, q = int(frags.part[prev]), int(frags.part[frag])
    if p + 1 != q or frags.total[prev] != frags.total[frag]:
        return f"part {q} after part {p}"
    lines = int(frags.line[frag] - frags.line[prev])
    if lines > limits.max_part_lines:
        return f"part {q} came {lines} lines after part {p}"
    gap_s = abs(int(frags.ts[frag]) - int(frags.ts[prev])) / 1000
    return f"part {q} came {gap_s:,.0f} s after part {p}"
