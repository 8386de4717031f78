"""Recognise a sanctions-list file by its content and read it with the right reader."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from watchkeeper.context.sanctions.ftm import read_ftm
from watchkeeper.context.sanctions.model import ListFile
from watchkeeper.context.sanctions.ofac import read_sdn_csv, read_sdn_xml
from watchkeeper.context.sanctions.un import read_un_xml
from watchkeeper.errors import FormatError

__all__ = ["OFAC_COMPANIONS", "detect_format", "read_list"]

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
    """Read one list file of any supported format (``source`` renames FtM datasets only)."""
    fmt = detect_format(path)
    if fmt == "un_xml":
        return read_un_xml(path, list_date=list_date)
    if fmt == "ofac_xml":
        return read_sdn_xml(path, list_date=list_date)
    if fmt == "ofac_csv":
        return read_sdn_csv(path, list_date=list_date)
    if fmt == "ftm":
        return read_ftm(path, source=source, list_date=list_date)
    raise FormatError(f"{path}: an OFAC companion file; give the sdn.csv next to it instead")
