"""Port lists (UN/LOCODE ports shipped with ``searoute``; WPI-style CSVs) and a proximity index.

A *places* table (:data:`PLACES`) has columns ``name``, ``country``, ``lat``, ``lon``,
``kind`` ('port' or 'anchorage'), ``source``, ``radius_km`` (the place is the disc of that
radius around its point) and ``offshore``. :class:`PlaceIndex` answers "nearest place within
r km" for millions of points: places sorted by grid cell, each point's search box turned into
a few contiguous ranges of that order (one per grid row), every candidate pair measured in
numpy, growing the box only for the points not yet resolved (never all pairs, no Python loop
per point). The gazetteer that fills it is :mod:`watchkeeper.context.places`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import FormatError
from watchkeeper.tracks.geo import EARTH_RADIUS_M, haversine_m

__all__ = [
    "PLACES",
    "PlaceIndex",
    "conform",
    "places_table",
    "read_wpi_csv",
    "searoute_ports",
]

PLACES = pa.schema(
    [
        pa.field("name", pa.string()),
        pa.field("country", pa.string()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("kind", pa.string()),
        pa.field("source", pa.string()),
        # The place is the disc of this radius around the point (0: the point itself, as for
        # the anchorage table, whose points sample the area ships use).
        pa.field("radius_km", pa.float64()),
        # Far from shore (lightering and STS areas, offshore terminals): not a port, and an
        # encounter there is reported with the place named (see places.OFFSHORE_KM).
        pa.field("offshore", pa.bool_()),
    ]
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
_KM_PER_DEG = EARTH_RADIUS_M * np.pi / 180.0 / 1000.0  # 111.19 km per degree of latitude
#: Query points are looked up once per cell of this size (~110 m); the distance to the chosen
#: place is then computed exactly for every point (only near-ties can pick another place).
_QUERY_GRID_DEG = 0.001
_MAX_PAIRS = 4_000_000  # candidate (point, place) pairs per batch: ~100 MB of temporaries


def places_table(rows: list[dict[str, object]]) -> pa.Table:
    """A ``PLACES`` table from dicts (missing radius 0, missing offshore False)."""
    return conform(pa.Table.from_pylist(rows, schema=PLACES))


def conform(places: pa.Table) -> pa.Table:
    """``places`` with every ``PLACES`` column (older tables lack radius_km and offshore)."""
    n = places.num_rows
    cols = []
    for f in PLACES:
        if f.name in places.column_names:
            col = places.column(f.name).cast(f.type)
        else:
            col = pa.nulls(n, f.type)
        if f.name == "radius_km":
            col = pc.fill_null(col, 0.0)
        elif f.name == "offshore":
            col = pc.fill_null(col, False)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=PLACES)


def searoute_ports() -> pa.Table:
    """The UN/LOCODE ports bundled in the ``searoute`` package (about 3,900)."""
    text = resources.files("searoute").joinpath("data/ports.geojson").read_text("utf-8")
    feats = json.loads(text)["features"]
    return places_table(
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
        ]
    )


def read_wpi_csv(path: str | Path) -> pa.Table:
    """A WPI-style CSV with ``latitude``/``longitude`` and ``label`` (or ``name``) columns."""
    rows: list[dict[str, object]] = []
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
    return places_table(rows)


@dataclass
class PlaceIndex:
    """Nearest-place lookups (distance to a place's disc, in km) over a ``PLACES`` table.

    ``nearest`` searches within ``reach_km`` unless told otherwise: boxes of 2, 8, 32 km and
    then ``max_km`` around the points, each only for the points that found nothing closer in
    the box before (exact: a place closer than the box's radius is always inside it).
    """

    places: pa.Table
    cell_deg: float = 0.05  # ~5.5 km: a few hundred anchorage points in the busiest cells
    reach_km: float = 55.0  # the reach of the former 0.5-degree grid (3 x 3 cells)
    _lat: Floats = field(init=False, repr=False)
    _lon: Floats = field(init=False, repr=False)
    _radius: Floats = field(init=False, repr=False)
    _order: Ints = field(init=False, repr=False)
    _keys: Ints = field(init=False, repr=False)
    _sources: tuple[str, ...] = field(init=False, repr=False)
    _ports: PlaceIndex | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self.places = conform(self.places)
        self._lat = np.asarray(self.places.column("lat").to_numpy(), dtype=np.float64)
        self._lon = (
            np.asarray(self.places.column("lon").to_numpy(), dtype=np.float64) + 180.0
        ) % 360.0 - 180.0
        self._radius = np.asarray(self.places.column("radius_km").to_numpy(), dtype=np.float64)
        keys = self._key(self._row(self._lat), self._col(self._lon))
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]
        sources = pc.unique(self.places.column("source")).to_pylist()
        self._sources = tuple(sorted({str(x).split(":", 1)[0] for x in sources if x}))

    @property
    def n_cols(self) -> int:
        return round(360.0 / self.cell_deg)

    def _row(self, lat: Floats) -> Ints:
        return np.floor((np.clip(lat, -90.0, 90.0) + 90.0) / self.cell_deg).astype(np.int64)

    def _col(self, lon: Floats) -> Ints:
        return np.floor((lon + 180.0) / self.cell_deg).astype(np.int64)

    def _key(self, row: Ints, col: Ints) -> Ints:
        return row * self.n_cols + col

    @property
    def sources(self) -> list[str]:
        """The place lists in the index (source up to its first ':'), for ``places_checked``."""
        return list(self._sources)

    def column(self, name: str) -> list[object]:
        """One column of the places table as a list (names, kinds, countries...)."""
        return list(self.places.column(name).to_pylist())

    def nearest(
        self, lat: Floats, lon: Floats, max_km: float | None = None, *, ports_only: bool = False
    ) -> tuple[Floats, Ints]:
        """Distance (km) from each point to the nearest place's disc within ``max_km``
        (default ``reach_km``), and the place's row (inf and -1 when none). ``ports_only``:
        among the places that are not offshore (an offshore place is no port)."""
        offshore = np.asarray(self.places.column("offshore").to_numpy(zero_copy_only=False))
        if ports_only and offshore.any():
            rows = np.flatnonzero(~offshore)
            d, j = self._port_index(rows).nearest(lat, lon, max_km)
            return d, np.where(j >= 0, rows[np.maximum(j, 0)], -1)
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        reach = self.reach_km if max_km is None else float(max_km)
        dist = np.full(lat.shape, np.inf)
        idx = np.full(lat.shape, -1, dtype=np.int64)
        ok = np.isfinite(lat) & np.isfinite(lon)
        if not len(self._lat) or not ok.any():
            return dist, idx
        rep, back = _representatives(lat[ok], lon[ok])
        rlat, rlon = rep
        found = np.full(len(rlat), -1, dtype=np.int64)
        todo = np.arange(len(rlat))
        # A point lies within this distance of its cell's representative.
        margin = np.sqrt(2.0) * _QUERY_GRID_DEG * _KM_PER_DEG
        for r in sorted({min(x, reach) for x in (2.0, 8.0, 32.0)} | {reach + margin}):
            d, j = self._search(rlat[todo], rlon[todo], r)
            found[todo] = j
            todo = todo[~(d <= r)]  # resolved: nothing closer can lie outside the box
            if not len(todo):
                break
        place = found[back]
        has = place >= 0
        pos = np.flatnonzero(ok)[has]
        p = place[has]
        exact = haversine_m(lat[pos], lon[pos], self._lat[p], self._lon[p]) / 1000.0
        exact = np.maximum(exact - self._radius[p], 0.0)
        near = exact <= reach
        dist[pos[near]], idx[pos[near]] = exact[near], p[near]
        return dist, idx

    def within(self, lat: Floats, lon: Floats, radius_km: float) -> npt.NDArray[np.bool_]:
        """Whether each point is within ``radius_km`` of a port or anchorage area that is not
        offshore (the question "in port?"; lightering and STS areas far out are no ports)."""
        d = self.nearest(lat, lon, max_km=radius_km, ports_only=True)[0]
        return np.asarray(d <= radius_km)

    def _port_index(self, rows: Ints) -> PlaceIndex:
        """The index of the places that are not offshore (built once)."""
        if self._ports is None:
            sub = self.places.take(pa.array(rows, pa.int64()))
            self._ports = PlaceIndex(sub, self.cell_deg, self.reach_km)
        return self._ports

    def _search(self, lat: Floats, lon: Floats, r_km: float) -> tuple[Floats, Ints]:
        """Nearest place (disc distance, row) of each point among places whose point lies in
        the box of half-side ``r_km`` plus the largest radius around it."""
        reach = r_km + (float(self._radius.max()) if len(self._radius) else 0.0)
        qi, lo, hi = self._ranges(lat, lon, reach)
        dist = np.full(len(lat), np.inf)
        idx = np.full(len(lat), -1, dtype=np.int64)
        counts = hi - lo
        qi, lo, counts = qi[counts > 0], lo[counts > 0], counts[counts > 0]
        if not len(qi):
            return dist, idx
        order = np.argsort(qi, kind="stable")
        qi, lo, counts = qi[order], lo[order], counts[order]
        total = np.cumsum(counts)
        start = 0
        while start < len(qi):
            base = total[start - 1] if start else 0
            stop = int(np.searchsorted(total, base + _MAX_PAIRS, side="right"))
            stop = max(stop, start + 1)
            self._measure(lat, lon, (qi[start:stop], lo[start:stop], counts[start:stop]), dist, idx)
            start = stop
        return dist, idx

    def _measure(
        self,
        lat: Floats,
        lon: Floats,
        batch: tuple[Ints, Ints, Ints],
        dist: Floats,
        idx: Ints,
    ) -> None:
        """Measure every (point, candidate) pair of ``batch`` and keep each point's best."""
        qi, lo, counts = batch
        n = int(counts.sum())
        q = np.repeat(qi, counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        p = self._order[np.repeat(lo, counts) + np.arange(n) - first]
        d = haversine_m(lat[q], lon[q], self._lat[p], self._lon[p]) / 1000.0 - self._radius[p]
        d = np.maximum(d, 0.0)
        best = np.lexsort((d, q))
        q, d, p = q[best], d[best], p[best]
        head = np.concatenate([[True], q[1:] != q[:-1]])
        q, d, p = q[head], d[head], p[head]
        better = d < dist[q]
        dist[q[better]], idx[q[better]] = d[better], p[better]

    def _ranges(self, lat: Floats, lon: Floats, r_km: float) -> tuple[Ints, Ints, Ints]:
        """(point, lo, hi): ranges of the sorted places inside each point's search box,
        one per grid row (two where the box crosses the antimeridian)."""
        dlat = r_km / _KM_PER_DEG
        row0, row1 = self._row(lat - dlat), self._row(lat + dlat)
        edge = np.minimum(np.abs(lat) + dlat, 89.9)
        dlon = np.minimum(dlat / np.cos(np.radians(edge)), 180.0)
        whole = dlon >= 180.0
        ncol = self.n_cols
        c0 = np.where(whole, 0, self._col(lon - dlon))
        c1 = np.where(whole, ncol - 1, self._col(lon + dlon))
        # A box is less than one turn wide: where it crosses the antimeridian, its part
        # beyond is a second range at the other end of the row.
        segments = (
            (np.maximum(c0, 0), np.minimum(c1, ncol - 1), np.ones_like(whole)),
            (c0 + ncol, np.full_like(c0, ncol - 1), c0 < 0),
            (np.zeros_like(c1), c1 - ncol, c1 >= ncol),
        )
        qs, los, his = [], [], []
        for k in range(int((row1 - row0).max()) + 1):
            row = row0 + k
            for first, last, applies in segments:
                use = np.flatnonzero((row <= row1) & applies & (first <= last))
                qs.append(use)
                los.append(np.searchsorted(self._keys, self._key(row[use], first[use]), "left"))
                his.append(np.searchsorted(self._keys, self._key(row[use], last[use]), "right"))
        return np.concatenate(qs), np.concatenate(los), np.concatenate(his)


def _representatives(lat: Floats, lon: Floats) -> tuple[tuple[Floats, Floats], Ints]:
    """The centre of each ``_QUERY_GRID_DEG`` cell holding a point, and each point's cell.

    The centre, not a point of the batch: the place found for a cell is then the same
    whatever other points a query holds (a day's positions or a whole run's), so two places
    a few metres apart are told apart the same way in every window."""
    row = np.floor(lat / _QUERY_GRID_DEG).astype(np.int64)
    col = np.floor((lon + 180.0) / _QUERY_GRID_DEG).astype(np.int64)
    _, first, back = np.unique(row * 1_000_000_000 + col, return_index=True, return_inverse=True)
    clat = ((row[first] + 0.5) * _QUERY_GRID_DEG).astype(np.float64)
    clon = ((col[first] + 0.5) * _QUERY_GRID_DEG - 180.0).astype(np.float64)
    return (clat, clon), back.reshape(-1)
