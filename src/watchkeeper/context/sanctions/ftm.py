"""FollowTheMoney entities as JSON lines: the format of OpenSanctions exports.

One JSON object per line: ``{"id", "schema", "properties": {prop: [values]}, "datasets",
"last_change", ...}`` (https://followthemoney.tech/explorer/schemata/Vessel/). Vessel
properties used: ``name``, ``alias``, ``previousName``, ``weakAlias``, ``imoNumber``,
``mmsi``, ``callSign``, ``flag``, ``type``, ``program``/``programId``, ``notes``. Lines that are
not JSON objects with an ``id`` and a ``schema`` are skipped and counted, not fatal.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from watchkeeper.context.imo import parse_imo
from watchkeeper.context.sanctions.model import ListEntity, ListFile
from watchkeeper.errors import FormatError

__all__ = ["read_ftm"]


def _values(props: dict[str, Any], *names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        value = props.get(name) or []
        out.extend(str(v).strip() for v in (value if isinstance(value, list) else [value]))
    return [v for v in dict.fromkeys(out) if v]


def _mmsis(values: list[str]) -> tuple[int, ...]:
    return tuple(int(v) for v in values if v.isdigit() and len(v) <= 9)


def _entity(obj: dict[str, Any], source: str, list_date: date | None) -> ListEntity:
    props = obj.get("properties") or {}
    names = _values(props, "name")
    imos = [i for i in (parse_imo(v) for v in _values(props, "imoNumber")) if i is not None]
    details: dict[str, Any] = {"datasets": obj.get("datasets", [])}
    if len(imos) > 1:
        details["other_imos"] = imos[1:]
    if owner := _values(props, "owner"):
        details["owner"] = owner
    return ListEntity(
        entity_id=str(obj["id"]),
        source=source,
        list_date=list_date,
        schema=str(obj["schema"]),
        name=names[0] if names else str(obj["id"]),
        aliases=tuple(_values(props, "alias", "weakAlias") + names[1:]),
        previous_names=tuple(_values(props, "previousName")),
        imo=imos[0] if imos else None,
        mmsis=_mmsis(_values(props, "mmsi")),
        callsign=next(iter(_values(props, "callSign")), None),
        flag=next(iter(_values(props, "flag")), None),
        vessel_type=next(iter(_values(props, "type")), None),
        programs=tuple(_values(props, "program", "programId")),
        listed_on=next(iter(_values(props, "createdAt")), None),
        remarks="; ".join(_values(props, "notes")) or None,
        details=details,
    )


def _change_date(obj: dict[str, Any]) -> date | None:
    stamp = obj.get("last_change") or obj.get("first_seen")
    try:
        return datetime.fromisoformat(str(stamp)[:19]).date() if stamp else None
    except ValueError:
        return None


def read_ftm(
    path: str | Path, *, source: str | None = None, list_date: date | None = None
) -> ListFile:
    """Read a FollowTheMoney JSON-lines file.

    ``source`` defaults to ``ftm:<file stem>``; ``list_date`` defaults to the latest
    ``last_change`` of its entities.
    """
    path = Path(path)
    src = source or f"ftm:{path.stem}"
    objs: list[dict[str, Any]] = []
    rejects: list[str] = []
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                _parse_line(line, objs, rejects)
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc
    if not objs:
        raise FormatError(f"{path}: no FollowTheMoney entities (JSON lines with id and schema)")
    when = list_date or max((d for d in map(_change_date, objs) if d), default=None)
    entities = tuple(_entity(o, src, when) for o in objs)
    return ListFile(src, when, entities, (str(path),), tuple(rejects))


def _parse_line(line: str, objs: list[dict[str, Any]], rejects: list[str]) -> None:
    if not line.strip():
        return
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        rejects.append(line.rstrip("\n"))
        return
    if isinstance(obj, dict) and obj.get("id") and obj.get("schema"):
        objs.append(obj)
    else:
        rejects.append(line.rstrip("\n"))
