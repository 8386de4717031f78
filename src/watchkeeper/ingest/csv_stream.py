"""Opening a CSV source: plain, gzip, Zstandard or zip, recognised by content, truncation-safe.

MarineCadastre publishes ``.zip`` (one CSV inside, 2015-2023) and ``.csv.zst`` (2024 on);
users also gzip their own. A compressed file cut off mid-transfer still holds good rows:
reading stops where the data stops and :attr:`InflatingReader.truncated` says why, so the
reader can quarantine the last, partial line and keep everything before it.
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from pathlib import Path
from typing import IO, BinaryIO

import pyarrow as pa

from watchkeeper.errors import FormatError

__all__ = ["InflatingReader", "open_source"]

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_ZIP = b"PK\x03\x04"
_SMALL_READ = 64 << 10  # what a decompressor may drop at a truncation: read little at a time

Source = str | os.PathLike[str] | BinaryIO


def _head(raw: BinaryIO) -> bytes:
    """The first bytes of ``raw`` without consuming them (b"" if it cannot tell)."""
    if hasattr(raw, "peek"):
        return bytes(raw.peek(4)[:4])
    if raw.seekable():
        pos = raw.tell()
        head = raw.read(4)
        raw.seek(pos)
        return head
    return b""


def _zip_member(raw: BinaryIO, name: str) -> IO[bytes]:
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{name}: unreadable zip (truncated?): {exc}") from exc
    members = [m for m in archive.namelist() if not m.endswith("/")]
    csvs = [m for m in members if m.lower().endswith(".csv")] or members
    if not csvs:
        raise FormatError(f"{name}: empty zip archive")
    return archive.open(csvs[0])


class InflatingReader:
    """A binary stream, decompressed by its magic bytes; a truncation ends reading early."""

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = raw
        head = _head(raw)
        self._inner: IO[bytes] | pa.NativeFile = raw
        if head.startswith(_GZIP):
            self._inner = gzip.GzipFile(fileobj=raw, mode="rb")
        elif head.startswith(_ZSTD):
            self._inner = pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "zstd")
        elif head.startswith(_ZIP):
            self._inner = _zip_member(raw, name)
        self._truncated: str | None = None

    @property
    def truncated(self) -> str | None:
        """Why reading ended early (ours, or that of a caller's truncation-safe stream)."""
        return self._truncated or getattr(self._raw, "truncated", None)

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; b"" at the end (or at a truncation)."""
        if self._truncated is not None:
            return b""
        try:
            if hasattr(self._inner, "read1") and not isinstance(self._inner, pa.NativeFile):
                return bytes(self._inner.read1(n))  # each piece as soon as it exists
            return bytes(self._inner.read(min(n, _SMALL_READ)) or b"")
        except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
            self._truncated = f"compressed stream ends early: {exc}"
            return b""

    def close(self) -> None:
        """Close the decompressor and the underlying stream."""
        self._inner.close()
        self._raw.close()


def open_source(source: Source, file: str | None) -> tuple[InflatingReader, str, bool]:
    """A reader, the name used in rejects, and whether we opened (and must close) it."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise FormatError(f"{path}: no such file")
        name = file or str(path)
        raw = path.open("rb")
        try:
            return InflatingReader(raw, name), name, True
        except BaseException:
            raw.close()
            raise
    name = file or str(getattr(source, "name", "<stream>"))
    return InflatingReader(source, name), name, False
