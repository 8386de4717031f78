"""Same seed, same bytes; another seed, another scenario."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from watchkeeper.errors import ConfigError
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import ScenarioConfig

Make = Callable[..., ScenarioConfig]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes(sim_dir: Path, tmp_path: Path, make_config: Make) -> None:
    simulate(make_config(), tmp_path)
    for name in ("traffic.nmea", "traffic.csv", "truth.json", "sanctions.ftm.json"):
        assert _digest(tmp_path / name) == _digest(sim_dir / name), name


def test_planted_parameters_vary_with_seed(
    sim_dir: Path, tmp_path: Path, make_config: Make
) -> None:
    simulate(make_config(seed=12), tmp_path)

    def planted(path: Path) -> list[tuple[str, str, float]]:
        doc = json.loads((path / "truth.json").read_text())
        return [(e["case"], e["start"], e["lat"]) for e in doc["events"] if e["case"]]

    a, b = planted(sim_dir), planted(tmp_path)
    assert {c for c, _, _ in a} == {c for c, _, _ in b}
    assert not set(a) & set(b)


def test_invalid_config_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        ScenarioConfig(days=1)
    with pytest.raises(ConfigError):
        ScenarioConfig(scale=0)
