"""The additive risk model: reasons, weights, event ids, cap."""

from __future__ import annotations

import json
from typing import Any

import pytest

from watchkeeper.assess.risk import (
    RiskWeights,
    VesselFacts,
    reasons_json,
    total_risk,
    vessel_reasons,
)
from watchkeeper.errors import ConfigError


def _ev(
    eid: str,
    kind: str,
    mmsi: int,
    other: int | None = None,
    *,
    conf: float | None = 1.0,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "event_id": eid,
        "type": kind,
        "mmsi": mmsi,
        "other_mmsi": other,
        "confidence": conf,
        "details": json.dumps(details or {}),
    }


def _by_reason(facts: VesselFacts, events: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {r.reason: r for r in vessel_reasons(facts, events, **kw)}


def test_quiet_vessel_has_no_reasons() -> None:
    assert vessel_reasons(VesselFacts(mmsi=211000001, flag="DE"), []) == []
    assert total_risk([]) == 0


def test_sanctioned_and_flags() -> None:
    facts = VesselFacts(
        mmsi=374208000,
        flag="PA",
        sanctions_level="match",
        sanctions_explanation="match: IMO 9018464 equal",
    )
    reasons = _by_reason(facts, [])
    w = RiskWeights()
    assert reasons["sanctioned"].weight == w.sanctioned
    assert reasons["sanctioned"].detail == "match: IMO 9018464 equal"
    assert reasons["flag_of_convenience"].weight == w.flag_of_convenience
    assert total_risk(reasons.values()) == w.sanctioned + w.flag_of_convenience


def test_review_weighs_less_than_match() -> None:
    review = total_risk(vessel_reasons(VesselFacts(mmsi=1, sanctions_level="review"), []))
    match = total_risk(vessel_reasons(VesselFacts(mmsi=1, sanctions_level="match"), []))
    assert 0 < review < match


def test_vessel_facts() -> None:
    facts = VesselFacts(mmsi=445000001, flag="KP", imos=(9074728, 956795800), names=("A", "B", "C"))
    reasons = _by_reason(facts, [])
    assert {"dprk_flag", "invalid_imo", "many_identities"} <= set(reasons)
    assert "flag_of_convenience" not in reasons  # KP is on the ITF list: the flag counts once
    assert "9074728" in reasons["invalid_imo"].detail
    assert "956795800" not in reasons["invalid_imo"].detail  # 9567958 with 00 appended


def test_events_carry_their_ids_and_count_once() -> None:
    facts = VesselFacts(mmsi=1, ship_type=84)
    events = [
        _ev("g1", "ais_gap", 1),
        _ev("g2", "ais_gap", 1, conf=0.5),
        _ev("e1", "encounter", 2, 1, conf=0.5),
        _ev("x", "unknown_type", 1),
    ]
    reasons = _by_reason(facts, events)
    assert reasons["ais_gap"].event_ids == ("g1", "g2")
    assert reasons["ais_gap"].weight == RiskWeights().ais_gap  # best confidence 1.0
    assert reasons["sts_tanker"].event_ids == ("e1",)  # this vessel is the other side
    assert reasons["sts_tanker"].weight == pytest.approx(RiskWeights().sts_tanker * 0.5)
    assert "unknown_type" not in reasons


def test_encounter_with_flagged_partner() -> None:
    facts = VesselFacts(mmsi=1, ship_type=70)
    events = [_ev("e1", "encounter", 1, 445000001), _ev("e2", "encounter", 1, 2)]
    reasons = _by_reason(facts, events, flagged={445000001})
    assert reasons["sts_with_flagged"].event_ids == ("e1",)
    assert reasons["encounter"].event_ids == ("e2",)


@pytest.mark.parametrize(
    ("kind", "details", "reason"),
    [
        ("port_visit", {"port": "Nampo", "country": "KP"}, "dprk_port_visit"),
        ("port_visit", {"port": "Shanghai", "country": "CN"}, None),
        ("port_visit", {"place": "anchorage 12", "dprk": True}, "dprk_port_visit"),
        ("port_visit", {"port": "Chongjin"}, "dprk_port_visit"),
        ("port_visit", {"params": {"kp_radius": 3}}, None),  # parameter names are not places
        ("ais_gap", {"deliberate": True}, "ais_gap_deliberate"),
        ("ais_gap", {"deliberate": False}, "ais_gap"),
        ("zone_entry", {"zone": "x", "zones": ["x", "dprk_east_waters"]}, "dprk_waters"),
        ("zone_entry", {"zone": "dprk_west_waters"}, "dprk_waters"),
        ("zone_entry", {"zone": "sts_east_china_sea"}, "sts_zone"),
        ("zone_entry", {"zone": "user_area"}, "zone_entry"),
        ("dark_sts", {}, "dark_sts"),
        ("spoofing", {}, "spoofing"),
        ("loitering", {}, "loitering"),
    ],
)
def test_event_kinds(kind: str, details: dict[str, Any], reason: str | None) -> None:
    reasons = _by_reason(VesselFacts(mmsi=1), [_ev("e", kind, 1, details=details)])
    assert (list(reasons) == [reason]) if reason else reasons == {}


def test_context_of_the_vessel() -> None:
    """STS hotspots count for merchant ships, loitering more for tankers, gaps near the DPRK."""
    zone = _ev("z", "zone_entry", 1, details={"zone": "sts_east_china_sea"})
    loiter = _ev("l", "loitering", 1)
    fishing = _by_reason(VesselFacts(mmsi=1, ship_type=30), [zone, loiter])
    tanker = _by_reason(VesselFacts(mmsi=1, ship_type=84), [zone, loiter])
    assert set(fishing) == {"zone_entry", "loitering"}
    assert set(tanker) == {"sts_zone", "tanker_loitering"}
    near = {**_ev("g1", "ais_gap", 1), "lat": 38.9, "lon": 124.0}  # off Nampo
    far = {**_ev("g2", "ais_gap", 1), "lat": 30.0, "lon": 140.0}
    reasons = _by_reason(VesselFacts(mmsi=1), [near, far])
    assert reasons["gap_near_dprk"].event_ids == ("g1",)
    assert reasons["ais_gap"].event_ids == ("g2",)


def test_cap_and_order() -> None:
    facts = VesselFacts(mmsi=445000001, flag="KP", sanctions_level="match")
    events = [_ev("d", "dark_sts", 445000001), _ev("s", "spoofing", 445000001)]
    reasons = vessel_reasons(facts, events)
    assert total_risk(reasons) == 100
    assert [r.weight for r in reasons] == sorted((r.weight for r in reasons), reverse=True)
    payload = json.loads(reasons_json(reasons))
    assert {"reason", "weight", "event_ids", "detail"} == set(payload[0])


def test_weights_are_validated() -> None:
    with pytest.raises(ConfigError):
        RiskWeights(dark_sts=-1)


def _timed(eid: str, kind: str, start: str, end: str | None) -> dict[str, Any]:
    return {**_ev(eid, kind, 1), "start": start, "end": end}


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        ("2024-03-05T06:00:00+00:00", True),  # new draught first reported inside the gap
        ("2024-03-05T20:00:00+00:00", True),  # 8 h after the gap ended
        ("2024-03-06T12:00:00+00:00", False),  # a day later: not tied to the silence
        ("2024-03-04T10:00:00+00:00", False),  # before the gap
    ],
)
def test_dark_cargo_ties_a_draught_change_to_a_gap(seen: str, expected: bool) -> None:
    gap = _timed("g", "ais_gap", "2024-03-04T14:00:00+00:00", "2024-03-05T12:00:00+00:00")
    draught = _timed("d", "draught_change", "2024-03-04T09:00:00+00:00", seen)
    reasons = _by_reason(VesselFacts(mmsi=1), [gap, draught])
    assert ("dark_cargo" in reasons) is expected
    if expected:
        assert reasons["dark_cargo"].event_ids == ("g", "d")
        assert reasons["dark_cargo"].weight == RiskWeights().dark_cargo
    # the two reasons it combines still count on their own
    assert {"ais_gap", "draught_change"} <= set(reasons)


