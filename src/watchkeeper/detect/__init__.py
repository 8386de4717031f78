"""Detectors: one module per event type, pure functions over tracks; ``run`` orchestrates."""

from watchkeeper.detect.ais_gap import GapParams, detect_gaps
from watchkeeper.detect.encounter import EncounterParams, detect_encounters
from watchkeeper.detect.loitering import LoiterParams, detect_loitering
from watchkeeper.detect.run import DetectParams, detect_all, detect_workspace

__all__ = [
    "DetectParams",
    "EncounterParams",
    "GapParams",
    "LoiterParams",
    "detect_all",
    "detect_encounters",
    "detect_gaps",
    "detect_loitering",
    "detect_workspace",
]
