"""Gaps: closed, open, monotone in the threshold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.detect import GapParams, detect_gaps
from watchkeeper.tracks import clean, segment
from watchkeeper.tracks.build import concat, parse_time, track


def _tracks(*t):  # type: ignore[no-untyped-def]
    return segment(clean(concat(*t)))


def test_closed_and_open_gaps() -> None:
    a = track(1, "2024-01-01T20:00", 10.0, 120.0, [(0, 0, 0), (60, 0, 0), (60 * 9, 0, 0)])
    ev = detect_gaps(_tracks(a), data_end=parse_time("2024-01-02T12:00"))
    rows = sorted(ev.to_pylist(), key=lambda r: r["start"])
    assert len(rows) == 2
    assert rows[0]["end"] is not None and rows[1]["end"] is None


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.integers(1, 30 * 60), min_size=2, max_size=12), st.floats(1, 10), st.floats(0, 10)
)
def test_gap_count_is_monotone_in_the_threshold(steps: list[int], lo: float, extra: float) -> None:
    minutes = [sum(steps[: i + 1]) for i in range(len(steps))]
    t = _tracks(track(1, "2024-01-01", 0.0, 0.0, [(m, 0.0, 0.0) for m in minutes]))
    n_lo = detect_gaps(t, params=GapParams(min_gap_h=lo, suspicious_h=lo + 20)).num_rows
    n_hi = detect_gaps(t, params=GapParams(min_gap_h=lo + extra, suspicious_h=lo + 30)).num_rows
    assert n_hi <= n_lo
