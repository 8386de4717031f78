"""Cursor-on-Target (CoT 2.0) XML for TAK: vessels at their last position, and events.

One ``<event>`` per vessel, as AIS gateways for TAK (AISCOT) send them: a stable ``uid`` of
``MMSI-<mmsi>`` so that TAK updates the same icon, ``how="m-g"`` (machine, GPS-derived),
``time``/``start`` at the position's time and ``stale`` ``CotParams.stale_min`` later,
``<point hae ce le>`` with 9999999.0 for "unknown" (CoT convention), ``<contact callsign>``,
``<track course speed>`` (speed in m/s) and ``<remarks>`` with the risk reasons.

The type is an atom (``a``), affiliation from screening and risk, sea surface (``S``),
civilian (``X``) and a MIL-STD-2525 function from the AIS ship type:

* affiliation ``h`` (hostile) for a sanctions ``match`` or a North Korean flag, ``s``
  (suspect) from ``CotParams.suspect_risk``, ``n`` (neutral) below it, ``u`` when unscreened;
* ``X-M-O`` oiler/tanker (AIS 80-89), ``X-M-C`` cargo (70-79), ``X-F`` fishing (30),
  ``X-M-T-U`` tug (31, 32, 52), ``X-M`` other merchant.

Events are map markers (``b-m-p-s-m``) with uid ``WK-<type>-<event_id>``. A file holds one
``<event>`` per line without an XML declaration, the framing of a TAK stream (TCP 8087).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pyarrow as pa

from watchkeeper.errors import ConfigError
from watchkeeper.publish._sink import Sink, open_sink

__all__ = [
    "CotParams",
    "cot_type",
    "event_cot",
    "events_cot",
    "vessel_cot",
    "vessels_cot",
    "write_cot",
]

_UNKNOWN = "9999999.0"  # CoT: hae/ce/le unknown
_KN_TO_MS = 1852.0 / 3600.0


@dataclass(frozen=True)
class CotParams:
    """How vessels and events become CoT events."""

    stale_min: float = 60.0  # AISCOT default COT_STALE is 3600 s
    suspect_risk: float = 50.0  # docs/risk.md: a DPRK flag or DPRK port visit alone scores 50
    how: str = "m-g"  # machine-generated, GPS (as AIS gateways send it)
    now: datetime | None = None  # the "time" attribute; None: the position's time

    def __post_init__(self) -> None:
        if self.stale_min <= 0:
            raise ConfigError(f"stale_min must be > 0, got {self.stale_min}")


def _function(ship_type: int | None) -> str:
    st = ship_type or 0
    if 80 <= st <= 89:
        return "X-M-O"
    if 70 <= st <= 79:
        return "X-M-C"
    if st == 30:
        return "X-F"
    if st in (31, 32, 52):
        return "X-M-T-U"
    return "X-M"


def cot_type(row: dict[str, Any], params: CotParams | None = None) -> str:
    """The CoT type of a vessel row (VESSELS columns).

    >>> cot_type({"sanctions_match": "ofac-123", "ship_type": 84, "risk": 70.0, "flag": "PA"})
    'a-h-S-X-M-O'
    """
    p = params or CotParams()
    if row.get("sanctions_match") or row.get("flag") == "KP":
        affiliation = "h"
    elif row.get("risk") is None:
        affiliation = "u"
    else:
        affiliation = "s" if float(row["risk"]) >= p.suspect_risk else "n"
    return f"a-{affiliation}-S-{_function(row.get('ship_type'))}"


def _num(value: object, digits: int) -> str:
    """A stored number for people: float32 noise rounded away, "-" when missing.

    >>> _num(0.8999999761581421, 2), _num(27.760000228881836, 1), _num(None, 1)
    ('0.9', '27.8', '-')
    """
    if value is None:
        return "-"
    return f"{round(float(str(value)), digits):g}"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _event(uid: str, kind: str, when: datetime, p: CotParams, stale: datetime) -> ET.Element:
    ev = ET.Element("event")
    ev.attrib.update(
        {
            "version": "2.0",
            "uid": uid,
            "type": kind,
            "how": p.how,
            "time": _iso(p.now or when),
            "start": _iso(when),
            "stale": _iso(stale),
        }
    )
    return ev


def _point(ev: ET.Element, lat: float, lon: float) -> None:
    ET.SubElement(ev, "point", lat=repr(lat), lon=repr(lon), hae=_UNKNOWN, ce=_UNKNOWN, le=_UNKNOWN)


def _reasons_text(reasons: str | None) -> str:
    items = json.loads(reasons or "[]")
    return "; ".join(f"{r['reason']} +{r['weight']:g}" for r in items)


def vessel_cot(row: dict[str, Any], params: CotParams | None = None) -> ET.Element | None:
    """A vessel row with ``lat, lon, ts`` (last position) as a CoT event; None without one."""
    p = params or CotParams()
    if row.get("lat") is None or row.get("lon") is None or row.get("ts") is None:
        return None
    when: datetime = row["ts"]
    ev = _event(
        f"MMSI-{row['mmsi']}", cot_type(row, p), when, p, when + timedelta(minutes=p.stale_min)
    )
    _point(ev, row["lat"], row["lon"])
    detail = ET.SubElement(ev, "detail")
    ET.SubElement(detail, "contact", callsign=row.get("name") or f"MMSI {row['mmsi']}")
    track = {}
    if row.get("cog_deg") is not None:
        track["course"] = f"{row['cog_deg']:.1f}"
    if row.get("sog_kn") is not None:
        track["speed"] = f"{row['sog_kn'] * _KN_TO_MS:.2f}"
    if track:
        ET.SubElement(detail, "track", track)
    risk = row.get("risk")
    remarks = ET.SubElement(detail, "remarks")
    remarks.text = (
        f"MMSI {row['mmsi']} IMO {row.get('imo') or '-'} flag {row.get('flag') or '-'}; "
        f"risk {_num(risk, 1)}; {_reasons_text(row.get('reasons'))}"
    )
    return ev


def event_cot(row: dict[str, Any], params: CotParams | None = None) -> ET.Element | None:
    """An event row (EVENTS columns) as a CoT map marker; None without a position."""
    p = params or CotParams()
    if row.get("lat") is None or row.get("lon") is None:
        return None
    start: datetime = row["start"]
    end: datetime = row.get("end") or start
    stale = max(end, start) + timedelta(minutes=p.stale_min)
    ev = _event(f"WK-{row['type']}-{row['event_id']}", "b-m-p-s-m", start, p, stale)
    _point(ev, row["lat"], row["lon"])
    detail = ET.SubElement(ev, "detail")
    other = f" with {row['other_mmsi']}" if row.get("other_mmsi") is not None else ""
    ET.SubElement(detail, "contact", callsign=f"{row['type']} {row['mmsi']}{other}")
    remarks = ET.SubElement(detail, "remarks")
    remarks.text = (
        f"{row['type']} MMSI {row['mmsi']}{other} from {_iso(start)}"
        f"{' to ' + _iso(row['end']) if row.get('end') else ' (open)'}; "
        f"confidence {_num(row.get('confidence'), 2)}; risk {_num(row.get('risk'), 1)}"
    )
    return ev


def vessels_cot(vessels: pa.Table, params: CotParams | None = None) -> Iterator[ET.Element]:
    """CoT events for every vessel that has a position."""
    for row in vessels.to_pylist():
        ev = vessel_cot(row, params)
        if ev is not None:
            yield ev


def events_cot(events: pa.Table, params: CotParams | None = None) -> Iterator[ET.Element]:
    """CoT markers for every event that has a position."""
    for row in events.to_pylist():
        ev = event_cot(row, params)
        if ev is not None:
            yield ev


def write_cot(events: Iterator[ET.Element], out: Sink) -> int:
    """Write CoT events, one ``<event>`` per line; events written."""
    n = 0
    with open_sink(out) as stream:
        for ev in events:
            stream.write(ET.tostring(ev, encoding="unicode").encode("utf-8") + b"\n")
            n += 1
    return n
