"""Static fields of a vessel as known at a time: the as-of join of positions to identities.

Identity reports arrive every few minutes and often carry only some fields (a class B part A
has only the name), so each field is first carried forward within its MMSI; a position then
takes the latest identity at or before its time, or, before the first one, the first after.
Vectorised with numpy ``searchsorted`` on an (MMSI group, time) key.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["IdentityAsOf"]

_TIME_BITS = 42  # 2**42 ms = 139 years of span inside one int64 key with 2**21 MMSIs


def _ms(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _ffill_index(valid: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per row, the index of the latest valid row of its group at or before it (-1: none)."""
    idx = np.where(valid, np.arange(len(valid)), -1)
    idx = np.maximum.accumulate(idx) if len(idx) else idx
    return np.where(idx >= starts, idx, -1)


class IdentityAsOf:
    """Look up identity fields for (mmsi, ts) pairs.

    >>> import pyarrow as pa
    >>> from watchkeeper.schema import IDENTITIES
    >>> ids = pa.table({"mmsi": [1], "ts": pa.array([0], pa.int64()).cast(pa.timestamp("ms")),
    ...                 "name": ["A"]})
    >>> IdentityAsOf(ids, ["name"]).lookup([1, 2], [5, 5]).column("name").to_pylist()
    ['A', None]
    """

    def __init__(self, identities: pa.Table, fields: list[str]) -> None:
        ids = identities.select(["mmsi", "ts", *fields])
        ids = ids.filter(pc.and_(pc.is_valid(ids.column("mmsi")), pc.is_valid(ids.column("ts"))))
        ids = ids.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
        mmsi = ids.column("mmsi").to_numpy()
        self._mmsis = np.unique(mmsi)
        self._gid = np.searchsorted(self._mmsis, mmsi)
        self._ts = _ms(ids.column("ts"))
        starts = np.searchsorted(self._gid, self._gid, side="left")
        self._fields = {f: self._filled(ids.column(f), starts) for f in fields}

    @staticmethod
    def _filled(col: pa.ChunkedArray, starts: np.ndarray) -> pa.Array:
        col = col.combine_chunks()
        src = _ffill_index(np.asarray(pc.is_valid(col)).astype(bool), starts)
        return col.take(pa.array(src, mask=src < 0))

    def _keys(self, gid: np.ndarray, ts: np.ndarray, t0: int) -> np.ndarray:
        rel = np.clip(ts - t0, 0, (1 << _TIME_BITS) - 1)
        keys: np.ndarray = (gid.astype(np.int64) << _TIME_BITS) | rel
        return keys

    def lookup(self, mmsi: np.ndarray | list[int], ts: np.ndarray | list[int]) -> pa.Table:
        """The fields for each (mmsi, ts in ms since epoch); nulls for unknown MMSIs."""
        pm = np.asarray(mmsi, dtype=np.int64)
        pt = np.asarray(ts, dtype=np.int64)
        n_ids = len(self._ts)
        if n_ids == 0 or len(pm) == 0:
            return pa.table({f: pa.nulls(len(pm), c.type) for f, c in self._fields.items()})
        k = np.searchsorted(self._mmsis, pm)
        kk = np.minimum(k, len(self._mmsis) - 1)
        found = self._mmsis[kk] == pm
        t0 = int(min(self._ts.min(), pt.min()))
        j = (
            np.searchsorted(self._keys(self._gid, self._ts, t0), self._keys(kk, pt, t0), "right")
            - 1
        )
        jj = np.maximum(j, 0)
        before = (j >= 0) & (self._gid[jj] == kk)
        first = np.minimum(np.searchsorted(self._gid, kk, side="left"), n_ids - 1)
        row = np.where(before, jj, first)
        take = pa.array(row, mask=~found)
        return pa.table({f: c.take(take) for f, c in self._fields.items()})
