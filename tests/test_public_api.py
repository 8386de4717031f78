"""The public surface is explicit and stable: each package's ``__all__`` is pinned here
(httpx's style), so adding or removing a public name is a deliberate change to this file."""

import importlib

import pytest

import watchkeeper

PUBLIC = {
    "watchkeeper": [
        "ConfigError",
        "Decoded",
        "FileSummary",
        "FormatError",
        "InputError",
        "LandMaskError",
        "MemoryStore",
        "NotFoundError",
        "Store",
        "StrictInputError",
        "WatchkeeperError",
        "Workspace",
        "WorkspaceError",
        "WorkspaceLockedError",
        "__version__",
        "ingest_files",
        "read_csv",
        "read_json",
        "read_nmea",
        "read_parquet",
    ],
    "watchkeeper.ingest": [
        "FileSummary",
        "PRESETS",
        "ingest_files",
        "read_csv",
        "read_json",
        "read_nmea",
        "read_parquet",
    ],
    "watchkeeper.store": ["BBox", "LayerWriter", "MemoryStore", "Overview", "Store", "Workspace"],
    "watchkeeper.tracks": [
        "CleanParams",
        "RESAMPLED",
        "ResampleParams",
        "SegmentParams",
        "adjusted_rand_index",
        "clean",
        "resample",
        "segment",
    ],
    "watchkeeper.context": ["flag_of", "is_sts_candidate", "vessel_class"],
    "watchkeeper.detect": [
        "DetectParams",
        "DetectorSpec",
        "EncounterParams",
        "EventType",
        "GapParams",
        "LoiterParams",
        "REGISTRY",
        "describe",
        "detect_all",
        "detect_encounters",
        "detect_gaps",
        "detect_loitering",
        "detect_workspace",
        "load_params",
    ],
    "watchkeeper.assess": [
        "RiskWeights",
        "ScreenParams",
        "build_vessels",
        "screen",
        "screen_workspace",
        "write_vessels",
    ],
    "watchkeeper.publish": [
        "export_events",
        "export_tracks",
        "write_geojson",
        "write_marinecadastre_csv",
        "write_positions_parquet",
    ],
    "watchkeeper.simulate": [
        "ScenarioConfig",
        "SimulationResult",
        "build_world",
        "evaluate",
        "get_scenario",
        "load_truth",
        "simulate",
        "truth_as_results",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_names_are_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == PUBLIC[package]
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name}"


def test_one_exception_root() -> None:
    for name in (
        "ConfigError",
        "FormatError",
        "InputError",
        "LandMaskError",
        "NotFoundError",
        "StrictInputError",
        "WorkspaceError",
        "WorkspaceLockedError",
    ):
        assert issubclass(getattr(watchkeeper, name), watchkeeper.WatchkeeperError)
