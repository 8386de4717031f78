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


@pytest.mark.parametrize("mode", ["pyais", "wk_fast", "framing_fast", "ingest_fast"])
def test_contenders_measure(bench: object, tmp_path: Path, mode: str) -> None:
    path = bench.generate(tmp_path / "small.nmea", n=300, seed=2)  # type: ignore[attr-defined]
    result = bench.measure(mode, path)  # type: ignore[attr-defined]
    assert result["items"] > 0
    assert result["cpu_s"] >= 0
    assert result["peak_rss_mib"] > 0


def test_targets_follow_the_rates(bench: object) -> None:
    targets = bench._targets  # type: ignore[attr-defined]
    met = targets({"pyais": 100_000.0, "wk_fast": 1_200_000.0, "ingest_fast": 499_999.0})
    assert met == {"decode_1M_per_s": True, "decode_8x_pyais": True, "ingest_500k_per_s": False}
    assert targets({"wk_fast": 700_000.0}) == {"decode_1M_per_s": False}
