"""Real-traffic precision: every STS-type finding on real AIS, with a verdict by a fixed rule.

Real AIS has no labels, so each ``encounter``, ``dark_sts`` and deliberate ``ais_gap`` found on
a real file gets a verdict (harbour craft / in port / coverage edge / genuine / other) by the
rule written in ``docs/real-traffic.md`` before any finding was looked at. The rule reads facts
gathered *independently* of the detector: the raw CSV rows (types, names, positions, speeds,
nav status), the GFW named anchorages and the World Port Index (tables the project does not
ship), the land mask and a reception grid learned from the file itself. Precision of a type is
the share of its findings whose verdict is ``genuine``.

Run: ``python -m watchkeeper.simulate.real_traffic --out docs/real-traffic-findings.md``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from watchkeeper.context.land import distance_to_shore_km, is_land
from watchkeeper.context.vessel_types import is_sts_candidate
from watchkeeper.detect.run import detect_workspace
from watchkeeper.ingest.pipeline import ingest_files
from watchkeeper.store import Workspace

__all__ = [
    "Facts",
    "Place",
    "RealFile",
    "RuleParams",
    "Silence",
    "Verdict",
    "Vessel",
    "context_flag",
    "gap_verdict",
    "is_deliberate",
    "main",
    "pair_verdict",
    "render_markdown",
]

Floats = npt.NDArray[np.float64]

GENUINE, HARBOUR, IN_PORT, EDGE, OTHER = (
    "genuine",
    "harbour craft",
    "in port",
    "coverage edge",
    "other",
)
VERDICTS = (GENUINE, HARBOUR, IN_PORT, EDGE, OTHER)
TYPES = ("encounter", "dark_sts", "ais_gap_deliberate")


@dataclass(frozen=True)
class RuleParams:
    """Numbers of the verdict rule (docs/real-traffic.md gives each its reason)."""

    anchorage_km: float = 4.0  # GFW port visits end 4 km from an anchorage point
    port_km: float = 10.0  # one WPI point per port; GFW encounters drop within 10 km of ports
    berth_land_km: float = 1.0  # the land mask's resolution: against a coast = a berth
    moored_land_km: float = 2.0  # moored (nav status 5) this close to land = at a berth
    moored_share: float = 0.5  # moored in at least half the rows during the event
    still_kn: float = 2.0  # GFW encounters: median speed < 2 kn
    together_m: float = 500.0  # GFW encounters: 500 m
    together_h: float = 2.0  # GFW encounters: 2 h
    pair_s: float = 300.0  # rows of the two vessels paired when within 5 min
    edge_km: float = 20.0  # about 1 h at 11 kn from the edge of reception
    cell_deg: float = 0.1  # reception grid (about 11 km of latitude)
    heard_share: float = 0.5  # others heard near the gap start in >= half its whole hours
    data_edge_s: float = 600.0  # a gap within 10 min of the file's first/last row
    partner_km: float = 50.0  # the dark partner's last position this close to the event
    partner_dark_h: float = 1.0  # and silent at least this long inside the event


#: AIS types of vessels that carry people or serve ships in port (ITU-R M.1371-5 Table 53).
HARBOUR_TYPES = frozenset([31, 32, 36, 37, *range(40, 70)])
#: The types the acceptance counts: passenger, high-speed, pleasure, sailing, tug, pilot.
PEOPLE_TUG_PILOT = frozenset([31, 32, 36, 37, 50, 52, *range(40, 50), *range(60, 70)])
_HARBOUR_NAME = re.compile(r"\b(TUG|PILOT|FERRY|YACHT|TOW|LAUNCH|WATER TAXI|FIREBOAT|CREW BOAT)\b")


@dataclass(frozen=True)
class Vessel:
    """A vessel as its raw rows describe it."""

    mmsi: int
    name: str | None = None
    ship_type: int | None = None

    def harbour_craft(self) -> str | None:
        """Why this vessel is harbour craft (type, or name when the type is unknown), or None."""
        if self.ship_type in HARBOUR_TYPES:
            return f"{self.mmsi} is AIS type {self.ship_type}"
        if not self.ship_type and self.name and _HARBOUR_NAME.search(self.name.upper()):
            return f"{self.mmsi} ({self.name}) has a harbour-craft name"
        return None


@dataclass(frozen=True)
class Place:
    """The nearest named place of one list."""

    name: str
    km: float


@dataclass(frozen=True)
class Silence:
    """A vessel's silence in the raw rows (a gap, or a dark partner's gap)."""

    mmsi: int
    hours: float
    open: bool  # no raw row after it
    at_data_edge: bool  # starts/ends within data_edge_s of the file's first/last row
    edge_km_before: float  # last position before: km to the outer edge of reception
    edge_km_after: float | None  # first position after (None when open)
    heard_share: float | None  # share of its whole hours with others heard nearby (None: < 1 h)
    km_to_event: float = 0.0  # last position before, to the event position
    dark_h_in_event: float = 0.0  # hours of it inside the event


@dataclass(frozen=True)
class Facts:
    """Independent facts about one finding."""

    kind: str  # encounter, dark_sts, ais_gap_deliberate
    vessels: tuple[Vessel, ...]
    anchorage: Place | None = None  # nearest GFW anchorage point that is not an offshore area
    port: Place | None = None  # nearest WPI port
    sts_area: Place | None = None  # nearest GFW offshore / STS / lightering point
    shore_km: float = math.inf
    moored: bool = False  # a vessel moored (nav status 5) in >= moored_share of its rows
    median_sog: tuple[float | None, ...] = ()
    median_distance_m: float | None = None
    together_h: float = 0.0  # span of common times (rows paired within pair_s)
    silences: tuple[Silence, ...] = ()
    both_dark: bool = False


@dataclass(frozen=True)
class Verdict:
    """A verdict and its one-line reason."""

    label: str
    reason: str


def _in_port(f: Facts, still: bool, p: RuleParams) -> str | None:
    """Why the finding is in port, or None (rule step 2)."""
    if f.anchorage is not None and f.anchorage.km <= p.anchorage_km:
        return f"{f.anchorage.km:.1f} km from anchorage {f.anchorage.name} (GFW)"
    if f.port is not None and f.port.km <= p.port_km:
        return f"{f.port.km:.1f} km from port {f.port.name} (WPI)"
    if still and f.shore_km <= p.berth_land_km:
        return f"still within {p.berth_land_km:g} km of land (unlisted berth/harbour)"
    if f.moored and f.shore_km <= p.moored_land_km:
        return f"moored (nav status 5) within {p.moored_land_km:g} km of land"
    return None


def _silence_edge(s: Silence, p: RuleParams) -> str | None:
    """Why a silence is explained by coverage, or None (rule, gap step 3)."""
    if s.open:
        return f"{s.mmsi}: no position after the silence (open)"
    if s.at_data_edge:
        return f"{s.mmsi}: the silence reaches the start or end of the data"
    if s.edge_km_before <= p.edge_km:
        return f"{s.mmsi}: last heard {s.edge_km_before:.0f} km from the edge of reception"
    if s.edge_km_after is not None and s.edge_km_after <= p.edge_km:
        return f"{s.mmsi}: heard again {s.edge_km_after:.0f} km from the edge of reception"
    if s.heard_share is not None and s.heard_share < p.heard_share:
        return f"{s.mmsi}: others heard nearby in only {s.heard_share:.0%} of the silent hours"
    return None


def _still(f: Facts, p: RuleParams, n: int) -> bool:
    """The first ``n`` vessels' median speeds are known and below ``still_kn``."""
    sogs = f.median_sog[:n]
    return len(sogs) == n and all(s is not None and s < p.still_kn for s in sogs)


