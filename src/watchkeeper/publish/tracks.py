"""Tracks: each vessel's positions as time-stamped lines, and their GeoJSON export.

A track is one MMSI's positions in time order, split into segments wherever the vessel was
silent for longer than ``TrackParams.split_gap_h``: a straight line drawn across a six-hour gap
would show a path that nobody observed. GeoJSON (RFC 7946) has no time per coordinate, so the
times go in ``properties.coordTimes`` (ISO 8601 UTC, one per coordinate; a list per line of a
``MultiLineString``), the convention of Mapbox ``togeojson`` that QGIS, geojson.io and
``gpxpy`` users know.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import ConfigError
from watchkeeper.publish._sink import Sink, open_sink
from watchkeeper.store.base import Store

__all__ = [
    "Segment",
    "Track",
    "TrackParams",
    "build_tracks",
    "iso_ms",
    "last_positions",
    "read_tracks",
    "track_features",
    "write_tracks_geojson",
]

# Store time ranges are half-open; ``read_tracks`` includes its end (times are stored in ms).
_INCLUSIVE = timedelta(microseconds=1)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrackParams:
    """How positions become tracks."""

    # DESIGN §3 ais_gap: silences of 6 h or more are gaps; do not draw a line across one.
    split_gap_h: float = 6.0
    # None keeps every point; a number thins each segment evenly (first and last kept), for
    # maps whose reader cannot draw hundreds of thousands of vertices.
    max_points: int | None = None

    def __post_init__(self) -> None:
        if self.split_gap_h <= 0:
            raise ConfigError(f"split_gap_h must be > 0, got {self.split_gap_h}")
        if self.max_points is not None and self.max_points < 2:
            raise ConfigError(f"max_points must be >= 2, got {self.max_points}")


@dataclass(frozen=True)
class Segment:
    """Consecutive positions without a gap: arrays of equal length, time in ms since epoch."""

    t_ms: Ints
    lat: Floats
    lon: Floats
    sog_kn: Floats  # NaN where not available


@dataclass(frozen=True)
class Track:
    """One MMSI's segments, in time order."""

    mmsi: int
    segments: tuple[Segment, ...]

    @property
    def n_points(self) -> int:
        """Positions over all segments."""
        return sum(len(s.t_ms) for s in self.segments)

    @property
    def start_ms(self) -> int:
        """Time of the first position."""
        return int(self.segments[0].t_ms[0])

    @property
    def end_ms(self) -> int:
        """Time of the last position."""
        return int(self.segments[-1].t_ms[-1])


def iso_ms(t_ms: int | np.integer[Any]) -> str:
    """ISO 8601 UTC with a ``Z`` (``2024-03-04T00:00:04Z``) for a time in ms since epoch."""
    return np.datetime_as_string(np.datetime64(int(t_ms), "ms"), unit="s") + "Z"


def _thin(n: int, max_points: int | None) -> Ints:
    if max_points is None or n <= max_points:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


def _segments(t: Ints, lat: Floats, lon: Floats, sog: Floats, p: TrackParams) -> Iterator[Segment]:
    cuts = np.flatnonzero(np.diff(t) > p.split_gap_h * 3_600_000) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(t)], strict=True):
        keep = lo + _thin(int(hi - lo), p.max_points)
        yield Segment(t[keep], lat[keep], lon[keep], sog[keep])


def build_tracks(positions: pa.Table, params: TrackParams | None = None) -> list[Track]:
    """Tracks of every MMSI in ``positions`` (POSITIONS columns), ordered by MMSI."""
    p = params or TrackParams()
    if positions.num_rows == 0:
        return []
    table = positions.select(["mmsi", "ts", "lat", "lon", "sog_kn"]).sort_by(
        [("mmsi", "ascending"), ("ts", "ascending")]
    )
    mmsi = table.column("mmsi").to_numpy()
    t = pc.cast(pc.cast(table.column("ts"), pa.timestamp("ms", tz="UTC")), pa.int64()).to_numpy()
    lat = table.column("lat").to_numpy()
    lon = table.column("lon").to_numpy()
    sog = pc.fill_null(pc.cast(table.column("sog_kn"), pa.float64()), np.nan).to_numpy()
    bounds = np.flatnonzero(np.diff(mmsi)) + 1
    tracks = []
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(mmsi)], strict=True):
        s = slice(int(lo), int(hi))
        segs = tuple(_segments(t[s], lat[s], lon[s], sog[s], p))
        tracks.append(Track(int(mmsi[lo]), segs))
    return tracks


