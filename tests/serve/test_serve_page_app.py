"""The common operational picture against the real service (``watchkeeper.serve.app``).

The same browser checks as ``test_serve_page.py`` runs against its fixture service, here on
the contract's ``served`` fixture (partners AAA and BBB, one event released to AAA only, one
event and one vessel case to both). Skipped while ``watchkeeper.serve.app`` does not exist.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from typing import Any

import pytest
from test_serve_page import CHROMIUM, SKIP_REASON, check_partners, live, saver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON),
    pytest.mark.skipif(
        importlib.util.find_spec("watchkeeper.serve.app") is None,
        reason="needs the service (watchkeeper.serve.app)",
    ),
]


def _vessel(base: str, key: str, mmsi: int) -> dict[str, Any]:
    """The released vessel case of ``mmsi`` as the API gives it to ``key``."""
    url = f"{base}/collections/vessels/items?limit=1000"
    found: dict[str, Any] = {}
    while url and not found:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(req, timeout=30) as r:  # loopback only
            fc = json.load(r)
        found = next((f for f in fc["features"] if f["properties"]["mmsi"] == mmsi), {})
        url = next((lk["href"] for lk in fc.get("links", []) if lk["rel"] == "next"), "")
        url = url if fc["features"] else ""
    return found


def test_page_two_partners_real_service(request: pytest.FixtureRequest) -> None:
    served = request.getfixturevalue("served")
    with live(served.app) as base:
        a, _ = check_partners(served, base, saver())
        case = _vessel(base, served.keys["AAA"], served.shared_mmsi)
    assert case, "the shared vessel case is released to AAA"
    props = case["properties"]
    # the vessel panel shows the case's reasons and each sanction's explanation; the case
    # report opens from it
    assert a.reasons == [r.get("text") or r["key"] for r in props["reasons"]]
    for s in props["sanctions"]:
        assert s["explanation"] in a.sanctions
    if props.get("report_url"):
        assert str(served.shared_mmsi) in a.report