def pair_verdict(f: Facts, p: RuleParams = RuleParams()) -> Verdict:
    """Verdict of an ``encounter`` or ``dark_sts`` from its facts (docs/real-traffic.md)."""
    for v in f.vessels:
        why = v.harbour_craft()
        if why:
            return Verdict(HARBOUR, why)
    port = _in_port(f, _still(f, p, len(f.vessels) if f.kind == "encounter" else 1), p)
    if port:
        return Verdict(IN_PORT, port)
    if f.kind == "dark_sts":
        for s in f.silences:
            edge = _silence_edge(s, p)
            if edge:
                return Verdict(EDGE, edge)
    if not all(is_sts_candidate(v.ship_type) for v in f.vessels):
        odd = [v for v in f.vessels if not is_sts_candidate(v.ship_type)]
        return Verdict(OTHER, f"{odd[0].mmsi} is AIS type {odd[0].ship_type}, not an STS type")
    return _genuine_pair(f, p)


def _genuine_pair(f: Facts, p: RuleParams) -> Verdict:
    area = f" at {f.sts_area.name}" if f.sts_area else " at sea"
    if f.kind == "encounter":
        if not _still(f, p, 2):
            return Verdict(OTHER, f"not both still (median {_fmt_sogs(f.median_sog)} kn)")
        d = f.median_distance_m
        if d is None or d > p.together_m or f.together_h < p.together_h:
            dist = "no common times" if d is None else f"median {d:.0f} m"
            return Verdict(OTHER, f"not together: {dist} over {f.together_h:.1f} h")
        return Verdict(GENUINE, f"both still, {d:.0f} m apart for {f.together_h:.1f} h{area}")
    if not f.both_dark and not _still(f, p, 1):
        return Verdict(OTHER, f"loitering vessel not still ({_fmt_sogs(f.median_sog[:1])} kn)")
    if not f.silences:
        return Verdict(OTHER, "no silence of the partner in the raw rows")
    for s in f.silences:
        if s.dark_h_in_event < p.partner_dark_h:
            return Verdict(OTHER, f"{s.mmsi} silent only {s.dark_h_in_event:.1f} h of the event")
        if s.km_to_event > p.partner_km:
            return Verdict(OTHER, f"{s.mmsi} went silent {s.km_to_event:.0f} km away")
    s = f.silences[0]
    return Verdict(
        GENUINE,
        f"{s.mmsi} silent {s.dark_h_in_event:.1f} h, last seen {s.km_to_event:.0f} km{area}",
    )


