"""Property tests over the readers (hypothesis): any mix of real-shaped and mutated lines
through the NMEA framer and reader, the CSV reader and the OFAC list reader never raises,
and every line comes out kept, rejected with a reason, or counted as skipped.

The checks live in ``benchmarks/fuzz.py``, whose long run (``make fuzz``) feeds them
hundreds of thousands of lines; here hypothesis picks and shrinks the inputs.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
from pathlib import Path
from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
#: Examples per property: a few dozen in CI; ``make fuzz`` sets thousands.
EXAMPLES = int(os.environ.get("WATCHKEEPER_FUZZ_EXAMPLES", "40"))


def _fuzz() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("benchmarks.fuzz")
    finally:
        sys.path.remove(str(ROOT))


FUZZ = _fuzz()
_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _lines(seeds: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    """Lists of lines: seeds as they are, mutated seeds, and free text."""
    mutated = st.builds(lambda s, r: FUZZ.mutate(r, s, seeds), st.sampled_from(seeds), st.randoms())
    # (no lone surrogates: lines come from decoded bytes, which never hold them)
    chars = st.characters(exclude_categories=("Cs",), exclude_characters="\n\r")
    free = st.text(alphabet=chars, max_size=120)
    return st.lists(st.one_of(st.sampled_from(seeds), mutated, free), max_size=60)


@_SETTINGS
@given(_lines(FUZZ.NMEA_SEEDS))
def test_nmea_every_line_accounted_for(lines: list[str]) -> None:
    counts = FUZZ.check_nmea(lines)
    assert counts["lines"] == len(lines)


@_SETTINGS
@given(_lines(FUZZ.CSV_SEEDS))
def test_csv_every_line_accounted_for(lines: list[str]) -> None:
    counts = FUZZ.check_csv(lines)
    assert counts["lines"] == len(lines)


@_SETTINGS
@given(_lines(FUZZ.OFAC_SEEDS))
def test_ofac_every_line_accounted_for(lines: list[str]) -> None:
    FUZZ.check_ofac(lines)


def test_the_mutator_makes_broken_and_intact_lines() -> None:
    rng = random.Random(1)
    out = [FUZZ.mutate(rng, FUZZ.NMEA_SEEDS[3], FUZZ.NMEA_SEEDS) for _ in range(200)]
    assert FUZZ.NMEA_SEEDS[3] in out and len(set(out)) > 100
    assert not any("\n" in line for line in out)
