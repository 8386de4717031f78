"""What a workspace holds: counts, time span, vessels, extent and rejects (``watchkeeper info``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from watchkeeper.store.workspace import Workspace

__all__ = ["WorkspaceInfo", "summarize"]


@dataclass(frozen=True)
class WorkspaceInfo:
    """A summary of one workspace; every field is cheap to recompute."""

    path: str
    files: int
    positions: int
    identities: int
    vessels: int
    first: datetime | None
    last: datetime | None
    bbox: tuple[float, float, float, float] | None  # min lon, min lat, max lon, max lat
    rejects: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (ISO 8601 times)."""
        out = dict(self.__dict__)
        out["first"] = self.first.isoformat() if self.first else None
        out["last"] = self.last.isoformat() if self.last else None
        return out


def summarize(ws: Workspace) -> WorkspaceInfo:
    """Summarise ``ws`` with a few aggregate queries (no full materialisation)."""
    with ws.connect() as con:
        row = con.execute(
            "SELECT count(*), count(DISTINCT mmsi), min(ts), max(ts), "
            "min(lon), min(lat), max(lon), max(lat) FROM positions"
        ).fetchall()[0]
        n_ids = con.execute("SELECT count(*) FROM identities").fetchall()[0]
        id_mmsi = con.execute(
            "SELECT count(DISTINCT mmsi) FROM (SELECT mmsi FROM positions "
            "UNION SELECT mmsi FROM identities)"
        ).fetchall()[0]
        rejects = con.execute(
            "SELECT reason, count(*) FROM rejects GROUP BY reason ORDER BY 2 DESC"
        ).fetchall()
        files = con.execute("SELECT count(*) FROM ingest_log").fetchall()[0]
        skipped_rows = con.execute("SELECT skipped FROM ingest_log").fetchall()
    assert row is not None and n_ids is not None and id_mmsi is not None and files is not None
    n_pos, _, first, last, x0, y0, x1, y1 = row
    skipped: dict[str, int] = {}
    for (text,) in skipped_rows:
        for key, value in _json(text).items():
            skipped[key] = skipped.get(key, 0) + int(value)
    return WorkspaceInfo(
        path=str(ws.path),
        files=int(files[0]),
        positions=int(n_pos),
        identities=int(n_ids[0]),
        vessels=int(id_mmsi[0]),
        first=first,
        last=last,
        bbox=(x0, y0, x1, y1) if n_pos else None,
        rejects={str(r): int(n) for r, n in rejects},
        skipped=dict(sorted(skipped.items())),
    )


def _json(text: str | None) -> dict[str, int]:
    import json

    return dict(json.loads(text)) if text else {}
