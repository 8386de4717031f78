"""Ingest: stream sources into a workspace, quarantining bad input, idempotent per file.

This is the adapter between the pure readers (``nmea``, ``csv``, ``parquet``) and the
workspace: it fingerprints each file, skips files already ingested, streams chunks to
per-day Parquet, stores rejects and writes the ingest log last, all inside one workspace
transaction: readers see the whole ingest or none of it, and an interrupted run is rolled
back by the next ingest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from watchkeeper.errors import FormatError
from watchkeeper.ingest.csv import iter_csv
from watchkeeper.ingest.dedupe import KEY_COLUMNS, Deduper
from watchkeeper.ingest.identity_runs import IdentityRuns
from watchkeeper.ingest.jsonl import iter_json
from watchkeeper.ingest.nmea import iter_nmea
from watchkeeper.ingest.options import TimeOption, raise_first_reject
from watchkeeper.ingest.parquet import iter_parquet
from watchkeeper.ingest.sources import (
    Format,
    InflatingReader,
    LineReader,
    detect_format,
    open_source,
    sha256_file,
)
from watchkeeper.ingest.validate import make_rejects
from watchkeeper.schema import REJECTS, Decoded, RejectReason
from watchkeeper.store.workspace import Workspace

__all__ = [
    "DUPLICATE",
    "DUPLICATE_STATIC",
    "FileSummary",
    "ingest_file",
    "ingest_files",
    "iter_source",
]

#: ``skipped`` kinds: position reports and static reports heard twice, stored once.
DUPLICATE = "duplicate"
DUPLICATE_STATIC = "duplicate_static"

#: Called with (bytes read so far, total bytes) as a file streams in.
Progress = Callable[[int, int], None]


@dataclass
class FileSummary:
    """What happened to one source file."""

    file: str
    format: str
    sha256: str
    already_ingested: bool = False
    not_ingested: str | None = None  # why a file found in a folder was passed over
    positions: int = 0
    identities: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    replaced: bool = False  # an earlier ingest of the same file was replaced
    example: str | None = None  # the first rejected record: line, reason, detail, text

    @property
    def duplicates(self) -> int:
        """Position reports heard twice (another receiver, another file) and stored once."""
        return self.skipped[DUPLICATE]

    @property
    def n_rejects(self) -> int:
        """All rejected records."""
        return sum(self.rejects.values())

    @property
    def all_rejected(self) -> bool:
        """No position kept and some rejected: a wrong layout or mapping, mostly."""
        return self.positions == 0 and self.n_rejects > 0


def iter_source(
    path: Path,
    stream: InflatingReader,
    fmt: Format,
    *,
    time: TimeOption = None,
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
) -> Iterator[Decoded]:
    """Decoded chunks of one opened source, by format."""
    name = str(path)
    if fmt == "nmea":
        yield from iter_nmea(LineReader(stream), file=name, time=time)
    elif fmt == "csv":
        yield from iter_csv(stream, file=name, columns=columns, layout=layout)
    elif fmt == "json":
        yield from iter_json(stream, file=name, columns=columns, layout=layout)
    else:
        yield from iter_parquet(path, file=name)


def ingest_file(
    ws: Workspace,
    path: str | Path,
    *,
    fmt: Format | None = None,
    time: TimeOption = None,
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
    strict: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> FileSummary:
    """Ingest one file into ``ws``; a file already ingested (same SHA-256) adds nothing.

    ``replace`` re-ingests such a file (e.g. with a corrected ``layout`` or ``columns``):
    its earlier rows, rejects and log entry are removed first (:meth:`Workspace.forget`).
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    digest = sha256_file(path)
    fmt = fmt or detect_format(path)
    summary = FileSummary(file=str(path), format=fmt, sha256=digest)
    ingest_id = digest[:32]
    replaced = replace and ws.is_ingested(ingest_id)
    with ws.ingest_transaction(ingest_id, replace=replace) as needed:
        if not needed:
            summary.already_ingested = True
            return summary
        summary.replaced = replaced
        started = datetime.now(UTC)
        try:
            _stream_into(
                ws, path, _Reader(fmt, time, columns, layout), ingest_id, summary, strict, progress
            )
        except FormatError as exc:
            if str(path) in str(exc):
                raise
            raise FormatError(f"{path}: {exc}") from exc  # say which file, always
        ws.log_ingest(
            {
                "ingest_id": ingest_id,
                "file": str(path.resolve()),
                "sha256": digest,
                "size_bytes": path.stat().st_size,
                "format": fmt,
                "started": started,
                "n_positions": summary.positions,
                "n_identities": summary.identities,
                "n_rejects": summary.n_rejects,
                "skipped": dict(summary.skipped),
                "rejects_by_reason": dict(summary.rejects),
            }
        )
    return summary


@dataclass(frozen=True)
class _Reader:
    """How to read one source: its format and the reader options."""

    fmt: Format
    time: TimeOption
    columns: Mapping[str, str] | None
    layout: str | None


