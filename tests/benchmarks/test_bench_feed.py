"""The realistic feed generator writes what its docstring and the benchmark claim."""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def feed() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("benchmarks.feed")
    finally:
        sys.path.remove(str(ROOT))


def test_feed_has_the_claimed_shape(feed: ModuleType, tmp_path: Path) -> None:
    from watchkeeper.ingest.nmea import read_nmea

    path = feed.write_feed(tmp_path / "feed.nmea", 20_000, seed=11)
    lines = path.read_text().splitlines()
    assert len(lines) == 20_000
    assert all(line.startswith("\\") for line in lines)  # every line tag-blocked
    assert sum("g:" in line for line in lines) / len(lines) >= 0.25
    assert 0.02 <= 1 - len(set(lines)) / len(lines) <= 0.04  # ~3 % duplicates
    with_trailer = sum(line.rsplit("*", 1)[-1].count(",") > 0 for line in lines)
    assert 0.15 <= with_trailer / len(lines) <= 0.45
    reasons = Counter(read_nmea(path).rejects.column("reason").to_pylist())
    corrupt = reasons["bad_checksum"] + reasons["malformed_sentence"] + reasons["bad_timestamp"]
    assert 0.005 <= corrupt / len(lines) <= 0.015  # ~1 % corrupt lines
    assert feed.write_feed(path, 10, seed=1) == path  # cached: kept as it is
    assert len(path.read_text().splitlines()) == 20_000
