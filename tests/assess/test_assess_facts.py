"""Fact keys: what each piece of risk evidence rests on, and counting each fact once."""

from __future__ import annotations

import json

from watchkeeper.assess.facts import Evidence, count_facts_once, event_facts


def test_strongest_evidence_counts_and_the_rest_is_listed_under_it() -> None:
    invalid = Evidence("invalid_imo", 20.0, frozenset({("invalid_imo", 7368950)}))
    seen = Evidence("identity_change", 10.0, frozenset({("invalid_imo", 7368950)}), 0.9, "i1")
    new = Evidence("identity_change", 10.0, frozenset({("identity", "name", "A", "B")}), 0.7, "i2")
    kept, also = count_facts_once([seen, new, invalid])
    assert kept == [invalid, new]
    assert also == {"invalid_imo": [seen]}


def test_event_facts() -> None:
    gap = {"event_id": "g", "type": "ais_gap", "mmsi": 2, "start": "2024-03-04T14:00:00+00:00"}
    dark = {
        "event_id": "d",
        "type": "dark_sts",
        "mmsi": 1,
        "other_mmsi": 2,
        "details": json.dumps(
            {"loitering_event_id": "l", "gaps": [{"mmsi": 2, "start": "2024-03-04T14:00:00Z"}]}
        ),
    }
    assert event_facts(gap, 2) <= event_facts(dark, 2)  # the partner's silence
    assert ("stop", "l") in event_facts(dark, 1) and ("stop", "l") not in event_facts(dark, 2)
    assert event_facts({"event_id": "x", "type": "spoofing", "mmsi": 1}, 1) == {("event", "x")}
