"""UN Security Council Consolidated List (XML, https://scsanctions.un.org/resources/xml/en/consolidated.xml).

``<CONSOLIDATED_LIST dateGenerated=...>`` holds ``<INDIVIDUALS>`` and ``<ENTITIES>``; each
entry has a ``REFERENCE_NUMBER`` (``KPe.001``: DPRK entity 1), ``UN_LIST_TYPE`` (the sanctions
regime: DPRK, Iran, Al-Qaida ...), names, aliases and a free-text ``COMMENTS1``.

The consolidated list carries no vessel entries: ships designated by the 1718 Committee are
published separately. Its DPRK entries are the shipping companies, and the "IMO number" in
their comments is the IMO *company* number (the same 7-digit scheme), kept in
``details['company_imo']`` and never used as a vessel IMO.

The ships those comments name (``Registered owner of the DPRK tanker YU JONG 2 ...``) are
read as derived ``Vessel`` entities (``un_sc:vessel:YU JONG 2``): a name of two or more
upper-case words in a DPRK entry's comments that is not a company (SHIPPING, TRADING ...) or
an acronym. They carry no IMO, so screening can only give them ``review``; each lists the
entries that mention it in ``details['mentioned_by']``. ``mentioned_vessels=False`` turns
this off.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

from watchkeeper.context.sanctions.model import ListEntity, ListFile, ids_from_text
from watchkeeper.errors import FormatError

__all__ = ["SOURCE", "mentions_dprk", "read_un_xml"]

SOURCE = "un_sc"
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ALIAS = {"INDIVIDUAL": "INDIVIDUAL_ALIAS", "ENTITY": "ENTITY_ALIAS"}
_SCHEMA = {"INDIVIDUAL": "Person", "ENTITY": "Organization"}


def _text(elem: ET.Element, path: str) -> str | None:
    value = elem.findtext(path)
    return value.strip() if value and value.strip() else None


def _entry(elem: ET.Element, list_date: date | None) -> ListEntity:
    kind = elem.tag
    name = " ".join(p for p in (_text(elem, n) for n in _NAME_PARTS) if p)
    aliases = tuple(
        dict.fromkeys(a for a in (_text(al, "ALIAS_NAME") for al in elem.iter(_ALIAS[kind])) if a)
    )
    comments = _text(elem, "COMMENTS1")
    ref = _text(elem, "REFERENCE_NUMBER") or _text(elem, "DATAID") or name
    details: dict[str, object] = {"dataid": _text(elem, "DATAID")}
    found = ids_from_text(comments)
    if found.imos:
        details["company_imo"] = list(found.imos)
    if original := _text(elem, "NAME_ORIGINAL_SCRIPT"):
        details["name_original_script"] = original
    return ListEntity(
        entity_id=f"{SOURCE}:{ref}",
        source=SOURCE,
        list_date=list_date,
        schema=_SCHEMA[kind],
        name=name,
        aliases=aliases,
        programs=tuple(p for p in [_text(elem, "UN_LIST_TYPE")] if p),
        listed_on=_text(elem, "LISTED_ON"),
        remarks=comments,
        details=details,
    )


_CAPS_RUN = re.compile(r"\b[A-Z][A-Z0-9]*(?:[ -][A-Z0-9]+)+\b")
_NOT_SHIP_WORDS = frozenset(
    {"SHIPPING", "COMPANY", "CORPORATION", "TRADING", "BANK", "GROUP", "LTD", "CO", "IMO", "DPRK"}
)


def _mentioned_vessels(entries: list[ListEntity], list_date: date | None) -> list[ListEntity]:
    """Ship names written in the comments of DPRK entries, one entity per name."""
    by_name: dict[str, dict[str, ListEntity]] = {}
    for e in entries:
        if "DPRK" not in e.programs or not e.remarks:
            continue
        for found in _CAPS_RUN.findall(e.remarks):
            name = " ".join(found.split())
            if not _NOT_SHIP_WORDS & set(name.replace("-", " ").split()):
                by_name.setdefault(name, {})[e.entity_id] = e
    return [
        ListEntity(
            entity_id=f"{SOURCE}:vessel:{name}",
            source=SOURCE,
            list_date=list_date,
            schema="Vessel",
            name=name,
            programs=("DPRK",),
            remarks=f"named in the comments of {', '.join(m.name for m in mentions.values())}",
            details={"mentioned_by": list(mentions), "derived": "COMMENTS1"},
        )
        for name, mentions in sorted(by_name.items())
    ]


def _generated(root: ET.Element) -> date | None:
    stamp = root.get("dateGenerated")
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def read_un_xml(
    path: str | Path, *, list_date: date | None = None, mentioned_vessels: bool = True
) -> ListFile:
    """Read the UN consolidated XML; ``list_date`` overrides its ``dateGenerated``."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise FormatError(f"cannot read {path} as XML: {exc}") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise FormatError(f"{path}: root <{root.tag}> is not a UN <CONSOLIDATED_LIST>")
    when = list_date or _generated(root)
    entries = [_entry(e, when) for e in [*root.iter("INDIVIDUAL"), *root.iter("ENTITY")]]
    if mentioned_vessels:
        entries += _mentioned_vessels(entries, when)
    return ListFile(SOURCE, when, tuple(entries), (str(path),))


def mentions_dprk(entity: ListEntity) -> bool:
    """Whether an entry is under the DPRK regime or names North Korea in its text."""
    text = " ".join([entity.name, *entity.aliases, entity.remarks or ""]).upper()
    return "DPRK" in entity.programs or any(
        k in text for k in ("DPRK", "NORTH KOREA", "DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA")
    )
