"""Explainable vessel risk: an additive model whose every term names its evidence (DESIGN §5).

Each reason that applies to a vessel adds its weight, scaled by the best confidence of the
events behind it (vessel-level facts have confidence 1); the risk is the sum capped at 100.
A reason is counted once per vessel however many events support it, so a noisy detector
cannot push a vessel up by repetition, and every reason lists the event ids behind it.
A *fact* counts once however many detectors see it: every piece of evidence names the facts
it rests on (:func:`event_facts`: an IMO number failing its check, a flag, one silence, one
stop), and evidence whose facts a stronger piece already counted adds nothing (its event id
is listed under the reason that counted them).
The weights and the reasoning for each are in :class:`RiskWeights` and ``docs/risk.md``.

>>> facts = VesselFacts(mmsi=445123000, flag="KP")
>>> [r.reason for r in vessel_reasons(facts, [])]  # KP is on the ITF list: one fact, the flag
['dprk_flag']
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import shapely

from watchkeeper.assess.facts import (
    Evidence,
    Fact,
    count_facts_once,
    event_details,
    event_facts,
    event_secs,
)
from watchkeeper.context.flags import is_flag_of_convenience
from watchkeeper.context.imo import imo_kind
from watchkeeper.context.places import DPRK_PORT_NAMES
from watchkeeper.errors import ConfigError

__all__ = [
    "Reason",
    "RiskWeights",
    "VesselFacts",
    "event_facts",
    "is_deliberate_gap",
    "near_dprk",
    "reasons_json",
    "total_risk",
    "vessel_reasons",
]

TANKER_TYPES = range(80, 90)  # AIS ship types 80-89 (DOMAIN.md)
MERCHANT_TYPES = range(70, 90)  # cargo 70-79 and tankers
H = 3600.0
# The North Korean ports (one table: watchkeeper.context.places), lower case.
DPRK_PORTS = frozenset(n.lower() for n in DPRK_PORT_NAMES)


@dataclass(frozen=True)
class RiskWeights:
    """Points (0-100 scale) per reason; the reasoning for each is in the comment."""

    # Listed hull (IMO match): already illegal to deal with; on its own it means "high".
    sanctioned: float = 70.0
    # A possible hit needing an analyst (name or MMSI only): worth a look, not a verdict.
    sanctions_review: float = 15.0
    # North Korean flag (MID 445): any STS with it is prohibited (UNSCR 2375 para 11).
    dprk_flag: float = 50.0
    # A visit to a North Korean port: how refined petroleum gets in (UN PoE reports).
    dprk_port_visit: float = 50.0
    # Entering North Korean waters (zone_entry on a dprk_* zone).
    dprk_waters: float = 35.0
    # An encounter or dark STS with a listed or DPRK-flagged vessel: the prohibited act itself.
    sts_with_flagged: float = 40.0
    # Dark STS: a transfer hidden by switching AIS off, the documented tactic.
    dark_sts: float = 30.0
    # Encounter at sea where this vessel is a tanker: fuel moving at sea (the 2017 ban's target).
    sts_tanker: float = 20.0
    # Any other encounter at sea: fishing and bunkering make most of them innocent.
    encounter: float = 8.0
    # A cargo ship or tanker (or unknown type) entering a reported STS hotspot (East China Sea
    # ring, off Nampo/Cho-do, off Wonsan); fishing and other small craft count as zone_entry.
    sts_zone: float = 15.0
    # Entering another configured zone.
    zone_entry: float = 5.0
    # Spoofing (impossible speed, positions on land, one MMSI in two places): deliberate.
    spoofing: float = 25.0
    # Identity change (name, IMO, call sign, type, flag for one MMSI): identity laundering.
    identity_change: float = 10.0
    # IMO failing its check digit: fraudulent or typo; DOMAIN.md "fraudulent IMO registrations".
    invalid_imo: float = 20.0
    # Many identities: 3+ names or 2+ IMOs on one MMSI (stronger than a single change).
    many_identities: float = 10.0
    # Draught change at sea: cargo moved away from ports.
    draught_change: float = 10.0
    # Draught changed at sea within ``dark_cargo_h`` after an AIS gap of the same vessel:
    # cargo moved while no one saw the ship, the pattern the UN Panel of Experts reads from
    # draught before and after tankers' dark periods (and OFAC's 2020 advisory pairs "AIS
    # disabling" with "STS transfers"). Added to the two reasons it combines.
    dark_cargo: float = 15.0
    dark_cargo_h: float = 12.0  # an identity report follows within hours (static every 6 min)
    # Loitering at sea: the visible half of a dark STS, but also waiting for orders.
    loitering: float = 5.0
    # A tanker loitering at sea alone "is the visible half of a dark STS" (DESIGN §3).
    tanker_loitering: float = 10.0
    # AIS gap: most gaps are reception (Windward: 29 of 352 deliberate), so small.
    ais_gap: float = 5.0
    # A gap the detector calls deliberate (GFW's filter: >= 12 h, > 50 nm offshore, good
    # reception before, others nearby kept reporting): the "AIS off" tactic.
    ais_gap_deliberate: float = 15.0
    # A gap starting near North Korean waters: "AIS off on approach to North Korea" (UN PoE).
    gap_near_dprk: float = 25.0
    near_dprk_km: float = 100.0  # ~4.5 h steaming at 12 kn from the DPRK zones
    # Flag of convenience (ITF list): context, many honest ships fly one.
    flag_of_convenience: float = 5.0
    many_names: int = 3  # distinct names that count as "many identities"
    many_imos: int = 2  # distinct IMOs that count as "many identities"
    cap: float = 100.0  # risk is a 0-100 score

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise ConfigError(f"risk weight {name} must be >= 0, got {value}")


@dataclass(frozen=True)
class VesselFacts:
    """What is known about one vessel before events: its identity and screening result."""

    mmsi: int
    flag: str | None = None
    ship_type: int | None = None
    names: tuple[str, ...] = ()
    imos: tuple[int, ...] = ()
    sanctions_level: str | None = None  # 'match' | 'review' | None
    sanctions_entity: str | None = None
    sanctions_explanation: str | None = None


@dataclass(frozen=True)
class Reason:
    """One term of the risk sum."""

    reason: str
    weight: float  # points added (the weight times the best confidence)
    event_ids: tuple[str, ...] = ()
    detail: str = ""


_IMO_ATTEMPTS = ("imo", "imo_x100", "invalid")


def _fact_evidence(f: VesselFacts, w: RiskWeights) -> list[Evidence]:
    out = []
    listed: Fact = ("sanctions", f.sanctions_entity or "listed")
    if f.sanctions_level == "match":
        out.append(Evidence("sanctioned", w.sanctioned, frozenset({listed}), detail=_x(f)))
    elif f.sanctions_level == "review":
        review = Evidence("sanctions_review", w.sanctions_review, frozenset({listed}), detail=_x(f))
        out.append(review)
    flag: frozenset[Fact] = frozenset({("flag", f.flag)})
    if f.flag == "KP":
        detail = f"MMSI {f.mmsi} has MID 445 (North Korea)"
        out.append(Evidence("dprk_flag", w.dprk_flag, flag, detail=detail))
    if is_flag_of_convenience(f.flag):
        detail = f"flag {f.flag} (ITF)"
        out.append(Evidence("flag_of_convenience", w.flag_of_convenience, flag, detail=detail))
    kinds = {i: imo_kind(i, f.mmsi) for i in sorted(set(f.imos))}
    # Only kind 'invalid': US Coast Guard official numbers, IMOs with two zeros appended and
    # other lengths (MMSIs, serials) are no failed IMO (context/imo.py).
    if bad := [i for i, k in kinds.items() if k == "invalid"]:
        facts = frozenset(("invalid_imo", i) for i in bad)
        detail = f"IMO {bad} fails its check digit"
        out.append(Evidence("invalid_imo", w.invalid_imo, facts, detail=detail))
    hulls = _hull_count(kinds)
    if len(set(f.names)) >= w.many_names or hulls >= w.many_imos:
        detail = f"{len(set(f.names))} names, {hulls} IMOs on one MMSI"
        many = frozenset({("many_identities",)})
        out.append(Evidence("many_identities", w.many_identities, many, detail=detail))
    return out


def _hull_count(kinds: dict[int, str]) -> int:
    """Distinct hulls the IMO field names: IMOs (``imo_x100`` read as its IMO, invalid ones
    included) or US Coast Guard numbers, whichever are more; a US vessel broadcasting its
    IMO and its Coast Guard number is one hull, MMSIs and serials in the field are none."""
    ims = {i // 100 if k == "imo_x100" else i for i, k in kinds.items() if k in _IMO_ATTEMPTS}
    docs = {i for i, k in kinds.items() if k == "uscg_doc"}
    return max(len(ims), len(docs))


def _x(f: VesselFacts) -> str:
    return f.sanctions_explanation or ""


def _dprk_port(d: dict[str, Any]) -> bool:
    """A port visit in North Korea: the detector's flag, the country, or a WPI port name."""
    names = {str(d.get(k) or "").lower() for k in ("port", "place")}
    return d.get("dprk") is True or d.get("country") == "KP" or bool(names & DPRK_PORTS)


