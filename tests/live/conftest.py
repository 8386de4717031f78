"""A small simulated scenario for the live tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig, TrafficConfig

#: Two days (the simulator's shortest), a handful of background ships, every planted case.
TINY = TrafficConfig(n_cargo=4, n_tanker=3, n_fishing=3, n_pair_trawl=1, n_reefer=1, n_bunker=1)


@pytest.fixture(scope="session")
def live_sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output folder of the tiny scenario (traffic.nmea, truth.json)."""
    out = tmp_path_factory.mktemp("live_sim")
    simulate(ScenarioConfig(seed=5, days=2.0, traffic=TINY), out)
    return out
