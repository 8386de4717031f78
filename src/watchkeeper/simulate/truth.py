"""Ground truth: every event that happened, derived from the tracks and the planted cases.

Planted cases state their own events (STS, spoofing, identity games, draught changes). Events
that the background traffic produces as well (port visits, zone entries, loitering, gaps) are
derived from the tracks with the definitions of DESIGN §3, so that a detector that is right is
scored right. Events are first marked ``observable`` when the hull transmitted during most of
it; :mod:`watchkeeper.simulate.observe` then replaces that with what the *received* reports
show (a transmitting vessel is not always received), keeping the first answer as the reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely import contains_xy

from watchkeeper.simulate._geo import distance_m
from watchkeeper.simulate.cases import CaseBook
from watchkeeper.simulate.fleet import TruthNote
from watchkeeper.simulate.scenario import PORTS, ZONES, ScenarioConfig
from watchkeeper.simulate.traffic import Vessel

__all__ = ["GapTracker", "TruthParams", "derive_events", "vessel_labels", "write_truth"]

F64 = npt.NDArray[np.float64]
#: Berth, anchorage and reference point of every port, three rows per port.
_PORT_PTS = np.array([pt for p in PORTS for pt in (p.berth, p.anchorage, (p.lat, p.lon))])


@dataclass(frozen=True)
class TruthParams:
    """Definitions used to derive generic events (DESIGN §3 defaults)."""

    step_s: float = 600.0  # GFW resamples to 10 minutes
    gap_s: float = 6 * 3600.0  # ais_gap: no position for >= 6 h
    loiter_kn: float = 2.0  # loitering: < 2 kn ...
    loiter_s: float = 2 * 3600.0  # ... for >= 2 h
    loiter_away_m: float = 10_000.0  # at sea: > 10 km from any port or anchorage
    port_enter_m: float = 3_000.0  # GFW port visits: entry within 3 km ...
    port_exit_m: float = 4_000.0  # ... exit beyond 4 km
    port_stop_kn: float = 1.0  # a visit includes a stop (passing ships are not visits)


@dataclass
class GapTracker:
    """Finds gaps >= ``gap_s`` per MMSI in received positions, window by window (streaming)."""

    gap_s: float
    last: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    gaps: list[tuple[int, float, float | None, float, float]] = field(default_factory=list)

    def update(self, mmsi: npt.NDArray[np.int64], ts: F64, lat: F64, lon: F64) -> None:
        """Feed one window of positions (times in scenario seconds, any order)."""
        order = np.lexsort((ts, mmsi))
        m, t, la, lo = mmsi[order], ts[order], lat[order], lon[order]
        starts = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
        ends = np.r_[starts[1:], m.size]
        for s, e in zip(starts, ends, strict=True):
            key = int(m[s])
            prev = self.last.get(key)
            if prev is not None and t[s] - prev[0] >= self.gap_s:
                self.gaps.append((key, prev[0], float(t[s]), prev[1], prev[2]))
            d = np.flatnonzero(np.diff(t[s:e]) >= self.gap_s)
            for i in d:
                j = s + i
                self.gaps.append((key, float(t[j]), float(t[j + 1]), float(la[j]), float(lo[j])))
            self.last[key] = (float(t[e - 1]), float(la[e - 1]), float(lo[e - 1]))

    def close(self, end: float) -> None:
        """Add open gaps: MMSIs silent from their last position to the end of the data."""
        for key, (t, la, lo) in self.last.items():
            if end - t >= self.gap_s:
                self.gaps.append((key, t, None, la, lo))


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, stop) index runs where ``mask`` is true."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _event(
    type_: str,
    v: Vessel,
    start: float,
    end: float | None,
    lat: float,
    lon: float,
    observable: bool,
    **kw: Any,
) -> TruthNote:
    return TruthNote(
        type_,
        v.mmsi,
        None,
        start,
        end,
        lat,
        lon,
        illicit=bool(kw.pop("illicit", False)),
        case="",
        observable=observable,
        **kw,
    )


class _HullEvents:
    """Generic events of one hull from its track sampled every ``step_s``."""

    def __init__(
        self, v: Vessel, config: ScenarioConfig, p: TruthParams, places: F64 | None = None
    ) -> None:
        self.v, self.p = v, p
        self.ts = np.arange(0.0, config.duration_s + 1, p.step_s)
        self.lat, self.lon, self.sog, _, _ = v.track.sample(self.ts)
        silent = np.zeros(self.ts.size, dtype=bool)
        for a, b in (*v.dark, *v.outages):
            silent |= (self.ts >= a) & (self.ts < b)
        self.on = ~silent
        d = distance_m(self.lat[None, :], self.lon[None, :], _PORT_PTS[:, :1], _PORT_PTS[:, 1:])
        self.port_d = d.reshape(len(PORTS), 3, -1).min(axis=1)
        self.place_d = self.port_d.min(axis=0)  # ports, and places no list knows (marinas...)
        if places is not None and places.size:
            d = distance_m(self.lat[None, :], self.lon[None, :], places[:, :1], places[:, 1:])
            self.place_d = np.minimum(self.place_d, d.min(axis=0))

    def _seen(self, a: int, b: int) -> bool:
        return bool(self.on[a:b].mean() >= 0.5) if b > a else bool(self.on[a])

    def _end(self, b: int) -> float | None:
        return float(self.ts[b]) if b < self.ts.size else None

    def port_visits(self) -> list[TruthNote]:
        """Entry within 3 km, exit beyond 4 km, with a stop inside (GFW hysteresis)."""
        out = []
        for i, port in enumerate(PORTS):
            d = self.port_d[i]
            if not (d < self.p.port_enter_m).any():
                continue
            inside, start = False, 0
            for k in range(self.ts.size + 1):
                if not inside and k < self.ts.size and d[k] < self.p.port_enter_m:
                    inside, start = True, k
                elif inside and (k == self.ts.size or d[k] > self.p.port_exit_m):
                    inside = False
                    if self.sog[start:k].min() < self.p.port_stop_kn:
                        out.append(
                            _event(
                                "port_visit",
                                self.v,
                                float(self.ts[start]),
                                self._end(k),
                                port.lat,
                                port.lon,
                                self._seen(start, k),
                                illicit=port.dprk,
                                details={"port": port.name},
                            )
                        )
        return out

    def loitering(self) -> list[TruthNote]:
        """Under 2 kn for 2 h or more, more than 10 km from any port, anchorage or other place
        where ships stop (ferry terminals, marinas: in no list, but they are not at sea)."""
        away = self.place_d > self.p.loiter_away_m
        out = []
        for a, b in _runs((self.sog < self.p.loiter_kn) & away):
            if (b - a) * self.p.step_s >= self.p.loiter_s:
                mid = (a + b) // 2
                out.append(
                    _event(
                        "loitering",
                        self.v,
                        float(self.ts[a]),
                        self._end(b),
                        float(self.lat[mid]),
                        float(self.lon[mid]),
                        self._seen(a, b),
                    )
                )
        return out

    def zone_entries(self) -> list[TruthNote]:
        """Entries into the scenario zones (North Korean waters, the STS hotspot)."""
        out = []
        for name, poly in ZONES.items():
            inside = contains_xy(poly, self.lon, self.lat)
            for a, b in _runs(inside):
                if a == 0:
                    continue  # already inside at the start: not an entry
                out.append(
                    _event(
                        "zone_entry",
                        self.v,
                        float(self.ts[a]),
                        self._end(b),
                        float(self.lat[a]),
                        float(self.lon[a]),
                        self._seen(a, b),
                        illicit=name.startswith("dprk"),
                        details={"zone": name},
                    )
                )
        return out


def _gap_events(vessels: list[Vessel], gaps: GapTracker) -> list[TruthNote]:
    hulls: dict[int, list[Vessel]] = {}
    for v in vessels:
        hulls.setdefault(v.mmsi, []).append(v)
    out = []
    for mmsi, start, end, lat, lon in gaps.gaps:
        hi = end if end is not None else 1e12
        dark = any(a < hi and b > start for v in hulls[mmsi] for a, b in v.dark)
        illicit = dark and any(v.illicit for v in hulls[mmsi])
        out.append(
            TruthNote(
                "ais_gap",
                mmsi,
                None,
                start,
                end,
                lat,
                lon,
                illicit=illicit,
                case="",
                deliberate=dark,
            )
        )
    return out


def _overlaps(e: TruthNote, n: TruthNote) -> bool:
    e_end = e.end if e.end is not None else 1e12
    n_end = n.end if n.end is not None else 1e12
    return e.start <= n_end and n.start <= e_end


def derive_events(
    vessels: list[Vessel],
    notes: list[TruthNote],
    gaps: GapTracker,
    config: ScenarioConfig,
    params: TruthParams | None = None,
    *,
    places: list[tuple[float, float]] | None = None,
) -> list[TruthNote]:
    """All truth events: planted notes plus generic events; generic ones become illicit when
    they overlap an illicit planted event of the same vessel (the loitering half of an STS).
    ``places``: where ships stop besides the scenario's ports (not loitering there)."""
    p = params or TruthParams()
    extra = np.array(places, dtype=np.float64).reshape(-1, 2) if places else None
    generic: list[TruthNote] = []
    for v in vessels:
        h = _HullEvents(v, config, p, extra)
        generic += h.port_visits() + h.loitering() + h.zone_entries()
    generic += _gap_events(vessels, gaps)
    illicit_notes: dict[int, list[TruthNote]] = {}
    for n in notes:
        if n.illicit:
            for m in (n.mmsi, n.other_mmsi):
                if m is not None:
                    illicit_notes.setdefault(m, []).append(n)
    out = list(notes)
    for e in generic:
        flag = e.illicit or any(_overlaps(e, n) for n in illicit_notes.get(e.mmsi, []))
        out.append(TruthNote(**{**asdict(e), "illicit": flag}))
    return sorted(out, key=lambda e: (e.start, e.type, e.mmsi))


