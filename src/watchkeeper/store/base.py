"""The store interface: what every stage may ask of stored data, as typed methods.

Callers get Arrow tables, dicts and scalars, never SQL text or a connection, so a store can
be a workspace folder (:class:`~watchkeeper.store.workspace.Workspace`), memory
(:class:`~watchkeeper.store.memory.MemoryStore`, for tests) or, later, a service.

Time ranges are half-open (``start <= ts < end``) unless a method says otherwise; a bounding
box is ``(min_lon, min_lat, max_lon, max_lat)`` in degrees, and ``min_lon > max_lon`` means
the box crosses the antimeridian.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

__all__ = ["BBox", "LayerWriter", "Overview", "Store"]

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Overview:
    """Counts and extent of the position and identity layers (``watchkeeper info``)."""

    positions: int
    identities: int
    vessels: int  # distinct MMSIs over positions and identities
    first: datetime | None
    last: datetime | None
    bbox: BBox | None


class LayerWriter(Protocol):
    """Streams one layer of one ingest into the store; nothing is visible before ``close``
    for a workspace (files are renamed into place), and ``discard`` undoes it."""

    rows: int

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (the layer's canonical schema)."""

    def close(self) -> None:
        """Finish (idempotent)."""


@runtime_checkable
class Store(Protocol):
    """Positions, identities, events, vessels, derived tables and the ingest log."""

    @property
    def location(self) -> str:
        """Where the data lives, for messages (a folder, or ``memory``)."""

    # -- position and identity layers -----------------------------------------------------

    def positions(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        mmsis: Sequence[int] | None = None,
        columns: tuple[str, ...] | None = None,
        order: bool = False,
        bbox: BBox | None = None,
        part: tuple[int, int] | None = None,
    ) -> pa.Table:
        """Positions in ``[start, end)``, of ``mmsis``, inside ``bbox`` and of MMSI group
        ``part`` = (g, k) (``mmsi_group(mmsi, k) == g``) when given; ``order`` sorts by
        (mmsi, ts)."""

    def identities(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        mmsis: Sequence[int] | None = None,
        part: tuple[int, int] | None = None,
    ) -> pa.Table:
        """Identity reports in ``[start, end)`` (of ``mmsis`` and MMSI group ``part`` only,
        if given)."""

    def position_batches(self, *, batch_rows: int = 200_000) -> Iterator[pa.RecordBatch]:
        """Every position in (ts, mmsi) order, streamed in batches of at most ``batch_rows``."""

    def read(self, layer: str, *, days: tuple[str, str] | None = None) -> pa.Table:
        """A whole layer (optionally days ``lo``..``hi``, YYYY-MM-DD, inclusive)."""

    def count(self, layer: str) -> int:
        """Rows in ``layer``."""

    def days(self, layer: str = "positions") -> list[str]:
        """The days (YYYY-MM-DD) that have data in ``layer``."""

    def day_counts(self, layer: str = "positions") -> dict[str, int]:
        """Rows per day of ``layer``."""

    def last_time(self, layer: str = "positions") -> datetime | None:
        """Time of the last row of ``layer`` (None when empty)."""

    def first_after(self, mmsis: Sequence[int], t: datetime) -> dict[int, datetime]:
        """Each MMSI's first position time at or after ``t`` (MMSIs with none are absent)."""

    def next_positions(
        self, mmsis: Sequence[int], t: datetime, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """Each MMSI's first position at or after ``t`` (MMSIs with none are absent), by MMSI."""

    # -- summaries of the layers ----------------------------------------------------------

    def mmsis(self) -> list[int]:
        """Distinct MMSIs that have positions, ascending."""

    def last_positions(self, mmsis: Sequence[int] | None = None) -> pa.Table:
        """Per MMSI its latest position: ``mmsi, ts, lat, lon, sog_kn, cog_deg``."""

    def latest_names(self) -> dict[int, str]:
        """The latest non-blank broadcast name of every MMSI that has one."""

    def identity_variants(self) -> pa.Table:
        """One row per distinct (mmsi, imo, name, callsign, ship_type) with its longest
        length and first/last time: what screening compares with the lists."""

    def vessel_facts(self) -> pa.Table:
        """Per MMSI: latest identity, all names/IMOs/call signs, first/last seen, positions."""

    def evidence(self, windows: pa.Table, *, per_event: int) -> list[dict[str, Any]]:
        """Stored records inside each event window, traced to the stored file and row and to
        the ingested source (file, SHA-256); at most about ``per_event`` per event and MMSI.

        ``windows``: ``event_no, event_id, mmsi, start, stop, identity_evidence``.
        """

    def overview(self) -> Overview:
        """Counts, time span and extent of the layers."""

    # -- events, vessels and other derived tables -----------------------------------------

    def events(
        self,
        *,
        types: Sequence[str] | None = None,
        mmsis: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
    ) -> pa.Table | None:
        """Stored events (None before detection ran), filtered by type, by MMSI (either
        side of a pair) and by event id; stored order kept."""

    def write_events(self, table: pa.Table) -> None:
        """Replace the events table."""

    def vessels(self) -> pa.Table | None:
        """The vessels table (None before it was built)."""

    def write_vessels(self, table: pa.Table) -> None:
        """Replace the vessels table."""

    def read_table(self, name: str) -> pa.Table | None:
        """Derived table ``name`` (None if it does not exist)."""

    def write_table(self, name: str, table: pa.Table) -> None:
        """Replace derived table ``name`` with ``table``."""

    def write_tables(self, tables: dict[str, pa.Table]) -> None:
        """Replace several derived tables at once: readers see all old or all new."""

    # -- ingest bookkeeping and writes ----------------------------------------------------

    def is_ingested(self, ingest_id: str) -> bool:
        """Whether a source with this id was ingested completely."""

    def log_ingest(self, record: dict[str, Any]) -> None:
        """Mark an ingest complete (a rerun of the same source is then a no-op)."""

    def ingest_log(self) -> pa.Table:
        """Every completed ingest (``INGEST_LOG`` columns), oldest first."""

    def add_rejects(self, ingest_id: str, rejects: pa.Table) -> None:
        """Quarantine rejected records of one ingest."""

    def rejects(self, *, ingest_id: str | None = None) -> pa.Table:
        """Quarantined records (all, or of one ingest), by ingest and line."""

    def writer(self, layer: str, ingest_id: str) -> LayerWriter:
        """A streaming writer for one layer of one source; :meth:`discard` if it fails."""

    def discard(self, ingest_id: str) -> None:
        """Remove the rows and rejects of an ingest that did not finish."""
