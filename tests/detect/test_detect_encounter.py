"""Encounters on hand-built tracks: antimeridian, midnight, a missed slice, symmetry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.detect import detect_encounters
from watchkeeper.tracks import clean, resample, segment
from watchkeeper.tracks.build import concat, stationary, track


def _run(*tables):  # type: ignore[no-untyped-def]
    return detect_encounters(resample(segment(clean(concat(*tables)))))


def test_pair_across_antimeridian_and_midnight() -> None:
    a = stationary(1, "2024-01-01T22:00", 30.0, 179.999, hours=4)
    b = stationary(2, "2024-01-01T22:00", 30.001, -179.999, hours=4)
    ev = _run(a, b)
    assert ev.num_rows == 1
    row = ev.to_pylist()[0]
    assert (row["mmsi"], row["other_mmsi"]) == (1, 2)
    assert row["start"].day == 1 and row["end"].day == 2


def test_one_missed_slice_does_not_split_the_run() -> None:
    a = stationary(1, "2024-01-01T00:00", 30.0, 140.0, hours=3)
    steps = [(i * 10, 0.0, 0.0) for i in range(19) if i not in (9,)]
    b = track(
        2, "2024-01-01T00:00", 30.001, 140.0, [(m, 0.0, 0.0) for m, _, _ in steps], sog_kn=0.2
    )
    # remove slice 90 min from b by a 20-minute hole (interpolated back), then a real hole:
    ev = _run(a, b)
    assert ev.num_rows == 1


def test_moving_vessels_are_not_an_encounter() -> None:
    a = track(1, "2024-01-01", 30.0, 140.0, [(i * 10, i * 3000.0, 0.0) for i in range(20)])
    b = track(2, "2024-01-01", 30.001, 140.0, [(i * 10, i * 3000.0, 0.0) for i in range(20)])
    assert _run(a, b).num_rows == 0


def test_far_apart_vessels_are_not_an_encounter() -> None:
    a = stationary(1, "2024-01-01", 30.0, 140.0, hours=3)
    b = stationary(2, "2024-01-01", 30.01, 140.0, hours=3)  # 1.1 km
    assert _run(a, b).num_rows == 0


@settings(max_examples=15, deadline=None)
@given(
    st.integers(100_000_000, 999_999_999),
    st.integers(100_000_000, 999_999_999),
    st.floats(-70, 70),
    st.floats(-179.99, 179.99),
)
def test_encounters_are_symmetric_in_the_pair(m1: int, m2: int, lat: float, lon: float) -> None:
    if m1 == m2:
        return
    a = stationary(m1, "2024-01-01T23:00", lat, lon, hours=3)
    b = stationary(m2, "2024-01-01T23:00", lat + 0.001, lon, hours=3)
    one, two = _run(a, b), _run(b, a)
    assert one.column("event_id").to_pylist() == two.column("event_id").to_pylist()
    assert one.num_rows == 1


def _sparse(mmsi: int, lat: float, minutes: list[int], east_m_per_min: float = 0.0):  # type: ignore[no-untyped-def]
    steps = [(m, m * east_m_per_min, 0.0) for m in minutes]
    return track(mmsi, "2024-01-01T21:00", lat, 140.0, steps, sog_kn=0.4)


def test_sparse_satellite_reception_still_finds_the_pair() -> None:
    # reports 40-100 min apart (satellite passes), both drifting east at 0.4 kn together
    a = _sparse(1, 30.0, [0, 55, 150, 190, 280], east_m_per_min=12.0)
    b = _sparse(2, 30.002, [10, 100, 200, 285], east_m_per_min=12.0)
    ev = _run(a, b)
    assert ev.num_rows == 1
    assert ev.to_pylist()[0]["end"].day == 2  # across midnight


def test_one_satellite_pass_together_is_not_an_encounter() -> None:
    a = _sparse(1, 30.0, [0, 4, 8])
    b = _sparse(2, 30.002, [2, 6, 10])
    assert _run(a, b).num_rows == 0


def test_a_held_vessel_that_another_only_passes_is_not_an_encounter() -> None:
    still = _sparse(1, 30.0, [0, 150, 300])
    passing = track(
        2, "2024-01-01T23:20", 30.0, 139.98, [(i * 2, i * 300.0, 0.0) for i in range(10)]
    )
    assert _run(still, passing).num_rows == 0


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-85, 85),
    st.sampled_from([-179.995, 0.0, 179.995]),
    st.integers(0, 2**31),
)
def test_grid_join_finds_exactly_the_pairs_of_a_brute_force(
    lat: float, lon: float, seed: int
) -> None:
    import numpy as np
    import pyarrow as pa

    from watchkeeper.detect.encounter import close_pairs
    from watchkeeper.tracks.geo import haversine_m, wrap_lon

    rng = np.random.default_rng(seed)
    n = 60
    la = lat + rng.uniform(-0.01, 0.01, n)
    lo = wrap_lon(lon + rng.uniform(-0.01, 0.01, n) / max(np.cos(np.radians(lat)), 0.1))
    k = rng.integers(0, 2, n)
    rs = pa.table(
        {
            "track_id": np.arange(n) * 1000 + 1000,
            "mmsi": np.arange(n) + 1,
            "slice": k,
            "lat": la,
            "lon": lo,
            "sog_kn": pa.array(np.zeros(n), pa.float32()),
        }
    )
    i, j = np.triu_indices(n, 1)
    near = (k[i] == k[j]) & (haversine_m(la[i], lo[i], la[j], lo[j]) <= 500.0)
    expected = sorted(zip((i[near] + 1).tolist(), (j[near] + 1).tolist(), strict=True))
    found = close_pairs(rs)
    got = sorted(zip(found["mmsi_a"].to_pylist(), found["mmsi_b"].to_pylist(), strict=True))
    assert got == expected