def _zone_reason(d: dict[str, Any], f: VesselFacts, w: RiskWeights) -> tuple[str, float]:
    zones = [str(z).lower() for z in [d.get("zone"), *(d.get("zones") or [])] if z]
    if any("dprk" in z or "north_korea" in z for z in zones):
        return "dprk_waters", w.dprk_waters
    merchant = f.ship_type is None or f.ship_type in MERCHANT_TYPES
    if merchant and any(z.startswith("sts_") for z in zones):
        return "sts_zone", w.sts_zone
    return "zone_entry", w.zone_entry


@functools.cache
def _dprk_area() -> Any:
    """The built-in North Korean waters (context/zones.py) as one geometry."""
    from watchkeeper.context.zones import builtin_zones

    return shapely.union_all([z.geometry for z in builtin_zones() if z.name.startswith("dprk")])


def near_dprk(lat: float | None, lon: float | None, km: float) -> bool:
    """Whether a point is within ``km`` of North Korean waters (1 degree taken as 111 km).

    >>> near_dprk(38.7, 125.0, 10), near_dprk(31.2, 121.5, 100)
    (True, False)
    """
    if lat is None or lon is None:
        return False
    return bool(shapely.distance(_dprk_area(), shapely.Point(lon, lat)) * 111.0 <= km)


