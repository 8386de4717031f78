"""Every planted case is in the truth and in the data, as the truth states it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from rapidfuzz.distance import Levenshtein

from watchkeeper.simulate._geo import distance_m
from watchkeeper.simulate.fleet import valid_imo
from watchkeeper.simulate.generate import World


def _truth(sim_dir: Path) -> dict[str, Any]:
    return json.loads((sim_dir / "truth.json").read_text())


def _secs(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _positions(sim_dir: Path, mmsi: int) -> pa.Table:
    t = pq.read_table(sim_dir / "truth" / "positions.parquet", filters=[("mmsi", "=", mmsi)])
    return t.sort_by("ts")


def _times(t: pa.Table) -> np.ndarray:
    return pc.cast(t.column("ts"), pa.int64()).to_numpy() / 1000.0


def _events(sim_dir: Path, case: str) -> list[dict[str, Any]]:
    return [e for e in _truth(sim_dir)["events"] if e["case"] == case]


@pytest.mark.parametrize(
    "case",
    ["sts_visible", "sts_receiver_dark", "sts_both_dark", "spoof_jump", "shared_mmsi",
     "rename_at_sea", "fraudulent_imo", "reefer_transshipment"],
)  # fmt: skip
def test_planted_case_in_truth(sim_dir: Path, case: str) -> None:
    events = _events(sim_dir, case)
    assert events, case
    assert all(e["illicit"] == (case != "reefer_transshipment") for e in events)


def test_visible_sts_pair_close_and_slow(sim_dir: Path) -> None:
    for e in (e for e in _events(sim_dir, "sts_visible") if e["type"] == "encounter"):
        a, b = _positions(sim_dir, e["mmsi"]), _positions(sim_dir, e["other_mmsi"])
        lo, hi = _secs(e["start"]), _secs(e["end"])
        ta, tb = _times(a), _times(b)
        ia = np.flatnonzero((ta >= lo) & (ta <= hi))
        assert ia.size > 3, "both ships transmit during the transfer"
        j = np.clip(np.searchsorted(tb, ta[ia]), 0, tb.size - 1)
        near = np.abs(tb[j] - ta[ia]) < 300
        d = distance_m(a.column("lat").to_numpy()[ia], a.column("lon").to_numpy()[ia],
                       b.column("lat").to_numpy()[j], b.column("lon").to_numpy()[j])  # fmt: skip
        assert near.sum() > 3
        assert (d[near] < 500).all()
        assert (a.column("sog_kn").to_numpy()[ia] < 2).all()
        ib = np.flatnonzero((tb >= lo) & (tb <= hi))
        assert (b.column("sog_kn").to_numpy()[ib] < 2).all()


def test_dark_receiver_silent_during_its_gap(sim_dir: Path, world: World) -> None:
    dark = [v for v in world.vessels if v.dark]
    assert len(dark) >= 4  # receiver-dark, both-dark (x2), DPRK approach
    t0 = world.config.t0
    for v in dark:
        ts = _times(_positions(sim_dir, v.mmsi)) - t0
        for a, b in v.dark:
            assert not ((ts >= a) & (ts < b)).any(), v.key
    gaps = [e for e in _truth(sim_dir)["events"] if e["type"] == "ais_gap" and e["deliberate"]]
    assert {e["mmsi"] for e in gaps} >= {v.mmsi for v in dark if v.dark[0][1] < 2.9 * 86400}


def test_dark_sts_names_the_dark_partner(sim_dir: Path, world: World) -> None:
    by_mmsi = {v.mmsi: v for v in world.vessels}
    for e in (e for e in _truth(sim_dir)["events"] if e["type"] == "dark_sts"):
        partner = by_mmsi[e["other_mmsi"]]
        lo = _secs(e["start"]) - world.config.t0
        assert any(a <= lo <= b for a, b in partner.dark)


def _identities(sim_dir: Path, mmsi: int) -> pa.Table:
    t = pq.read_table(sim_dir / "truth" / "identities.parquet", filters=[("mmsi", "=", mmsi)])
    return t.sort_by("ts")


def test_rename_at_stated_time(sim_dir: Path) -> None:
    for e in _events(sim_dir, "rename_at_sea"):
        ids = _identities(sim_dir, e["mmsi"])
        ts = _times(ids)
        at = _secs(e["start"])
        names, imos = ids.column("name").to_numpy(zero_copy_only=False), ids.column("imo")
        before, after = ts < at, ts >= at
        assert set(names[after]) == {e["details"]["new_name"]}
        assert e["details"]["new_name"] not in set(names[before])
        assert set(imos.filter(pa.array(before)).to_pylist()).isdisjoint(
            imos.filter(pa.array(after)).to_pylist()
        )
        assert after.any() and before.any()


def test_draught_up_for_receiver_down_for_supplier(sim_dir: Path) -> None:
    changes = [e for e in _truth(sim_dir)["events"] if e["type"] == "draught_change"]
    assert changes
    for e in changes:
        ids = _identities(sim_dir, e["mmsi"])
        ts, dr = _times(ids), ids.column("draught_m").to_numpy()
        at = _secs(e["start"])
        before, after = dr[ts < at], dr[ts >= at]
        if before.size and after.size:
            assert np.sign(after[0] - before[-1]) == np.sign(e["details"]["delta_m"])


def test_fraudulent_and_listed_identities(sim_dir: Path) -> None:
    doc = _truth(sim_dir)
    for e in _events(sim_dir, "fraudulent_imo"):
        assert not valid_imo(e["details"]["imo"])
    listings = {x["present_mmsi"]: x for x in doc["listings"] if x["present_mmsi"]}
    sanctioned = [v for v in doc["vessels"] if v["sanctioned"]]
    assert len(sanctioned) == 3
    kinds = set()
    for v in sanctioned:
        lst, ids = listings[v["mmsi"]], _identities(sim_dir, v["mmsi"])
        imos = set(ids.column("imo").to_pylist())
        names = set(ids.column("name").to_pylist())
        if imos == {None}:
            kinds.add("no_imo")
            assert names == {lst["name"]}
        else:
            kinds.add("renamed")
            assert imos == {lst["imo"]} and lst["name"] not in names
    assert kinds == {"no_imo", "renamed"}


def test_decoys_resemble_a_listed_name(sim_dir: Path) -> None:
    doc = _truth(sim_dir)
    names = {x["entity_id"]: x["name"] for x in doc["listings"]}
    decoys = [v for v in doc["vessels"] if v["decoy"]]
    assert len(decoys) == 3
    for v in decoys:
        assert not v["sanctioned"] and not v["illicit"]
        assert 1 <= Levenshtein.distance(v["name"], names[v["lookalike_of"]]) <= 2


def test_spoof_jump_far_from_track(sim_dir: Path, world: World) -> None:
    for v in (v for v in world.vessels if v.spoof):
        t = _positions(sim_dir, v.mmsi)
        ts = _times(t) - world.config.t0
        a, b, _, _ = v.spoof[0]
        m = (ts >= a) & (ts < b)
        lat, lon, *_ = v.track.sample(ts[m])
        d = distance_m(t.column("lat").to_numpy()[m], t.column("lon").to_numpy()[m], lat, lon)
        assert (d > 30_000).all()


def test_shared_mmsi_two_places_at_once(sim_dir: Path, world: World) -> None:
    clone = next(v for v in world.vessels if v.key.startswith("clone-"))
    t = _positions(sim_dir, clone.mmsi)
    ts = _times(t)
    lat, lon = t.column("lat").to_numpy(), t.column("lon").to_numpy()
    fast = distance_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / np.maximum(np.diff(ts), 1.0)
    assert (fast > 50 * 0.514).sum() >= 3, "implied speeds above 50 kn: two ships, one MMSI"


def test_benign_long_gaps_and_dprk_visits(sim_dir: Path) -> None:
    events = _truth(sim_dir)["events"]
    benign = [e for e in events if e["type"] == "ais_gap" and not e["deliberate"] and e["end"]
              and _secs(e["end"]) - _secs(e["start"]) >= 12 * 3600]  # fmt: skip
    assert benign
    nampo = [e for e in events if e["type"] == "port_visit" and e["details"].get("port") == "Nampo"]
    assert {e["observable"] for e in nampo} == {True, False}  # one with AIS on, one dark
    assert all(e["illicit"] for e in nampo)


def test_planted_sts_points_at_sea(sim_dir: Path) -> None:
    from global_land_mask import globe

    sts = [e for e in _truth(sim_dir)["events"] if e["case"].startswith("sts_")]
    assert sts
    assert all(globe.is_ocean(e["lat"], e["lon"]) for e in sts)