def gap_verdict(f: Facts, p: RuleParams = RuleParams()) -> Verdict:
    """Verdict of a deliberate ``ais_gap`` from its facts (docs/real-traffic.md)."""
    why = f.vessels[0].harbour_craft()
    if why:
        return Verdict(HARBOUR, why)
    port = _in_port(replace(f, moored=False), False, p)
    if port or f.shore_km <= p.berth_land_km:
        return Verdict(IN_PORT, port or f"within {p.berth_land_km:g} km of land")
    s = f.silences[0]
    edge = _silence_edge(s, p)
    if edge:
        return Verdict(EDGE, edge)
    heard = "" if s.heard_share is None else f", others heard in {s.heard_share:.0%} of hours"
    return Verdict(GENUINE, f"silent {s.hours:.1f} h at sea, {s.edge_km_before:.0f} km in{heard}")


def _fmt_sogs(sogs: Sequence[float | None]) -> str:
    return "/".join("?" if s is None else f"{s:.1f}" for s in sogs)


def is_deliberate(details: dict[str, Any]) -> bool:
    """Whether the detector calls an ``ais_gap`` deliberate: ``details.cause`` when given
    (``"deliberate"``), else the ``details.deliberate`` flag risk scoring reads."""
    if "cause" in details and details["cause"] is not None:
        return str(details["cause"]) == "deliberate"
    return details.get("deliberate") is True


# ---------------------------------------------------------------- facts from the raw files


Box = tuple[float, float, float, float]  # lat0, lat1, lon0, lon1


@dataclass(frozen=True)
class RealFile:
    """A real file and the boxes it was cut to (none: not cut)."""

    label: str
    path: Path
    boxes: tuple[Box, ...] = ()


#: The region boxes of the 2020-01-01 excerpt (``../shared/data/README.md``).
THREE_COASTS: tuple[Box, ...] = (
    (38.0, 41.5, -76.0, -72.5),
    (47.0, 49.5, -125.0, -122.0),
    (32.5, 38.5, -123.5, -117.0),
)


def real_files(data: Path) -> list[RealFile]:
    """The two real files of the acceptance, under ``data``."""
    return [
        RealFile(
            "2020-01-01 (three coasts)",
            data / "csv/noaa-2020-01-01/AIS_2020_01_01_three_coasts.csv.gz",
            THREE_COASTS,
        ),
        RealFile("NOAA 2022 sample", data / "csv/noaa/AIS_2022_01_03_first99999.csv.gz"),
    ]


@dataclass(frozen=True)
class Raw:
    """Raw CSV rows sorted by (mmsi, time), and each vessel's name and type."""

    mmsi: npt.NDArray[np.int64]
    t: Floats
    lat: Floats
    lon: Floats
    sog: Floats
    status: Floats  # nan when absent
    names: dict[int, str]
    types: dict[int, int]

    def rows(self, mmsi: int, lo: float = -math.inf, hi: float = math.inf) -> slice:
        """Rows of ``mmsi`` with ``lo <= t <= hi``."""
        a, b = np.searchsorted(self.mmsi, [mmsi, mmsi + 1])
        t = self.t[a:b]
        return slice(int(a + np.searchsorted(t, lo)), int(a + np.searchsorted(t, hi, "right")))

    def vessel(self, mmsi: int) -> Vessel:
        return Vessel(mmsi, self.names.get(mmsi), self.types.get(mmsi))


def read_raw(path: Path) -> Raw:
    """The raw rows of a MarineCadastre CSV, read as text (independent of the ingester);
    values that do not parse become null and their rows are dropped."""
    con = _duck()
    con.register("src", _text_csv(path))
    names = [d[0] for d in con.execute("SELECT * FROM src LIMIT 0").description]
    status = "TRY_CAST(Status AS DOUBLE)" if "Status" in names else "NULL::DOUBLE"
    con.execute(
        f"CREATE TABLE raw AS SELECT TRY_CAST(MMSI AS BIGINT) AS mmsi, "
        f"epoch(TRY_CAST(BaseDateTime AS TIMESTAMP)) AS t, TRY_CAST(LAT AS DOUBLE) AS lat, "
        f"TRY_CAST(LON AS DOUBLE) AS lon, TRY_CAST(SOG AS DOUBLE) AS sog, {status} AS status, "
        "TRY_CAST(VesselType AS INTEGER) AS vtype, VesselName AS name FROM src"
    )
    con.execute("DELETE FROM raw WHERE mmsi IS NULL OR t IS NULL OR lat IS NULL OR lon IS NULL")
    tab = con.sql(
        "SELECT mmsi, t, lat, lon, coalesce(sog, 'nan'::DOUBLE) AS sog, "
        "coalesce(status, 'nan'::DOUBLE) AS status FROM raw ORDER BY mmsi, t"
    ).to_arrow_table()
    types = dict(
        con.execute("SELECT mmsi, mode(vtype) FROM raw WHERE vtype > 0 GROUP BY mmsi").fetchall()
    )
    vnames = dict(
        con.execute(
            "SELECT mmsi, mode(trim(name)) FROM raw WHERE trim(name) <> '' GROUP BY mmsi"
        ).fetchall()
    )
    col = {n: np.asarray(tab.column(n).to_numpy(), dtype=np.float64) for n in tab.column_names}
    return Raw(
        np.asarray(tab.column("mmsi").to_numpy(), dtype=np.int64),
        col["t"],
        col["lat"],
        col["lon"],
        col["sog"],
        col["status"],
        names={int(k): str(v) for k, v in vnames.items()},
        types={int(k): int(v) for k, v in types.items()},
    )


