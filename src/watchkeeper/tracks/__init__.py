"""Tracks: clean, segment (one MMSI, several ships) and resample positions."""

from watchkeeper.tracks.clean import CleanParams, clean
from watchkeeper.tracks.resample import RESAMPLED, ResampleParams, resample
from watchkeeper.tracks.segment import SegmentParams, adjusted_rand_index, segment

__all__ = [
    "RESAMPLED",
    "CleanParams",
    "ResampleParams",
    "SegmentParams",
    "adjusted_rand_index",
    "clean",
    "resample",
    "segment",
]
