"""Screening on the project's simulated scenarios: planted sanctioned ships and decoys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watchkeeper.assess.screen import screen, vessel_identities
from watchkeeper.context.sanctions.ftm import read_ftm
from watchkeeper.context.sanctions.model import entities_table
from watchkeeper.ingest.csv import read_csv
from watchkeeper.simulate.generate import simulate
from watchkeeper.simulate.scenario import get_scenario


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_simulated_sanctions_precision_recall(seed: int, tmp_path: Path) -> None:
    simulate(get_scenario("east-china-sea", seed=seed, days=2.0, scale=0.3), tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())
    sanctioned = {v["mmsi"] for v in truth["vessels"] if v["sanctioned"]}
    decoys = {v["mmsi"] for v in truth["vessels"] if v["decoy"]}
    decoded = read_csv(tmp_path / "traffic.csv")
    vessels = vessel_identities(decoded.identities, decoded.positions["mmsi"].unique().to_pylist())
    hits = screen(vessels, entities_table(read_ftm(tmp_path / "sanctions.ftm.json").entities))
    matched = {h["mmsi"] for h in hits.to_pylist() if h["level"] == "match"}
    assert sanctioned and decoys
    assert matched == sanctioned  # precision and recall 1.0 at match
    assert not matched & decoys  # no look-alike above review
