"""Everything one vessel (MMSI) has shown over time, grouped for screening.

AIS identity reports repeat; screening needs the distinct IMO numbers, names, call signs and
ship types each MMSI ever broadcast, and whether AIS says small craft or merchant ship.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from watchkeeper.assess.names import normalise_name
from watchkeeper.context.imo import hull_imo, imo_kind

__all__ = [
    "MERCHANT_TYPES",
    "SMALL_CRAFT_LENGTH_M",
    "SMALL_CRAFT_TYPES",
    "VesselIdentity",
    "vessel_identities",
]


@dataclass
class VesselIdentity:
    """Everything one MMSI has shown: IMOs, names, call signs (raw values)."""

    mmsi: int
    imos: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    callsigns: set[str] = field(default_factory=set)
    ship_types: set[int] = field(default_factory=set)
    length_m: float | None = None  # the largest reported
    # When each value was broadcast: ("imo", 9018464) -> (first, last), for explanations.
    seen: dict[tuple[str, Any], tuple[datetime, datetime]] = field(default_factory=dict)

    def when(self, kind: str, value: Any) -> dict[str, str]:
        """``{"first_reported", "last_reported"}`` of one value (ISO 8601), or {}.

        The times of the identity rows that carried it; readers that keep only changed
        static reports make ``last_reported`` the last change, not the last broadcast.
        """
        span = self.seen.get((kind, value))
        if span is None:
            return {}
        return {"first_reported": span[0].isoformat(), "last_reported": span[1].isoformat()}

    @property
    def imo_kinds(self) -> dict[int, str]:
        """What each number in the IMO field is (``context.imo.imo_kind``): an ``imo``, a US
        Coast Guard official number (``uscg_doc``), an ``invalid`` IMO, ...

        >>> VesselIdentity(368217490, imos={1317731, 9074729}).imo_kinds
        {1317731: 'uscg_doc', 9074729: 'imo'}
        """
        return {n: imo_kind(n, self.mmsi) for n in sorted(self.imos)}

    @property
    def hull_imos(self) -> set[int]:
        """The IMO numbers the IMO field stands for (``imo_x100`` read as its IMO); a Coast
        Guard number or an MMSI in the field is none."""
        return {h for n in self.imos if (h := hull_imo(n, self.mmsi)) is not None}

    @property
    def small_craft(self) -> bool:
        """Whether AIS says this is no merchant ship (type codes or length)."""
        if self.length_m is not None and 0 < self.length_m < SMALL_CRAFT_LENGTH_M:
            return True
        return bool(self.ship_types) and self.ship_types <= SMALL_CRAFT_TYPES

    @property
    def below_imo_size(self) -> bool:
        """Whether AIS says this is too small to carry an IMO number: pleasure or sailing
        craft only, or shorter than 24 m. The IMO number scheme covers ships of 100 GT and
        more (IMO Resolution A.1117(30)); 100 GT is about 24 m of hull (the 24 m length of
        the 1969 Tonnage Convention), while fishing vessels and tugs above it do carry one."""
        if self.length_m is not None and 0 < self.length_m < IMO_MIN_LENGTH_M:
            return True
        return bool(self.ship_types) and self.ship_types <= {36, 37}

    @property
    def merchant(self) -> bool:
        """Whether AIS says cargo ship or tanker (types 70-89) and nothing else."""
        return bool(self.ship_types) and all(t in MERCHANT_TYPES for t in self.ship_types)


# AIS ship types of small craft: fishing 30, towing 31-32, dredging/diving 33-34, military 35,
# sailing 36, pleasure 37, pilot/SAR/tug/port tender/anti-pollution/law/medical 50-58.
SMALL_CRAFT_TYPES = frozenset({30, 31, 32, 33, 34, 35, 36, 37, *range(50, 59)})
MERCHANT_TYPES = range(70, 90)  # cargo 70-79, tanker 80-89: ships that must carry an IMO
SMALL_CRAFT_LENGTH_M = 30.0  # smaller than any ocean-going tanker or cargo ship
IMO_MIN_LENGTH_M = 24.0  # below it, a hull is under 100 GT: no IMO number (below_imo_size)


def vessel_identities(identities: pa.Table, mmsis: list[int] | None = None) -> list[VesselIdentity]:
    """Group identity rows by MMSI; ``mmsis`` adds vessels seen only in positions.

    Times come from ``first_ts``/``last_ts`` (pre-aggregated rows) or ``ts`` when present.
    """
    by: dict[int, VesselIdentity] = {}
    cols = identities.column_names
    names = ["mmsi", "imo", "name", "callsign", "ship_type", "length_m"]
    names += [c for c in ("ts", "first_ts", "last_ts") if c in cols]
    for row in identities.select(names).to_pylist():
        v = by.setdefault(row["mmsi"], VesselIdentity(row["mmsi"]))
        _add_identity(v, row)
        _add_times(v, row)
    for mmsi in mmsis or []:
        by.setdefault(int(mmsi), VesselIdentity(int(mmsi)))
    return [by[k] for k in sorted(by)]


def _add_times(v: VesselIdentity, row: dict[str, Any]) -> None:
    first, last = row.get("first_ts") or row.get("ts"), row.get("last_ts") or row.get("ts")
    if first is None or last is None:
        return
    values = [
        ("imo", row["imo"]),
        ("name", (row["name"] or "").strip()),
        ("callsign", (row["callsign"] or "").strip().upper()),
    ]
    for key in values:
        if not key[1]:
            continue
        old = v.seen.get(key)
        v.seen[key] = (first, last) if old is None else (min(old[0], first), max(old[1], last))


def _add_identity(v: VesselIdentity, row: dict[str, Any]) -> None:
    if row["imo"]:
        v.imos.add(int(row["imo"]))
    if (name := (row["name"] or "").strip()) and normalise_name(name):
        v.names.add(name)
    if cs := (row["callsign"] or "").strip().upper():
        v.callsigns.add(cs)
    if row["ship_type"]:
        v.ship_types.add(int(row["ship_type"]))
    if row["length_m"]:
        v.length_m = max(v.length_m or 0.0, float(row["length_m"]))
