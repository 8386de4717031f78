"""Detection on a Dask cluster: the windows of a :mod:`.plan` run by ``distributed`` workers.

The same plan and the same pure steps as the local runner (:mod:`.run`), executed elsewhere:
the client makes the plan from the workspace's day counts; each worker opens the workspace
itself, read-only, from its path (the Parquet partitions on shared storage: nothing but the
path, a window and the parameters travels to it) and returns one window's share of the
context (first pass, :func:`~.run.window_context`), then, given the merged context, that
window's kept events (:func:`~.run.run_window`). The client stitches the parts with the same
:func:`~.plan.finish`, in window order, and writes ``events`` and the context through the
store in one transaction, as the local runner does: the tables are identical.

The units of work are those of the local runner: a window, or, for a window above
``unit_positions``, each of its MMSI groups (:func:`~.run.unit_context`, then
:func:`~.run.run_unit`, which leaves its slow resampled tracks in a scratch folder inside the
workspace, shared storage), then one pairwise task per split window
(:func:`~.run.pair_stage`: encounters tile by tile, dark STS over the groups' gaps). A worker
needs the memory of one unit, whatever the size of the day, and a big day keeps every worker
busy (``threads_per_worker=1``: a unit already uses DuckDB's threads).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from watchkeeper.detect.context import DetectionContext
from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.plan import Window, finish, make_plan
from watchkeeper.detect.run import (
    ContextPart,
    UnitResult,
    combine_parts,
    merge_context,
    pair_stage,
    run_unit,
    run_window,
    unit_context,
)
from watchkeeper.store import Workspace

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["dask_client", "detect_workspace_dask"]


def detect_workspace_dask(
    ws: Workspace, client: Client, *, params: DetectParams | None = None
) -> pa.Table:
    """Detect over every day of ``ws`` on the cluster of ``client`` (a
    ``distributed.Client``), write tables ``events`` (and the context) and return the events.

    Every worker must see the workspace at the same path as the client (a local cluster, or
    a network file system mounted at the same place on every machine).
    """
    params = params or DetectParams()
    plan = make_plan(ws.day_counts("positions"), ws.last_time("positions"), params)
    path = str(ws.path.resolve())
    units = [(w, g) for w in plan.windows for g in range(w.parts)]
    paths, windows, groups = [path] * len(units), [u[0] for u in units], [u[1] for u in units]
    shares: list[ContextPart] = client.gather(
        client.map(_context_part, paths, windows, groups, params=params, pure=False)
    )
    parts = [
        combine_parts(
            [p for (w, _), p in zip(units, shares, strict=True) if w.index == window.index]
        )
        for window in plan.windows
    ]
    context = merge_context(parts, params)
    shared = client.scatter(context, broadcast=True, hash=False)
    scratch = ws.path / _SCRATCH / uuid.uuid4().hex
    scratch.mkdir(parents=True)
    try:
        # futures: a group's result goes from its worker to the pairwise task, not the client
        done = client.map(
            _unit_events,
            paths,
            windows,
            groups,
            context=shared,
            params=params,
            scratch=str(scratch),
            pure=False,
        )
        kept = client.gather(
            [_window_part(client, w, units, done, shared, params) for w in plan.windows]
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    events = finish(kept)  # gathered in window order, as the local runner hands them
    # one transaction: an interrupted run leaves the previous events and context in place
    ws.write_tables({**context.to_tables(), "events": events})
    return events


#: Where the workers of a split window leave their slow tracks for the encounter tiles
#: (inside the workspace: shared storage that every worker and the client see).
_SCRATCH = ".detect-scratch"


def _window_part(
    client: Client,
    window: Window,
    units: list[tuple[Window, int]],
    done: list[Any],
    context: Any,
    params: DetectParams,
) -> Any:
    """The future of a window's kept events: its whole run, or the pairwise stage of its
    groups' results (futures, resolved on the worker that runs it)."""
    mine = [r for (w, _), r in zip(units, done, strict=True) if w.index == window.index]
    if window.parts == 1:
        return mine[0]
    return client.submit(pair_stage, window, mine, context, params, pure=False)


def _open(path: str) -> Workspace:
    """The workspace as a worker sees it: read-only (only the client writes)."""
    return Workspace(path, create=False, read_only=True)


def _context_part(path: str, window: Window, part: int, params: DetectParams) -> ContextPart:
    """First pass on a worker: one MMSI group's share of a window's context."""
    return unit_context(_open(path), window, part, params)


def _unit_events(
    path: str,
    window: Window,
    part: int,
    context: DetectionContext,
    params: DetectParams,
    scratch: str,
) -> pa.Table | UnitResult:
    """Second pass on a worker: a whole window's kept events (with their ``window`` column),
    or one MMSI group's share of a split window."""
    ws = _open(path)
    if window.parts == 1:
        return run_window(ws, window, context, params)
    return run_unit(ws, window, part, context, params, Path(scratch))


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None, *, workers: int | None = None, processes: bool = True
) -> Iterator[Client]:
    """A ``distributed.Client`` of the scheduler at ``scheduler`` (``tcp://host:8786``), or
    of a ``LocalCluster`` of ``workers`` single-threaded workers (default: one per core)
    when no address is given; closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,  # no dashboard; the scheduler's HTTP routes on a free port
            scheduler_kwargs={"dashboard_address": ":0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
