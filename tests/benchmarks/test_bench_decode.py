"""The decode benchmark runs: its generator writes frameable NMEA and every contender works."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> object:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("benchmarks.bench_decode")
    finally:
        sys.path.remove(str(ROOT))


def test_generated_file_frames_cleanly(bench: object, tmp_path: Path) -> None:
    from watchkeeper.ingest.nmea import iter_nmea
    from watchkeeper.schema import Decoded

    path = bench.generate(tmp_path / "small.nmea", n=400, seed=1)  # type: ignore[attr-defined]
    with path.open() as lines:
        decoded = Decoded.concat(list(iter_nmea(lines, file=str(path), engine="fast")))
    assert decoded.rejects.num_rows == 0
    assert decoded.positions.num_rows > 200
    assert decoded.identities.num_rows > 5
    assert set(decoded.skipped) <= {"msg_type_4", "msg_type_21"}


@pytest.mark.parametrize("mode", ["pyais", "wk_fast", "framing_fast", "read_fast", "ingest_fast"])
def test_contenders_measure(bench: object, tmp_path: Path, mode: str) -> None:
    path = bench.generate(tmp_path / "small.nmea", n=300, seed=2)  # type: ignore[attr-defined]
    result = bench.measure(mode, path)  # type: ignore[attr-defined]
    assert result["items"] > 0
    assert result["cpu_s"] >= 0
    assert result["peak_rss_mib"] > 0


def test_targets_follow_the_rates(bench: object) -> None:
    targets = bench._targets  # type: ignore[attr-defined]
    met = targets(
        {"pyais": 100_000.0, "read_fast": 1_600_000.0, "wk_fast": 1_400_000.0,
         "ingest_fast": 499_999.0}
    )  # fmt: skip
    assert met == {
        "decode_1_5M_lines_per_s": True,
        "decode_10x_pyais": True,
        "decode_frames_1_5M_lines_per_s": False,
        "ingest_500k_lines_per_s": False,
    }
    assert targets({"read_fast": 900_000.0, "pyais": 100_000.0}) == {
        "decode_1_5M_lines_per_s": False,
        "decode_10x_pyais": False,
    }


def test_feed_shape_counts_lines(bench: object, tmp_path: Path) -> None:
    path = tmp_path / "f.nmea"
    path.write_text("a\\g:1-2-3*00\\x\nb*00,123\nb*00,123\nc\n")
    shape = bench.feed_shape(path)  # type: ignore[attr-defined]
    assert shape == {
        "lines": 4,
        "share_in_g_groups": 0.25,
        "share_with_trailer": 0.5,
        "share_duplicate_lines": 0.25,
    }
