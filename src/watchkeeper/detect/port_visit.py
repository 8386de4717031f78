"""Port visits: a vessel entering a port or anchorage and stopping there (DESIGN §3).

Definition (GFW port visits): a visit starts at the first position within ``enter_km`` of a
port or anchorage and ends at the first position beyond ``exit_km`` (the hysteresis keeps a
ship swinging at anchor on the boundary from making many visits); the visit must include a
stop (a speed below ``stop_kn``) or last ``min_stay_h``, so ships passing a port are not
visits. ``end`` is null when the vessel is still inside at the end of the data.

Places: the gazetteer of :mod:`watchkeeper.context.places` (GFW named anchorages, WPI,
checked UN/LOCODE ports, North Korean ports and outer anchorages, places learned from the
data, the user's files), each an area (distances are to a place's disc). A visit to a North
Korean port is a sanctions violation in itself: such visits carry ``details.dprk = true``,
``details.country = "KP"`` and a high risk. So does **a stop of hours in North Korean
territorial waters** (``dprk_stop_h`` below ``dprk_stop_kn``, inside the built-in North
Korean zones and within 12 nm of shore), whether or not a listed port is near: it is a call
at a North Korean port or anchorage that no list names (``details.place`` "North Korean
territorial waters"). A visit to an anchorage names the nearest port within
``port_of_anchorage_km``; a visit to an offshore place says so (``details.offshore``). Every
event lists the place lists it was checked against (``details.places_checked``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from watchkeeper.context.places import DPRK_PORTS, dprk_places, dprk_waters
from watchkeeper.context.ports import PlaceIndex
from watchkeeper.detect._track import Cols, cols, runs
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.detect.loitering import LoiterParams, loiter_spans
from watchkeeper.errors import ConfigError

__all__ = ["DPRK_PORTS", "PortVisitParams", "detect_port_visits", "dprk_ports", "is_dprk"]

_KP = frozenset({"KP", "PRK", "KOREA, DEMOCRATIC PEOPLE'S REPUBLIC OF", "NORTH KOREA"})


@dataclass(frozen=True)
class PortVisitParams:
    """Thresholds of the port-visit detector."""

    enter_km: float = 3.0  # GFW port visits: entry within 3 km
    exit_km: float = 4.0  # GFW port visits: exit beyond 4 km
    stop_kn: float = 0.5  # GFW anchorages: moving again above 0.5 kn
    min_stay_h: float = 3.0  # a long stay counts as a stop when speeds are missing
    port_of_anchorage_km: float = 30.0  # anchorages lie 10-25 km off the port's point
    # A stop in North Korean waters: GFW loitering speed (< 2 kn) for the port-visit
    # minimum stay (min_stay_h), as long as a tanker needs to come alongside and moor.
    dprk_stop_kn: float = 2.0
    dprk_stop_h: float = 3.0

    def __post_init__(self) -> None:
        if not 0 < self.enter_km <= self.exit_km:
            raise ConfigError("0 < enter_km <= exit_km required")


def dprk_ports() -> pa.Table:
    """The built-in North Korean ports and outer anchorages as a ``PLACES`` table (country 'KP';
    one table, kept in :mod:`watchkeeper.context.places`)."""
    return dprk_places()


def is_dprk(country: str | None) -> bool:
    """Whether a place's country (ISO 2/3 code or name) is North Korea."""
    return country is not None and country.strip().upper() in _KP


def _inside(c: Cols, dist: npt.NDArray[np.float64], p: PortVisitParams) -> npt.NDArray[np.bool_]:
    """Hysteresis state per position: inside since an entry and not yet beyond the exit."""
    n = len(dist)
    mark = np.where(dist < p.enter_km, 1, np.where(dist > p.exit_km, -1, 0))
    last = np.maximum.accumulate(np.where(mark != 0, np.arange(n), -1))
    first_of_track = np.flatnonzero(np.concatenate([[True], c.track[1:] != c.track[:-1]]))
    track_start = np.repeat(first_of_track, np.diff(np.append(first_of_track, n)))
    valid = last >= track_start
    return np.asarray(valid & (mark[np.maximum(last, 0)] == 1))


class _Namer:
    """Name and country of a place; an anchorage takes those of the nearest port."""

    def __init__(self, places: PlaceIndex, p: PortVisitParams) -> None:
        pl = places.places
        self.name = pl.column("name").to_pylist()
        self.country = pl.column("country").to_pylist()
        self.kind = pl.column("kind").to_pylist()
        self.offshore = pl.column("offshore").to_pylist()
        self.lat = pl.column("lat").to_numpy()
        self.lon = pl.column("lon").to_numpy()
        self.port_rows = np.flatnonzero(np.array(self.kind, dtype=object) == "port")
        self.ports = PlaceIndex(pl.take(pa.array(self.port_rows, pa.int64())))
        self.max_km = p.port_of_anchorage_km
        self.cache: dict[int, tuple[str | None, str | None]] = {}

    def port_of(self, i: int) -> tuple[str | None, str | None]:
        if self.kind[i] != "anchorage":
            return self.name[i], self.country[i]
        if i not in self.cache:
            d, j = self.ports.nearest(self.lat[i : i + 1], self.lon[i : i + 1])
            ok = j[0] >= 0 and d[0] <= self.max_km
            row = int(self.port_rows[j[0]]) if ok else -1
            self.cache[i] = (self.name[row], self.country[row]) if ok else (None, None)
        return self.cache[i]