def _text_csv(path: Path) -> pa.Table:
    """A CSV file (gzip by its name) with every column as text."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        header = next(csv.reader([f.readline()]), [])
    types = dict.fromkeys(header, pa.string())
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


def _duck() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection without the progress bar (the page run is a batch job)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _km(lat0: float | Floats, lon0: float | Floats, lat: Floats, lon: Floats) -> Floats:
    """Great-circle distances (km) from one point to many, or between paired points."""
    p0, p1 = np.radians(lat0), np.radians(lat)
    dp, dl = p1 - p0, np.radians(lon - lon0)
    a = np.sin(dp / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(a, 1.0))), dtype=np.float64)


_OFFSHORE = re.compile(r"OFFSHORE|\bSTS\b|LIGHTER")


@dataclass(frozen=True)
class Gazetteer:
    """GFW named anchorages (port-like and offshore areas) and WPI ports, as point arrays."""

    lists: dict[str, tuple[Floats, Floats, list[str]]]

    @classmethod
    def load(cls, data: Path) -> Gazetteer:
        con = _duck()
        con.register("gfw", _text_csv(data / "ports/gfw-anchorages/anchorage_overrides.csv"))
        con.register("wpi", _text_csv(data / "ports/wpi/WPI_ports.csv"))
        gfw = con.execute(
            "SELECT TRY_CAST(latitude AS DOUBLE) AS la, TRY_CAST(longitude AS DOUBLE) AS lo, "
            "trim(coalesce(label, '')) || CASE WHEN coalesce(trim(sublabel), '') <> '' "
            "THEN ' / ' || trim(sublabel) ELSE '' END FROM gfw WHERE la IS NOT NULL "
            "AND lo IS NOT NULL"
        ).fetchall()
        wpi = con.execute(
            "SELECT TRY_CAST(latitude AS DOUBLE) AS la, TRY_CAST(longitude AS DOUBLE) AS lo, "
            "trim(label) || ' (' || iso3 || ')' FROM wpi WHERE la IS NOT NULL AND lo IS NOT NULL"
        ).fetchall()
        off = [r for r in gfw if _OFFSHORE.search(r[2])]
        port = [r for r in gfw if not _OFFSHORE.search(r[2])]
        return cls({"anchorage": _arr(port), "sts_area": _arr(off), "port": _arr(wpi)})

    def nearest(self, which: str, lat: float, lon: float) -> Place | None:
        la, lo, names = self.lists[which]
        if not len(la):
            return None
        d = _km(lat, lon, la, lo)
        i = int(np.argmin(d))
        return Place(names[i], float(d[i]))


def _arr(rows: list[tuple[Any, ...]]) -> tuple[Floats, Floats, list[str]]:
    return (
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[1] for r in rows], dtype=np.float64),
        [str(r[2]) for r in rows],
    )


@dataclass(frozen=True)
class Reception:
    """Where and when the file hears anything: a grid of ``cell_deg`` cells."""

    cell: float
    heard: frozenset[tuple[int, int]]
    hourly: dict[tuple[int, int, int], int]  # (row, col, hour) -> distinct vessels heard
    boxes: tuple[Box, ...]
    t0: float
    t1: float

    @classmethod
    def learn(cls, raw: Raw, boxes: tuple[Box, ...], cell: float) -> Reception:
        tab = pa.table(
            {
                "m": raw.mmsi,
                "r": np.floor(raw.lat / cell).astype(np.int64),
                "c": np.floor(raw.lon / cell).astype(np.int64),
                "h": np.floor(raw.t / 3600).astype(np.int64),
            }
        )
        con = _duck()
        con.register("cells", tab)
        rows = con.execute(
            "SELECT r, c, h, count(DISTINCT m) FROM cells GROUP BY r, c, h"
        ).fetchall()
        hourly = {(int(r), int(c), int(h)): int(n) for r, c, h, n in rows}
        heard = frozenset((r, c) for r, c, _ in hourly)
        return cls(cell, heard, hourly, boxes, float(raw.t.min()), float(raw.t.max()))

    def edge_km(self, lat: float, lon: float, reach_km: float) -> float:
        """km to the outer edge of reception (an unheard sea cell, or the file's box
        boundary), searched up to ``reach_km`` (beyond: inf)."""
        best = self._box_km(lat, lon)
        r0, c0 = math.floor(lat / self.cell), math.floor(lon / self.cell)
        kr = math.ceil(reach_km / (self.cell * 111.0)) + 1
        kc = math.ceil(reach_km / (self.cell * 111.0 * max(math.cos(math.radians(lat)), 0.1))) + 1
        cand = [
            (r, c)
            for r in range(r0 - kr, r0 + kr + 1)
            for c in range(c0 - kc, c0 + kc + 1)
            if (r, c) not in self.heard
        ]
        if cand:
            la = (np.array([r for r, _ in cand], dtype=np.float64) + 0.5) * self.cell
            lo = (np.array([c for _, c in cand], dtype=np.float64) + 0.5) * self.cell
            sea = ~is_land(la, lo) & self._inside(la, lo)
            if sea.any():
                best = min(best, float(_km(lat, lon, la[sea], lo[sea]).min()))
        return best

    def _inside(self, la: Floats, lo: Floats) -> npt.NDArray[np.bool_]:
        """Cells inside the file's boxes (outside them nothing was kept: the box edge counts)."""
        if not self.boxes:
            return np.ones(la.shape, dtype=np.bool_)
        ok = np.zeros(la.shape, dtype=np.bool_)
        for a, b, c, d in self.boxes:
            ok |= (la >= a) & (la <= b) & (lo >= c) & (lo <= d)
        return ok

    def _box_km(self, lat: float, lon: float) -> float:
        for a, b, c, d in self.boxes:
            if a <= lat <= b and c <= lon <= d:
                kx = 111.0 * math.cos(math.radians(lat))
                return min((lat - a) * 111.0, (b - lat) * 111.0, (lon - c) * kx, (d - lon) * kx)
        return math.inf

    def heard_share(self, lat: float, lon: float, t0: float, t1: float) -> float | None:
        """Share of the whole hours in [t0, t1] in which some vessel was heard in the cell of
        (lat, lon) or its 8 neighbours (None when no whole hour). The silent vessel has no
        row inside [t0, t1], so whoever was heard is another vessel."""
        h0, h1 = math.ceil(t0 / 3600), math.floor(t1 / 3600)
        if h1 <= h0:
            return None
        r0, c0 = math.floor(lat / self.cell), math.floor(lon / self.cell)
        near = [(r0 + i, c0 + j) for i in (-1, 0, 1) for j in (-1, 0, 1)]
        hit = sum(1 for h in range(h0, h1) if any(self.hourly.get((r, c, h)) for r, c in near))
        return hit / (h1 - h0)


