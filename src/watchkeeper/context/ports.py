"""Port lists (UN/LOCODE ports shipped with ``searoute``; WPI-style CSVs) and a proximity index.

A *places* table has columns ``name``, ``country``, ``lat``, ``lon``, ``kind`` ('port' or
'anchorage') and ``source``. :class:`PlaceIndex` answers "nearest place within r km" for
millions of points by bucketing them on a coarse grid (never all pairs).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.errors import FormatError
from watchkeeper.tracks.geo import haversine_m

__all__ = ["PLACES", "PlaceIndex", "read_wpi_csv", "searoute_ports"]

PLACES = pa.schema(
    [
        pa.field("name", pa.string()),
        pa.field("country", pa.string()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("kind", pa.string()),
        pa.field("source", pa.string()),
    ]
)

Floats = npt.NDArray[np.float64]


def searoute_ports() -> pa.Table:
    """The UN/LOCODE ports bundled in the ``searoute`` package (about 3,900)."""
    text = resources.files("searoute").joinpath("data/ports.geojson").read_text("utf-8")
    feats = json.loads(text)["features"]
    return pa.Table.from_pylist(
        [
            {
                "name": f["properties"].get("name"),
                "country": f["properties"].get("cty"),
                "lat": float(f["geometry"]["coordinates"][1]),
                "lon": float(f["geometry"]["coordinates"][0]),
                "kind": "port",
                "source": f"searoute:{f['properties'].get('port')}",
            }
            for f in feats
        ],
        schema=PLACES,
    )


def read_wpi_csv(path: str | Path) -> pa.Table:
    """A WPI-style CSV with ``latitude``/``longitude`` and ``label`` (or ``name``) columns."""
    rows = []
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = {c.lower(): c for c in reader.fieldnames or []}
        if "latitude" not in cols or "longitude" not in cols:
            raise FormatError(f"{path}: a port CSV needs latitude and longitude columns")
        name_col = cols.get("label") or cols.get("name")
        for r in reader:
            try:
                lat, lon = float(r[cols["latitude"]]), float(r[cols["longitude"]])
            except ValueError:
                continue
            rows.append(
                {
                    "name": r.get(name_col) if name_col else None,
                    "country": r.get(cols.get("iso3", ""), None),
                    "lat": lat,
                    "lon": lon,
                    "kind": "port",
                    "source": f"wpi:{Path(path).name}",
                }
            )
    return pa.Table.from_pylist(rows, schema=PLACES)


@dataclass
class PlaceIndex:
    """Nearest place lookups on a grid of ``cell_deg`` cells (radius must be <= a cell)."""

    places: pa.Table
    cell_deg: float = 0.5
    _lat: Floats = field(init=False, repr=False)
    _lon: Floats = field(init=False, repr=False)
    _cells: dict[tuple[int, int], list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._lat = np.asarray(self.places.column("lat").to_numpy(), dtype=np.float64)
        self._lon = np.asarray(self.places.column("lon").to_numpy(), dtype=np.float64)
        self._cells = defaultdict(list)
        cy, cx = self._cell(self._lat, self._lon)
        for i, key in enumerate(zip(cy.tolist(), cx.tolist(), strict=True)):
            self._cells[key].append(i)

    def _cell(
        self, lat: Floats, lon: Floats
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        cy = np.floor(lat / self.cell_deg).astype(np.int64)
        cx = np.floor(((lon + 180.0) % 360.0) / self.cell_deg).astype(np.int64)
        return cy, cx

    def _candidates(self, cy: int, cx: int) -> list[int]:
        ncx = round(360.0 / self.cell_deg)
        span = (
            1
            if abs(cy * self.cell_deg) < 60
            else max(
                1, round(1 / np.cos(np.radians(min(abs(cy * self.cell_deg) + self.cell_deg, 89.0))))
            )
        )
        out: list[int] = []
        for dy in (-1, 0, 1):
            for dx in range(-span, span + 1):
                out.extend(self._cells.get((cy + dy, (cx + dx) % ncx), ()))
        return out

    def nearest(self, lat: Floats, lon: Floats) -> tuple[Floats, npt.NDArray[np.int64]]:
        """Distance (km) to the nearest place within about one cell, and its row (-1 if none)."""
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        dist = np.full(lat.shape, np.inf)
        idx = np.full(lat.shape, -1, dtype=np.int64)
        if not len(self._lat) or not len(lat):
            return dist, idx
        cy, cx = self._cell(lat, lon)
        keys = cy * 1_000_000 + cx
        order = np.argsort(keys, kind="stable")
        uniq, starts = np.unique(keys[order], return_index=True)
        bounds = np.append(starts, len(order))
        for u in range(len(uniq)):
            rows = order[bounds[u] : bounds[u + 1]]
            cand = np.array(self._candidates(int(cy[rows[0]]), int(cx[rows[0]])), dtype=np.int64)
            if not len(cand):
                continue
            d = haversine_m(
                lat[rows, None], lon[rows, None], self._lat[None, cand], self._lon[None, cand]
            )
            best = np.argmin(d, axis=1)
            dist[rows] = d[np.arange(len(rows)), best] / 1000.0
            idx[rows] = cand[best]
        return dist, idx

    def within(self, lat: Floats, lon: Floats, radius_km: float) -> npt.NDArray[np.bool_]:
        """Whether each point is within ``radius_km`` of some place."""
        return np.asarray(self.nearest(lat, lon)[0] <= radius_km)