def vessel_labels(vessels: list[Vessel], book: CaseBook) -> list[dict[str, Any]]:
    """One label row per MMSI (hulls sharing an MMSI are merged)."""
    listed = {x.present_mmsi: x.entity_id for x in book.listings if x.present_mmsi is not None}
    rows: dict[int, dict[str, Any]] = {}
    for v in vessels:
        ident = v.identities[0][1]
        row = rows.setdefault(
            v.mmsi,
            {
                "mmsi": v.mmsi,
                "name": ident.name,
                "imo": ident.imo,
                "role": v.role,
                "flag": v.flag,
                "ais_class": v.ais_class,
                "illicit": False,
                "sanctioned": False,
                "decoy": False,
                "listing_id": listed.get(v.mmsi),
                "lookalike_of": book.decoy_of.get(v.mmsi),
                "hulls": 0,
            },
        )
        row["illicit"] |= v.illicit
        row["sanctioned"] |= v.sanctioned
        row["decoy"] |= v.decoy
        row["hulls"] += 1
    return sorted(rows.values(), key=lambda r: r["mmsi"])


def _iso(t: float | None, t0: float) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(round(t0 + t), tz=UTC).isoformat().replace("+00:00", "Z")


def write_truth(
    path: Path,
    config: ScenarioConfig,
    events: list[TruthNote],
    labels: list[dict[str, Any]],
    book: CaseBook,
    stats: dict[str, Any],
    decoys: list[dict[str, Any]] | None = None,
) -> None:
    """Write ``truth.json``: scenario, events (ISO times, UTC), vessel labels, list entities,
    and the decoys (confounders: what must not be reported; see docs/evaluation.md)."""
    t0 = config.t0
    rows = []
    for i, e in enumerate(events):
        row = asdict(e)
        row["id"] = f"t{i:05d}"
        row["start"], row["end"] = _iso(e.start, t0), _iso(e.end, t0)
        row["lat"], row["lon"] = round(e.lat, 5), round(e.lon, 5)
        rows.append(row)
    decoy_rows = []
    for i, d in enumerate(decoys or []):
        decoy_rows.append(
            {
                "id": f"d{i:05d}",
                **d,
                "start": _iso(d["start"], t0),
                "end": _iso(d["end"], t0),
                "lat": round(d["lat"], 5),
                "lon": round(d["lon"], 5),
            }
        )
    doc = {
        "scenario": config.name,
        "seed": config.seed,
        "days": config.days,
        "scale": config.scale,
        "start": _iso(0.0, t0),
        "end": _iso(config.duration_s, t0),
        "stats": stats,
        "events": rows,
        "vessels": labels,
        "listings": [asdict(x) for x in book.listings],
        "decoys": decoy_rows,
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