def test_dark_cargo_needs_the_vessels_own_gap() -> None:
    gap = {**_timed("g", "ais_gap", "2024-03-04T14:00:00", "2024-03-05T12:00:00"), "mmsi": 2}
    draught = _timed("d", "draught_change", "2024-03-04T09:00:00", "2024-03-05T06:00:00")
    assert "dark_cargo" not in _by_reason(VesselFacts(mmsi=1), [gap, draught])


def _identity_ev(eid: str, mmsi: int, *changes: dict[str, Any]) -> dict[str, Any]:
    return _ev(eid, "identity_change", mmsi, conf=0.9, details={"changes": list(changes)})


def test_coast_guard_number_is_no_invalid_imo() -> None:
    """ANDREW MORAN (NOAA 2022 sample): a US tug with its Coast Guard official number."""
    facts = VesselFacts(mmsi=368217490, flag="US", ship_type=52, imos=(1317731,))
    assert vessel_reasons(facts, []) == []
    typo = VesselFacts(mmsi=368042470, flag="US", imos=(8231484,))  # above every USCG number
    assert [r.reason for r in vessel_reasons(typo, [])] == ["invalid_imo"]
    foreign = VesselFacts(mmsi=319202600, flag="KY", imos=(1317731,))  # not US: no USCG number
    assert "invalid_imo" in _by_reason(foreign, [])


