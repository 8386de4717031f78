"""The write-ahead log: whole lines appended, a torn tail cut off at open, lines counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.live.wal import Wal, count_lines


def test_append_read_and_count(tmp_path: Path) -> None:
    wal = Wal(tmp_path / "wal.nmea")
    assert wal.append(b"a\nbb\n") == 5
    assert wal.append(b"ccc\n") == 9
    assert wal.lines() == 3
    assert wal.read(2, 9) == b"bb\nccc\n"
    assert count_lines(wal.path, 0, 5) == 2
    with pytest.raises(ValueError, match="whole lines"):
        wal.append(b"torn")
    wal.close()


def test_a_torn_last_line_is_cut_at_open(tmp_path: Path) -> None:
    path = tmp_path / "wal.nmea"
    path.write_bytes(b"one\ntwo\nthr")  # a process killed inside a write
    wal = Wal(path)
    assert wal.repaired == 3
    assert wal.end == 8
    wal.append(b"three\n")
    wal.close()
    assert path.read_bytes() == b"one\ntwo\nthree\n"


def test_a_log_without_any_newline_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "wal.nmea"
    path.write_bytes(b"partial")
    wal = Wal(path)
    assert wal.end == 0
    wal.close()
