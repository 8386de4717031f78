"""Event details as sentences: the numbers as stored, nothing measured hidden."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.detect.registry import REGISTRY
from watchkeeper.publish.describe import describe


def test_a_deliberate_gap_says_where_it_began_and_why() -> None:
    details = {
        "duration_h": 13.613,
        "start_shore_km": 112.5,
        "cause": "deliberate",
        "deliberate": True,
        "reception": {"heard_hours": 4, "hours": 12, "edge": False},
        "in_place": False,
        "sts_candidate": True,
        "open": False,
        "params": {"min_gap_h": 6.0},
        "track_id": 412061262000,
    }
    assert describe("ais_gap", json.dumps(details)) == (
        "Silent 13.6 h, beginning 112.5 km off the coast; cause: deliberate "
        "(other vessels heard near it in 4 of 12 hours)."
    )


def test_identity_changes_and_dark_partners_read_as_sentences() -> None:
    changes = {
        "changes": [
            {"kind": "change", "field": "name", "from": "TAI FENG 17", "to": "OCEAN HARMONY"},
            {"kind": "invalid_imo", "imo": 9706398},
        ]
    }
    assert describe("identity_change", changes) == (
        "name changed from TAI FENG 17 to OCEAN HARMONY; IMO 9706398 fails its check digit."
    )
    dark = {
        "kind": "loitering_with_dark_partner",
        "candidates": [
            {"mmsi": 667347032, "likelihood": 0.806, "reason": "dark 15.8 h from 66 km away"},
            {"mmsi": 412061262, "likelihood": 0.506, "reason": "dark 13.6 h"},
        ],
    }
    text = describe("dark_sts", dark)
    assert "partner 667347032, likelihood 0.81 (dark 15.8 h from 66 km away)" in text
    assert "1 other candidate(s)" in text


def test_what_no_sentence_uses_is_listed_with_its_value() -> None:
    text = describe("encounter", {"duration_h": 2.8, "median_sog_kn": [0.5, 0.44077853858470917]})
    assert text.startswith("Two vessels alongside for 2.8 h.")
    assert "median_sog_kn: [0.5, 0.4408]" in text  # float32 noise rounded, value kept
    assert describe("new_type", {"a": 1}) == "a: 1"


@pytest.mark.parametrize("kind", [str(s.type) for s in REGISTRY])
@given(st.dictionaries(st.sampled_from(["duration_h", "cause", "place", "x"]), st.none()))
def test_any_details_of_any_type_give_text_without_failing(kind: str, d: dict[str, None]) -> None:
    assert isinstance(describe(kind, d), str)
