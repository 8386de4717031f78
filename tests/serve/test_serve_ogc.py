"""GDAL's OGC API Features driver (``ogrinfo``, Debian package gdal-bin) lists the
collections and reads the items, with the partner's key; partner B's GDAL reads no A-only
item. Skipped with a message where ogrinfo is not installed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import Served

OGRINFO = shutil.which("ogrinfo")
pytestmark = pytest.mark.skipif(
    OGRINFO is None, reason="ogrinfo not installed (apt-get install gdal-bin): GDAL test skipped"
)


def _ogrinfo(url: str, key: str, *args: str) -> str:
    assert OGRINFO is not None
    cmd = [
        OGRINFO,
        "-ro",
        "--config",
        "GDAL_HTTP_HEADERS",
        f"Authorization: Bearer {key}",
        "--config",
        "GDAL_HTTP_TIMEOUT",
        "30",
        f"OAPIF:{url}",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_lists_collections(served: Served, live_url: str) -> None:
    out = _ogrinfo(live_url, served.keys["AAA"])
    assert "1: events (title: Events) (Point)" in out
    assert "2: vessels (title: Vessels) (Point)" in out
    assert "3: tracks (title: Tracks) (Line String)" in out


def test_reads_items_as_released(served: Served, live_url: str) -> None:
    a = _ogrinfo(live_url, served.keys["AAA"], "-al", "events")
    b = _ogrinfo(live_url, served.keys["BBB"], "-al", "events")
    assert f"event_id (String) = {served.only_a_event_id}" in a
    assert f"event_id (String) = {served.shared_event_id}" in a
    assert served.only_a_event_id not in b
    assert f"event_id (String) = {served.shared_event_id}" in b
    assert "POINT (" in a


def test_no_key_fails(live_url: str) -> None:
    assert OGRINFO is not None
    done = subprocess.run(
        [OGRINFO, "-ro", f"OAPIF:{live_url}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
