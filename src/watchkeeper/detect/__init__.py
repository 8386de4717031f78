"""Detectors: one module per event type, pure functions over tracks; ``registry`` declares
them, ``plan`` cuts a run into windows, ``run`` executes the plan over a workspace."""

from watchkeeper.detect.ais_gap import GapParams, detect_gaps
from watchkeeper.detect.encounter import EncounterParams, detect_encounters
from watchkeeper.detect.loitering import LoiterParams, detect_loitering
from watchkeeper.detect.params import DetectParams, describe, load_params
from watchkeeper.detect.registry import REGISTRY, DetectorSpec, EventType
from watchkeeper.detect.run import detect_all, detect_workspace

__all__ = [
    "REGISTRY",
    "DetectParams",
    "DetectorSpec",
    "EncounterParams",
    "EventType",
    "GapParams",
    "LoiterParams",
    "describe",
    "detect_all",
    "detect_encounters",
    "detect_gaps",
    "detect_loitering",
    "detect_workspace",
    "load_params",
]
