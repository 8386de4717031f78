"""The places gazetteer: where ships legitimately stop, as areas, and which of them lie offshore.

Lists, in the order they are checked (``details.places_checked`` names them):

- ``gfw-anchorages``: the 60,410 named anchorage points Global Fishing Watch curated on top of
  its learned anchorages (Apache-2.0), shipped as package data (``data/gfw_anchorages.parquet``,
  see ``data/README.md``). Each point samples the water ships use at a port (an S2 cell of
  ~0.6 km), so together they draw the port's *area*.
- ``wpi``: the World Port Index extract (3,669 ports; US NGA via GFW, Apache-2.0), shipped too.
  The extract has no harbour-size column, so its points get the radius of a small harbour.
- ``searoute``: the UN/LOCODE ports bundled with ``searoute``, checked: a point 5 km or more
  from any shore, or 10-100 km from the anchorage points of the same name (the same port,
  misplaced: searoute's Gibraltar lies at Punta Carnero, 10 km from the Rock), is dropped.
- ``dprk``: North Korean ports and their outer anchorages (built in: not in the GFW table).
- ``learned``: anchorages and berths learned from the data itself
  (:mod:`watchkeeper.context.anchorages`).
- the user's files (``DetectParams.port_files``, ``watchkeeper detect --ports FILE``): a
  WPI-style CSV, the GFW anchorage CSV, or a Parquet ``PLACES`` table.

A place more than :data:`OFFSHORE_KM` from shore (anchorage points 50-100 km out are
lightering and STS areas, offshore terminals) is marked ``offshore``: it is not a port, and
detectors report what happens there with the place named instead of setting it aside.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.context.anchorages import AnchorageParams, learn_anchorages
from watchkeeper.context.land import distance_to_shore_km
from watchkeeper.context.ports import PLACES, PlaceIndex, conform, places_table, searoute_ports
from watchkeeper.context.zones import builtin_zones, zone_of
from watchkeeper.errors import FormatError
from watchkeeper.tracks.geo import haversine_m

__all__ = [
    "DPRK_ANCHORAGES",
    "DPRK_PORTS",
    "DPRK_PORT_NAMES",
    "DPRK_PORT_RADIUS_KM",
    "OFFSHORE_KM",
    "TERRITORIAL_SEA_KM",
    "build_places",
    "builtin_places",
    "checked_searoute_ports",
    "derive_gfw_anchorages",
    "derive_wpi",
    "dprk_places",
    "dprk_waters",
    "gazetteer",
    "gfw_anchorages",
    "mark_offshore",
    "read_places",
    "wpi_ports",
]

Floats = npt.NDArray[np.float64]

#: Beyond 20 km from shore a stop is outside or at the edge of the 12-nm (22.2 km) territorial
#: sea, where no harbour lies: the GFW table's points that far out are lightering, STS and
#: offshore-terminal areas. (The shore distance is the ring lower bound of
#: :func:`~watchkeeper.context.land.distance_to_shore_km`: "more than 20" is its 37 km ring.)
OFFSHORE_KM = 20.0
TERRITORIAL_SEA_KM = 12 * 1.852  # UNCLOS art. 3: 12 nautical miles
#: A WPI point is the town's reference point; quays and the inner anchorage spread about a
#: small harbour's size around it (WPI "small" harbours: about 2 km; no size in the extract).
WPI_RADIUS_KM = 2.0
#: searoute checks (module docstring): 5 km from any shore is at sea for a port point (the
#: 1-km land mask's cells and coastal towns are closer); 10-100 km from the same-named GFW
#: points is the same port misplaced (beyond 100 km it is another place of the same name).
SEAROUTE_MAX_SHORE_KM = 5.0
SEAROUTE_MISPLACED_KM = (10.0, 100.0)

#: North Korean ports, World Port Index coordinates (DOMAIN.md): name, lat, lon. A visit to
#: any of them is a sanctions violation in itself (UNSCR 2397).
DPRK_PORTS: tuple[tuple[str, float, float], ...] = (
    ("NAMPO", 38.717, 125.400),
    ("HAEJU", 38.0, 125.7),
    ("KYOMIPO", 38.733, 125.617),
    ("CHONGJIN", 41.767, 129.817),
    ("HUNGNAM", 39.833, 127.617),
    ("WONSAN", 39.167, 127.450),
    ("KIMCHAEK", 40.667, 129.2),
    ("NAJIN", 42.233, 130.3),
    ("SONBONG", 42.333, 130.4),
    ("CHAHO", 40.2, 128.65),
)
DPRK_PORT_NAMES = frozenset(p[0] for p in DPRK_PORTS)
#: A North Korean port is an area: the WPI point is the town, the quays and roads spread
#: around it (Nampo's docks run 5 km along the Taedong's north bank).
DPRK_PORT_RADIUS_KM = 5.0
#: Outer anchorages (name, port, lat, lon, radius km). Nampo's lies in the Taedong estuary
#: west of the West Sea Barrage (UN Panel of Experts S/2019/171 and S/2020/151 imagery of
#: tankers waiting and transferring there), 20-25 km west of the port's listed point.
DPRK_ANCHORAGES: tuple[tuple[str, str, float, float, float], ...] = (
    ("NAMPO OUTER ANCHORAGE", "NAMPO", 38.700, 125.130, 6.0),
)


def mark_offshore(table: pa.Table) -> pa.Table:
    """``table`` with ``offshore`` set where the point is more than :data:`OFFSHORE_KM` out."""
    table = conform(table)
    lat = table.column("lat").to_numpy()
    lon = table.column("lon").to_numpy()
    far = distance_to_shore_km(lat, lon) > OFFSHORE_KM
    return table.set_column(table.schema.get_field_index("offshore"), "offshore", pa.array(far))


def derive_gfw_anchorages(path: str | Path) -> pa.Table:
    """The GFW ``anchorage_overrides.csv`` (s2id, latitude, longitude, label, sublabel, iso3)
    as a ``PLACES`` table: name "LABEL" or "LABEL / SUBLABEL", offshore marked."""
    rows: list[dict[str, object]] = []
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            try:
                lat, lon = float(r["latitude"]), float(r["longitude"])
            except (KeyError, TypeError, ValueError):
                continue
            label, sub = (r.get("label") or "").strip(), (r.get("sublabel") or "").strip()
            rows.append(
                {
                    "name": f"{label} / {sub}" if sub and sub != label else label,
                    "country": r.get("iso3") or None,
                    "lat": round(lat, 5),  # ~1 m: the table's S2 cells are ~600 m
                    "lon": round(lon, 5),
                    "kind": "anchorage",
                    "source": "gfw-anchorages",
                }
            )
    if not rows:
        raise FormatError(f"{path}: no anchorage rows (latitude, longitude, label expected)")
    return mark_offshore(places_table(rows))


def derive_wpi(path: str | Path) -> pa.Table:
    """A WPI-style CSV (``read_wpi_csv``) as the shipped ``wpi`` list (radius, offshore)."""
    from watchkeeper.context.ports import read_wpi_csv

    t = read_wpi_csv(path)
    n = t.num_rows
    t = t.set_column(t.schema.get_field_index("source"), "source", pa.array(["wpi"] * n))
    radius = pa.array([WPI_RADIUS_KM] * n, pa.float64())
    return mark_offshore(t.set_column(t.schema.get_field_index("radius_km"), "radius_km", radius))


def _package_table(name: str) -> pa.Table:
    """A ``PLACES`` table shipped in ``watchkeeper/context/data``."""
    with resources.as_file(resources.files("watchkeeper.context").joinpath(f"data/{name}")) as p:
        return conform(pq.read_table(p))


@functools.cache
def gfw_anchorages() -> pa.Table:
    """The GFW named anchorage points (package data, read on first use)."""
    return _package_table("gfw_anchorages.parquet")


@functools.cache
def wpi_ports() -> pa.Table:
    """The World Port Index extract (package data, read on first use)."""
    return _package_table("wpi_ports.parquet")


@functools.cache
def checked_searoute_ports() -> pa.Table:
    """searoute's ports without the points that are at sea or misplaced (module docstring)."""
    ports = searoute_ports()
    lat, lon = ports.column("lat").to_numpy(), ports.column("lon").to_numpy()
    keep = distance_to_shore_km(lat, lon) < SEAROUTE_MAX_SHORE_KM
    gfw = gfw_anchorages()
    by_name: dict[str, list[int]] = {}
    for i, n in enumerate(gfw.column("name").to_pylist()):
        by_name.setdefault(str(n).split(" / ")[0].upper(), []).append(i)
    glat, glon = gfw.column("lat").to_numpy(), gfw.column("lon").to_numpy()
    lo, hi = SEAROUTE_MISPLACED_KM
    for i, name in enumerate(ports.column("name").to_pylist()):
        rows = by_name.get(str(name).strip().upper())
        if rows:
            d = float(haversine_m(lat[i], lon[i], glat[rows], glon[rows]).min()) / 1000.0
            keep[i] &= not lo <= d <= hi
    return ports.filter(pa.array(keep)).set_column(
        PLACES.get_field_index("offshore"), "offshore", pa.array([False] * int(keep.sum()))
    )


