"""Encounters on real harbour situations (excerpts of the NOAA 2020-01-01 day, tests/data):
ferries at a terminal, yachts in a marina, fishing boats in a harbour and a tug alongside a
tanker are never STS encounters: only service contacts or meetings in port."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from watchkeeper import read_csv
from watchkeeper.detect.encounter import EncounterParams
from watchkeeper.detect.run import DetectParams, detect_all

DATA = Path(__file__).resolve().parents[1] / "data"
KEEP = DetectParams(detectors={"encounter": EncounterParams(keep_in_port=True, keep_service=True)})
SERVICE = DetectParams(detectors={"encounter": EncounterParams(keep_service=True)})


def _encounters(name: str, params: DetectParams = KEEP) -> list[dict[str, Any]]:
    decoded = read_csv(DATA / name)
    ev = detect_all(decoded.positions, identities=decoded.identities, params=params)
    rows = [r for r in ev.to_pylist() if r["type"] == "encounter"]
    for r in rows:
        r["details"] = json.loads(r["details"])
    return rows


@pytest.mark.parametrize(
    ("name", "pairs"),
    [
        # two Circle Line sightseeing boats (type 60) berthed side by side at Pier 83, Manhattan
        ("noaa-2020-01-01-circle-line-pier83.csv.gz", 1),
        # three yachts (36, 37) in Schooner Cove marina, Nanoose Bay, British Columbia
        ("noaa-2020-01-01-yachts-schooner-cove-marina.csv.gz", 2),
        # ferry WSF WALLA WALLA (60) at Winslow (Bainbridge Island) and a yacht (37)
        ("noaa-2020-01-01-ferry-and-yacht-winslow.csv.gz", 1),
    ],
)
def test_people_carriers_in_port_are_service_contacts(name: str, pairs: int) -> None:
    rows = _encounters(name)
    assert len(rows) >= pairs  # they did sit together: the detector sees the meetings
    for r in rows:
        d = r["details"]
        assert d["service"] and "not an STS class" in d["reason"]
        assert r["risk"] == 0.0 and d["places_checked"]
    # by default (keep_in_port and keep_service off) the marina and terminal meetings are dropped
    assert _encounters(name, DetectParams()) == []


def test_fishing_boats_in_their_harbour_are_in_port() -> None:
    rows = _encounters("noaa-2020-01-01-fishing-harbour-french-creek.csv.gz")
    assert len(rows) >= 3
    for r in rows:
        d = r["details"]
        assert d["classes"] == ["fishing", "fishing"] and not d["service"]  # still candidates
        assert d["in_port"] and d["place"] and r["risk"] == 0.0
    assert _encounters("noaa-2020-01-01-fishing-harbour-french-creek.csv.gz", DetectParams()) == []


def test_tug_alongside_a_tanker_is_a_service_contact_with_its_confidence() -> None:
    # the articulated tug-barge OSG HORIZON (31) 8 h alongside the tanker CAPE BAXLEY (80) at
    # the Big Stone Beach anchorage, Delaware Bay: lightering, by harbour craft
    name = "noaa-2020-01-01-tug-alongside-tanker-big-stone.csv.gz"
    assert _encounters(name, DetectParams()) == []  # by default service contacts are dropped
    rows = _encounters(name, SERVICE)
    assert len(rows) == 1
    r, d = rows[0], rows[0]["details"]
    assert {r["mmsi"], r["other_mmsi"]} == {338447000, 538090158}
    assert d["service"] and "type 31" in d["reason"] and r["risk"] == 0.0
    assert sorted(d["classes"]) == ["service", "tanker"]
    assert r["confidence"] == pytest.approx(min(1.0, 0.6 + d["observed_h"] / 10.0), abs=1e-3)


def test_two_vessels_of_declared_type_other_are_a_service_contact() -> None:
    # the Sandy Hook pilot station off Ambrose: NEW YORK (IMO 7437068) and WANDERER, both AIS
    # type 90, drifting together at 1-2 kn for the whole day, 15 km from the nearest anchorage
    name = "noaa-2020-01-01-pilot-station-sandy-hook.csv.gz"
    assert _encounters(name, DetectParams()) == []
    rows = _encounters(name, SERVICE)
    assert len(rows) >= 1
    for r in rows:
        assert {r["mmsi"], r["other_mmsi"]} == {367008090, 367726790}
        assert r["details"]["service"] and "both declare" in r["details"]["reason"]
