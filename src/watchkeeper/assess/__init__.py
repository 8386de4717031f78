"""Assess stage: sanctions screening, explainable vessel risk and the vessels table."""

from watchkeeper.assess.risk import RiskWeights
from watchkeeper.assess.screen import ScreenParams, screen
from watchkeeper.assess.vessels import build_vessels, screen_workspace, write_vessels

__all__ = [
    "RiskWeights",
    "ScreenParams",
    "build_vessels",
    "screen",
    "screen_workspace",
    "write_vessels",
]
