"""Scenario simulator with ground truth, and the evaluation of a run against it (DESIGN §7).

>>> from watchkeeper.simulate import ScenarioConfig
>>> ScenarioConfig(seed=3).days
3.0
"""

from watchkeeper.simulate.evaluate import evaluate, load_truth, truth_as_results
from watchkeeper.simulate.generate import SimulationResult, build_world, simulate
from watchkeeper.simulate.scenario import ScenarioConfig, get_scenario

__all__ = [
    "ScenarioConfig",
    "SimulationResult",
    "build_world",
    "evaluate",
    "get_scenario",
    "load_truth",
    "simulate",
    "truth_as_results",
]