def test_an_invalid_imo_counts_once() -> None:
    """The fact is seen by the vessel's identity and by an identity_change event."""
    facts = VesselFacts(mmsi=319202600, flag="KY", imos=(7368950,))
    ev = _identity_ev("i1", 319202600, {"kind": "invalid_imo", "imo": 7368950})
    reasons = _by_reason(facts, [ev])
    w = RiskWeights()
    assert set(reasons) == {"invalid_imo", "flag_of_convenience"}
    assert reasons["invalid_imo"].event_ids == ("i1",)  # listed under the reason that counted it
    assert "also seen by identity_change i1" in reasons["invalid_imo"].detail
    assert total_risk(reasons.values()) == w.invalid_imo + w.flag_of_convenience
    # an event that also saw a new fact (a rename) still counts
    rename = {"kind": "change", "field": "name", "from": "A", "to": "B"}
    both = _identity_ev("i2", 319202600, {"kind": "invalid_imo", "imo": 7368950}, rename)
    assert _by_reason(facts, [both])["identity_change"].event_ids == ("i2",)


def test_one_stop_and_one_silence_count_once() -> None:
    """A dark STS rests on the partner's loitering and on the vessels' own gaps."""
    loiter = _ev("l1", "loitering", 1)
    dark = _ev("d1", "dark_sts", 1, 2, conf=0.8, details={"loitering_event_id": "l1"})
    reasons = _by_reason(VesselFacts(mmsi=1, ship_type=84), [loiter, dark])
    assert set(reasons) == {"dark_sts"} and reasons["dark_sts"].event_ids == ("d1", "l1")
    start = "2024-03-04T14:00:00+00:00"
    gap = {**_ev("g1", "ais_gap", 2), "start": start}
    both = _ev("d2", "dark_sts", 1, 2, conf=0.8, details={"gaps": [{"mmsi": 2, "start": start}]})
    partner = _by_reason(VesselFacts(mmsi=2), [gap, both])
    assert set(partner) == {"dark_sts"}
    # the other side's gap is no fact about vessel 1's own silence
    assert set(_by_reason(VesselFacts(mmsi=1), [both])) == {"dark_sts"}


def test_a_sanctions_match_counts_once() -> None:
    """A match found through the IMO and the name is one listed hull: one reason."""
    facts = VesselFacts(
        mmsi=374208000,
        flag="PA",
        sanctions_level="match",
        sanctions_entity="ofac-freedom",
        sanctions_explanation="match: IMO 9018464 equal; name 'MAGUS' ...",
    )
    reasons = _by_reason(facts, [])
    assert set(reasons) == {"sanctioned", "flag_of_convenience"}
    assert total_risk(reasons.values()) == RiskWeights().sanctioned + 5


@pytest.mark.parametrize(
    ("details", "counts"),
    [
        ({}, True),
        ({"service": True}, False),  # harbour craft or people carrier alongside
        ({"in_port": True, "place": "LONG BEACH"}, False),
        ({"service": False, "in_port": False}, True),
    ],
)
def test_service_and_in_port_encounters_add_nothing(details: dict[str, Any], counts: bool) -> None:
    for kind in ("encounter", "dark_sts"):
        ev = _ev("e", kind, 1, 445000001, details=details)
        reasons = _by_reason(VesselFacts(mmsi=1, ship_type=84), [ev], flagged={445000001})
        assert bool(reasons) is counts


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        ({"deliberate": True}, "ais_gap_deliberate"),
        ({"deliberate": True, "cause": "deliberate"}, "ais_gap_deliberate"),
        ({"cause": "deliberate"}, "ais_gap_deliberate"),
        ({"deliberate": True, "cause": "open"}, "ais_gap"),
        ({"deliberate": True, "open": True}, "ais_gap"),
        ({"deliberate": True, "cause": "out_of_coverage"}, None),
        ({"cause": "out_of_coverage"}, None),
        ({"cause": "unexplained"}, "ais_gap"),
    ],
)
def test_only_gaps_said_deliberate_are_deliberate(
    details: dict[str, Any], reason: str | None
) -> None:
    reasons = _by_reason(VesselFacts(mmsi=1), [_ev("g", "ais_gap", 1, details=details)])
    assert list(reasons) == ([reason] if reason else [])


def test_gap_near_dprk_whatever_its_cause() -> None:
    ev = {**_ev("g", "ais_gap", 1, details={"cause": "out_of_coverage"}), "lat": 38.9, "lon": 124.0}
    assert list(_by_reason(VesselFacts(mmsi=1), [ev])) == ["gap_near_dprk"]
