"""Read NMEA 0183 AIS files (plain or gzip) into positions, identities and rejects.

Framing (:mod:`~watchkeeper.ingest.nmea_framing`) and payload decoding (pyais by default,
or any function with the signature of :func:`~watchkeeper.ingest.nmea_pyais.decode_frames`)
are separate steps; this module streams one through the other, chunk by chunk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Literal, Protocol

import pyarrow as pa

from watchkeeper.ingest import nmea_fast
from watchkeeper.ingest.nmea_framing import iter_frames
from watchkeeper.ingest.nmea_framing_fast import iter_frames_fast
from watchkeeper.ingest.nmea_pyais import decode_frames
from watchkeeper.ingest.options import TimeOption, raise_first_reject
from watchkeeper.ingest.sources import LineReader, open_source
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import Decoded, RejectReason

__all__ = ["Engine", "FrameDecoder", "iter_nmea", "open_lines", "read_nmea"]


class FrameDecoder(Protocol):
    """What a payload decoder looks like (pyais-based or vectorised)."""

    def __call__(
        self, frames: pa.Table, *, file: str, type24_names: dict[int, str] | None = None
    ) -> Decoded: ...


#: ``fast``: vectorised framing and numpy decoding (the default, identical output);
#: ``reference``: line-by-line framing and pyais decoding, the yardstick the fast path is
#: tested against.
Engine = Literal["fast", "reference"]


def iter_nmea(
    lines: Iterable[str],
    *,
    file: str,
    time: TimeOption = None,
    chunk_size: int = 100_000,
    engine: Engine = "fast",
    decoder: FrameDecoder | None = None,
) -> Iterator[Decoded]:
    """Decode NMEA lines chunk by chunk (memory bounded by ``chunk_size``).

    Each chunk's rejects (framing and decoding) are in line order, so ``strict`` stops at the
    first bad line. ``decoder`` overrides the engine's payload decoder.
    """
    framer = iter_frames_fast if engine == "fast" else iter_frames
    decode = decoder or (nmea_fast.decode_frames if engine == "fast" else decode_frames)
    names: dict[int, str] = {}  # type 24 part A names, carried across chunks
    for chunk in framer(lines, file=file, time=time, chunk_size=chunk_size):
        decoded = decode(chunk.frames, file=file, type24_names=names)
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
    engine: Engine = "fast",
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
    for part in iter_nmea(lines, file=file, time=time, chunk_size=chunk_size, engine=engine):
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