@dataclass(frozen=True)
class Context:
    """What the facts of one file are gathered from."""

    raw: Raw
    reception: Reception
    places: Gazetteer
    params: RuleParams


def _median(x: Floats) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else None


def _silence(
    cx: Context,
    mmsi: int,
    i: int,
    j: int | None,
    at: tuple[float, float],
    span: tuple[float, float],
) -> Silence:
    """Silence of ``mmsi`` between raw rows ``i`` and ``j`` (None: open) for an event at
    ``at`` (lat, lon) spanning ``span`` (t0, t1)."""
    r, rec, p = cx.raw, cx.reception, cx.params
    t0 = float(r.t[i])
    t1 = rec.t1 if j is None else float(r.t[j])
    edge = t0 - rec.t0 <= p.data_edge_s or rec.t1 - t1 <= p.data_edge_s
    return Silence(
        mmsi=mmsi,
        hours=(t1 - t0) / 3600.0,
        open=j is None,
        at_data_edge=bool(edge),
        edge_km_before=rec.edge_km(float(r.lat[i]), float(r.lon[i]), p.edge_km),
        edge_km_after=None
        if j is None
        else rec.edge_km(float(r.lat[j]), float(r.lon[j]), p.edge_km),
        heard_share=rec.heard_share(float(r.lat[i]), float(r.lon[i]), t0, t1),
        km_to_event=float(_km(at[0], at[1], r.lat[i : i + 1], r.lon[i : i + 1])[0]),
        dark_h_in_event=max(0.0, min(t1, span[1]) - max(t0, span[0])) / 3600.0,
    )


def _longest_silence(
    cx: Context, mmsi: int, at: tuple[float, float], span: tuple[float, float]
) -> Silence | None:
    """The longest interval without a raw row of ``mmsi`` that overlaps ``span``."""
    sl = cx.raw.rows(mmsi)
    t = cx.raw.t[sl]
    if not len(t):
        return None
    ends = np.append(t[1:], np.inf)  # the last row opens a silence to the end of the data
    overlap = (t < span[1]) & (ends > span[0])
    if not overlap.any():
        return None
    k = int(np.flatnonzero(overlap)[np.argmax((np.minimum(ends, cx.reception.t1) - t)[overlap])])
    j = None if k + 1 >= len(t) else sl.start + k + 1
    return _silence(cx, mmsi, sl.start + k, j, at, span)


def _common(cx: Context, a: int, b: int, span: tuple[float, float]) -> tuple[float | None, float]:
    """Median distance (m) of ``a`` and ``b`` at common times, and the span (h) of those."""
    r = cx.raw
    sa, sb = r.rows(a, *span), r.rows(b, *span)
    ta, tb = r.t[sa], r.t[sb]
    if not len(ta) or not len(tb):
        return None, 0.0
    k = np.clip(np.searchsorted(tb, ta), 0, len(tb) - 1)
    before = np.maximum(k - 1, 0)
    k = np.where(np.abs(tb[before] - ta) < np.abs(tb[k] - ta), before, k)  # nearest in time
    ok = np.abs(tb[k] - ta) <= cx.params.pair_s
    if not ok.any():
        return None, 0.0
    lat_a, lon_a = r.lat[sa][ok], r.lon[sa][ok]
    lat_b, lon_b = r.lat[sb][k[ok]], r.lon[sb][k[ok]]
    d = _km(lat_a, lon_a, lat_b, lon_b)
    tt = ta[ok]
    return float(np.median(d) * 1000.0), float((tt.max() - tt.min()) / 3600.0)


