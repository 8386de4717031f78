"""An event's details as a sentence an investigator can read aloud to a committee.

The detectors store their measurements as JSON (``details``); a report or a terminal shows
what they mean: "Silent 13.6 h from 35 km off the coast; reception worked there (4 of 12
hours with other vessels heard): deliberate." Every number comes from the details as
stored; a key this module does not know is listed after the sentence (``key: value``), so
nothing measured is hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["describe"]

Details = dict[str, Any]

#: Keys that are about the run, not the event (shown elsewhere or nowhere).
_QUIET = {"params", "places_checked", "track_id", "sources", "kinds", "continued"}


def _num(value: Any, unit: str = "", digits: int = 1) -> str:
    if not isinstance(value, int | float):
        return "?"
    return f"{round(float(value), digits):g}{unit}"


def _place(d: Details) -> str:
    name = d.get("place")
    if not name:
        return ""
    kind = d.get("place_kind")
    country = d.get("country")
    where = ", ".join(str(x) for x in (kind, country) if x)
    return f" at {name}" + (f" ({where})" if where else "")


def _gap(d: Details) -> str:
    text = f"Silent {_num(d.get('duration_h'), ' h')}"
    if isinstance(d.get("start_shore_km"), int | float):
        text += f", beginning {_num(d['start_shore_km'], ' km')} off the coast"
    if d.get("in_place"):
        text += ", at a port or anchorage"
    cause = d.get("cause")
    if cause:
        text += f"; cause: {str(cause).replace('_', ' ')}"
    rec = d.get("reception") or {}
    if isinstance(rec.get("hours"), int) and rec["hours"] > 0:
        text += f" (other vessels heard near it in {rec.get('heard_hours', '?')} of "
        text += f"{rec['hours']} hours)"
    if d.get("open"):
        text += "; still silent at the end of the data"
    if d.get("sts_candidate") is False:
        text += "; a harbour craft or people carrier, never an STS side"
    return text + "."


def _loitering(d: Details) -> str:
    text = f"Slow for {_num(d.get('duration_h'), ' h')}"
    text += f" (median {_num(d.get('median_sog_kn'), ' kn')}, {d.get('n_positions', '?')}"
    text += f" positions over {_num(d.get('observed_h'), ' h')})"
    if isinstance(d.get("shore_km"), int | float):
        text += f", {_num(d['shore_km'], ' km')} from shore"
    return text + _place(d) + "."


def _encounter(d: Details) -> str:
    classes = d.get("classes") or []
    text = f"{' and '.join(map(str, classes)).capitalize() or 'Two vessels'} alongside"
    text += f" for {_num(d.get('duration_h'), ' h')}"
    if isinstance(d.get("median_distance_m"), int | float):
        text += f", {_num(d['median_distance_m'], ' m', 0)} apart (median)"
    if isinstance(d.get("observed_h"), int | float):
        text += f", both seen over {_num(d['observed_h'], ' h')}"
    if d.get("in_port"):
        text += ", in port"
    return text + _place(d) + "."


def _dark_sts(d: Details) -> str:
    kind = str(d.get("kind") or "").replace("_", " ")
    cands = d.get("candidates") or []
    best = max(cands, key=lambda c: c.get("likelihood") or 0.0) if cands else None
    text = f"Dark ship-to-ship ({kind})" if kind else "Dark ship-to-ship"
    if best:
        text += (
            f": partner {best.get('mmsi')}, likelihood {_num(best.get('likelihood'), '', 2)}"
            f" ({best.get('reason')})"
        )
    if len(cands) > 1:
        text += f"; {len(cands) - 1} other candidate(s)"
    return text + "."


def _port_visit(d: Details) -> str:
    text = f"In port for {_num(d.get('duration_h'), ' h')}" + _place(d)
    if isinstance(d.get("min_distance_km"), int | float):
        text += f", {_num(d['min_distance_km'], ' km', 2)} from it at the nearest"
    text += ", stopped" if d.get("stopped") else ", passing (never stopped)"
    if d.get("dprk"):
        text += ": a North Korean port or anchorage"
    return text + "."


def _zone(d: Details) -> str:
    zones = d.get("zones") or [d.get("zone")]
    return "Entered " + ", ".join(str(z) for z in zones if z) + "."


def _identity(d: Details) -> str:
    parts = []
    for ch in d.get("changes") or []:
        kind = ch.get("kind")
        if kind == "change":
            parts.append(f"{ch.get('field')} changed from {ch.get('from')} to {ch.get('to')}")
        elif kind == "invalid_imo":
            parts.append(f"IMO {ch.get('imo')} fails its check digit")
        elif kind == "imo_shared":
            parts.append(f"IMO {ch.get('imo')} also used by MMSI {ch.get('other_mmsi')}")
        else:
            parts.append(str(kind).replace("_", " "))
    return ("; ".join(parts) or "Identity change") + "."


def _draught(d: Details) -> str:
    text = f"Draught {_num(d.get('from_m'), ' m')} to {_num(d.get('to_m'), ' m')}"
    text += f" ({_num(d.get('delta_m'), ' m')}"
    text += f", while {d['stop']})" if d.get("stop") else ")"
    return text + "."


def _spoofing(d: Details) -> str:
    parts = []
    for f in d.get("findings") or []:
        kind = str(f.get("kind") or "").replace("_", " ")
        if isinstance(f.get("jump_km"), int | float):
            speed = _num(f.get("implied_speed_kn"), " kn", 0)
            kind += f": {_num(f['jump_km'], ' km')} away, implying {speed}"
        parts.append(kind)
    return ("; ".join(parts) or "Positions a ship cannot have produced") + "."


_SENTENCES: dict[str, tuple[Callable[[Details], str], set[str]]] = {
    "ais_gap": (
        _gap,
        {"duration_h", "start_shore_km", "cause", "reception", "open", "deliberate"}
        | {"in_place", "sts_candidate"},
    ),
    "loitering": (
        _loitering,
        {"duration_h", "median_sog_kn", "n_positions", "shore_km", "place", "place_kind"}
        | {"observed_h", "observed_start", "observed_end", "place_km"},
    ),
    "encounter": (
        _encounter,
        {"duration_h", "median_distance_m", "place", "place_kind", "classes", "observed_h"}
        | {"in_port", "observed_start", "observed_end", "tracks"},
    ),
    "dark_sts": (_dark_sts, {"kind", "candidates"}),
    "port_visit": (
        _port_visit,
        {"duration_h", "place", "place_kind", "country", "dprk", "port", "min_distance_km"}
        | {"stopped", "last_seen", "offshore"},
    ),
    "zone_entry": (_zone, {"zone", "zones"}),
    "identity_change": (_identity, {"changes", "kind"}),
    "draught_change": (_draught, {"from_m", "to_m", "delta_m", "stop"}),
    "spoofing": (_spoofing, {"findings", "kind"}),
}


def _value(v: Any) -> str:
    """A detail value: floats to 4 significant digits (float32 noise away), lists in turn."""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return json.dumps(v, default=str)
    return str(v)


def describe(kind: str, details: str | Details | None) -> str:
    """A sentence for an event of type ``kind`` from its ``details`` (JSON text or dict),
    followed by the details it does not use, as ``key: value``."""
    d: Details = json.loads(details) if isinstance(details, str) else dict(details or {})
    sentence, used = _SENTENCES.get(kind, (lambda _: "", set()))
    text = sentence(d)
    rest = [f"{k}: {_value(v)}" for k, v in d.items() if k not in used and k not in _QUIET]
    return " ".join(x for x in (text, "; ".join(rest)) if x)
