"""Parameters of a run: every one listed with a source, a params file overrides any of them,
unknown keys and inconsistent values are refused, and a params file changes a result."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from watchkeeper import Workspace
from watchkeeper.cli import app
from watchkeeper.detect import DetectParams, describe, load_params
from watchkeeper.detect.params import apply, to_toml
from watchkeeper.detect.registry import ENCOUNTER, REGISTRY
from watchkeeper.errors import ConfigError
from watchkeeper.tracks import ResampleParams
from watchkeeper.tracks.build import concat, stationary


def test_every_parameter_is_listed_with_its_source() -> None:
    listed = {p.name: p for p in describe()}
    for s in REGISTRY:
        assert any(name.startswith(f"{s.type}.") for name in listed), s.type
    assert listed["encounter.max_distance_m"].default == 500.0
    assert "GFW" in listed["encounter.max_distance_m"].source
    assert listed["resample.step_s"].source.startswith("GFW encounters")
    assert "spoofing.gate.max_speed_kn" in listed  # nested dataclasses too
    unsourced = [name for name, p in listed.items() if not p.source]
    assert not unsourced, f"parameters without a source: {unsourced}"


def test_the_printed_params_are_a_params_file_giving_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(to_toml(), "utf-8")
    assert load_params(path) == DetectParams()
    res = CliRunner().invoke(app, ["params"])
    assert res.exit_code == 0 and "[encounter]\n" in res.output
    assert "\nmax_distance_m = 500.0\n" in res.output


def test_a_params_file_overrides_nested_values(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        "window_positions = 1000\n[encounter]\nmax_distance_m = 300\n"
        "[spoofing.gate]\nmax_speed_kn = 30\n[anchorages]\nmin_vessels = 5\n",
        "utf-8",
    )
    p = load_params(path)
    assert p.window_positions == 1000 and p.anchorages.min_vessels == 5
    assert p.of(ENCOUNTER).max_distance_m == 300.0
    assert p.detectors["spoofing"].gate.max_speed_kn == 30.0
    assert p.detectors["loitering"] == DetectParams().detectors["loitering"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"encounter": {"max_distanse_m": 3}}, "max_distanse_m"),
        ({"encounters": {"max_distance_m": 3}}, "encounters"),
        ({"window_positions": "many"}, "window_positions"),
        ({"encounter": {"step_s": 300}}, "resample.step_s"),
        ({"pre_halo_h": 1.0, "post_halo_h": 1.0}, "min_gap_h"),
    ],
)
def test_bad_params_are_refused_with_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply(DetectParams(), data)


def test_cross_checks_accept_a_consistent_step() -> None:
    p = apply(DetectParams(), {"resample": {"step_s": 300}, "encounter": {"step_s": 300}})
    assert p.resample == ResampleParams(step_s=300)


def test_a_params_file_changes_a_result(workspace: Workspace, tmp_path: Path) -> None:
    # two vessels 111 m apart for 4 h: an encounter at 500 m, none at 100 m
    w = workspace.writer("positions", "pair")
    a = stationary(1, "2024-01-01T08:00", 30.0, 150.0, hours=4)
    w.write(concat(a, stationary(2, "2024-01-01T08:00", 30.001, 150.0, hours=4)))
    w.close()
    runner, ws = CliRunner(), str(workspace.path)
    near = tmp_path / "near.toml"
    near.write_text("[encounter]\nmax_distance_m = 100\n", "utf-8")
    counts = []
    for extra in ([], ["--params", str(near)]):
        res = runner.invoke(app, ["detect", "-w", ws, *extra])
        assert res.exit_code == 0, res.output
        events = workspace.read_table("events")
        assert events is not None
        counts.append(events.column("type").to_pylist().count("encounter"))
    assert counts == [1, 0]


def test_a_bad_params_file_is_a_usage_error(workspace: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[encounter]\nmax_distanse_m = 100\n", "utf-8")
    res = CliRunner().invoke(app, ["detect", "-w", str(workspace.path), "--params", str(bad)])
    assert res.exit_code == 2
    assert "max_distanse_m" in res.output