def _moored(cx: Context, mmsis: Sequence[int], span: tuple[float, float]) -> bool:
    for m in mmsis:
        st = cx.raw.status[cx.raw.rows(m, *span)]
        st = st[np.isfinite(st)]
        if len(st) and float(np.mean(st == 5)) >= cx.params.moored_share:
            return True
    return False


def _where(cx: Context, lat: float, lon: float) -> dict[str, Any]:
    g = cx.places
    return {
        "anchorage": g.nearest("anchorage", lat, lon),
        "port": g.nearest("port", lat, lon),
        "sts_area": _within(g.nearest("sts_area", lat, lon), cx.params.anchorage_km),
        "shore_km": float(distance_to_shore_km(lat, lon)[0]),
    }


def _within(p: Place | None, km: float) -> Place | None:
    return p if p is not None and p.km <= km else None


def pair_facts(cx: Context, ev: dict[str, Any]) -> Facts:
    """Facts of an ``encounter`` or ``dark_sts`` event row (a dict of the events table)."""
    a, b = int(ev["mmsi"]), int(ev["other_mmsi"])
    span = (ev["start"].timestamp(), (ev["end"] or _end(cx)).timestamp())
    at = _position(cx, ev, a, span)
    details = json.loads(ev["details"] or "{}")
    both = details.get("kind") == "both_dark"
    sogs = tuple(_median(cx.raw.sog[cx.raw.rows(m, *span)]) for m in (a, b))
    facts = Facts(
        kind=str(ev["type"]),
        vessels=(cx.raw.vessel(a), cx.raw.vessel(b)),
        moored=_moored(cx, (a, b), span),
        median_sog=sogs,
        both_dark=both,
        **_where(cx, *at),
    )
    if ev["type"] == "encounter":
        dist, hours = _common(cx, a, b, span)
        return replace(facts, median_distance_m=dist, together_h=hours)
    dark = (a, b) if both else (b,)
    found = [_longest_silence(cx, m, at, span) for m in dark]
    return replace(facts, silences=tuple(s for s in found if s is not None))


def gap_facts(cx: Context, ev: dict[str, Any]) -> Facts | None:
    """Facts of an ``ais_gap`` event row: its silence in the raw rows (None: not found)."""
    m = int(ev["mmsi"])
    sl = cx.raw.rows(m, hi=ev["start"].timestamp() + 1.0)
    if sl.stop <= sl.start:
        return None
    i = sl.stop - 1
    j = i + 1 if i + 1 < len(cx.raw.mmsi) and cx.raw.mmsi[i + 1] == m else None
    lat, lon = float(cx.raw.lat[i]), float(cx.raw.lon[i])
    s = _silence(cx, m, i, j, (lat, lon), (float(cx.raw.t[i]), cx.reception.t1))
    return Facts(
        kind="ais_gap_deliberate",
        vessels=(cx.raw.vessel(m),),
        silences=(s,),
        **_where(cx, lat, lon),
    )


def _end(cx: Context) -> datetime:
    return datetime.fromtimestamp(cx.reception.t1, tz=UTC)


def _position(
    cx: Context, ev: dict[str, Any], mmsi: int, span: tuple[float, float]
) -> tuple[float, float]:
    if ev["lat"] is not None and ev["lon"] is not None:
        return float(ev["lat"]), float(ev["lon"])
    sl = cx.raw.rows(mmsi, *span)
    return float(np.median(cx.raw.lat[sl])), float(np.median(cx.raw.lon[sl]))


# ---------------------------------------------------------------- running and reporting


@dataclass
class Finding:
    """One finding with its facts and verdict."""

    kind: str
    event: dict[str, Any]
    facts: Facts | None
    verdict: Verdict
    context: str | None = None  # kept by the detector as context only (see context_flag)

    def involves(self, types: frozenset[int]) -> bool:
        return self.facts is not None and any(v.ship_type in types for v in self.facts.vessels)


@dataclass
class FileResult:
    """Findings of one real file and how the run went."""

    file: RealFile
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # every event type, all events
    parquet: str | None = None  # the Parquet round trip, when checked


def context_flag(details: dict[str, Any]) -> str | None:
    """Why the detector keeps a pair event only as context, adding nothing to risk
    (``details.in_port`` or ``details.service`` true), or None for a finding proper."""
    for key in ("in_port", "service"):
        if details.get(key) is True:
            return key
    return None


