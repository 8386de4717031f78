"""The case workspace from real data: NOAA AIS with the OFAC SDN list (MAGUS = FREEDOM).

Events are planted on real positions: an encounter between MAGUS (MMSI 374208000) and its
nearest neighbour, and a gap of MAGUS between two of its real reports.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper import Workspace
from watchkeeper.schema import EVENTS

NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"
SDN = "sanctions/ofac-sdn-2021/sdn.csv"
MAGUS = 374208000


def _magus(ws: Workspace) -> list[dict[str, Any]]:
    return list(ws.positions(mmsis=[MAGUS], order=True).to_pylist())


def _nearest_other(ws: Workspace, lat: float, lon: float) -> int:
    """The MMSI of the position of another vessel nearest to (lat, lon)."""
    table = ws.positions(columns=("mmsi", "lat", "lon"))
    mmsi = table["mmsi"].to_numpy()
    d2 = (table["lat"].to_numpy() - lat) ** 2 + (table["lon"].to_numpy() - lon) ** 2
    d2[mmsi == MAGUS] = np.inf
    return int(mmsi[int(np.argmin(d2))])


def planted_events(ws: Workspace) -> pa.Table:
    pos = _magus(ws)
    first, last = pos[0], pos[-1]
    other = (_nearest_other(ws, first["lat"], first["lon"]),)
    rows = [
        {
            "event_id": "e-encounter",
            "type": "encounter",
            "mmsi": MAGUS,
            "other_mmsi": other[0],
            "start": first["ts"],
            "end": last["ts"],
            "lat": first["lat"],
            "lon": first["lon"],
            "confidence": 0.8,
            "risk": 20.0,
            "details": json.dumps({"median_distance_m": 120.0, "params": {"x": 1}}),
            "evidence": "{}",
        },
        {
            "event_id": "e-gap",
            "type": "ais_gap",
            "mmsi": MAGUS,
            "other_mmsi": None,
            "start": pos[1]["ts"],
            "end": pos[2]["ts"],
            "lat": pos[1]["lat"],
            "lon": pos[1]["lon"],
            "confidence": 0.5,
            "risk": 5.0,
            "details": json.dumps({"duration_h": 0.1, "deliberate": False}),
            "evidence": "{}",
        },
        {
            "event_id": "e-open",
            "type": "loitering",
            "mmsi": MAGUS,
            "other_mmsi": None,
            "start": last["ts"],
            "end": None,
            "lat": None,
            "lon": None,
            "confidence": 0.3,
            "risk": 5.0,
            "details": "{}",
            "evidence": "{}",
        },
    ]
    return pa.Table.from_pylist(rows, schema=EVENTS)
