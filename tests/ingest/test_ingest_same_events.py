"""One scenario, three formats, the same events: the simulator's ``traffic.nmea``, its
``traffic.csv`` (MarineCadastre) and the NMEA workspace exported as positions Parquet and
ingested again. Every difference allowed here is one listed in docs/formats.md ("Remaining
differences"), and only for the fields it concerns; everything else must be equal."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from watchkeeper import Workspace
from watchkeeper.detect import DetectParams, detect_workspace
from watchkeeper.ingest.pipeline import ingest_file
from watchkeeper.publish.positions import export_positions
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig

#: The simulator tests' small fleet (tests/simulate/conftest.py) with every planted case.
SMALL = TrafficConfig(n_cargo=14, n_tanker=8, n_fishing=10, n_pair_trawl=2, n_reefer=1, n_bunker=2)
#: Event types whose times come from identity reports: NMEA has them at the static message, a
#: table row format only on the position rows after it (docs/formats.md).
FROM_STATICS = {"identity_change", "draught_change"}
#: Details that are times or places of the reports, which move with them (same reason).
_REPORT_TIMES = {"first_new", "last_old", "first_report", "last_old_report", "stop_end"}
_REPORT_PLACES = {"place_km", "shore_km"}
_TYPES = {"ship_types", "classes"}
#: Coordinates and distances are printed to text in a CSV and parsed back: the last bits
#: differ (1e-9 degree is 0.1 mm; 1e-9 relative of a distance is below a millimetre).
_REL = 1e-9

Key = tuple[str, int, int | None]


def _events(root: Path, name: str, path: Path, ports: Path) -> tuple[Workspace, pa.Table]:
    ws = Workspace(root / name)
    assert ingest_file(ws, path).positions > 0
    return ws, detect_workspace(ws, params=DetectParams(port_files=(str(ports),)))


def _by_key(events: pa.Table) -> dict[Key, list[dict[str, Any]]]:
    out: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for e in events.to_pylist():
        out[(e["type"], e["mmsi"], e["other_mmsi"])].append(e)
    return {k: sorted(v, key=lambda e: e["start"]) for k, v in out.items()}


def _close(a: Any, b: Any) -> bool:
    """Equal, floats within :data:`_REL`, dicts and lists element by element."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=_REL, abs_tol=_REL)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _without(value: Any, keys: set[str]) -> Any:
    """``value`` with ``keys`` dropped from every dict inside it."""
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


def _unheard_types(x: dict[str, Any], y: dict[str, Any]) -> bool:
    """Whether the two details differ in ship types only where NMEA has none: the simulator's
    CSV rows carry a class B vessel's whole identity from its first heard report, also the
    type of a part B that no receiver decoded (docs/formats.md)."""
    tx, ty = x.get("ship_types"), y.get("ship_types")
    if tx is None or ty is None or tx == ty:
        return False
    return all(a is None for a, b in zip(tx, ty, strict=True) if a != b)


def _compare(nmea: pa.Table, other: pa.Table, *, unheard_types: bool = False) -> int:
    """Assert the events are the same but for the documented differences; how many events
    differ in their report times. ``unheard_types``: the other file may know ship types that
    the NMEA never delivered (the simulator's CSV)."""
    a, b = _by_key(nmea), _by_key(other)
    assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}
    moved = 0
    for key, xs in a.items():
        for x, y in zip(xs, b[key], strict=True):
            dx, dy = json.loads(x["details"]), json.loads(y["details"])
            typed = unheard_types and _unheard_types(dx, dy)
            if typed:  # the type, its class and the confidence that depends on it
                dx, dy = _without(dx, _TYPES), _without(dy, _TYPES)
            if key[0] not in FROM_STATICS:
                assert (x["start"], x["end"]) == (y["start"], y["end"]), key
                assert _close([x["lat"], x["lon"]], [y["lat"], y["lon"]]), key
                assert _close(dx, dy), key
            else:
                # the values reported and the kind of change are the same; the interval
                # moves to the position rows around the static reports, so the two overlap,
                # and the place (the stop before the change, or the position at it) with it
                drop = _REPORT_TIMES | _REPORT_PLACES
                assert _close(_without(dx, drop), _without(dy, drop)), key
                x_end, y_end = x["end"] or x["start"], y["end"] or y["start"]
                assert x["start"] <= y_end and y["start"] <= x_end, key
                moved += (x["start"], x["end"]) != (y["start"], y["end"])
            assert typed or _close(x["confidence"], y["confidence"]), key
            assert _close(x["risk"], y["risk"]), key
    return moved


def _same_events(seed: int, root: Path) -> None:
    sim = root / "sim"
    simulate(ScenarioConfig(seed=seed, days=2.0, traffic=SMALL), sim)
    ports = sim / "ports.csv"
    ws, nmea = _events(root, "nmea", sim / "traffic.nmea", ports)
    assert {e["type"] for e in nmea.to_pylist()} >= FROM_STATICS, "plant identity changes"
    _, csv = _events(root, "csv", sim / "traffic.csv", ports)
    exported = root / "positions.parquet"
    with exported.open("wb") as f:
        export_positions(ws, f, fmt="parquet")
    again, parquet = _events(root, "parquet", exported, ports)
    moved_csv = _compare(nmea, csv, unheard_types=True)
    moved_parquet = _compare(nmea, parquet)
    # the round trip keeps every static field: the same ship types, names and draughts...
    for field in ("ship_type", "name", "draught_m", "destination"):
        assert _known(ws, field) == _known(again, field), field
    # ...and only identity evidence can move, and on few events (13 of 717 on seed 5)
    assert moved_csv <= 0.1 * nmea.num_rows and moved_parquet <= 0.1 * nmea.num_rows


def _known(ws: Workspace, field: str) -> set[tuple[int, Any]]:
    """Every (MMSI, value) the workspace's identities report for ``field``."""
    ids = ws.read("identities").select(["mmsi", field])
    ids = ids.filter(pc.is_valid(ids.column(field)))
    return set(zip(*(ids.column(c).to_pylist() for c in ids.column_names), strict=True))


def test_nmea_csv_and_parquet_of_one_scenario_give_the_same_events(tmp_path: Path) -> None:
    _same_events(3, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 5, 7])
def test_the_same_events_on_more_seeds(seed: int, tmp_path: Path) -> None:
    _same_events(seed, tmp_path)
