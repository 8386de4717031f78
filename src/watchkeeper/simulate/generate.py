"""Run a scenario and write its files: NMEA, MarineCadastre CSV, sanctions list, truth.

Output folder::

    traffic.nmea            NMEA 4.10 tag-blocked AIVDM lines (with noise)
    traffic.csv             the same positions as MarineCadastre CSV (clean, like NOAA's)
    sanctions.ftm.json      the scenario's sanctions list, FollowTheMoney ``Vessel`` entities
    ports.csv               its ports and anchorages, WPI-style (``detect --ports``)
    truth.json              events, vessel labels, list entries
    truth/positions.parquet the received positions (POSITIONS schema, no noise)
    truth/identities.parquet

Time is processed in windows (6 h by default): memory stays bounded at any ``--scale``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.schema import IDENTITIES, POSITIONS
from watchkeeper.simulate.cases import CaseBook, Listing, plant_cases
from watchkeeper.simulate.confounders import Confounders, confounder_places, contact_decoys
from watchkeeper.simulate.encode import NoiseConfig, NoiseState, noisy_lines
from watchkeeper.simulate.fleet import FleetBuilder
from watchkeeper.simulate.observe import Received, mark_decoys, mark_observable
from watchkeeper.simulate.reception import (
    IdentityStates,
    ReceptionConfig,
    SatelliteSchedule,
    concat_raw,
    identities_table,
    identity_reports,
    position_reports,
    positions_table,
)
from watchkeeper.simulate.scenario import PORTS, SAT_BLIND, ScenarioConfig
from watchkeeper.simulate.traffic import Vessel
from watchkeeper.simulate.truth import GapTracker, derive_events, vessel_labels, write_truth

__all__ = ["SimulationResult", "World", "build_world", "simulate"]


@dataclass
class World:
    """Every hull with its plan, the planted facts and the sanctions list."""

    config: ScenarioConfig
    vessels: list[Vessel]
    fleet: FleetBuilder
    book: CaseBook


@dataclass(frozen=True)
class SimulationResult:
    """What was written, with counts."""

    out_dir: Path
    n_vessels: int
    n_positions: int
    n_identities: int
    n_lines: int
    n_events: int
    noise: dict[str, int]


def build_world(config: ScenarioConfig) -> World:
    """Build the fleet and plant the cases (deterministic per seed)."""
    rng = np.random.default_rng([config.seed, 1])
    fb = FleetBuilder(config, rng)
    tr, s = config.traffic, config.scale
    for _ in range(round(tr.n_cargo * s)):
        fb.merchant("cargo")
    for _ in range(round(tr.n_tanker * s)):
        fb.merchant("tanker")
    fb.bunker_barges(round(tr.n_bunker * s))
    for _ in range(round(tr.n_pair_trawl * s)):
        fb.pair_trawlers()
    fb.reefers_and_fishing(round(tr.n_fishing * s), round(tr.n_reefer * s))
    counts = {f.name: getattr(config.cases, f.name) for f in fields(config.cases)}
    book = plant_cases(fb, counts)
    if config.confounders.enabled:
        Confounders(fb, config.confounders).build()
    fb.decoys.extend(contact_decoys(fb.vessels, config.duration_s))
    return World(config, fb.vessels, fb, book)


def _window(
    world: World,
    states: IdentityStates,
    lo: float,
    hi: float,
    w: int,
    rc: ReceptionConfig,
    sat: SatelliteSchedule,
) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
    cfg = world.config
    pos, ids = [], []
    for i, v in enumerate(world.vessels):
        rng = np.random.default_rng([cfg.seed, 2, i, w])
        pos.append(position_reports(v, lo, hi, rc, sat, rng))
        ids.append(identity_reports(i, v, lo, hi, states, rc, sat, rng))
    raw_ids = concat_raw(ids)
    p = positions_table(concat_raw(pos), cfg.t0)
    d = identities_table(raw_ids, states, cfg.t0)
    return p, d, raw_ids


def _seconds(table: pa.Table, t0: float) -> np.ndarray[Any, np.dtype[np.float64]]:
    ms = pc.cast(table.column("ts"), pa.int64()).to_numpy()
    return np.asarray(ms / 1000.0 - t0, dtype=np.float64)


def simulate(
    config: ScenarioConfig,
    out_dir: str | Path,
    *,
    reception: ReceptionConfig | None = None,
    noise: NoiseConfig | None = None,
    window_s: float | None = None,
) -> SimulationResult:
    """Generate the scenario into ``out_dir`` (created); returns counts.

    Time is processed in windows (6 h, shorter above ``--scale 10``) so that memory stays
    bounded: one window of reports and its NMEA lines are in memory at a time.
    """
    window_s = window_s or 6 * 3600.0 * min(1.0, 10.0 / config.scale)
    rc, nc = reception or ReceptionConfig(), noise or NoiseConfig()
    if config.confounders.enabled and not rc.sat_blind:
        rc = replace(rc, sat_blind=SAT_BLIND)  # the coverage-edge confounder
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    world = build_world(config)
    sat = SatelliteSchedule.make(rc, config.duration_s, np.random.default_rng([config.seed, 3]))
    gaps = GapTracker(6 * 3600.0)
    states = IdentityStates.of(world.vessels)
    first: dict[int, tuple[float, int]] = {}
    state = NoiseState()
    n_pos = n_id = n_lines = 0
    pw = pq.ParquetWriter(out / "truth" / "positions.parquet", POSITIONS, compression="zstd")
    iw = pq.ParquetWriter(out / "truth" / "identities.parquet", IDENTITIES, compression="zstd")
    with pw, iw, (out / "traffic.nmea").open("w", encoding="ascii", newline="\n") as nmea:
        for w, lo in enumerate(np.arange(0.0, config.duration_s, window_s)):
            hi = min(lo + window_s, config.duration_s)
            p, d, raw_ids = _window(world, states, float(lo), float(hi), w, rc, sat)
            _first_reports(first, raw_ids)
            pw.write_table(p)
            iw.write_table(d)
            gaps.update(
                p.column("mmsi").to_numpy(),
                _seconds(p, config.t0),
                p.column("lat").to_numpy(),
                p.column("lon").to_numpy(),
            )
            lines = noisy_lines(p, d, nc, state, np.random.default_rng([config.seed, 4, w]))
            nmea.write("\n".join(lines) + "\n")
            n_pos, n_id, n_lines = n_pos + p.num_rows, n_id + d.num_rows, n_lines + len(lines)
            del lines, p, d
            pa.default_memory_pool().release_unused()
    gaps.close(config.duration_s)
    _write_csv(out, _compact_identities(states, first, config.t0))
    places = confounder_places(config.confounders)
    events = derive_events(world.vessels, world.fleet.notes, gaps, config, places=places)
    received = Received.read(out / "truth", config.t0)  # the reports ingest will see
    events = mark_observable(events, received, config.duration_s)
    decoys = mark_decoys(world.fleet.decoys, received, config.duration_s)
    del received
    stats = {
        "vessels": len(world.vessels),
        "positions": n_pos,
        "identities": n_id,
        "nmea_lines": n_lines,
        "duplicates": state.duplicates,
        "corrupt": state.corrupt,
        "truncated": state.truncated,
    }
    write_truth(
        out / "truth.json",
        config,
        events,
        vessel_labels(world.vessels, world.book),
        world.book,
        stats,
        decoys,
    )
    write_sanctions(out / "sanctions.ftm.json", world.book.listings)
    write_ports(out / "ports.csv")
    return SimulationResult(
        out,
        len(world.vessels),
        n_pos,
        n_id,
        n_lines,
        len(events),
        {"duplicates": state.duplicates, "corrupt": state.corrupt, "truncated": state.truncated},
    )


def _first_reports(first: dict[int, tuple[float, int]], raw: dict[str, Any]) -> None:
    """Remember the first received report (time, station) of every identity state."""
    if not raw or raw["ts"].size == 0:
        return
    order = np.lexsort((raw["ts"], raw["state"]))
    st = raw["state"][order]
    head = np.flatnonzero(np.r_[True, st[1:] != st[:-1]])
    for i in head.tolist():
        key = int(st[i])
        if key not in first:
            first[key] = (float(raw["ts"][order][i]), int(raw["station"][order][i]))


def _compact_identities(
    states: IdentityStates, first: dict[int, tuple[float, int]], t0: float
) -> pa.Table:
    """One row per identity state (its first report): all an as-of lookup needs, in little
    memory whatever the scale."""
    keys = sorted(first, key=lambda k: (first[k][0], k))
    ts_ms = np.array([round((first[k][0] + t0) * 1000) for k in keys], dtype=np.int64)
    station = np.array([first[k][1] for k in keys], dtype=np.int16)
    return states.table(np.array(keys, dtype=np.int64), ts_ms, station)


def _write_csv(out: Path, identities: pa.Table) -> int:
    from watchkeeper.publish.marinecadastre import write_marinecadastre_csv

    batches = pq.ParquetFile(out / "truth" / "positions.parquet").iter_batches(200_000)
    return write_marinecadastre_csv(batches, identities, out / "traffic.csv")


def write_ports(path: Path) -> None:
    """The scenario's ports and anchorages as a WPI-style CSV (context for ``detect --ports``)."""
    lines = ["iso3,label,sublabel,latitude,longitude"]
    for p in PORTS:
        lines.append(f"{p.country},{p.name.upper()},,{p.lat},{p.lon}")
        lines.append(f"{p.country},{p.name.upper()},berth,{p.berth[0]},{p.berth[1]}")
        lines.append(f"{p.country},{p.name.upper()},anchorage,{p.anchorage[0]},{p.anchorage[1]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_sanctions(path: Path, listings: list[Listing]) -> None:
    """The list as FollowTheMoney JSON lines (``Vessel``: name, previousName, imoNumber...)."""
    with path.open("w", encoding="utf-8") as f:
        for x in listings:
            props: dict[str, list[str]] = {"name": [x.name], "flag": [x.flag.lower()]}
            if x.previous_names:
                props["previousName"] = list(x.previous_names)
            if x.imo is not None:
                props["imoNumber"] = [f"IMO{x.imo}"]
            if x.mmsi is not None:
                props["mmsi"] = [str(x.mmsi)]
            props["topics"] = ["sanction"]
            entity = {
                "id": x.entity_id,
                "schema": "Vessel",
                "properties": props,
                "datasets": ["watchkeeper_sim"],
            }
            f.write(json.dumps(entity, sort_keys=True) + "\n")
