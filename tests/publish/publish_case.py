"""The case workspace from real data: NOAA AIS with the OFAC SDN list (MAGUS = FREEDOM).

Events are planted on real positions: an encounter between MAGUS (MMSI 374208000) and its
nearest neighbour, and a gap of MAGUS between two of its real reports.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from watchkeeper import Workspace
from watchkeeper.schema import EVENTS

NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"
SDN = "sanctions/ofac-sdn-2021/sdn.csv"
MAGUS = 374208000

_NEIGHBOUR_SQL = """
SELECT p.mmsi, p.ts, p.lat, p.lon FROM positions p, (
    SELECT lat, lon FROM positions WHERE mmsi = ? ORDER BY ts LIMIT 1) m
WHERE p.mmsi <> ? ORDER BY (p.lat - m.lat) ^ 2 + (p.lon - m.lon) ^ 2 LIMIT 1
"""


def _magus(ws: Workspace) -> list[dict[str, Any]]:
    with ws.connect() as con:
        rel = con.sql("SELECT * FROM positions WHERE mmsi = ? ORDER BY ts", params=[MAGUS])
        return rel.to_arrow_table().to_pylist()


def planted_events(ws: Workspace) -> pa.Table:
    pos = _magus(ws)
    with ws.connect() as con:
        other = con.sql(_NEIGHBOUR_SQL, params=[MAGUS, MAGUS]).fetchall()[0]
    first, last = pos[0], pos[-1]
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
