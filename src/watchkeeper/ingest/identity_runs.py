"""Identity reports into runs: one identity model for every format.

An AIS receiver hears a ship's static data (types 5, 19, 24) every 6 minutes; a
MarineCadastre-style CSV repeats the same static fields on every position row. Both are
*reports* of an identity, and the detectors judge them by how often a value was reported in a
row (``min_reports``). Storing every CSV row as an identity row would double a day of
positions, and storing only the changes (as before) loses the evidence. So every format is
stored the same way: one row per **run** of identical reports of one MMSI (same static
fields, same message type, same UTC day, consecutive in the file), with ``ts`` the first
report, ``ts_last`` the last and ``n_reports`` how many. A detector that counts reports sums
``n_reports`` over consecutive rows of a value (``detect.identity_change.stable_changes``),
which is exactly the count the single reports would give.

Runs are cut at UTC midnight so that a row lives in the day file of its reports and windowed
detection reads it with its day. A static message repeating the previous report of its run
within :data:`DUPLICATE_WITHIN_MS` (the same broadcast heard by a second receiver) is not
counted again and is counted as ``duplicate_static`` in the ingest summary. A table row
counts once per row: a CSV row stored twice is one duplicate *position*, and its identity
report is counted twice (MarineCadastre publishes deduplicated rows: 2 copies in 99,999).

>>> from datetime import datetime, UTC
>>> from watchkeeper.schema import IDENTITIES
>>> t = [datetime(2024, 3, 4, 0, m, tzinfo=UTC) for m in (0, 6, 12)]
>>> rows = [{"mmsi": 1, "ts": x, "ts_last": x, "n_reports": 1, "name": "A"} for x in t]
>>> runs = IdentityRuns()
>>> closed = runs.add(pa.Table.from_pylist(rows, schema=IDENTITIES))
>>> [(r["name"], r["n_reports"]) for r in runs.flush().to_pylist()]
[('A', 3)]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.ingest.csv_rows import static_key
from watchkeeper.schema import IDENTITIES, TIMESTAMP

__all__ = ["DUPLICATE_WITHIN_MS", "IdentityRuns", "collapse_runs"]

#: Two copies of one broadcast are stamped by their receivers' clocks, which agree to the
#: second on NTP/GNSS-disciplined stations (tag-block ``c:`` and MarineCadastre times have a
#: 1 s resolution); a real new static report comes 6 min later (ITU-R M.1371).
DUPLICATE_WITHIN_MS = 1000
_MS_PER_DAY = 86_400_000

Ints = npt.NDArray[np.int64]


def _keys(ids: pa.Table) -> Ints:
    """One value per row standing for its static fields and message type: equal values for
    equal keys (the key strings' dictionary codes: no Python string per row)."""
    key = pc.fill_null(static_key(ids), "\x00")
    kind = pc.fill_null(pc.cast(ids.column("msg_type"), pa.string()), "")
    joined = pc.binary_join_element_wise(key, kind, "\x1e")
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    codes = pc.dictionary_encode(joined).indices
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)


def _ms(col: pa.ChunkedArray | pa.Array) -> Ints:
    return np.asarray(pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def collapse_runs(ids: pa.Table) -> tuple[pa.Table, int]:
    """Consecutive rows of one MMSI with the same key and day as one run (sorted by MMSI,
    file order within each), and the number of duplicate reports that were not counted.

    ``ids`` is an ``identities`` table in file order whose rows are single reports or runs.
    """
    n = ids.num_rows
    if n == 0:
        return ids, 0
    mmsi = ids.column("mmsi").to_numpy().astype(np.int64)
    t0, t1 = _ms(ids.column("ts")), _ms(ids.column("ts_last"))
    count = np.asarray(ids.column("n_reports").to_numpy(zero_copy_only=False), dtype=np.int64)
    order = np.argsort(mmsi, kind="stable")
    m, k, d = mmsi[order], _keys(ids)[order], t0[order] // _MS_PER_DAY
    s0, s1, c = t0[order], t1[order], count[order]
    new = np.r_[True, (m[1:] != m[:-1]) | (k[1:] != k[:-1]) | (d[1:] != d[:-1])]
    # A broadcast heard twice: a message (not a table row, whose copies are position
    # duplicates) repeating its run's last report within the receivers' clock agreement.
    heard = ~pc.is_null(ids.column("msg_type")).to_numpy(zero_copy_only=False)[order]
    near = np.abs(s0[1:] - s1[:-1]) <= DUPLICATE_WITHIN_MS
    dup = np.r_[False, ~new[1:] & heard[1:] & near]
    starts = np.flatnonzero(new)
    runs = ids.take(pa.array(order[starts]))
    columns = {
        "ts": pa.array(np.minimum.reduceat(s0, starts)).cast(TIMESTAMP),
        "ts_last": pa.array(np.maximum.reduceat(s1, starts)).cast(TIMESTAMP),
        "n_reports": pa.array(np.add.reduceat(c - dup, starts).astype(np.int32)),
    }
    for name, col in columns.items():
        runs = runs.set_column(runs.schema.get_field_index(name), name, col)
    return runs.cast(ids.schema), int(dup.sum())


class IdentityRuns:
    """Streams identity rows (reports or runs, chunk by chunk in file order) into runs.

    Memory holds one open run per MMSI; a run is handed out when its MMSI reports another
    value, when the data has moved past its day, or at :meth:`flush`.
    """

    def __init__(self) -> None:
        self._open = IDENTITIES.empty_table()
        #: Static reports (AIS types 5, 19, 24) heard twice and counted once.
        self.duplicates = 0

    def add(self, ids: pa.Table) -> pa.Table:
        """The runs closed by this chunk of ``identities`` rows."""
        if ids.num_rows == 0:
            return IDENTITIES.empty_table()
        ids = ids.select(IDENTITIES.names).cast(IDENTITIES)
        here = pc.is_in(self._open.column("mmsi"), value_set=pc.unique(ids.column("mmsi")))
        held, rest = self._open.filter(here), self._open.filter(pc.invert(here))
        runs, dups = collapse_runs(pa.concat_tables([held, ids]))
        self.duplicates += dups
        m = runs.column("mmsi").to_numpy()
        last = np.r_[m[1:] != m[:-1], True]
        day = int(_ms(ids.column("ts")).min()) // _MS_PER_DAY
        stale = _ms(rest.column("ts")) // _MS_PER_DAY < day
        self._open = pa.concat_tables([rest.filter(pa.array(~stale)), runs.filter(pa.array(last))])
        return pa.concat_tables([runs.filter(pa.array(~last)), rest.filter(pa.array(stale))])

    def flush(self) -> pa.Table:
        """Every run still open (the end of the file)."""
        out, self._open = self._open, IDENTITIES.empty_table()
        return out
