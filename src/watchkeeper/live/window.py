"""Detection over the live window: the batch plan rerun over the last days of the store.

Each run takes the days that hold the last ``window_h`` hours of positions, makes the batch
detection plan over them (:func:`watchkeeper.detect.plan.make_plan`), learns the context and
runs every registered detector per plan window exactly as ``watchkeeper detect`` does. It is
a rerun over the sliding window, not incremental per-vessel state: the cost of a run grows
with the positions in the window, and the latency of an alert is the time to the next run's
end. When the store holds no more than the window, the events are those of batch ``detect``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from watchkeeper.detect.params import DetectParams
from watchkeeper.detect.plan import finish, make_plan
from watchkeeper.detect.run import learn_context, run_window
from watchkeeper.schema import EVENTS
from watchkeeper.store.workspace import Workspace

__all__ = ["WindowRun", "detect_window", "window_days"]


@dataclass(frozen=True)
class WindowRun:
    """The events of one run, where its data ends and where its window starts."""

    events: pa.Table
    data_end: datetime | None
    window_start: datetime | None


def window_days(day_counts: dict[str, int], data_end: datetime, window_h: float) -> dict[str, int]:
    """The days (with their counts) that hold the ``window_h`` hours before ``data_end``.

    >>> from datetime import UTC, datetime
    >>> window_days({"2024-03-03": 5, "2024-03-04": 7, "2024-03-05": 2},
    ...             datetime(2024, 3, 5, 6, tzinfo=UTC), 24.0)
    {'2024-03-04': 7, '2024-03-05': 2}
    """
    first = (data_end - timedelta(hours=window_h)).date().isoformat()
    return {d: n for d, n in day_counts.items() if d >= first}


def detect_window(ws: Workspace, params: DetectParams, window_h: float) -> WindowRun:
    """Every registered detector over the live window of ``ws`` (see the module docstring)."""
    data_end = ws.last_time("positions")
    if data_end is None:
        return WindowRun(EVENTS.empty_table(), None, None)
    days = window_days(ws.day_counts("positions"), data_end, window_h)
    plan = make_plan(days, data_end, params)
    context = learn_context(ws, plan, params)
    events = finish([run_window(ws, w, context, params) for w in plan.windows])
    return WindowRun(events, data_end, data_end - timedelta(hours=window_h))
