"""The audit log: every read and write, one JSON line each, chained by SHA-256.

Each line holds ``seq`` (1, 2, ...), ``prev`` (the hash of the line before; 64 zeros for the
first) and ``hash`` = SHA-256 of ``prev`` followed by the line's other fields as canonical
JSON. Changing a line breaks its own hash; removing one breaks the ``seq`` run and the next
line's ``prev``; removing the last lines is caught by the head (last ``seq`` and ``hash``)
kept in the service database and updated with every append. Someone able to rewrite both the
file and the database can forge a consistent log: for that, copy the head that
``watchkeeper audit --verify`` prints somewhere else from time to time.

Appends are serialised by an exclusive ``flock`` on the file (the server and the CLI may
write at once) and, inside one process, by a lock (threads of the server).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchkeeper.serve.db import ServiceDB

__all__ = ["GENESIS", "AuditLog", "Verification", "line_hash"]

GENESIS = "0" * 64
_TAIL_BYTES = 65536  # a line is < 4 KiB (paths and queries are cut to 1,000 characters)


def _canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def line_hash(prev: str, record: dict[str, Any]) -> str:
    """The hash of a line: SHA-256 of ``prev`` + the canonical JSON of its fields except
    ``hash``."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256((prev + _canonical(body)).encode("utf-8")).hexdigest()


@dataclass
class Verification:
    """What ``verify`` found: lines read, the head, and each problem as a sentence."""

    lines: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain is intact and matches the recorded head."""
        return not self.problems


class AuditLog:
    """Append-only, hash-chained JSON lines at ``path``, anchored in ``db``."""

    def __init__(self, path: str | Path, db: ServiceDB) -> None:
        self.path = Path(path)
        self.db = db
        self._lock = threading.Lock()
        self._last: tuple[int, int, str] | None = None  # (file size, seq, hash) after our append

    def append(
        self,
        *,
        who: str,
        action: str,
        target: str,
        status: int,
        marking: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one line (who did what to which target, the outcome and the marking of
        what was returned or written) and return it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if self._last is not None and self._last[0] == size:
                    seq, prev = self._last[1], self._last[2]
                else:
                    seq, prev = _tail(fd, size)
                record: dict[str, Any] = {
                    "seq": seq + 1,
                    "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "who": who,
                    "action": action,
                    "target": target[:1000],
                    "status": status,
                    "marking": marking,
                    "detail": detail or {},
                    "prev": prev,
                }
                record["hash"] = line_hash(prev, record)
                data = (_canonical(record) + "\n").encode("utf-8")
                os.write(fd, data)
                # one statement, atomic on its own (autocommit): appends are already
                # serialised by the file lock, so no write transaction is needed around it
                with self.db.session() as con:
                    con.execute(
                        "INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, ?, ?)",
                        (record["seq"], record["hash"]),
                    )
                self._last = (size + len(data), record["seq"], record["hash"])
            finally:
                os.close(fd)  # closing releases the flock
        return record

    def verify(self) -> Verification:
        """Check every line's hash, the ``seq`` run and ``prev`` links, and the head."""
        out = Verification()
        with self.db.session() as con:
            head = con.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        if not self.path.exists():
            if head is not None:
                out.problems.append(f"the log is missing but the head records {head[0]} lines")
            return out
        seq, prev = 0, GENESIS
        with self.path.open("rb") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
            for n, raw in enumerate(fh, start=1):
                out.lines = n
                seq, prev = _check_line(n, raw, seq, prev, out.problems)
        out.head_seq, out.head_hash = seq, prev
        if head is None:
            if seq:
                out.problems.append("no head recorded in the service database")
        elif head[0] > seq:
            out.problems.append(
                f"lines removed at the end: the head records seq {head[0]}, the "
                f"log ends at seq {seq}"
            )
        elif head[0] < seq:
            out.problems.append(f"lines after seq {head[0]} (the recorded head) are not anchored")
        elif head[1] != prev:
            out.problems.append(f"line {out.lines}: changed (does not match the recorded head)")
        return out


def _check_line(n: int, raw: bytes, seq: int, prev: str, problems: list[str]) -> tuple[int, str]:
    """Check line ``n`` against the chain so far; returns the new (seq, hash)."""
    try:
        rec = json.loads(raw)
        got_seq, got_prev, got_hash = int(rec["seq"]), str(rec["prev"]), str(rec["hash"])
    except (ValueError, KeyError, TypeError):
        problems.append(f"line {n}: changed (not an audit record)")
        return seq + 1, prev
    if got_seq != seq + 1:
        problems.append(
            f"line {n}: seq {got_seq} follows seq {seq}: "
            f"{got_seq - seq - 1} line(s) removed before it"
            if got_seq > seq + 1
            else f"line {n}: seq {got_seq} out of order"
        )
    elif got_prev != prev:
        problems.append(f"line {n}: does not follow line {n - 1} (a line was changed or removed)")
    if line_hash(got_prev, rec) != got_hash:
        problems.append(f"line {n}: changed (its hash does not match its content)")
    return got_seq, got_hash


def _tail(fd: int, size: int) -> tuple[int, str]:
    """(seq, hash) of the last line of the open log (0 and the genesis hash if empty)."""
    if size == 0:
        return 0, GENESIS
    start = max(0, size - _TAIL_BYTES)
    chunk = os.pread(fd, size - start, start)
    last = chunk.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    rec = json.loads(last)
    return int(rec["seq"]), str(rec["hash"])