def detect_port_visits(
    tracks: pa.Table, places: PlaceIndex, *, params: PortVisitParams = PortVisitParams()
) -> pa.Table:
    """``port_visit`` events of ``tracks`` (sorted by track_id and ts)."""
    if tracks.num_rows == 0:
        return events_table([])
    c = cols(tracks)
    rows = _place_visits(c, places, params) if places.places.num_rows else []
    rows += _dprk_water_stops(c, rows, places.sources, params)
    return events_table(rows)


def _place_visits(c: Cols, places: PlaceIndex, params: PortVisitParams) -> list[dict[str, Any]]:
    """Visits to the places of ``places`` (GFW hysteresis, module docstring)."""
    dist, idx = places.nearest(c.lat, c.lon, max_km=params.exit_km)
    s, e = runs(_inside(c, dist, params), c.track)
    namer = _Namer(places, params)
    rows = []
    for a, b in zip(s.tolist(), e.tolist(), strict=True):
        sog = c.sog[a : b + 1]
        stopped = bool((np.nan_to_num(sog, nan=np.inf) < params.stop_kn).any())
        if not stopped and c.t[b] - c.t[a] < params.min_stay_h * 3600.0:
            continue
        k = a + int(np.argmin(dist[a : b + 1]))
        place = int(idx[k])
        port, country = namer.port_of(place)
        dprk = is_dprk(country)
        after = b + 1 if b + 1 < len(c.t) and c.track[b + 1] == c.track[a] else None
        rows.append(
            event(
                "port_visit",
                int(c.mmsi[a]),
                to_datetime(c.t[a]),
                None if after is None else to_datetime(c.t[after]),
                float(namer.lat[place]),
                float(namer.lon[place]),
                confidence=0.9 if stopped else 0.7,
                risk=80.0 if dprk else 0.0,
                details={
                    "place": namer.name[place],
                    "place_kind": namer.kind[place],
                    "port": port,
                    "country": "KP" if dprk else country,
                    "dprk": dprk,
                    "min_distance_km": round(float(dist[k]), 3),
                    "duration_h": _hours(c.t[a], c.t[b]),
                    "last_seen": to_datetime(c.t[b]).isoformat(),
                    "stopped": stopped,
                    "offshore": bool(namer.offshore[place]),
                    "track_id": int(c.track[a]),
                    "places_checked": places.sources,
                    "params": asdict(params),
                },
            )
        )
    return rows


def _hours(t0: float, t1: float) -> float:
    """Hours from ``t0`` to ``t1`` (epoch seconds) as the stitching of window parts computes
    them (between the event's times), rounded to 3.6 s."""
    return round((to_datetime(t1) - to_datetime(t0)).total_seconds() / 3600.0, 3)


#: Bounding box of the built-in North Korean zones (lat, lon): tracks never inside it are
#: not searched for stops in North Korean waters.
_DPRK_BOX = ((37.6, 42.5), (124.0, 131.3))


def _dprk_water_stops(
    c: Cols, visits: list[dict[str, Any]], checked: list[str], params: PortVisitParams
) -> list[dict[str, Any]]:
    """Stops of ``dprk_stop_h`` in North Korean territorial waters not already part of a
    North Korean port visit in ``visits``."""
    (la0, la1), (lo0, lo1) = _DPRK_BOX
    box = (c.lat >= la0) & (c.lat <= la1) & (c.lon >= lo0) & (c.lon <= lo1)
    if not box.any():
        return []
    lp = LoiterParams(max_speed_kn=params.dprk_stop_kn, min_duration_h=params.dprk_stop_h)
    s, e, t0, t1 = loiter_spans(c, lp)
    inside = box[s] | box[e]
    s, e, t0, t1 = s[inside], e[inside], t0[inside], t1[inside]
    lat = np.array([c.lat[a : b + 1].mean() for a, b in zip(s, e, strict=True)])
    lon = np.array([c.lon[a : b + 1].mean() for a, b in zip(s, e, strict=True)])
    waters = dprk_waters(lat, lon) if len(s) else np.zeros(0, dtype=bool)
    known = [
        (json.loads(v["details"])["track_id"], v["start"], v["end"])
        for v in visits
        if json.loads(v["details"]).get("dprk")
    ]
    rows = []
    for k in np.flatnonzero(waters):
        a = int(s[k])
        start, end = to_datetime(t0[k]), to_datetime(t1[k])
        if any(
            t == c.track[a] and s0 <= end and (e0 is None or e0 >= start) for t, s0, e0 in known
        ):
            continue
        rows.append(
            event(
                "port_visit",
                int(c.mmsi[a]),
                start,
                end,
                float(lat[k]),
                float(lon[k]),
                confidence=0.8,
                risk=80.0,
                details={
                    "place": "North Korean territorial waters",
                    "place_kind": "territorial_waters",
                    "port": None,
                    "country": "KP",
                    "dprk": True,
                    "duration_h": _hours(t0[k], t1[k]),
                    "last_seen": end.isoformat(),
                    "stopped": True,
                    "offshore": False,
                    "track_id": int(c.track[a]),
                    "places_checked": [*checked, "dprk-waters"],
                    "params": asdict(params),
                },
            )
        )
    return rows