def _stream_into(
    ws: Workspace,
    path: Path,
    reader: _Reader,
    ingest_id: str,
    summary: FileSummary,
    strict: bool,
    progress: Progress | None,
) -> None:
    total = path.stat().st_size
    pos_out = ws.writer("positions", ingest_id)
    ids_out = ws.writer("identities", ingest_id)
    dedupe = Deduper(_stored_day(ws))
    runs = IdentityRuns()
    rejects = _RejectBuffer(ws, ingest_id)
    stream, _, _ = open_source(path, str(path))
    try:
        chunks = iter_source(
            path,
            stream,
            reader.fmt,
            time=reader.time,
            columns=reader.columns,
            layout=reader.layout,
        )
        for chunk in chunks:
            if strict:
                raise_first_reject(chunk)
            if summary.example is None and chunk.rejects.num_rows:
                summary.example = _example(chunk.rejects)
            pos_out.write(dedupe.keep(chunk.positions))
            ids_out.write(runs.add(chunk.identities))
            rejects.add(chunk.rejects)
            summary.rejects.update(chunk.reject_counts())
            summary.skipped.update(chunk.skipped)
            if progress is not None:
                progress(stream.bytes_read, total)
        ids_out.write(runs.flush())
        rejects.flush()
        if stream.truncated is not None and not summary.rejects[RejectReason.TRUNCATED.value]:
            _record_truncation(ws, ingest_id, summary, str(path), stream.truncated, strict)
    finally:
        stream.close()
        pos_out.close()
        ids_out.close()
    summary.positions = pos_out.rows
    summary.identities = ids_out.rows
    for kind, n in ((DUPLICATE, dedupe.duplicates), (DUPLICATE_STATIC, runs.duplicates)):
        if n:
            summary.skipped[kind] += n


class _RejectBuffer:
    """Rejects of one file, written to the store in a few large batches.

    Each write opens the workspace's DuckDB file (~30-50 ms of open, insert and checkpoint,
    measured on the 1 M-line benchmark feed), so writing per chunk cost ~0.3 s per million
    lines; held up to ``limit`` rows (the reader's chunk size: memory stays bounded by the
    chunk, as for the rows themselves) they are written once per file in the usual case.
    Rejects are read back sorted by line, so batching changes nothing a reader sees.
    """

    def __init__(self, ws: Workspace, ingest_id: str, limit: int = 100_000) -> None:
        self.ws, self.ingest_id, self.limit = ws, ingest_id, limit
        self.tables: list[pa.Table] = []
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        """Hold ``table``; write what is held once ``limit`` rows are reached."""
        if table.num_rows:
            self.tables.append(table.cast(REJECTS))
            self.rows += table.num_rows
            if self.rows >= self.limit:
                self.flush()

    def flush(self) -> None:
        """Write what is held (one store call)."""
        if self.tables:
            self.ws.add_rejects(self.ingest_id, pa.concat_tables(self.tables))
            self.tables, self.rows = [], 0


def _stored_day(ws: Workspace) -> Callable[[int], pa.Table | None]:
    """Loads the positions a workspace already holds for a day (None when it has none)."""
    days = set(ws.days("positions"))  # before this ingest writes: its own rows are in memory

    def load(day_no: int) -> pa.Table | None:
        start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day_no)
        if start.date().isoformat() not in days:
            return None
        return ws.positions(start=start, end=start + timedelta(days=1), columns=KEY_COLUMNS)

    return load


def _example(rejects: pa.Table) -> str:
    """The first reject of a chunk as one line: where, why, and the record itself."""
    row = rejects.slice(0, 1).to_pylist()[0]
    where = f"line {row['line']}" if row["line"] is not None else "end of file"
    detail = f" ({row['detail']})" if row["detail"] else ""
    raw = (row["raw"] or "")[:200]
    return f"{where}: {row['reason']}{detail}: {raw}"


def _record_truncation(
    ws: Workspace, ingest_id: str, summary: FileSummary, file: str, detail: str, strict: bool
) -> None:
    rejects = make_rejects(file, [None], [RejectReason.TRUNCATED.value], [None], [detail])
    if strict:
        raise_first_reject(Decoded(rejects=rejects))
    ws.add_rejects(ingest_id, rejects)
    summary.rejects[RejectReason.TRUNCATED.value] += 1


def ingest_files(
    paths: Sequence[str | Path],
    workspace: Workspace | str | Path,
    *,
    fmt: Format | None = None,
    time: TimeOption = None,
    columns: Mapping[str, str] | None = None,
    layout: str | None = None,
    strict: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> list[FileSummary]:
    """Ingest several files (folders are walked for regular files) into a workspace.

    >>> import tempfile
    >>> ingest_files([], tempfile.mkdtemp())
    []
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    out: list[FileSummary] = []
    for path, walked in _expand(paths):
        try:
            summary = ingest_file(
                ws,
                path,
                fmt=fmt,
                time=time,
                columns=columns,
                layout=layout,
                strict=strict,
                replace=replace,
                progress=progress,
            )
        except FormatError as exc:
            if not walked or strict:
                raise
            # A folder may hold READMEs and licences beside the data: pass over, say so.
            summary = FileSummary(file=str(path), format="-", sha256="", not_ingested=str(exc))
        out.append(summary)
    return out


def _expand(paths: Sequence[str | Path]) -> list[tuple[Path, bool]]:
    """Files to ingest, each with whether it was found by walking a folder."""
    out: list[tuple[Path, bool]] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            out.extend((f, True) for f in found)
        else:
            out.append((p, False))
    return out
