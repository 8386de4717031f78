"""The CLI's error contract: every command, given missing or invalid arguments, exits 2
(usage) or 1 (error) with one line on stderr and no traceback; ``--debug`` shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from watchkeeper.cli import app, main


def _leaves() -> list[tuple[list[str], set[str]]]:
    """Every command path with the names of its required parameters."""
    out: list[tuple[list[str], set[str]]] = []

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            params = getattr(cmd, "params", [])
            out.append((path, {p.name for p in params if p.required}))

    walk(typer.main.get_command(app), [])
    return out


LEAVES = _leaves()
IDS = [" ".join(p) for p, _ in LEAVES]


def _run(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", ["watchkeeper", *args])
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    else:
        code = 0
    return code, capsys.readouterr().err


def _one_line(err: str) -> None:
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_every_command_is_listed() -> None:
    assert len(LEAVES) >= 16 and ["export", "events"] in [p for p, _ in LEAVES]


@pytest.mark.parametrize(("path", "required"), LEAVES, ids=IDS)
def test_unknown_option_is_a_usage_error(
    path: list[str],
    required: set[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _run([*path, "--no-such-option"], monkeypatch, capsys)
    assert code == 2
    _one_line(err)
    assert "--no-such-option" in err


@pytest.mark.parametrize(
    ("path", "required"), [x for x in LEAVES if x[1]], ids=[" ".join(p) for p, r in LEAVES if r]
)
def test_missing_required_argument_is_a_usage_error(
    path: list[str],
    required: set[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _run(path, monkeypatch, capsys)
    assert code == 2
    _one_line(err)


def test_no_command_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in ([], ["export"], ["lists"]):
        code, err = _run(args, monkeypatch, capsys)
        assert code == 2
        _one_line(err)


READERS = [p for p, req in LEAVES if "workspace" in req and p not in (["ingest"], ["lists", "add"])]


@pytest.mark.parametrize("path", READERS, ids=" ".join)
def test_read_commands_refuse_a_missing_workspace(
    path: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "mistyped"
    extra = {"report": ["-o", str(tmp_path / "r.html"), "--top", "1"]}.get(path[0], [])
    if path == ["evaluate"]:
        extra = ["--truth", str(tmp_path / "truth.parquet")]
    service = {
        ("publish",): ["--tlp", "amber", "--rel-to", "JPN", "--top", "1"],
        ("partners", "add"): ["JPN", "--name", "Japan"],
        ("partners", "revoke"): ["JPN"],
    }
    extra = service.get(tuple(path), extra)
    code, err = _run([*path, "-w", str(missing), *extra], monkeypatch, capsys)
    assert code == 1
    _one_line(err)
    assert not missing.exists()


@pytest.fixture
def small_ws(tmp_path: Path) -> Path:
    from _faults import multi_day_csv
    from watchkeeper.ingest.pipeline import ingest_files

    ws = tmp_path / "it's a workspace"  # a quote in the path reaches no SQL text unescaped
    ingest_files([multi_day_csv(tmp_path / "a.csv", rows=200, days=2)], ws)
    return ws


def test_errors_name_the_file_or_option(
    small_ws: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ws = str(small_ws)
    old = tmp_path / "old.csv"
    old.write_text("previous\n")
    code, err = _run(
        ["export", "positions", "-w", ws, "--format", "zz", "-o", str(old)], monkeypatch, capsys
    )
    assert code == 1 and "zz" in err
    _one_line(err)
    assert old.read_text() == "previous\n"  # a failed export leaves the old file alone
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    code, err = _run(
        ["detect", "-w", ws, "--ports", str(tmp_path / "nope.csv")], monkeypatch, capsys
    )
    assert code == 1 and "nope.csv" in err
    _one_line(err)


def test_output_into_a_new_folder_and_a_quoted_path(
    small_ws: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "new" / "folder" / "p.csv"
    code, err = _run(
        ["export", "positions", "-w", str(small_ws), "-o", str(out)], monkeypatch, capsys
    )
    assert code == 0, err
    assert len(out.read_text().splitlines()) == 1 + 200 - 3  # header + rows - 3 broken rows
    code, err = _run(["info", "-w", str(small_ws), "--json"], monkeypatch, capsys)
    assert code == 0, err


def test_debug_shows_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["watchkeeper", "info", "-w", str(tmp_path / "x"), "--debug"])
    with pytest.raises(Exception, match="no workspace"):
        main()
