"""Recognise a sanctions-list file by its content and read it with the right reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from watchkeeper.context.sanctions.ftm import read_ftm
from watchkeeper.context.sanctions.model import ListFile
from watchkeeper.context.sanctions.ofac import read_sdn_csv, read_sdn_xml
from watchkeeper.context.sanctions.un import read_un_xml
from watchkeeper.errors import FormatError

__all__ = ["OFAC_COMPANIONS", "ListPaths", "detect_format", "list_paths", "read_list"]

# Files read together with sdn.csv from its folder, never as lists of their own.
OFAC_COMPANIONS = frozenset({"alt.csv", "add.csv", "sdn_comments.csv"})
_SNIFF_BYTES = 4096


def detect_format(path: str | Path) -> str:
    """One of 'un_xml', 'ofac_xml', 'ofac_csv', 'ofac_companion', 'ftm'.

    Raises :class:`~watchkeeper.errors.FormatError` for anything else.
    """
    path = Path(path)
    if path.name.lower() in OFAC_COMPANIONS:
        return "ofac_companion"
    try:
        head = path.read_bytes()[:_SNIFF_BYTES].decode("latin-1")
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc
    if "<CONSOLIDATED_LIST" in head:
        return "un_xml"
    if "<sdnList" in head:
        return "ofac_xml"
    if head.lstrip().startswith("{"):
        return "ftm"
    first = head.split("\n", 1)[0]
    if first.split(",", 1)[0].strip().isdigit() and first.count(",") >= 11:
        return "ofac_csv"
    raise FormatError(
        f"{path}: not a recognised sanctions list (UN consolidated XML, OFAC sdn.csv or "
        "sdn.xml, FollowTheMoney JSON lines)"
    )


def read_list(
    path: str | Path, *, list_date: date | None = None, source: str | None = None
) -> ListFile:
    """Read one list file of any supported format (``source`` renames FtM datasets only).

    ``list_date`` dates a list that carries no date of its own (the OFAC legacy CSV, an FtM
    file without change dates); a list's own publication date (the UN's ``dateGenerated``,
    OFAC's ``Publish_Date``) is never overwritten by it."""
    fmt = detect_format(path)
    if fmt == "ofac_csv":
        return read_sdn_csv(path, list_date=list_date)
    readers = {
        "un_xml": lambda when: read_un_xml(path, list_date=when),
        "ofac_xml": lambda when: read_sdn_xml(path, list_date=when),
        "ftm": lambda when: read_ftm(path, source=source, list_date=when),
    }
    if fmt not in readers:
        raise FormatError(f"{path}: an OFAC companion file; give the sdn.csv next to it instead")
    own = readers[fmt](None)
    return readers[fmt](list_date) if own.list_date is None and list_date else own


@dataclass(frozen=True)
class ListPaths:
    """The list files to read, and one line per file passed over (and why)."""

    files: tuple[Path, ...]
    skipped: tuple[str, ...]


def list_paths(paths: list[Path]) -> ListPaths:
    """Expand the arguments of ``lists add`` into the list files to read, in order.

    A folder stands for every file under it (recursively, sorted) recognised as a list;
    other files in it are passed over with a message, never an error. An OFAC companion
    (alt.csv ...) stands for the sdn.csv next to it, which reads it: it is never a list of
    its own. A file named explicitly is read as given (a non-list fails in ``read_list``).
    """
    files: list[Path] = []
    skipped: list[str] = []
    for arg in paths:
        for path, why in _expand(arg) if arg.is_dir() else [(arg, None)]:
            if why is not None:
                skipped.append(f"{path}: passed over, {why}")
                continue
            target = path.parent / "sdn.csv" if path.name.lower() in OFAC_COMPANIONS else path
            if target.resolve() not in {f.resolve() for f in files}:
                files.append(target)
    return ListPaths(tuple(files), tuple(skipped))


def _expand(folder: Path) -> list[tuple[Path, str | None]]:
    """Each file under ``folder`` with None if it is a list, else why it is passed over."""
    out: list[tuple[Path, str | None]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.lower() in OFAC_COMPANIONS:
            if not (path.parent / "sdn.csv").is_file():
                out.append((path, "an OFAC companion file without its sdn.csv"))
            continue  # read with its sdn.csv
        try:
            detect_format(path)
        except FormatError:
            out.append((path, "not a recognised sanctions list"))
            continue
        out.append((path, None))
    return out