# Gap causes (details.cause, from the reception map) that explain a silence: never deliberate.
NOT_DELIBERATE = frozenset({"out_of_coverage", "open"})


def is_deliberate_gap(d: dict[str, Any]) -> bool:
    """Whether a gap's details say it was deliberate: ``deliberate`` true, or ``cause``
    ``deliberate``; never when the cause is coverage or the gap is open (its end unseen).

    >>> is_deliberate_gap({"deliberate": True}), is_deliberate_gap({"cause": "deliberate"})
    (True, True)
    >>> is_deliberate_gap({"deliberate": True, "cause": "out_of_coverage"})
    False
    >>> is_deliberate_gap({"deliberate": True, "open": True}), is_deliberate_gap({})
    (False, False)
    """
    if d.get("open") is True or d.get("cause") in NOT_DELIBERATE:
        return False
    return d.get("deliberate") is True or d.get("cause") == "deliberate"


def _gap_reason(ev: dict[str, Any], d: dict[str, Any], w: RiskWeights) -> tuple[str, float] | None:
    # Near North Korea first: there no receiver covers the water, so every gap would look
    # like a coverage gap, and going dark on approach is the documented tactic.
    if near_dprk(ev.get("lat"), ev.get("lon"), w.near_dprk_km):
        return "gap_near_dprk", w.gap_near_dprk
    if d.get("cause") == "out_of_coverage":
        return None  # explained by reception: the vessel left the receivers' range
    if is_deliberate_gap(d):
        return "ais_gap_deliberate", w.ais_gap_deliberate
    return "ais_gap", w.ais_gap


def _not_a_transfer(d: dict[str, Any]) -> bool:
    """An encounter or dark STS its detector marks as a service contact (harbour craft,
    people carriers) or as happening in a port or anchorage: no transfer at sea."""
    return d.get("service") is True or d.get("in_port") is True


_SIMPLE = ("dark_sts", "spoofing", "identity_change", "draught_change", "loitering")


