"""List versions in a workspace: newer replaces older, history kept, re-adding is a no-op."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from watchkeeper import Workspace
from watchkeeper.context.sanctions import add_list, current_entities, list_versions
from watchkeeper.context.sanctions.model import ListEntity, ListFile


def _version(tmp_path: Path, tag: str, when: date | None, names: list[str]) -> ListFile:
    f = tmp_path / f"list-{tag}.json"
    f.write_text(tag)  # the version id hashes the file bytes
    ents = tuple(
        ListEntity(entity_id=f"t:{n}", source="test", schema="Vessel", name=n, list_date=when)
        for n in names
    )
    return ListFile("test", when, ents, (str(f),))


def test_newer_replaces_older_and_history_is_kept(workspace: Workspace, tmp_path: Path) -> None:
    old = _version(tmp_path, "a", date(2021, 1, 1), ["ALPHA", "BRAVO"])
    new = _version(tmp_path, "b", date(2022, 1, 1), ["CHARLIE"])
    assert add_list(workspace, new)["added"]
    assert add_list(workspace, old)["added"]  # added later, but older: history only
    assert current_entities(workspace)["name"].to_pylist() == ["CHARLIE"]
    versions = list_versions(workspace)
    assert versions.num_rows == 2
    assert versions["current"].to_pylist() == [True, False]
    history = workspace.read_table("list_entities_history")
    assert history is not None and sorted(history["name"].to_pylist()) == [
        "ALPHA",
        "BRAVO",
        "CHARLIE",
    ]


def test_readding_is_a_noop(workspace: Workspace, tmp_path: Path) -> None:
    listed = _version(tmp_path, "a", None, ["ALPHA"])
    assert add_list(workspace, listed)["added"]
    assert not add_list(workspace, listed)["added"]
    assert list_versions(workspace).num_rows == 1


def test_undated_versions_latest_added_wins(workspace: Workspace, tmp_path: Path) -> None:
    add_list(workspace, _version(tmp_path, "a", None, ["ALPHA"]))
    add_list(workspace, _version(tmp_path, "b", None, ["BRAVO"]))
    assert current_entities(workspace)["name"].to_pylist() == ["BRAVO"]


def test_sources_are_independent(workspace: Workspace, shared_data: Path, tmp_path: Path) -> None:
    from watchkeeper.context.sanctions import read_list

    add_list(workspace, read_list(shared_data / "sanctions/ofac-sdn-2021/sdn.csv"))
    add_list(workspace, _version(tmp_path, "a", None, ["ALPHA"]))
    vessels = current_entities(workspace, vessels_only=True)
    assert vessels.num_rows == 406 + 1


def test_empty_workspace(workspace: Workspace) -> None:
    assert current_entities(workspace).num_rows == 0
    assert list_versions(workspace).num_rows == 0
