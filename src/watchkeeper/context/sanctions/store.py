"""List versions in a workspace: a newer version of a list replaces the older, history kept.

Tables (DuckDB, in the workspace file):
``list_versions`` one row per version added (:data:`~.model.LIST_VERSIONS`);
``list_entities_history`` every entity of every version, with its ``version_id``;
``list_entities`` the entities of the current version of each source (the latest
``list_date``; among equal dates the one added last). Adding the same files twice is a no-op.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.context.sanctions.model import (
    LIST_ENTITIES,
    LIST_VERSIONS,
    ListFile,
    entities_table,
)
from watchkeeper.store.base import Store

__all__ = ["add_list", "current_entities", "list_versions", "version_id"]

_HASH_CHARS = 16
# Bumped when a reader changes what it extracts: re-adding the same files then stores a new
# version (same date, added later, so current) instead of being a no-op.
READER_VERSION = 2


def version_id(files: tuple[str, ...]) -> str:
    """SHA-256 prefix over the reader version and the bytes of the files of one list version."""
    digest = hashlib.sha256(f"watchkeeper-list-readers:{READER_VERSION}".encode())
    for f in files:
        digest.update(Path(f).read_bytes())
    return digest.hexdigest()[:_HASH_CHARS]


def list_versions(ws: Store) -> pa.Table:
    """Every version added, oldest first, with ``current`` marking the one in use per source."""
    table = ws.read_table("list_versions")
    if table is None:
        return LIST_VERSIONS.empty_table().append_column("current", pa.array([], pa.bool_()))
    table = table.cast(LIST_VERSIONS).sort_by([("added_at", "ascending")])
    current = set(_current_ids(table))
    return table.append_column(
        "current", pa.array([v in current for v in table["version_id"].to_pylist()])
    )


def _current_ids(versions: pa.Table) -> list[str]:
    """Per source, the version with the latest list date (then the latest added)."""
    best: dict[str, tuple[date, datetime, str]] = {}
    for row in versions.to_pylist():
        key = (row["list_date"] or date.min, row["added_at"], row["version_id"])
        if row["source"] not in best or key[:2] > best[row["source"]][:2]:
            best[row["source"]] = key
    return [v[2] for v in best.values()]


def add_list(ws: Store, listed: ListFile) -> dict[str, Any]:
    """Store one list version; returns a summary with ``added`` False if it was already there."""
    vid = version_id(listed.files)
    versions = ws.read_table("list_versions")
    summary = _summary(listed, vid)
    if versions is not None and vid in versions["version_id"].to_pylist():
        return {**summary, "added": False}
    row = {k: summary[k] for k in LIST_VERSIONS.names}
    new_version = pa.Table.from_pylist([row], schema=LIST_VERSIONS)
    if versions is not None:
        new_version = pa.concat_tables([versions.cast(LIST_VERSIONS), new_version])
    versions = new_version
    ents = entities_table(listed.entities)
    ents = ents.append_column("version_id", pa.array([vid] * ents.num_rows, pa.string()))
    history = ws.read_table("list_entities_history")
    if history is not None:
        ents = pa.concat_tables([history.cast(ents.schema), ents])
    current = pc.is_in(ents["version_id"], pa.array(_current_ids(versions)))
    ws.write_tables(  # one transaction: a killed `lists add` leaves the old version whole
        {
            "list_versions": versions,
            "list_entities_history": ents,
            "list_entities": ents.filter(current).drop_columns(["version_id"]),
        }
    )
    return {**summary, "added": True}


def _summary(listed: ListFile, vid: str) -> dict[str, Any]:
    vessels = [e for e in listed.entities if e.is_vessel]
    return {
        "version_id": vid,
        "source": listed.source,
        "list_date": listed.list_date,
        "files": json.dumps(list(listed.files)),
        "added_at": datetime.now(UTC),
        "n_entities": len(listed.entities),
        "n_vessels": len(vessels),
        "n_vessels_with_imo": sum(e.imo is not None for e in vessels),
        "n_rejects": len(listed.rejects),
    }


def current_entities(ws: Store, *, vessels_only: bool = False) -> pa.Table:
    """The entities of the current version of every list (empty if none was added)."""
    table = ws.read_table("list_entities")
    if table is None:
        return LIST_ENTITIES.empty_table()
    table = table.cast(LIST_ENTITIES)
    if vessels_only:
        table = table.filter(pc.equal(table["schema"], "Vessel"))
    return table
