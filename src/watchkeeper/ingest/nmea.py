"""Read NMEA 0183 AIS files (plain or gzip) into positions, identities and rejects.

Framing (:mod:`~watchkeeper.ingest.nmea_framing`) and payload decoding (pyais by default,
or any function with the signature of :func:`~watchkeeper.ingest.nmea_pyais.decode_frames`)
are separate steps; this module streams one through the other, chunk by chunk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Protocol

import pyarrow as pa

from watchkeeper.ingest.nmea_framing import iter_frames
from watchkeeper.ingest.nmea_pyais import decode_frames
from watchkeeper.ingest.options import TimeOption, raise_first_reject
from watchkeeper.ingest.sources import LineReader, open_source
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import Decoded, RejectReason

__all__ = ["FrameDecoder", "iter_nmea", "open_lines", "read_nmea"]


class FrameDecoder(Protocol):
    """What a payload decoder looks like (pyais-based or vectorised)."""

    def __call__(
        self, frames: pa.Table, *, file: str, type24_names: dict[int, str] | None = None
    ) -> Decoded: ...


def iter_nmea(
    lines: Iterable[str],
    *,
    file: str,
    time: TimeOption = None,
    chunk_size: int = 100_000,
    decoder: FrameDecoder = decode_frames,
) -> Iterator[Decoded]:
    """Decode NMEA lines chunk by chunk (memory bounded by ``chunk_size``).

    Each chunk's rejects (framing and decoding) are in line order, so ``strict`` stops at the
    first bad line.
    """
    names: dict[int, str] = {}  # type 24 part A names, carried across chunks
    for chunk in iter_frames(lines, file=file, time=time, chunk_size=chunk_size):
        decoded = decoder(chunk.frames, file=file, type24_names=names)
        skipped = chunk.skipped + decoded.skipped
        rejects = pa.concat_tables([chunk.rejects, decoded.rejects]).sort_by("line")
        yield Decoded(decoded.positions, decoded.identities, rejects, skipped)


def open_lines(path: str | os.PathLike[str]) -> LineReader:
    """Lines of a plain or compressed (detected by content) text file."""
    reader, _, _ = open_source(path, None)
    return LineReader(reader, close_at_end=True)


def read_nmea(
    source: str | os.PathLike[str] | Iterable[str],
    *,
    time: TimeOption = None,
    strict: bool = False,
    chunk_size: int = 100_000,
) -> Decoded:
    """Read a whole NMEA file (path, plain or gzip) or an iterable of lines into one result.

    ``strict=True`` raises :class:`~watchkeeper.errors.StrictInputError` at the first reject.
    """
    if isinstance(source, str | os.PathLike):
        lines: Iterable[str] = open_lines(source)
        file = str(source)
    else:
        lines, file = source, "<lines>"
    parts: list[Decoded] = []
    for part in iter_nmea(lines, file=file, time=time, chunk_size=chunk_size):
        if strict:
            raise_first_reject(part)
        parts.append(part)
    if isinstance(lines, LineReader) and lines.truncated is not None:
        cut = make_rejects(
            file, [lines.count], [RejectReason.TRUNCATED.value], [None], [lines.truncated]
        )
        parts.append(Decoded(rejects=cut))
        if strict:
            raise_first_reject(parts[-1])
    return Decoded.concat(parts)
