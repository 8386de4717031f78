"""Read NMEA 0183 AIS files (plain or gzip) into positions, identities and rejects.

Framing (:mod:`~watchkeeper.ingest.nmea_framing`) and payload decoding (pyais by default,
or any function with the signature of :func:`~watchkeeper.ingest.nmea_pyais.decode_frames`)
are separate steps; this module streams one through the other, chunk by chunk.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from watchkeeper.errors import FormatError
from watchkeeper.ingest.nmea_framing import iter_frames
from watchkeeper.ingest.nmea_pyais import decode_frames
from watchkeeper.ingest.options import TimeOption, raise_first_reject
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import Decoded, RejectReason

__all__ = ["FrameDecoder", "iter_nmea", "open_lines", "read_nmea"]

_GZIP_MAGIC = b"\x1f\x8b"


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


class _Lines:
    """Text lines of a file, gzip or not; a truncated gzip ends the lines and is noted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.truncated: str | None = None
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise FormatError(f"cannot read {self.path}: {exc}") from exc
        with raw:
            binary = gzip.GzipFile(fileobj=raw) if raw.read(2) == _GZIP_MAGIC else raw
            raw.seek(0)
            text = io.TextIOWrapper(binary, encoding="utf-8", errors="replace")
            try:
                for line in text:
                    self.count += 1
                    yield line
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                self.truncated = f"compressed stream ends early: {exc}"


def open_lines(path: str | os.PathLike[str]) -> Iterator[str]:
    """Lines of a plain or gzip (detected by magic bytes) text file, undecodable bytes replaced."""
    return iter(_Lines(Path(path)))


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
        lines: Iterable[str] = _Lines(Path(source))
        file = str(source)
    else:
        lines, file = source, "<lines>"
    parts: list[Decoded] = []
    for part in iter_nmea(lines, file=file, time=time, chunk_size=chunk_size):
        if strict:
            raise_first_reject(part)
        parts.append(part)
    if isinstance(lines, _Lines) and lines.truncated is not None:
        cut = make_rejects(
            file, [lines.count], [RejectReason.TRUNCATED.value], [None], [lines.truncated]
        )
        parts.append(Decoded(rejects=cut))
        if strict:
            raise_first_reject(parts[-1])
    return Decoded.concat(parts)