def findings(cx: Context, events: pa.Table) -> list[Finding]:
    """Every encounter, dark_sts and deliberate ais_gap of ``events`` with its verdict
    (pair events the detector flags as context are kept, marked, and not counted)."""
    out: list[Finding] = []
    for ev in events.to_pylist():
        if ev["type"] in ("encounter", "dark_sts"):
            f = pair_facts(cx, ev)
            flag = context_flag(json.loads(ev["details"] or "{}"))
            out.append(Finding(ev["type"], ev, f, pair_verdict(f, cx.params), flag))
        elif ev["type"] == "ais_gap" and is_deliberate(json.loads(ev["details"] or "{}")):
            g = gap_facts(cx, ev)
            v = gap_verdict(g, cx.params) if g else Verdict(OTHER, "no raw row before the gap")
            out.append(Finding("ais_gap_deliberate", ev, g, v))
    return out


def run_file(f: RealFile, data: Path, work: Path, params: RuleParams, parquet: bool) -> FileResult:
    """Ingest ``f`` into a fresh workspace, detect, and judge every finding."""
    ws = Workspace(work / "ws")
    ingest_files([f.path], ws)
    events = detect_workspace(ws)
    raw = read_raw(f.path)
    cx = Context(raw, Reception.learn(raw, f.boxes, params.cell_deg), Gazetteer.load(data), params)
    res = FileResult(f, rows=len(raw.t), findings=findings(cx, events))
    res.counts = dict(Counter(events.column("type").to_pylist()))
    if parquet:
        res.parquet = _parquet_round_trip(ws, events, work)
    return res


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "watchkeeper", *args], check=True, capture_output=True)


def _parquet_round_trip(ws: Workspace, events: pa.Table, work: Path) -> str:
    """Export positions as Parquet, re-ingest into a new workspace, detect: same events?"""
    out = work / "positions.parquet"
    _cli("export", "positions", "-w", str(ws.path), "--format", "parquet", "-o", str(out))
    ws2 = Workspace(work / "ws-parquet")
    ingest_files([out], ws2)
    again = detect_workspace(ws2)
    a = Counter(
        zip(events.column("type").to_pylist(), events.column("event_id").to_pylist(), strict=True)
    )
    b = Counter(
        zip(again.column("type").to_pylist(), again.column("event_id").to_pylist(), strict=True)
    )
    only_csv, only_pq = a - b, b - a
    if not only_csv and not only_pq:
        return f"identical: {events.num_rows:,} events, same ids"
    per = Counter(t for t, _ in only_csv), Counter(t for t, _ in only_pq)
    return (
        f"{events.num_rows:,} events from CSV, {again.num_rows:,} from Parquet; only from CSV: "
        f"{dict(per[0]) or 'none'}; only from Parquet: {dict(per[1]) or 'none'}"
    )


def precision(fs: Sequence[Finding]) -> float | None:
    """Share of ``fs`` whose verdict is genuine (None when there are none)."""
    return sum(f.verdict.label == GENUINE for f in fs) / len(fs) if fs else None


def _p(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _summary_rows(results: Sequence[FileResult]) -> list[str]:
    rows = [
        "| file | type | findings | genuine | precision | harbour craft | in port | coverage edge "
        "| other | with passenger/HSC/pleasure/sailing/tug/pilot | kept as context, not counted "
        "(of which with those types) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    groups = [(r.file.label, r.findings) for r in results]
    groups.append(("both files", [f for r in results for f in r.findings]))
    for label, fs in groups:
        for kind in TYPES:
            of = [f for f in fs if f.kind == kind and f.context is None]
            ctx = [f for f in fs if f.kind == kind and f.context is not None]
            n = Counter(f.verdict.label for f in of)
            people = sum(f.involves(PEOPLE_TUG_PILOT) for f in of)
            ctx_people = sum(f.involves(PEOPLE_TUG_PILOT) for f in ctx)
            rows.append(
                f"| {label} | {kind} | {len(of)} | {n[GENUINE]} | {_p(precision(of))} | "
                f"{n[HARBOUR]} | {n[IN_PORT]} | {n[EDGE]} | {n[OTHER]} | {people} | "
                f"{len(ctx)} ({ctx_people}) |"
            )
    return rows


def _vessel(v: Vessel) -> str:
    name = (v.name or "?").replace("|", "/")
    return f"{v.mmsi} {name} ({v.ship_type if v.ship_type else '?'})"


def _place(f: Facts | None) -> str:
    if f is None:
        return "-"
    cands = [(p.km, f"{p.name} {p.km:.1f} km") for p in (f.sts_area, f.anchorage, f.port) if p]
    near = min(cands)[1] if cands else "-"
    shore = "inf" if math.isinf(f.shore_km) else f"{f.shore_km:g}"
    return f"{near}; shore <= {shore} km"


def _duration(ev: dict[str, Any]) -> str:
    if ev["end"] is None:
        return "open"
    return f"{(ev['end'] - ev['start']).total_seconds() / 3600:.1f} h"


def _flag(f: Finding) -> str:
    return f" (detector: `details.{f.context}`)" if f.context else ""


def _finding_rows(fs: Sequence[Finding], kind: str, context: bool = False) -> list[str]:
    mine = (f for f in fs if f.kind == kind and (f.context is not None) == context)
    of = sorted(mine, key=lambda f: f.event["start"])
    if not of:
        return ["None."]
    rows = [
        "| # | start (UTC) | vessels: mmsi name (AIS type) "
        "| place: nearest named; distance to shore | duration | verdict | reason |",
        "|---:|---|---|---|---|---|---|",
    ]
    for k, f in enumerate(of, 1):
        ev, facts = f.event, f.facts
        vessels = "<br>".join(_vessel(v) for v in facts.vessels) if facts else str(ev["mmsi"])
        start = ev["start"].strftime("%Y-%m-%d %H:%M")
        rows.append(
            f"| {k} | {start} | {vessels} | {_place(facts)} | {_duration(ev)} | "
            f"**{f.verdict.label}** | {f.verdict.reason}{_flag(f)} |"
        )
    return rows


def render_markdown(results: Sequence[FileResult], commit: str, label: str) -> str:
    """The findings page: a summary per file and type, then one line per finding."""
    out = [
        f"# Real traffic: findings and verdicts ({label})",
        "",
        f"Generated by `make accuracy-real` (`python -m watchkeeper.simulate.real_traffic`) on "
        f"commit `{commit}`. Verdicts by the rule in [real-traffic.md](real-traffic.md), "
        "written before looking; a finding is correct when its verdict is **genuine**.",
        "",
        "## Summary",
        "",
        *_summary_rows(results),
        "",
        "Events of every type found (all detectors):",
        "",
    ]
    for r in results:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items())) or "none"
        out.append(f"- {r.file.label} ({r.rows:,} raw rows): {counts}.")
        if r.parquet:
            out.append(f"  Parquet round trip (export positions, re-ingest, detect): {r.parquet}.")
    genuine = [(r.file.label, f) for r in results for f in r.findings if f.verdict.label == GENUINE]
    pairs = [(lab, f) for lab, f in genuine if f.kind != "ais_gap_deliberate"]
    out += ["", f"Genuine transfers found (encounter or dark STS): {len(pairs)}."]
    out += [
        f"- {lab}: {f.kind} "
        + " / ".join(_vessel(v) for v in f.facts.vessels)
        + f", {f.verdict.reason}"
        for lab, f in pairs
        if f.facts
    ]
    for r in results:
        out += ["", f"## {r.file.label}", "", f"File: `{r.file.path.name}`."]
        for kind in TYPES:
            out += ["", f"### {kind}", "", *_finding_rows(r.findings, kind)]
            if any(f.kind == kind and f.context for f in r.findings):
                out += ["", f"### {kind}: kept by the detector as context only (not counted)"]
                out += ["", *_finding_rows(r.findings, kind, context=True)]
    return "\n".join(out) + "\n"


