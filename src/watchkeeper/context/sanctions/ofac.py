"""OFAC Specially Designated Nationals: the legacy CSV files and the SDN XML.

Legacy CSV (https://ofac.treasury.gov/specially-designated-nationals-list-data-formats-data-schemas):
``sdn.csv`` has no header and 12 columns (ent_num, SDN_Name, SDN_Type, Program, Title,
Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks); ``alt.csv`` holds the
aliases (ent_num, alt_num, alt_type aka/fka/nka, alt_name, alt_remarks); ``sdn_comments.csv``
continues remarks too long for ``sdn.csv``. Files are latin-1, end with 0x1A (DOS end of
file), and write ``-0-`` for an empty field. Vessel IMO and MMSI are only in the remarks.

SDN XML (``sdn.xml``, schema ``sdn.xsd``): ``sdnEntry`` elements with ``idList``, ``akaList``,
``vesselInfo`` and ``programList``; the publication date is in ``publshInformation``.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from watchkeeper.context.sanctions.model import ListEntity, ListFile, ids_from_text
from watchkeeper.errors import FormatError

__all__ = ["SOURCE", "read_sdn_csv", "read_sdn_xml"]

SOURCE = "ofac_sdn"
_EMPTY = "-0-"
_SCHEMA = {"vessel": "Vessel", "individual": "Person", "aircraft": "Airplane", "": "Organization"}
_CSV_COLUMNS = 12
_BAD_IMO = re.compile(r"\bIMO\s*\d+")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", _EMPTY) else value


def _rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("latin-1").rstrip("\x1a\r\n")
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc
    # One record per line (true of every OFAC CSV: no field holds a line break), parsed line
    # by line so that a stray quote spoils its own line only, never the entries after it.
    # (split at LF only: str.splitlines would also break at latin-1 NEL, 0x85)
    lines = (line.rstrip("\r") for line in text.split("\n"))
    return [row for row in map(_parse_line, lines) if row]


def _parse_line(line: str) -> list[str]:
    """The fields of one CSV line; a line the csv module refuses is one field (a reject)."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return [line]


