"""The places gazetteer: shipped lists, offshore places, checked searoute points, North Korea."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.context.land import is_land
from watchkeeper.context.places import (
    DPRK_ANCHORAGES,
    DPRK_PORTS,
    build_places,
    builtin_places,
    checked_searoute_ports,
    dprk_places,
    gfw_anchorages,
    read_places,
    wpi_ports,
)
from watchkeeper.context.ports import PlaceIndex, places_table, searoute_ports
from watchkeeper.tracks.build import stationary
from watchkeeper.tracks.geo import haversine_m


def test_shipped_lists_load_whole() -> None:
    gfw, wpi = gfw_anchorages(), wpi_ports()
    assert gfw.num_rows == 60_410 and wpi.num_rows == 3_669
    names = set(gfw.column("name").to_pylist())
    assert "ALGECIRAS" in names and any(n.startswith("GIBRALTAR") for n in names)
    assert set(wpi.column("country").to_pylist()) >= {"PRK", "USA"}


def test_offshore_places_are_far_from_shore_and_ports_are_not() -> None:
    gfw = gfw_anchorages()
    off = gfw.filter(gfw.column("offshore"))
    # Fujairah's offshore anchorage (an STS hub) is offshore; its port anchorage is not
    fuj = {n for n in off.column("name").to_pylist() if "FUJAIRAH OFFSHORE" in n}
    assert fuj
    idx = PlaceIndex(gfw)
    d, i = idx.nearest(np.array([36.10]), np.array([-5.415]))  # Bay of Algeciras
    assert d[0] < 3 and not gfw.column("offshore")[int(i[0])].as_py()


def test_searoute_points_at_sea_or_misplaced_are_dropped() -> None:
    raw = searoute_ports()
    checked = checked_searoute_ports()
    assert 3_000 < checked.num_rows < raw.num_rows
    names = set(checked.column("name").to_pylist())
    # searoute's Gibraltar is at Punta Carnero, Spain: 10 km from GFW's Gibraltar points
    assert "Gibraltar" in set(raw.column("name").to_pylist()) and "Gibraltar" not in names
    assert "Algeciras" in names  # where the GFW points are, it stays
    assert not pc.any(checked.column("offshore")).as_py()


def test_dprk_table_is_one_and_nampo_outer_anchorage_is_in_the_estuary() -> None:
    t = dprk_places()
    assert t.num_rows == len(DPRK_PORTS) + len(DPRK_ANCHORAGES)
    assert set(t.column("country").to_pylist()) == {"KP"}
    name, _, lat, lon, _ = DPRK_ANCHORAGES[0]
    km = float(haversine_m(lat, lon, 38.717, 125.400)) / 1000.0
    assert name.startswith("NAMPO") and 20 <= km <= 25
    assert not is_land(np.array([lat]), np.array([lon]))[0]
    assert lon < 125.2  # west of the West Sea Barrage (about 125.2 E)
    idx = PlaceIndex(builtin_places())
    d, i = idx.nearest(np.array([lat]), np.array([lon]))
    assert d[0] == 0 and idx.column("country")[int(i[0])] == "KP"


def test_user_files_in_every_format(tmp_path: Path) -> None:
    gfw_style = tmp_path / "anchorages.csv"
    with gfw_style.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["s2id", "latitude", "longitude", "label", "sublabel", "iso3"])
        w.writerow(["abc", "10.5", "100.5", "MY BERTH", "", "THA"])
        w.writerow(["abd", "bad", "100.5", "BROKEN", "", "THA"])
    wpi_style = tmp_path / "ports.csv"
    wpi_style.write_text("latitude,longitude,name\n13.08,100.88,SMALL PORT\n")
    parquet = tmp_path / "places.parquet"
    pq.write_table(
        places_table([{"name": "P", "lat": 12.0, "lon": 102.0, "kind": "port"}]), parquet
    )
    for f, name in ((gfw_style, "MY BERTH"), (wpi_style, "SMALL PORT"), (parquet, "P")):
        t = read_places(f)
        assert t.num_rows == 1 and t.column("name")[0].as_py() == name
    idx = build_places(stationary(1, "2024-01-01", 0.0, 0.0, hours=1), files=(str(wpi_style),))
    assert "user" in idx.sources or "wpi" in idx.sources
    assert idx.within(np.array([13.081]), np.array([100.88]), 1.0)[0]


coords = st.tuples(st.floats(-80, 80), st.floats(-180, 179.999))


@settings(max_examples=30, deadline=None)
@given(
    places=st.lists(st.tuples(coords, st.sampled_from([0.0, 2.0])), min_size=1, max_size=30),
    points=st.lists(coords, min_size=1, max_size=30),
    reach=st.sampled_from([1.0, 10.0, 60.0, 500.0]),
)
def test_index_agrees_with_all_pairs(
    places: list[tuple[tuple[float, float], float]],
    points: list[tuple[float, float]],
    reach: float,
) -> None:
    rows = [
        {"name": str(i), "lat": la, "lon": lo, "radius_km": r}
        for i, ((la, lo), r) in enumerate(places)
    ]
    plat = np.array([p[0][0] for p in places])
    plon = np.array([p[0][1] for p in places])
    rad = np.array([p[1] for p in places])
    qlat, qlon = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    d, i = PlaceIndex(places_table(rows)).nearest(qlat, qlon, max_km=reach)
    full = haversine_m(qlat[:, None], qlon[:, None], plat[None], plon[None]) / 1000.0
    best = np.maximum(full - rad[None], 0.0).min(axis=1)
    expect = np.where(best <= reach, best, np.inf)
    # the index picks per 110 m query cell: only near-ties may differ, by less than 0.35 km
    assert np.all(np.isinf(d) == np.isinf(expect) | (np.abs(best - reach) < 0.35))
    fin = np.isfinite(d) & np.isfinite(expect)
    assert np.all(np.abs(d[fin] - expect[fin]) < 0.35) and np.all((i >= 0) == np.isfinite(d))


def test_within_asks_in_port_offshore_places_do_not_count() -> None:
    rows = [
        {"name": "LIGHTERING AREA", "lat": 28.0, "lon": -94.0, "offshore": True},
        {"name": "HARBOUR", "lat": 29.3, "lon": -94.8},
    ]
    idx = PlaceIndex(places_table(rows))
    lat, lon = np.array([28.0, 29.3]), np.array([-94.0, -94.8])
    assert idx.within(lat, lon, 5.0).tolist() == [False, True]
    d, i = idx.nearest(lat, lon)
    assert d.tolist() == [0.0, 0.0] and i.tolist() == [0, 1]
    assert idx.nearest(lat, lon, ports_only=True)[1].tolist() == [-1, 1]
