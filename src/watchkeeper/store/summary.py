"""What a workspace holds: counts, time span, vessels, extent and rejects (``watchkeeper info``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from watchkeeper.store.base import Store

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


def summarize(store: Store) -> WorkspaceInfo:
    """Summarise ``store`` with a few aggregate queries (no full materialisation); reads
    only, so it runs while another process ingests."""
    over = store.overview()
    log = store.ingest_log()
    rejects: dict[str, int] = {}
    for reason in store.rejects()["reason"].to_pylist():
        rejects[reason] = rejects.get(reason, 0) + 1
    skipped: dict[str, int] = {}
    for text in log["skipped"].to_pylist():
        for key, value in _json(text).items():
            skipped[key] = skipped.get(key, 0) + int(value)
    return WorkspaceInfo(
        path=store.location,
        files=log.num_rows,
        positions=over.positions,
        identities=over.identities,
        vessels=over.vessels,
        first=over.first,
        last=over.last,
        bbox=over.bbox,
        rejects=dict(sorted(rejects.items(), key=lambda kv: (-kv[1], kv[0]))),
        skipped=dict(sorted(skipped.items())),
    )


def _json(text: str | None) -> dict[str, int]:
    import json

    return dict(json.loads(text)) if text else {}