def dprk_places() -> pa.Table:
    """North Korean ports (areas of :data:`DPRK_PORT_RADIUS_KM`) and outer anchorages."""
    rows: list[dict[str, object]] = [
        {"name": n, "country": "KP", "lat": la, "lon": lo, "kind": "port"}
        | {"source": "dprk:WPI", "radius_km": DPRK_PORT_RADIUS_KM}
        for n, la, lo in DPRK_PORTS
    ]
    rows += [
        {"name": n, "country": "KP", "lat": la, "lon": lo, "kind": "anchorage"}
        | {"source": f"dprk:{port}", "radius_km": r}
        for n, port, la, lo, r in DPRK_ANCHORAGES
    ]
    return places_table(rows)


def dprk_waters(lat: Floats, lon: Floats) -> npt.NDArray[np.bool_]:
    """Whether each point lies in North Korean territorial waters: inside the built-in North
    Korean zones and within the 12-nm territorial sea of the shore (coarse, see zones.py)."""
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    zones = [z for z in builtin_zones() if z.name.startswith("dprk_")]
    inside = zone_of(lat, lon, zones) >= 0
    out = np.zeros(len(lat), dtype=bool)
    if inside.any():
        out[inside] = distance_to_shore_km(lat[inside], lon[inside]) <= TERRITORIAL_SEA_KM
    return out


