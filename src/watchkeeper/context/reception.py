"""Where and when AIS was received, learned from the positions themselves.

A *reception map* counts, per grid cell and UTC hour, the messages and distinct vessels heard.
It is additive: maps built from pieces of the data (day windows) merge into the map of the
whole, so a run builds it once. From a map, :class:`Coverage` answers the questions the gap
detectors ask:

- **covered**: was anything heard in this cell (in at least ``min_vessel_hours`` vessel-hours)?
  A cell with traffic in some hours and none in others is covered: ships were heard there,
  the quiet hours had no ships (terrestrial reception does not switch off by the hour).
- **edge**: a covered cell next to open water where nothing was ever heard. Terrestrial
  coverage ends tens of km offshore (VHF range ~40 nm); a vessel that falls silent at the
  edge of the heard area, or sails towards unheard water, most likely left coverage.
- **heard hours**: in how many whole hours of a silence were other vessels heard in the same
  cells (a cell and its 8 neighbours)? Only then did reception demonstrably work where the
  silent vessel was.

Cell size: 0.25° (28 km of latitude, 21 km of longitude at 40° N). A coastal station hears
ships ~40 nm (74 km) out, so the edge of coverage is resolved to within a third of that
range; a cell on a lane still sees several vessels an hour, and the 3 x 3 block searched for
"others heard" (~75 km) is about one station's range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.context.land import is_land
from watchkeeper.errors import ConfigError
from watchkeeper.tracks.geo import M_PER_NM, offset_deg

__all__ = [
    "MAP_SCHEMA",
    "Coverage",
    "CoverageParams",
    "ReceptionMap",
    "add_maps",
    "cells_table",
    "merge_maps",
    "reception_map",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
H = 3600.0

#: Columns of a reception map: cell (row, column of ``cell_deg`` degrees), hour (since the
#: epoch), messages and distinct vessels heard in it.
MAP_SCHEMA = pa.schema(
    [
        ("cy", pa.int32()),
        ("cx", pa.int32()),
        ("hour", pa.int64()),
        ("messages", pa.int64()),
        ("vessels", pa.int64()),
    ]
)
_KEYS = ["cy", "cx", "hour"]
#: Cell keys: (cy + _OFF) * _SPAN + (cx + _OFF); 0.01° cells still fit (36,000 columns).
_OFF = 50_000
_SPAN = 100_000
_HOURS = 10_000_000  # hours since 1970 (about 1,140 years): a (cell, hour) key fits int64


@dataclass(frozen=True)
class ReceptionMap:
    """Messages and distinct vessels heard per ``cell_deg`` cell and hour (:data:`MAP_SCHEMA`)."""

    cell_deg: float
    table: pa.Table


def reception_map(positions: pa.Table, cell_deg: float = 0.25) -> ReceptionMap:
    """The reception map of ``positions`` (columns ``mmsi``, ``ts``, ``lat``, ``lon``).

    Rows with a missing or non-finite coordinate are not counted.
    """
    if cell_deg <= 0:
        raise ConfigError(f"cell_deg must be positive, got {cell_deg}")
    lat = np.asarray(positions.column("lat").to_numpy(zero_copy_only=False), dtype=np.float64)
    lon = np.asarray(positions.column("lon").to_numpy(zero_copy_only=False), dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    ts = positions.column("ts").cast(pa.int64()).to_numpy(zero_copy_only=False)
    pts = pa.table(
        {
            "cy": np.floor(lat[ok] / cell_deg).astype(np.int32),
            "cx": np.floor(lon[ok] / cell_deg).astype(np.int32),
            "hour": np.floor_divide(np.asarray(ts)[ok], 3_600_000).astype(np.int64),
            "mmsi": positions.column("mmsi").to_numpy(zero_copy_only=False)[ok],
        }
    )
    agg = pts.group_by(_KEYS).aggregate([("mmsi", "count"), ("mmsi", "count_distinct")])
    table = pa.table(
        {
            "cy": agg.column("cy"),
            "cx": agg.column("cx"),
            "hour": agg.column("hour"),
            "messages": agg.column("mmsi_count").cast(pa.int64()),
            "vessels": agg.column("mmsi_count_distinct").cast(pa.int64()),
        },
        schema=MAP_SCHEMA,
    )
    return ReceptionMap(cell_deg, table)


def merge_maps(*maps: ReceptionMap) -> ReceptionMap:
    """One map from maps of pieces of the data that split it on whole hours (day windows).

    A (cell, hour) found in two pieces was seen whole by both (the overlapping halos of two
    windows read the same positions), so the larger count is kept, not the sum: merging is
    associative, commutative and idempotent, and exact for pieces cut on hour boundaries.
    """
    if not maps:
        raise ConfigError("merge_maps needs at least one map")
    sizes = {m.cell_deg for m in maps}
    if len(sizes) > 1:
        raise ConfigError(f"cannot merge reception maps of different cell sizes: {sorted(sizes)}")
    both = pa.concat_tables([m.table for m in maps])
    agg = both.group_by(_KEYS).aggregate([("messages", "max"), ("vessels", "max")])
    table = pa.table(
        {k: agg.column(k) for k in _KEYS}
        | {"messages": agg.column("messages_max"), "vessels": agg.column("vessels_max")},
        schema=MAP_SCHEMA,
    ).sort_by([(k, "ascending") for k in _KEYS])
    return ReceptionMap(maps[0].cell_deg, table)


def add_maps(*maps: ReceptionMap) -> ReceptionMap:
    """One map from maps of disjoint sets of vessels over the same time (the MMSI groups of
    one window): counts of a (cell, hour) add up, messages and distinct vessels alike."""
    if len(maps) == 1:
        return maps[0]
    if not maps or len({m.cell_deg for m in maps}) > 1:
        raise ConfigError("add_maps needs maps of one cell size")
    both = pa.concat_tables([m.table for m in maps])
    agg = both.group_by(_KEYS).aggregate([("messages", "sum"), ("vessels", "sum")])
    table = pa.table(
        {k: agg.column(k) for k in _KEYS}
        | {"messages": agg.column("messages_sum"), "vessels": agg.column("vessels_sum")},
        schema=MAP_SCHEMA,
    ).sort_by([(k, "ascending") for k in _KEYS])
    return ReceptionMap(maps[0].cell_deg, table)


@dataclass(frozen=True)
class CoverageParams:
    """What counts as covered water and as leaving it."""

    # A cell is covered when it was heard in >= 2 vessel-hours: one ship heard once may be a
    # single far reception (VHF ducting); two are a pattern.
    min_vessel_hours: int = 2
    # An unheard neighbour counts as open water (beyond coverage) when >= 5 of 9 points
    # sampled in it are sea on the 1 km land mask; an unheard land cell is no edge.
    open_water_points: int = 5
    # A vessel is leaving coverage when, sailing on at its course and speed, it reaches an
    # unheard open-water cell within 2 h (a coastal station's ~40 nm range is crossed in
    # 2-4 h at 10-20 kn; beyond 2 h its course is a guess).
    lookahead_h: float = 2.0
    min_moving_kn: float = 1.0  # below this a vessel is drifting or at anchor: no course
    # Unheard water enclosed by heard cells up to 2 x 2 cells (1 degree, ~110 km) apart is
    # inside coverage (a closing of radius 2 cells): receivers hearing both sides reach it
    # (a coastal station ~75 km, a satellite footprint far more); only traffic was missing.
    hole_cells: int = 2

    def __post_init__(self) -> None:
        if self.min_vessel_hours < 1 or not 1 <= self.open_water_points <= 9:
            raise ConfigError("min_vessel_hours >= 1 and 1 <= open_water_points <= 9 required")
        if self.hole_cells < 0:
            raise ConfigError("hole_cells must be >= 0")


@dataclass(frozen=True)
class Coverage:
    """A reception map indexed for look-ups (see the module docstring)."""

    cell_deg: float
    cells: Ints  # sorted keys of heard cells
    covered_cells: Bools  # per cell: covered
    inside: Ints  # sorted keys of the covered area closed over 1-cell holes (see _closed)
    edge_cells: Bools  # per cell: covered and next to unheard open water
    cell_hours: Ints  # sorted (cell key * _HOURS + hour) with someone heard
    data_hours: Ints  # sorted hours with any message anywhere
    params: CoverageParams

    @classmethod
    def of(cls, m: ReceptionMap, params: CoverageParams = CoverageParams()) -> Coverage:
        """Index the map ``m``."""
        t = m.table
        cy = t.column("cy").to_numpy().astype(np.int64)
        cx = t.column("cx").to_numpy().astype(np.int64)
        hour = t.column("hour").to_numpy().astype(np.int64)
        heard = t.column("vessels").to_numpy() > 0
        key = _key(cy, cx)
        cells, inv = np.unique(key, return_inverse=True)
        vessels = t.column("vessels").to_numpy()
        vessel_hours = np.bincount(inv, weights=vessels, minlength=len(cells))
        covered = vessel_hours >= params.min_vessel_hours
        inside = _closed(cells[covered], params.hole_cells)
        edge = _edges(cells, covered, inside, m.cell_deg, params)
        return cls(
            cell_deg=m.cell_deg,
            cells=cells,
            covered_cells=covered,
            inside=inside,
            edge_cells=edge,
            cell_hours=np.unique(key[heard] * _HOURS + hour[heard]),
            data_hours=np.unique(hour),
            params=params,
        )

    def _cell(self, lat: Floats, lon: Floats) -> tuple[Ints, Ints]:
        cy = np.floor(np.nan_to_num(lat) / self.cell_deg).astype(np.int64)
        cx = np.floor(np.nan_to_num(lon) / self.cell_deg).astype(np.int64)
        return cy, cx

    def _lookup(self, key: Ints, flags: Bools) -> Bools:
        i = np.clip(np.searchsorted(self.cells, key), 0, max(len(self.cells) - 1, 0))
        if not len(self.cells):
            return np.zeros(len(key), dtype=bool)
        return np.asarray((self.cells[i] == key) & flags[i])

    def covered(self, lat: Floats, lon: Floats) -> Bools:
        """Whether each point lies in a covered cell."""
        return self._lookup(_key(*self._cell(lat, lon)), self.covered_cells)

    def edge(self, lat: Floats, lon: Floats) -> Bools:
        """Whether each point lies in a covered cell at the edge of the heard area."""
        return self._lookup(_key(*self._cell(lat, lon)), self.edge_cells)

    def leaving(self, lat: Floats, lon: Floats, course: Floats, sog: Floats) -> Bools:
        """Whether each vessel, sailing on at ``course`` (deg) and ``sog`` (kn) for up to
        ``lookahead_h``, enters an unheard open-water cell (nan course or slow: no)."""
        p = self.params
        lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
        moving = np.isfinite(course) & (np.nan_to_num(sog) >= p.min_moving_kn)
        out = np.zeros(len(lat), dtype=bool)
        idx = np.flatnonzero(moving & np.isfinite(lat) & np.isfinite(lon))
        if not len(idx):
            return out
        reach = np.asarray(sog)[idx] * M_PER_NM * p.lookahead_h
        steps = np.linspace(0.125, 1.0, 8)  # every 15 min of the 2 h
        d = reach[:, None] * steps[None, :]
        rad = np.radians(np.asarray(course)[idx])[:, None]
        plat, plon = offset_deg(lat[idx, None], lon[idx, None], d * np.sin(rad), d * np.cos(rad))
        cy, cx = self._cell(plat.ravel(), plon.ravel())
        key = _key(cy, cx)
        heard = np.isin(key, self.inside)
        water = _open_water(cy, cx, self.cell_deg, p.open_water_points)
        out[idx] = (~heard & water).reshape(d.shape).any(axis=1)
        return out

    def heard_hours(
        self, lat: Floats, lon: Floats, t0: Floats, t1: Floats
    ) -> tuple[Ints, Ints, Ints]:
        """For each silence from ``t0`` to ``t1`` (epoch s) that began at (lat, lon): the
        whole hours strictly inside it, those with any data at all, and those in which a
        vessel was heard in its cell or the 8 around it. The silent vessel itself is not heard
        in those hours, so whoever was heard is another vessel."""
        n = len(lat)
        h0 = np.floor(np.asarray(t0) / H).astype(np.int64) + 1
        h1 = np.floor(np.asarray(t1) / H).astype(np.int64) - 1
        inner = np.maximum(h1 - h0 + 1, 0)
        gid = np.repeat(np.arange(n), inner)
        hour = h0[gid] + (np.arange(len(gid)) - np.repeat(np.cumsum(inner) - inner, inner))
        with_data = np.isin(hour, self.data_hours)
        cy, cx = self._cell(np.asarray(lat), np.asarray(lon))
        heard = np.zeros(len(gid), dtype=bool)
        top = len(self.cell_hours) - 1
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if top < 0:
                    break
                k = _key(cy[gid] + dy, cx[gid] + dx) * _HOURS + hour
                heard |= self.cell_hours[np.clip(np.searchsorted(self.cell_hours, k), 0, top)] == k
        return (
            inner,
            np.bincount(gid, weights=with_data, minlength=n).astype(np.int64),
            np.bincount(gid, weights=heard, minlength=n).astype(np.int64),
        )


def _key(cy: Ints, cx: Ints) -> Ints:
    return np.asarray((cy + _OFF) * _SPAN + (cx + _OFF), dtype=np.int64)


def _open_water(cy: Ints, cx: Ints, cell: float, need: int) -> Bools:
    """Whether >= ``need`` of 9 points sampled in each cell are sea on the land mask."""
    f = np.array([1 / 6, 1 / 2, 5 / 6])
    fy, fx = (a.ravel() for a in np.meshgrid(f, f, indexing="ij"))
    lat = (cy[:, None] + fy[None, :]) * cell
    lon = (cx[:, None] + fx[None, :]) * cell
    sea = ~is_land(lat, lon)
    return np.asarray(sea.sum(axis=1) >= need)


def _closed(keys: Ints, radius: int) -> Ints:
    """The cells ``keys`` closed over holes: dilated by ``radius`` cells, then eroded by as
    many (a morphological closing with a square). Unheard water between heard cells is then
    inside coverage (CoverageParams.hole_cells): sparse traffic has no edge between its lanes;
    the open sea beyond the last heard cells, or beyond an extract's box, still is one."""
    if not len(keys) or radius < 1:
        return keys
    around = [(dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]
    cy, cx = keys // _SPAN - _OFF, keys % _SPAN - _OFF
    grown = np.unique(np.concatenate([_key(cy + dy, cx + dx) for dy, dx in around]))
    gy, gx = grown // _SPAN - _OFF, grown % _SPAN - _OFF
    keep = np.ones(len(grown), dtype=bool)
    for dy, dx in around:
        keep &= np.isin(_key(gy + dy, gx + dx), grown)
    return np.union1d(grown[keep], keys)


def _edges(cells: Ints, covered: Bools, inside: Ints, cell: float, p: CoverageParams) -> Bools:
    """Covered cells with an unheard open-water cell (outside the closed covered area) among
    their 8 neighbours."""
    edge = np.zeros(len(cells), dtype=bool)
    idx = np.flatnonzero(covered)
    if not len(idx):
        return edge
    cy, cx = cells[idx] // _SPAN - _OFF, cells[idx] % _SPAN - _OFF
    covered_keys = inside
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == dx == 0:
                continue
            k = _key(cy + dy, cx + dx)
            unheard = ~np.isin(k, covered_keys)
            if unheard.any():
                sub = np.flatnonzero(unheard)
                water = _open_water(cy[sub] + dy, cx[sub] + dx, cell, p.open_water_points)
                edge[idx[sub[water]]] = True
    return edge


def cells_table(cov: Coverage) -> pa.Table:
    """The cells of ``cov`` (centre lat/lon, covered, edge), for maps and inspection."""
    cy, cx = cov.cells // _SPAN - _OFF, cov.cells % _SPAN - _OFF
    return pa.table(
        {
            "lat": (cy + 0.5) * cov.cell_deg,
            "lon": (cx + 0.5) * cov.cell_deg,
            "covered": cov.covered_cells,
            "edge": cov.edge_cells,
        }
    )
