"""Acceptance on real US traffic: the riskiest vessels are not US vessels whose Coast Guard
official number sits in the IMO field (``vessels --top 20``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from watchkeeper import Workspace, ingest_files
from watchkeeper.assess.vessels import build_vessels
from watchkeeper.context.imo import imo_kind
from watchkeeper.detect.run import detect_workspace

HERE = Path(__file__).resolve().parents[1]
EXCERPT = HERE / "data" / "noaa_2022_01_03_excerpt.csv.gz"
SAMPLE = HERE.parent.parent / "shared/data/csv/noaa/AIS_2022_01_03_first99999.csv.gz"


def _top(path: Path, tmp_path: Path, n: int = 20) -> tuple[list[dict[str, Any]], list[int]]:
    """The top ``n`` vessels after ingest and detect, and the MMSIs of every vessel whose
    IMO field holds a Coast Guard number."""
    ws = Workspace(tmp_path / "ws")
    ingest_files([path], ws)
    detect_workspace(ws)
    rows = build_vessels(ws).to_pylist()
    uscg = [
        r["mmsi"]
        for r in rows
        if any(imo_kind(i, r["mmsi"]) == "uscg_doc" for i in r["imos"] or [])
    ]
    return rows[:n], uscg


def _check(top: list[dict[str, Any]], uscg: list[int]) -> None:
    assert len(uscg) >= 40  # the data is full of them: the check below can fail
    for v in top:
        reasons = {r["reason"]: r for r in json.loads(v["reasons"])}
        assert v["mmsi"] not in uscg or "invalid_imo" not in reasons, v
        if "invalid_imo" in reasons:  # any invalid IMO left is 7 digits, no official number
            assert all(imo_kind(i, v["mmsi"]) != "uscg_doc" for i in v["imos"])
    assert not [v for v in top[:5] if v["mmsi"] in uscg]


def test_top_20_of_a_real_excerpt_is_not_led_by_coast_guard_numbers(tmp_path: Path) -> None:
    top, uscg = _top(EXCERPT, tmp_path)
    _check(top, uscg)


def test_top_20_of_the_noaa_2022_sample(tmp_path: Path) -> None:
    """The whole NOAA 2022 sample (../shared/data); skipped without it."""
    if not SAMPLE.is_file():
        pytest.skip(f"real data not found at {SAMPLE}")
    top, uscg = _top(SAMPLE, tmp_path)
    _check(top, uscg)
    # no vessel gets invalid_imo through a Coast Guard number, in the whole table too
    assert len(uscg) >= 50