def read_places(path: str | Path) -> pa.Table:
    """A user's place file: a Parquet ``PLACES`` table, the GFW anchorage CSV (``label``
    column) or a WPI-style CSV (``latitude``/``longitude`` and ``label`` or ``name``)."""
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        try:
            return mark_offshore(pq.read_table(p))
        except (OSError, pa.ArrowInvalid, KeyError) as exc:
            raise FormatError(f"{p}: not a places Parquet table: {exc}") from exc
    with p.open(newline="", encoding="utf-8-sig") as fh:
        header = {c.lower() for c in next(csv.reader(fh), [])}
    if {"s2id", "sublabel"} <= header:
        t = derive_gfw_anchorages(p)
        src = pa.array([f"user:{p.name}"] * t.num_rows)
        return t.set_column(PLACES.get_field_index("source"), "source", src)
    from watchkeeper.context.ports import read_wpi_csv

    return mark_offshore(read_wpi_csv(p))


@functools.cache
def builtin_places() -> pa.Table:
    """Every shipped list (GFW anchorages, WPI, checked searoute, North Korea) as one table."""
    tables = [gfw_anchorages(), wpi_ports(), checked_searoute_ports(), dprk_places()]
    return pa.concat_tables([conform(t) for t in tables])


def gazetteer(learned: pa.Table, files: tuple[str, ...] = (), *, builtin: bool = True) -> pa.Table:
    """The places table of a run: the shipped lists, the ``learned`` places (offshore marked)
    and the user's ``files``; points without finite coordinates are left out."""
    tables = [builtin_places()] if builtin else []
    tables.append(mark_offshore(learned))
    tables += [read_places(f) for f in files]
    table = pa.concat_tables([conform(t) for t in tables])
    ok = pc.and_(pc.is_finite(table.column("lat")), pc.is_finite(table.column("lon")))
    return table.filter(ok)


def build_places(
    positions: pa.Table,
    params: AnchorageParams | None = None,
    files: tuple[str, ...] = (),
    *,
    builtin: bool = True,
) -> PlaceIndex:
    """The place index of a detect run: the shipped lists, the places learned from
    ``positions`` (offshore marked) and the user's ``files``."""
    learned = learn_anchorages(positions, params or AnchorageParams())
    return PlaceIndex(gazetteer(learned, files, builtin=builtin))
