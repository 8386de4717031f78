"""Where was a vessel at a given time: as-of lookups of positions by MMSI (numpy, vectorised).

Identity reports carry no position; the identity and draught detectors place them with the
vessel's nearest position in time. Positions are indexed per MMSI in time order, whatever
track the segmenter gave them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from watchkeeper.detect._track import Cols, Floats, Ints

__all__ = ["ByMmsi"]


@dataclass(frozen=True)
class ByMmsi:
    """Positions ordered by (mmsi, time) for as-of lookups."""

    mmsi: Ints
    t: Floats
    lat: Floats
    lon: Floats
    sog: Floats

    @classmethod
    def of(cls, c: Cols) -> ByMmsi:
        """Reorder the columns of a tracks table by (mmsi, time)."""
        order = np.lexsort((c.t, c.mmsi))
        return cls(c.mmsi[order], c.t[order], c.lat[order], c.lon[order], c.sog[order])

    def span(self, mmsi: int) -> tuple[int, int]:
        """Index range [lo, hi) of one MMSI's positions."""
        lo, hi = np.searchsorted(self.mmsi, [mmsi, mmsi + 1])
        return int(lo), int(hi)

    def nearest(self, mmsi: int, t: float) -> int:
        """Index of the MMSI's position nearest in time to ``t``, -1 if it has none."""
        lo, hi = self.span(mmsi)
        if lo == hi:
            return -1
        k = lo + int(np.searchsorted(self.t[lo:hi], t))
        cand = [i for i in (k - 1, k) if lo <= i < hi]
        return min(cand, key=lambda i: abs(self.t[i] - t))

    def window(self, mmsi: int, t0: float, t1: float) -> tuple[int, int]:
        """Index range [lo, hi) of the MMSI's positions with t0 <= t <= t1."""
        lo, hi = self.span(mmsi)
        a = lo + int(np.searchsorted(self.t[lo:hi], t0, side="left"))
        b = lo + int(np.searchsorted(self.t[lo:hi], t1, side="right"))
        return a, b
