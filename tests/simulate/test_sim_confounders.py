"""Confounders: innocent look-alikes are in the data as described, and in the truth as decoys."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from watchkeeper.context.ports import searoute_ports
from watchkeeper.schema import EVENTS, VESSELS
from watchkeeper.simulate._geo import distance_m
from watchkeeper.simulate.confounders import confounder_places
from watchkeeper.simulate.evaluate import evaluate, load_truth, truth_as_results
from watchkeeper.simulate.fleet import valid_imo
from watchkeeper.simulate.generate import World, build_world
from watchkeeper.simulate.scenario import (
    FERRY_ROUTES,
    MARINAS,
    PORTS,
    STATIONS,
    ConfounderConfig,
    ScenarioConfig,
)

SHARED_PORTS = Path("/work/shared/data/ports")


def _truth(sim_dir: Path) -> dict[str, Any]:
    return json.loads((sim_dir / "truth.json").read_text())


def _secs(iso: str | None) -> float:
    return np.inf if iso is None else datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _track(sim_dir: Path, mmsi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = pq.read_table(sim_dir / "truth" / "positions.parquet", filters=[("mmsi", "=", mmsi)])
    t = t.sort_by("ts")
    ts = pc.cast(t.column("ts"), pa.int64()).to_numpy() / 1000.0
    return ts, t.column("lat").to_numpy(), t.column("lon").to_numpy()


def _types(world: World, role: str) -> set[int]:
    return {v.identities[0][1].ship_type for v in world.vessels if v.role == role}


def test_confounder_vessels_have_their_ais_types(world: World) -> None:
    assert _types(world, "ferry") <= {*range(40, 50), *range(60, 70)}
    assert _types(world, "ferry") & set(range(40, 50)), "a high-speed craft"
    assert _types(world, "yacht") <= {36, 37}
    assert _types(world, "tug") == {52} and _types(world, "pilot") == {50}
    assert _types(world, "tender") == {53}
    assert {v.ais_class for v in world.vessels if v.role == "yacht"} == {"A", "B"}


def test_us_flag_vessels_carry_documentation_numbers(world: World) -> None:
    us = [v for v in world.vessels if 366 <= v.mmsi // 1_000_000 <= 369]
    assert len(us) >= 3
    for v in us:
        imo = v.identities[0][1].imo
        assert v.flag == "US" and imo is not None and 100_000 <= imo <= 9_999_999
    assert any(not valid_imo(v.identities[0][1].imo or 0) for v in us)


def _dist_km(pts: np.ndarray, lat: float, lon: float) -> float:
    return float(distance_m(pts[:, 0], pts[:, 1], lat, lon).min() / 1000.0)


def _places() -> list[tuple[float, float]]:
    return [*(pt for r in FERRY_ROUTES for pt in (r.a, r.b)), *((m.lat, m.lon) for m in MARINAS)]


def test_terminals_and_marinas_are_in_no_bundled_list() -> None:
    sr = searoute_ports()
    pts = np.c_[sr.column("lat").to_numpy(), sr.column("lon").to_numpy()]
    own = np.array([pt for p in PORTS for pt in (p.berth, p.anchorage, (p.lat, p.lon))])
    for lat, lon in _places():
        assert _dist_km(pts, lat, lon) > 10 and _dist_km(own, lat, lon) > 10
        st = min(distance_m(lat, lon, s[1], s[2]) for s in STATIONS)
        assert st < 50_000, "in terrestrial coverage"


@pytest.mark.skipif(not SHARED_PORTS.exists(), reason="shared port lists not present")
def test_terminals_and_marinas_are_far_from_gfw_and_wpi() -> None:
    rows: list[tuple[float, float]] = []
    for name in ("gfw-anchorages/anchorage_overrides.csv", "wpi/WPI_ports.csv"):
        with (SHARED_PORTS / name).open(encoding="utf-8", errors="replace") as f:
            rows += [(float(r["latitude"]), float(r["longitude"])) for r in csv.DictReader(f)]
    pts = np.array(rows)
    for lat, lon in _places():
        assert _dist_km(pts, lat, lon) > 10, (lat, lon)


def test_every_kind_of_decoy_is_in_the_truth(sim_dir: Path) -> None:
    kinds = {d["kind"] for d in _truth(sim_dir)["decoys"]}
    assert kinds >= {
        "ferry_berth", "marina", "harbour_craft", "bunkering", "coverage_exit",
        "coverage_exit_near_loitering", "us_documentation_number",
    }  # fmt: skip


def test_berthed_pairs_are_side_by_side_in_the_data(sim_dir: Path) -> None:
    decoys = [d for d in _truth(sim_dir)["decoys"] if d["kind"] in ("ferry_berth", "marina")]
    assert max(_secs(d["end"]) - _secs(d["start"]) for d in decoys if d["kind"] == "marina") >= (
        12 * 3600
    )
    for d in decoys:
        a, b = _track(sim_dir, d["mmsi"]), _track(sim_dir, d["other_mmsi"])
        lo, hi = _secs(d["start"]), _secs(d["end"])
        ia = (a[0] >= lo) & (a[0] <= hi)
        ib = (b[0] >= lo) & (b[0] <= hi)
        if ia.any() and ib.any():
            med = [np.median(x[m]) for x, m in ((a[1], ia), (a[2], ia), (b[1], ib), (b[2], ib))]
            gap = distance_m(*med)
            assert gap < 500, d


def test_no_truth_loitering_at_terminals_or_marinas(sim_dir: Path) -> None:
    truth = _truth(sim_dir)
    people = {v["mmsi"] for v in truth["vessels"] if v["role"] in ("ferry", "yacht")}
    assert people
    assert not [e for e in truth["events"] if e["type"] == "loitering" and e["mmsi"] in people]


def test_coverage_exit_is_silent_and_benign(sim_dir: Path) -> None:
    truth = _truth(sim_dir)
    keel = next(s for s in STATIONS if s[0] == "rKEELUNG")
    exits = [d for d in truth["decoys"] if d["kind"] == "coverage_exit"]
    assert exits
    for d in exits:
        ts, lat, lon = _track(sim_dir, d["mmsi"])
        lo, hi = _secs(d["start"]), _secs(d["end"])
        assert not ((ts > lo + 60) & (ts < hi - 60)).any(), "nothing received while out"
        last = np.flatnonzero(ts <= lo)[-1]
        assert distance_m(lat[last], lon[last], keel[1], keel[2]) > 55_000, "left at the edge"
        gaps = [
            e for e in truth["events"]
            if e["type"] == "ais_gap" and e["mmsi"] == d["mmsi"] and _secs(e["start"]) <= lo + 120
            and _secs(e["end"]) >= min(hi, _secs(truth["end"])) - 120
        ]  # fmt: skip
        assert gaps and not any(e["deliberate"] for e in gaps)


def test_drifting_tanker_overlaps_the_silence(sim_dir: Path) -> None:
    truth = _truth(sim_dir)
    (pair,) = [d for d in truth["decoys"] if d["kind"] == "coverage_exit_near_loitering"]
    (gone,) = [
        d for d in truth["decoys"]
        if d["kind"] == "coverage_exit" and d["mmsi"] == pair["other_mmsi"]
    ]  # fmt: skip
    lo, hi = _secs(pair["start"]), _secs(pair["end"])
    assert _secs(gone["start"]) < hi and _secs(gone["end"]) > lo, "silent while it drifts"
    near = distance_m(pair["lat"], pair["lon"], gone["lat"], gone["lon"])
    assert near < 40_000, "the silence begins near the tanker"
    loiter = [
        e for e in truth["events"]
        if e["type"] == "loitering" and e["mmsi"] == pair["mmsi"] and not e["illicit"]
    ]  # fmt: skip
    assert loiter and loiter[0]["observable"]


def test_confounders_off_leave_the_rest_unchanged() -> None:
    on = build_world(ScenarioConfig(seed=4))
    off_cfg = ScenarioConfig(seed=4, confounders=ConfounderConfig(enabled=False))
    off = build_world(off_cfg)
    assert not confounder_places(off_cfg.confounders)
    roles = {v.role for v in off.vessels}
    assert not roles & {"ferry", "yacht", "tug", "pilot", "tender"}
    assert {d.kind for d in off.fleet.decoys} <= {"bunkering"}
    assert len(on.vessels) > len(off.vessels)
    for a, b in zip(off.vessels, on.vessels, strict=False):
        assert a.mmsi == b.mmsi and np.array_equal(a.track.t, b.track.t)
        assert a.identities == b.identities


# -- evaluation of decoys ------------------------------------------------------------------


def _event(d: dict[str, Any], typ: str, **details: Any) -> dict[str, Any]:
    start = _secs(d["start"])
    end = _secs(d["end"])
    return {
        "event_id": f"x-{d['id']}-{typ}",
        "type": typ,
        "mmsi": d["mmsi"],
        "other_mmsi": d["other_mmsi"],
        "start": int(start * 1000),
        "end": None if not np.isfinite(end) else int(end * 1000),
        "lat": d["lat"],
        "lon": d["lon"],
        "confidence": 1.0,
        "risk": 50.0,
        "details": json.dumps(details),
        "evidence": "[]",
    }


def test_truth_flags_no_decoy(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    report = evaluate(truth, *truth_as_results(truth))
    assert all(m["flagged"] == m["accusations"] == 0 for m in report["decoys"].values())
    assert report["decoys"]["encounter"]["decoys"] > 0


def test_false_accusations_are_counted_and_benign_marks_are_not(sim_dir: Path) -> None:
    truth = load_truth(sim_dir / "truth.json")
    events, vessels = truth_as_results(truth)
    decoys = truth.doc["decoys"]
    ferry = next(d for d in decoys if d["kind"] == "ferry_berth")
    gone = next(d for d in decoys if d["kind"] == "coverage_exit")
    pair = next(d for d in decoys if d["kind"] == "coverage_exit_near_loitering")
    us = next(d for d in decoys if d["kind"] == "us_documentation_number")
    extra = [
        _event(ferry, "encounter"),
        _event(ferry, "encounter", in_port=True),  # kept but marked benign: no accusation
        _event(gone, "ais_gap", deliberate=True),
        _event(gone, "ais_gap", deliberate=False),
        _event(pair, "dark_sts"),
        _event(us, "identity_change"),
    ]
    table = pa.Table.from_pylist([*events.to_pylist(), *extra], schema=EVENTS)
    rows = vessels.to_pylist()
    for r in rows:
        if r["mmsi"] == us["mmsi"]:
            r["reasons"] = json.dumps([{"reason": "invalid_imo", "weight": 20}])
    names = [*vessels.column_names, "reasons"]
    vt = pa.Table.from_pylist(rows, schema=pa.schema([VESSELS.field(n) for n in names]))
    report = evaluate(truth, table, vt)
    d = report["decoys"]
    assert d["encounter"]["flagged"] >= 1 and d["encounter"]["accusations"] == 1
    assert d["ais_gap_deliberate"]["flagged"] == 1 == d["ais_gap_deliberate"]["accusations"]
    assert d["dark_sts"]["by_kind"]["coverage_exit_near_loitering"]["flagged"] == 1
    assert d["dark_sts"]["by_kind"]["coverage_exit"]["flagged"] == 1, "the partner is named"
    assert d["identity_change"]["flagged"] == 1
    assert report["confounders"]["us_invalid_imo"] == 1
    assert report["events"]["encounter"]["precision"] < 1.0


def test_decoy_observability_follows_reception(sim_dir: Path) -> None:
    for d in _truth(sim_dir)["decoys"]:
        assert set(d["observable"]) == set(d["types"])
        if d["kind"] == "coverage_exit":
            assert d["observable"]["ais_gap_deliberate"], "seen before it left"
