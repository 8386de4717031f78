"""``lists add`` with folders: every list file under them, companions and non-lists passed over."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from typer.testing import CliRunner

from watchkeeper import Workspace
from watchkeeper.cli import app
from watchkeeper.context.sanctions import current_entities
from watchkeeper.context.sanctions.read import list_paths

runner = CliRunner()


def _add(ws: Path, *paths: Path) -> str:
    result = runner.invoke(app, ["lists", "add", *map(str, paths), "-w", str(ws)])
    assert result.exit_code == 0, result.output
    return result.output


def _entities(ws: Path) -> pa.Table:
    return current_entities(Workspace(ws)).sort_by("entity_id")


def test_ofac_folder_equals_its_sdn_csv(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "sanctions/ofac-sdn-2021"
    out = _add(tmp_path / "a", folder)
    _add(tmp_path / "b", folder / "sdn.csv")
    assert out.count("added") == 1  # companions are read with sdn.csv, not on their own
    by_folder, by_file = _entities(tmp_path / "a"), _entities(tmp_path / "b")
    assert by_folder.num_rows > 0
    assert by_folder.equals(by_file)


def test_un_folder(shared_data: Path, tmp_path: Path) -> None:
    out = _add(tmp_path / "ws", shared_data / "sanctions/un-consolidated-2026")
    assert "UN_consolidated.xml" in out and "added" in out
    assert _entities(tmp_path / "ws").num_rows > 0


def test_readme_in_folder_is_passed_over(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    (folder / "ofac").mkdir(parents=True)
    (folder / "README.md").write_text("# Lists downloaded on 2026-01-01\n")
    for name in ("sdn.csv", "alt.csv"):
        (folder / "ofac" / name).symlink_to(shared_data / "sanctions/ofac-sdn-2021" / name)
    (folder / "orphan").mkdir()
    (folder / "orphan/add.csv").write_text("1,2\n")
    found = list_paths([folder])
    assert found.files == (folder / "ofac/sdn.csv",)
    assert [line.split(":")[0] for line in found.skipped] == [
        str(folder / "README.md"),
        str(folder / "orphan/add.csv"),
    ]
    out = _add(tmp_path / "ws", folder)
    assert "README.md: passed over" in out
    assert _entities(tmp_path / "ws").num_rows > 0


def test_whole_sanctions_folder(shared_data: Path) -> None:
    found = list_paths([shared_data / "sanctions", shared_data / "sanctions/ofac-sdn-2021/alt.csv"])
    assert [p.name for p in found.files] == ["sdn.csv", "UN_consolidated.xml"]
    assert found.skipped == ()
