"""Opening sources: compression by content, truncation safety, format sniffing, fingerprints.

Files arrive plain, gzip (users), zip (MarineCadastre 2015-2023) or Zstandard (MarineCadastre
2024 on), and are recognised by their magic bytes, never their names. A compressed file cut off
mid-transfer still holds good records: reading stops where the data stops and
:attr:`InflatingReader.truncated` says why, so readers quarantine only the partial last record.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO, Literal

import pyarrow as pa

from watchkeeper.errors import FormatError

__all__ = [
    "Format",
    "InflatingReader",
    "LineReader",
    "Source",
    "detect_format",
    "open_source",
    "sha256_file",
]

Format = Literal["nmea", "csv", "json", "parquet"]

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_ZIP = b"PK\x03\x04"
_SMALL_READ = 64 << 10  # what a decompressor may drop at a truncation: read little at a time


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

    @property
    def bytes_read(self) -> int:
        """Bytes consumed from the underlying (compressed) file, for progress bars."""
        try:
            return int(self._raw.tell())
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        """Close the decompressor and the underlying stream."""
        self._inner.close()
        self._raw.close()


Source = str | os.PathLike[str] | BinaryIO | InflatingReader


def open_source(source: Source, file: str | None) -> tuple[InflatingReader, str, bool]:
    """A reader, the name used in rejects, and whether we opened (and must close) it."""
    if isinstance(source, InflatingReader):
        return source, file or "<stream>", False
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


class LineReader:
    """Text lines (latin-1: never fails, keeps every byte) of an :class:`InflatingReader`.

    Iterating yields lines without their endings; :attr:`count` is the number yielded and
    :attr:`truncated` is set when a compressed stream ended early.
    """

    def __init__(
        self, reader: InflatingReader, *, block: int = 1 << 20, close_at_end: bool = False
    ) -> None:
        self.reader = reader
        self.close_at_end = close_at_end
        self.count = 0
        self._block = block

    @property
    def truncated(self) -> str | None:
        """Why reading ended early, if it did."""
        return self.reader.truncated

    def __iter__(self) -> Iterator[str]:
        rest = b""
        try:
            while data := self.reader.read(self._block):
                lines = (rest + data).split(b"\n")
                rest = lines.pop()
                self.count += len(lines)
                for raw in lines:
                    yield raw.rstrip(b"\r").decode("latin-1")
            if rest:
                self.count += 1
                yield rest.rstrip(b"\r").decode("latin-1")
        finally:
            if self.close_at_end:
                self.reader.close()


def sha256_file(path: Path, *, block: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes as stored (the chain-of-custody fingerprint)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


_PARQUET_MAGIC = b"PAR1"
_SNIFF_BYTES = 64 * 1024


def detect_format(path: Path) -> Format:
    """Recognise NMEA, CSV, JSON or Parquet (plain or compressed) from content, not the name."""
    with path.open("rb") as f:
        magic = f.read(4)
    if magic == _PARQUET_MAGIC:
        return "parquet"
    reader, _, _ = open_source(path, None)
    try:
        head = reader.read(_SNIFF_BYTES)
    finally:
        reader.close()
    lines = [ln.strip() for ln in head.decode("latin-1").splitlines() if ln.strip()][:50]
    if not lines:
        raise FormatError(f"{path}: empty file, nothing to ingest")
    data_lines = [ln for ln in lines if not ln.startswith("#")]
    nmea = sum(1 for ln in data_lines if _looks_nmea(ln))
    if nmea and nmea >= len(data_lines) // 2:
        return "nmea"
    if _looks_json(lines[0]):
        return "json"  # JSON lines or a JSON array (GFW tracks, AISHub)
    if any(sep in lines[0] for sep in (",", ";", "\t", "|")):
        return "csv"
    raise FormatError(
        f"{path}: not recognised as NMEA AIS, CSV, JSON or Parquet (first line: {lines[0][:80]!r})"
    )


def _looks_json(line: str) -> bool:
    """A JSON object or array opening (not a Markdown link such as ``[text](url)``)."""
    head = line.lstrip("\ufeff").replace(" ", "")
    return head.startswith(('{"', "[{", "[[", "[]")) or head in ("{", "[")


def _looks_nmea(line: str) -> bool:
    if line.startswith("\\"):
        return True
    return line[:1] in "!$" and len(line) > 6 and line[3:6] in ("VDM", "VDO", "GHP")