def _programs(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(p.strip(" []") for p in value.split("] [") if p.strip(" []"))


def _aliases(path: Path) -> dict[str, dict[str, list[str]]]:
    """ent_num -> {'aka': [...], 'fka': [...]} from ``alt.csv`` (nka counts as an alias)."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"aka": [], "fka": []})
    if not path.exists():
        return out
    for row in _rows(path):
        if len(row) < 4 or not (name := _clean(row[3])):
            continue
        kind = "fka" if (_clean(row[2]) or "").lower() == "fka" else "aka"
        out[row[0].strip()][kind].append(name)
    return out


def _comments(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {r[0].strip(): r[1] for r in _rows(path) if len(r) >= 2}


def _csv_entity(
    row: list[str], alts: dict[str, list[str]], extra: str, list_date: date | None
) -> ListEntity:
    ent, name, sdn_type, program = row[0].strip(), row[1], row[2], row[3]
    remarks = ((_clean(row[11]) or "") + extra).strip() or None
    ids = ids_from_text(remarks)
    details: dict[str, object] = {}
    if owner := _clean(row[10]):
        details["owner"] = owner
    if len(ids.imos) > 1:
        details["other_imos"] = list(ids.imos[1:])
    if not ids.imos and (bad := _BAD_IMO.search(remarks or "")):
        details["unparsed_imo"] = bad.group(0)  # e.g. 'IMO 15411': kept, never matched
    for key, col in (("tonnage", 7), ("grt", 8), ("title", 4)):
        if value := _clean(row[col]):
            details[key] = value
    return ListEntity(
        entity_id=f"{SOURCE}:{ent}",
        source=SOURCE,
        list_date=list_date,
        schema=_SCHEMA.get((_clean(sdn_type) or "").lower(), "LegalEntity"),
        name=name.strip(),
        aliases=tuple(dict.fromkeys([*alts["aka"], *ids.aliases])),
        previous_names=tuple(dict.fromkeys([*alts["fka"], *ids.previous_names])),
        imo=ids.imos[0] if ids.imos else None,
        mmsis=ids.mmsis,
        callsign=_clean(row[5]),
        flag=_clean(row[9]),
        vessel_type=_clean(row[6]),
        programs=_programs(_clean(program)),
        remarks=remarks,
        details=details,
    )


def read_sdn_csv(path: str | Path, *, list_date: date | None = None) -> ListFile:
    """Read ``sdn.csv`` with its ``alt.csv`` and ``sdn_comments.csv`` from the same folder.

    The legacy CSV carries no publication date: pass ``list_date`` (the CLI defaults to the
    file's modification date).
    """
    path = Path(path)
    folder = path.parent
    alts = _aliases(folder / "alt.csv")
    comments = _comments(folder / "sdn_comments.csv")
    entities, rejects = [], []
    for row in _rows(path):
        if len(row) != _CSV_COLUMNS or not row[0].strip().isdigit():
            rejects.append(",".join(row))
            continue
        ent = row[0].strip()
        entities.append(_csv_entity(row, alts[ent], comments.get(ent, ""), list_date))
    if not entities:
        raise FormatError(f"{path}: no OFAC sdn.csv rows (12 columns, numeric ent_num)")
    names = (path, folder / "alt.csv", folder / "sdn_comments.csv")
    files = tuple(str(p) for p in names if p.exists())
    return ListFile(SOURCE, list_date, tuple(entities), files, tuple(rejects))


# -- SDN XML -------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if _local(c.tag) == name), None)


def _text(elem: ET.Element | None, name: str) -> str | None:
    if elem is None:
        return None
    child = _child(elem, name)
    return _clean(child.text) if child is not None else None


def _children(elem: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if elem is None else [c for c in elem if _local(c.tag) == name]


def _full_name(elem: ET.Element) -> str:
    parts = [_text(elem, "firstName"), _text(elem, "lastName")]
    return " ".join(p for p in parts if p)


def _xml_ids(entry: ET.Element) -> tuple[list[int], list[int], dict[str, list[str]]]:
    imos: list[int] = []
    mmsis: list[int] = []
    other: dict[str, list[str]] = {}
    for id_ in _children(_child(entry, "idList"), "id"):
        kind, number = _text(id_, "idType") or "", _text(id_, "idNumber") or ""
        found = ids_from_text(f"{kind} {number}")
        if kind.startswith("Vessel Registration") and found.imos:
            imos.extend(found.imos)
        elif kind == "MMSI" and number.strip().isdigit():
            mmsis.append(int(number))
        else:
            other.setdefault(kind, []).append(number)
    return imos, mmsis, other


def _xml_entity(entry: ET.Element, list_date: date | None) -> ListEntity:
    vessel = _child(entry, "vesselInfo")
    imos, mmsis, ids = _xml_ids(entry)
    details: dict[str, object] = dict(ids)
    akas: dict[str, list[str]] = {"aka": [], "fka": []}
    for aka in _children(_child(entry, "akaList"), "aka"):
        kind = "fka" if (_text(aka, "type") or "").lower().startswith("f.k.a") else "aka"
        akas[kind].append(_full_name(aka))
    remarks = _text(entry, "remarks")
    text_ids = ids_from_text(remarks)
    if owner := _text(vessel, "vesselOwner"):
        details["owner"] = owner
    return ListEntity(
        entity_id=f"{SOURCE}:{_text(entry, 'uid')}",
        source=SOURCE,
        list_date=list_date,
        schema=_SCHEMA.get((_text(entry, "sdnType") or "").lower(), "Organization"),
        name=_full_name(entry),
        aliases=tuple(dict.fromkeys(akas["aka"] + list(text_ids.aliases))),
        previous_names=tuple(dict.fromkeys(akas["fka"] + list(text_ids.previous_names))),
        imo=next(iter(imos or text_ids.imos), None),
        mmsis=tuple(dict.fromkeys(mmsis + list(text_ids.mmsis))),
        callsign=_text(vessel, "callSign"),
        flag=_text(vessel, "vesselFlag"),
        vessel_type=_text(vessel, "vesselType"),
        programs=tuple(
            p.text.strip() for p in _children(_child(entry, "programList"), "program") if p.text
        ),
        remarks=remarks,
        details=details,
    )


def _publish_date(root: ET.Element) -> date | None:
    text = _text(_child(root, "publshInformation"), "Publish_Date")
    if not text:
        return None
    try:
        return datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        return None


def read_sdn_xml(path: str | Path, *, list_date: date | None = None) -> ListFile:
    """Read OFAC ``sdn.xml``; ``list_date`` overrides the file's ``Publish_Date``."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise FormatError(f"cannot read {path} as XML: {exc}") from exc
    if _local(root.tag) != "sdnList":
        raise FormatError(f"{path}: root <{_local(root.tag)}> is not an OFAC <sdnList>")
    when = list_date or _publish_date(root)
    entities = tuple(_xml_entity(e, when) for e in _children(root, "sdnEntry"))
    return ListFile(SOURCE, when, entities, (str(path),))
