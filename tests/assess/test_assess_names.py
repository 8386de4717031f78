"""Vessel-name normalisation and the similarity used by screening."""

from __future__ import annotations

import pytest
from rapidfuzz import fuzz

from watchkeeper.assess.names import name_key, name_similarity, normalise_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M/T Yu Jong No.2", "YU JONG 2"),
        ("MT YU JONG NO 2", "YU JONG 2"),
        ("m.v. Ocean-Star II", "OCEAN STAR 2"),
        ("MV  KUM   UN SAN 03", "KUM UN SAN 3"),
        ("YUJONG2", "YUJONG 2"),
        ("SAND SWAN", "SAND SWAN"),
        ("ANA I", "ANA 1"),
        ("I AM", "I AM"),  # a leading roman letter is a word
        ("No.7 SEA", "7 SEA"),
        ("Ñandú", "NANDU"),
        ("MT", "MT"),  # a prefix alone is the name
        ("", ""),
        (None, ""),
        ("M/Y PATRIOT", "PATRIOT"),
    ],
)
def test_normalise_name(raw: str | None, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("YU JONG 2", "M/T YU JONG NO.2", 1.0, 1.0),
        ("YU JONG 2", "YUJONG II", 1.0, 1.0),
        ("YU JONG 1", "YU JONG 2", 0.0, 0.0),  # sister ships
        ("FREEDOM", "FREEDOM 1", 0.0, 0.0),
        ("FREEDOM", "FREEDOMK", 0.9, 0.95),
        ("FREEDOM", "MAGUS", 0.0, 0.3),
        ("", "FREEDOM", 0.0, 0.0),
    ],
)
def test_name_similarity(a: str, b: str, low: float, high: float) -> None:
    assert low <= name_similarity(a, b) <= high


def test_similarity_equals_bulk_scorer() -> None:
    """The bulk screen (fuzz.ratio on keys) and the pair check must agree."""
    a, b = normalise_name("SEA VIZ"), normalise_name("SAVIZ")
    assert name_similarity(a, b) == pytest.approx(
        fuzz.ratio(name_key(a), name_key(b)) / 100, abs=1e-4
    )