def _event_reason(
    ev: dict[str, Any], f: VesselFacts, flagged: set[int], w: RiskWeights
) -> tuple[str, float] | None:
    """The reason an event supports for vessel ``f``, with its weight."""
    kind, d = ev["type"], event_details(ev)
    partner = ev["other_mmsi"] if ev["mmsi"] == f.mmsi else ev["mmsi"]
    if kind in ("encounter", "dark_sts") and _not_a_transfer(d):
        return None
    if kind in ("encounter", "dark_sts") and partner in flagged:
        return "sts_with_flagged", w.sts_with_flagged
    tanker = f.ship_type is not None and f.ship_type in TANKER_TYPES
    if kind == "encounter":
        return ("sts_tanker", w.sts_tanker) if tanker else ("encounter", w.encounter)
    if kind == "port_visit":
        return ("dprk_port_visit", w.dprk_port_visit) if _dprk_port(d) else None
    if kind == "zone_entry":
        return _zone_reason(d, f, w)
    if kind == "ais_gap":
        return _gap_reason(ev, d, w)
    if kind == "loitering" and tanker:
        return "tanker_loitering", w.tanker_loitering
    return (kind, float(getattr(w, kind))) if kind in _SIMPLE else None


def vessel_reasons(
    facts: VesselFacts,
    events: Iterable[dict[str, Any]],
    *,
    flagged: set[int] | None = None,
    weights: RiskWeights | None = None,
) -> list[Reason]:
    """Every reason that applies to one vessel, strongest first.

    ``events`` are rows of the EVENTS table where the vessel is ``mmsi`` or ``other_mmsi``;
    ``flagged`` are MMSIs that are sanctioned (match) or DPRK-flagged, for STS partners.
    """
    w = weights or RiskWeights()
    events = list(events)
    evidence = _fact_evidence(facts, w)
    for ev in events:
        found = _event_reason(ev, facts, flagged or set(), w)
        if found is not None:
            conf = ev.get("confidence")
            conf = 1.0 if conf is None else max(0.0, min(1.0, float(conf)))
            facts_of = event_facts(ev, facts.mmsi)
            evidence.append(Evidence(found[0], found[1], facts_of, conf, ev["event_id"]))
    reasons = _group(*count_facts_once(evidence))
    reasons += _dark_cargo(facts.mmsi, events, w)
    return sorted(reasons, key=lambda r: (-r.weight, r.reason))


def _group(kept: list[Evidence], also: dict[str, list[Evidence]]) -> list[Reason]:
    """One reason per name: its weight times the best confidence, its events, and the
    events of other reasons whose facts it already counted."""
    by: dict[str, list[Evidence]] = defaultdict(list)
    for e in kept:
        by[e.reason].append(e)
    out = []
    for name, items in by.items():
        own = [e.event_id for e in items if e.event_id]
        seen = [e for e in also.get(name, []) if e.event_id]
        best = max(e.conf for e in items)
        detail = items[0].detail if not own else f"{len(own)} event(s), best confidence {best:.2f}"
        if seen:
            detail += "; also seen by " + ", ".join(f"{e.reason} {e.event_id}" for e in seen)
        ids = tuple(own + [str(e.event_id) for e in seen])
        out.append(Reason(name, round(items[0].weight * best, 2), ids, detail))
    return out


def _dark_cargo(mmsi: int, events: Iterable[dict[str, Any]], w: RiskWeights) -> list[Reason]:
    """``dark_cargo``: a new draught of this vessel first reported during one of its AIS gaps
    or within ``dark_cargo_h`` after it (a draught event spans the last old report to the
    first new one, so its end is when the change was seen)."""
    own = [e for e in events if e["mmsi"] == mmsi]
    gaps = [
        (e, event_secs(e.get("start")), event_secs(e.get("end")))
        for e in own
        if e["type"] == "ais_gap"
    ]
    for d in (e for e in own if e["type"] == "draught_change"):
        seen = event_secs(d.get("end")) or event_secs(d.get("start"))
        for gap, start, end in gaps:
            if seen is None or start is None or end is None:
                continue
            if start < seen <= end + w.dark_cargo_h * H:
                detail = f"new draught seen {(seen - end) / H:+.1f} h from the end of an AIS gap"
                ids = (gap["event_id"], d["event_id"])
                return [Reason("dark_cargo", w.dark_cargo, ids, detail)]
    return []


def total_risk(reasons: Iterable[Reason], weights: RiskWeights | None = None) -> float:
    """The capped sum of the reasons' weights."""
    cap = (weights or RiskWeights()).cap
    return round(min(cap, sum(r.weight for r in reasons)), 2)


def reasons_json(reasons: Iterable[Reason]) -> str:
    """The ``vessels.reasons`` column: a JSON list of {reason, weight, event_ids, detail}."""
    return json.dumps(
        [
            {
                "reason": r.reason,
                "weight": r.weight,
                "event_ids": list(r.event_ids),
                "detail": r.detail,
            }
            for r in reasons
        ]
    )
