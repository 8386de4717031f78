"""The write-ahead log: every raw line a feed delivers, appended before anything else.

One append-only file of newline-terminated lines (bytes as received). A line's place is its
byte offset and its line number (from 1), which is the ``line`` of the positions it gives,
so a batch ingest of the log file gives the same rows as the live store. Appends are
whole lines; a torn last line (a process killed inside a write, a power cut) is cut off
when the log is opened again. :meth:`Wal.sync` (``fsync``) runs before each store batch is
committed, so what the store holds is durable in the log too; lines appended since the last
sync survive a killed process (they are in the kernel's page cache) but not a power cut.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["Wal", "count_lines"]

#: Bytes per read when scanning the log (counting lines, reading a batch).
_READ = 1 << 20


def count_lines(path: Path, start: int, end: int) -> int:
    """Newlines in ``path`` between byte offsets ``start`` and ``end``."""
    n = 0
    with path.open("rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            data = f.read(min(_READ, left))
            if not data:
                break
            n += data.count(b"\n")
            left -= len(data)
    return n


class Wal:
    """An append-only log of lines; thread-safe appends, reads of any committed range."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired = _repair(path)  # bytes of a torn last line cut off at open
        self._lock = threading.Lock()
        self._file = path.open("ab")
        self._end = self._file.tell()
        self._lines: int | None = None  # lines in the log, counted on first use

    @property
    def end(self) -> int:
        """Byte offset just after the last whole line appended (and written to the OS)."""
        return self._end

    def lines(self) -> int:
        """Lines in the log."""
        with self._lock:
            if self._lines is None:
                self._lines = count_lines(self.path, 0, self._end)
            return self._lines

    def append(self, data: bytes) -> int:
        """Append whole lines (``data`` ends with a newline); returns the new end offset."""
        if not data:
            return self._end
        if not data.endswith(b"\n"):
            raise ValueError("the write-ahead log takes whole lines only")
        with self._lock:
            self._file.write(data)
            self._file.flush()  # to the OS: a killed process loses nothing written
            self._end += len(data)
            if self._lines is not None:
                self._lines += data.count(b"\n")
            return self._end

    def sync(self) -> None:
        """Make every appended line durable (``fsync``)."""
        with self._lock:
            os.fsync(self._file.fileno())

    def read(self, start: int, end: int) -> bytes:
        """The bytes between two offsets (both at line starts)."""
        with self.path.open("rb") as f:
            f.seek(start)
            return f.read(end - start)

    def close(self) -> None:
        """Flush and close the log."""
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()


def _repair(path: Path) -> int:
    """Cut a torn last line (no newline) off the log; returns the bytes removed."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("r+b") as f:
        pos = size
        while pos > 0:
            step = min(_READ, pos)
            f.seek(pos - step)
            block = f.read(step)
            nl = block.rfind(b"\n")
            if nl >= 0:
                keep = pos - step + nl + 1
                if keep != size:
                    f.truncate(keep)
                return size - keep
            pos -= step
        f.truncate(0)
        return size
