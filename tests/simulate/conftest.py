"""A small simulated scenario shared by the simulator tests (generated once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watchkeeper.simulate.generate import World, build_world, simulate
from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig

SMALL = TrafficConfig(n_cargo=14, n_tanker=8, n_fishing=10, n_pair_trawl=2, n_reefer=1, n_bunker=2)


def small_config(seed: int = 11) -> ScenarioConfig:
    """Three days, a small background fleet, every planted case."""
    return ScenarioConfig(seed=seed, days=3.0, traffic=SMALL)


@pytest.fixture(scope="session")
def make_config() -> Callable[..., ScenarioConfig]:
    """The small scenario's config for a given seed."""
    return small_config


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output folder of the small scenario."""
    out = tmp_path_factory.mktemp("sim")
    simulate(small_config(), out)
    return out


@pytest.fixture(scope="session")
def world() -> World:
    """The same scenario's hulls and plans (rebuilt: building is deterministic)."""
    return build_world(small_config())
