"""The list entity every reader produces, its Arrow schema, and identifiers found in free text.

One :class:`ListEntity` per designated person, organisation or vessel, whatever the list's
own format. Vessel identifiers are fields where the list has fields (SDN XML, FollowTheMoney)
and are parsed out of remarks where it does not: OFAC's legacy CSV writes
``Vessel Registration Identification IMO 7937317; MMSI 572469210; f.k.a. 'ALPHA'``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from watchkeeper.context.imo import is_valid_imo

__all__ = [
    "LIST_ENTITIES",
    "LIST_VERSIONS",
    "ListEntity",
    "ListFile",
    "TextIds",
    "entities_table",
    "ids_from_text",
]

LIST_ENTITIES = pa.schema(
    [
        pa.field("entity_id", pa.string(), nullable=False),  # '<source>:<id in the list>'
        pa.field("source", pa.string(), nullable=False),  # ofac_sdn, un_sc, or an FtM dataset
        pa.field("list_date", pa.date32()),
        pa.field("schema", pa.string(), nullable=False),  # FtM schema: Vessel, Person, ...
        pa.field("name", pa.string(), nullable=False),
        pa.field("aliases", pa.list_(pa.string())),  # a.k.a.
        pa.field("previous_names", pa.list_(pa.string())),  # f.k.a.
        pa.field("imo", pa.int32()),  # vessel IMO number as listed (validity in imo_valid)
        pa.field("imo_valid", pa.bool_()),
        pa.field("mmsis", pa.list_(pa.int64())),
        pa.field("callsign", pa.string()),
        pa.field("flag", pa.string()),  # as the list spells it
        pa.field("vessel_type", pa.string()),
        pa.field("programs", pa.list_(pa.string())),
        pa.field("listed_on", pa.string()),
        pa.field("remarks", pa.string()),
        pa.field("details", pa.string()),  # JSON: other identifiers (company IMO, owner ...)
    ]
)

LIST_VERSIONS = pa.schema(
    [
        pa.field("version_id", pa.string(), nullable=False),  # SHA-256 prefix of the files
        pa.field("source", pa.string(), nullable=False),
        pa.field("list_date", pa.date32()),
        pa.field("files", pa.string()),  # JSON list of paths
        pa.field("added_at", pa.timestamp("ms", tz="UTC")),
        pa.field("n_entities", pa.int64()),
        pa.field("n_vessels", pa.int64()),
        pa.field("n_vessels_with_imo", pa.int64()),
    ]
)


@dataclass(frozen=True)
class ListEntity:
    """One designated subject of a sanctions list."""

    entity_id: str
    source: str
    schema: str
    name: str
    list_date: date | None = None
    aliases: tuple[str, ...] = ()
    previous_names: tuple[str, ...] = ()
    imo: int | None = None
    mmsis: tuple[int, ...] = ()
    callsign: str | None = None
    flag: str | None = None
    vessel_type: str | None = None
    programs: tuple[str, ...] = ()
    listed_on: str | None = None
    remarks: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_vessel(self) -> bool:
        """Whether this entity is a vessel (the only kind AIS can be screened against)."""
        return self.schema == "Vessel"

    def row(self) -> dict[str, Any]:
        """The entity as a row of :data:`LIST_ENTITIES`."""
        return {
            "entity_id": self.entity_id,
            "source": self.source,
            "list_date": self.list_date,
            "schema": self.schema,
            "name": self.name,
            "aliases": list(self.aliases),
            "previous_names": list(self.previous_names),
            "imo": self.imo,
            "imo_valid": is_valid_imo(self.imo) if self.imo is not None else None,
            "mmsis": list(self.mmsis),
            "callsign": self.callsign,
            "flag": self.flag,
            "vessel_type": self.vessel_type,
            "programs": list(self.programs),
            "listed_on": self.listed_on,
            "remarks": self.remarks,
            "details": json.dumps(self.details, sort_keys=True) if self.details else None,
        }


@dataclass(frozen=True)
class ListFile:
    """What a reader returns: the entities of one list version and where it came from."""

    source: str
    list_date: date | None
    entities: tuple[ListEntity, ...]
    files: tuple[str, ...]
    rejects: tuple[str, ...] = ()  # raw records that could not be read (skipped, counted)


def entities_table(entities: tuple[ListEntity, ...] | list[ListEntity]) -> pa.Table:
    """Entities as an Arrow table of :data:`LIST_ENTITIES`."""
    return pa.Table.from_pylist([e.row() for e in entities], schema=LIST_ENTITIES)


# -- identifiers in free text ------------------------------------------------------------

_VESSEL_REG = re.compile(
    r"Vessel Registration Identification\s*:?\s*(?:IMO\s*)?(\d{7})(?!\d)", re.IGNORECASE
)
_IMO = re.compile(r"\bIMO(?:\s+number)?\s*:?\s*(\d{7})(?!\d)", re.IGNORECASE)
_MMSI = re.compile(r"\bMMSI\s*:?\s*(\d{9})(?!\d)", re.IGNORECASE)
_FKA = re.compile(r"f\.k\.a\.\s*'([^']+)'", re.IGNORECASE)
_AKA = re.compile(r"a\.k\.a\.\s*'([^']+)'", re.IGNORECASE)


@dataclass(frozen=True)
class TextIds:
    """Identifiers found in a remark: vessel IMOs, MMSIs, and quoted a.k.a./f.k.a. names."""

    imos: tuple[int, ...] = ()
    mmsis: tuple[int, ...] = ()
    aliases: tuple[str, ...] = ()
    previous_names: tuple[str, ...] = ()


def _unique(items: list[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def ids_from_text(text: str | None) -> TextIds:
    """Vessel identifiers written in free text (OFAC remarks, UN comments).

    >>> ids_from_text("Vessel Registration Identification IMO 9187629; MMSI 572469210; "
    ...               "f.k.a. 'ALPHA'")
    TextIds(imos=(9187629,), mmsis=(572469210,), aliases=(), previous_names=('ALPHA',))
    """
    if not text:
        return TextIds()
    imos = [int(m) for m in _VESSEL_REG.findall(text)] + [int(m) for m in _IMO.findall(text)]
    return TextIds(
        imos=_unique(imos),
        mmsis=_unique([int(m) for m in _MMSI.findall(text)]),
        aliases=_unique([a.strip() for a in _AKA.findall(text)]),
        previous_names=_unique([a.strip() for a in _FKA.findall(text)]),
    )