_START, _STOP = "<!-- real-traffic:start -->", "<!-- real-traffic:stop -->"


def splice_accuracy(
    page: str, results: Sequence[FileResult], findings_page: str, stamp: str = ""
) -> str:
    """``docs/accuracy.md`` with its "Real traffic" section (between markers) replaced or
    added; ``stamp`` says what was measured (detectors, commit)."""
    name = Path(findings_page).name
    section = "\n".join(
        [
            _START,
            "## Real traffic",
            "",
            "Every encounter, dark STS and deliberate AIS gap found on two real files, each "
            "with a verdict by the rule in [real-traffic.md](real-traffic.md) (written before "
            f"looking); one line per finding in [{name}]({name}), with the findings checked "
            f"by hand in [real-traffic.md](real-traffic.md#inspection). Correct = verdict "
            f"**genuine**. {stamp}",
            "",
            *_summary_rows(results),
            _STOP,
        ]
    )
    if _START in page and _STOP in page:
        head, rest = page.split(_START, 1)
        return head + section + rest.split(_STOP, 1)[1]
    return page.rstrip("\n") + "\n\n" + section + "\n"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run every real file, judge its findings and write the page(s)."""
    ap = argparse.ArgumentParser(prog="python -m watchkeeper.simulate.real_traffic")
    ap.add_argument("--out", type=Path, default=Path("docs/real-traffic-findings.md"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--accuracy", type=Path, help="also splice the summary into this page")
    ap.add_argument("--label", default="current detectors", help="what the run measures")
    ap.add_argument("--parquet", action="store_true", help="also check a Parquet round trip")
    args = ap.parse_args(argv)
    files = real_files(args.data)
    missing = [f.path for f in files if not f.path.is_file()]
    if missing:
        sys.stderr.write(f"skipped: real data not found ({', '.join(map(str, missing))})\n")
        return 0
    results = []
    for f in files:
        with tempfile.TemporaryDirectory(prefix="wk-real-") as tmp:
            sys.stderr.write(f"{f.label}: ingest, detect, judge\n")
            results.append(run_file(f, args.data, Path(tmp), RuleParams(), args.parquet))
    commit = _commit()
    args.out.write_text(render_markdown(results, commit, args.label), encoding="utf-8")
    sys.stderr.write(f"wrote {args.out}\n")
    if args.accuracy:
        page = args.accuracy.read_text(encoding="utf-8") if args.accuracy.exists() else ""
        stamp = f"Measured: {args.label}, commit `{commit}` (`make accuracy-real`)."
        args.accuracy.write_text(
            splice_accuracy(page, results, str(args.out), stamp), encoding="utf-8"
        )
        sys.stderr.write(f"updated {args.accuracy}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
