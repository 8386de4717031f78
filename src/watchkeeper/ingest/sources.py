"""Opening sources: compression by content, truncation safety, format sniffing, fingerprints.

Files arrive plain, gzip (users), zip (MarineCadastre 2015-2023) or Zstandard (MarineCadastre
2024 on), and are recognised by their magic bytes, never their names. A compressed file cut off
mid-transfer still holds good records: reading stops where the data stops and
:attr:`InflatingReader.truncated` says why, so readers quarantine only the partial last record.

Text is normalised on the way: every member of a zip is read in turn (a repeated CSV header
line dropped), a UTF-8 byte-order mark is removed, UTF-16 (by its byte-order mark) is
transcoded to UTF-8, and a file whose lines end in CR alone (old Excel, some loggers) has
them turned into LF, so that every reader sees LF-separated UTF-8 or latin-1 lines.
"""

from __future__ import annotations

import codecs
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


_NOT_HEADER = (b"!", b"$", b"\\")  # an NMEA sentence or tag block repeated is data


def _looks_utf16(data: bytes) -> bool:
    """A UTF-16 byte-order mark followed by mostly ASCII text (half its bytes NUL), not
    stray bytes that happen to be FF FE."""
    body = data[2:66]
    high = body[1::2] if data.startswith(codecs.BOM_UTF16_LE) else body[0::2]
    return len(high) > 0 and high.count(0) * 2 >= len(high)


class _ZipMembers:
    """Every file member of a zip archive, one after the other, as one stream. A member
    whose first line repeats the first member's (a CSV header) has that line dropped."""

    def __init__(self, archive: zipfile.ZipFile, members: list[str]) -> None:
        self._archive = archive
        self._todo = list(members)
        self._current: IO[bytes] | None = None
        self._header: bytes | None = None
        self._ends_in_newline = True
        self._fresh = True  # the next bytes start a member

    def _next(self) -> bool:
        if self._current is not None:
            self._current.close()
            self._current = None
        if not self._todo:
            return False
        self._current = self._archive.open(self._todo.pop(0))
        return True

    def read1(self, n: int) -> bytes:
        """Up to ``n`` bytes of the current member, moving on at its end (b"" at the end)."""
        while self._current is not None or self._next():
            assert self._current is not None
            data = self._current.read(n)
            if data:
                return self._first_of_member(data) if self._fresh else self._tail(data)
            self._next()
            self._fresh = True
        return b""

    def _first_of_member(self, data: bytes) -> bytes:
        self._fresh = False
        first = data.split(b"\n", 1)[0]
        if self._header is None:
            self._header = first
        elif first == self._header and b"\n" in data and not first.startswith(_NOT_HEADER):
            data = data[len(first) + 1 :]
        if not self._ends_in_newline:
            data = b"\n" + data
        return self._tail(data)

    def _tail(self, data: bytes) -> bytes:
        if data:
            self._ends_in_newline = data.endswith(b"\n")
        return data

    def read(self, n: int = -1) -> bytes:
        return self.read1(n if n > 0 else 1 << 20)

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        self._archive.close()


def _zip_member(raw: BinaryIO, name: str) -> _ZipMembers:
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{name}: unreadable zip (truncated?): {exc}") from exc
    members = [m for m in archive.namelist() if not m.endswith("/")]
    if not members:
        raise FormatError(f"{name}: empty zip archive")
    return _ZipMembers(archive, members)


_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class InflatingReader:
    """A binary stream, decompressed by its magic bytes; a truncation ends reading early."""

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = raw
        head = _head(raw)
        self._inner: IO[bytes] | pa.NativeFile | _ZipMembers = raw
        if head.startswith(_GZIP):
            self._inner = gzip.GzipFile(fileobj=raw, mode="rb")
        elif head.startswith(_ZSTD):
            self._inner = pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "zstd")
        elif head.startswith(_ZIP):
            self._inner = _zip_member(raw, name)
        self._truncated: str | None = None
        self._started = False
        self._utf16: codecs.IncrementalDecoder | None = None
        self._cr_only = False

    @property
    def truncated(self) -> str | None:
        """Why reading ended early (ours, or that of a caller's truncation-safe stream)."""
        return self._truncated or getattr(self._raw, "truncated", None)

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes of normalised text; b"" at the end (or at a truncation)."""
        while True:
            raw = self._read_raw(n)
            if not self._started:
                self._started = True
                data = self._sniff(raw)
            elif self._utf16 is not None:
                data = self._utf16.decode(raw, final=not raw).encode("utf-8")
            else:
                data = raw
            if data or not raw:  # a UTF-16 read may end mid-character: read on
                break
        return data.replace(b"\r", b"\n") if self._cr_only else data

    def _sniff(self, data: bytes) -> bytes:
        """Handle what the start of the text tells: BOM, UTF-16, CR-only line ends."""
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
        elif data.startswith(_UTF16_BOMS) and _looks_utf16(data):
            self._utf16 = codecs.getincrementaldecoder("utf-16")(errors="replace")
            data = self._utf16.decode(data).encode("utf-8")
        self._cr_only = b"\r" in data and b"\n" not in data
        return data

    def _read_raw(self, n: int) -> bytes:
        """Up to ``n`` bytes of the decompressed stream; b"" at the end or a truncation."""
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
    if b"\x00" in head:
        raise FormatError(
            f"{path}: not text (NUL bytes): UTF-16 without a byte-order mark, or a binary "
            "file; save it as UTF-8 (or UTF-16 with a byte-order mark)"
        )
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