def read_tracks(
    ws: Store,
    *,
    mmsis: Sequence[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    params: TrackParams | None = None,
) -> list[Track]:
    """Tracks from a store, optionally only some MMSIs and a time window (inclusive)."""
    stop = end + _INCLUSIVE if end is not None else None
    table = ws.positions(
        start=start, end=stop, mmsis=mmsis, columns=("mmsi", "ts", "lat", "lon", "sog_kn")
    )
    return build_tracks(table, params)


def last_positions(ws: Store, mmsis: Sequence[int] | None = None) -> pa.Table:
    """Per MMSI the latest position: ``mmsi, ts, lat, lon, sog_kn, cog_deg``."""
    return ws.last_positions(mmsis)


def _coords(seg: Segment) -> list[list[float]]:
    return [[float(x), float(y)] for x, y in zip(seg.lon, seg.lat, strict=True)]


def track_features(
    tracks: Sequence[Track], names: dict[int, str] | None = None
) -> Iterator[dict[str, Any]]:
    """GeoJSON Features: a LineString (or MultiLineString across gaps) with ``coordTimes``.

    RFC 7946 wants two positions or more in a LineString: a segment of one position (a
    vessel heard once between gaps) is listed in ``single_positions`` (``[lon, lat, time]``)
    instead; a track of such segments only is a Point or MultiPoint."""
    for tr in tracks:
        segs = [s for s in tr.segments if len(s.t_ms) >= 2]
        singles = [[*_coords(s)[0], iso_ms(s.t_ms[0])] for s in tr.segments if len(s.t_ms) == 1]
        times = [[iso_ms(t) for t in s.t_ms] for s in segs]
        coord_times: list[Any]
        geom: dict[str, Any]
        if not segs:
            points = [p[:2] for p in singles]
            one = len(points) == 1
            geom = (
                {"type": "Point", "coordinates": points[0]}
                if one
                else {
                    "type": "MultiPoint",
                    "coordinates": points,
                }
            )
            coord_times, singles = [p[2] for p in singles], []
            coord_times = coord_times[0] if one else coord_times
        elif len(segs) == 1:
            geom = {"type": "LineString", "coordinates": _coords(segs[0])}
            coord_times = times[0]
        else:
            geom = {"type": "MultiLineString", "coordinates": [_coords(s) for s in segs]}
            coord_times = times
        props = {
            "mmsi": tr.mmsi,
            "name": (names or {}).get(tr.mmsi),
            "start": iso_ms(tr.start_ms),
            "end": iso_ms(tr.end_ms),
            "n_points": tr.n_points,
            "n_segments": len(segs),
            "coordTimes": coord_times,
        }
        if singles:
            props["single_positions"] = singles
        yield {"type": "Feature", "id": f"MMSI-{tr.mmsi}", "geometry": geom, "properties": props}


def write_tracks_geojson(
    tracks: Sequence[Track], out: Sink, *, names: dict[int, str] | None = None
) -> int:
    """Write tracks as an RFC 7946 FeatureCollection; features written."""
    n = 0
    with open_sink(out) as stream:
        stream.write(b'{"type":"FeatureCollection","features":[\n')
        for feat in track_features(tracks, names):
            text = json.dumps(feat, separators=(",", ":"), ensure_ascii=False)
            stream.write(((",\n" if n else "") + text).encode("utf-8"))
            n += 1
        stream.write(b"\n]}\n")
    return n
