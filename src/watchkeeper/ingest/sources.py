"""Opening sources: gzip detection, format sniffing, byte counting and truncation handling."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from watchkeeper.errors import FormatError

__all__ = ["Format", "SafeStream", "detect_format", "iter_lines", "open_binary", "sha256_file"]

Format = Literal["nmea", "csv", "parquet"]

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_SNIFF_BYTES = 64 * 1024


def sha256_file(path: Path, *, block: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes as stored (the chain-of-custody fingerprint)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


class SafeStream(io.RawIOBase):
    """A readable stream that counts compressed bytes and turns a truncated gzip into EOF.

    A file cut off mid-transfer is common; its complete part is still good data. When the
    decompressor fails, reading ends and :attr:`truncated` holds the reason.
    """

    def __init__(self, raw: BinaryIO, inner: BinaryIO) -> None:
        self._raw = raw
        self._inner = inner
        self.truncated: str | None = None

    def readable(self) -> bool:
        return True

    @property
    def bytes_read(self) -> int:
        """Bytes consumed from the file on disk (for progress bars)."""
        return self._raw.tell()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.truncated is not None:
            return 0
        try:
            data = self._inner.read(len(buffer))
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            self.truncated = f"compressed stream ends early: {exc}"
            return 0
        n = len(data)
        buffer[:n] = data
        return n

    def close(self) -> None:
        self._inner.close()
        self._raw.close()
        super().close()


def open_binary(path: Path) -> SafeStream:
    """Open ``path`` for reading, decompressing gzip transparently."""
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    inner: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if head == _GZIP_MAGIC else raw  # type: ignore[assignment]
    return SafeStream(raw, inner)


def iter_lines(stream: SafeStream) -> Iterator[str]:
    """Text lines (latin-1: never fails, keeps every byte) without line endings."""
    text = io.TextIOWrapper(io.BufferedReader(stream), encoding="latin-1", newline="")
    for line in text:
        yield line.rstrip("\r\n")


def detect_format(path: Path) -> Format:
    """Recognise NMEA, CSV or Parquet from the file's content, not its name."""
    with path.open("rb") as f:
        magic = f.read(4)
    if magic == _PARQUET_MAGIC:
        return "parquet"
    stream = open_binary(path)
    try:
        head = stream.read(_SNIFF_BYTES) or b""
    finally:
        stream.close()
    text = head.decode("latin-1")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:50]
    if not lines:
        raise FormatError(f"{path}: empty file, nothing to ingest")
    nmea = sum(1 for ln in lines if _looks_nmea(ln))
    if nmea and nmea >= len([ln for ln in lines if not ln.startswith("#")]) // 2:
        return "nmea"
    if "," in lines[0] or ";" in lines[0] or "\t" in lines[0]:
        return "csv"
    raise FormatError(
        f"{path}: not recognised as NMEA AIS, CSV or Parquet (first line: {lines[0][:80]!r})"
    )


def _looks_nmea(line: str) -> bool:
    if line.startswith("\\"):
        return True
    return line[:1] in "!$" and len(line) > 6 and line[3:6] in ("VDM", "VDO", "GHP")
