"""UN Security Council consolidated list (real file generated 2026-02-27)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from watchkeeper.context.sanctions.model import ListEntity, ListFile
from watchkeeper.context.sanctions.un import mentions_dprk, read_un_xml
from watchkeeper.errors import FormatError


@pytest.fixture(scope="module")
def un(shared_data: Path) -> ListFile:
    return read_un_xml(shared_data / "sanctions/un-consolidated-2026/UN_consolidated.xml")


def _listed(un: ListFile) -> list[ListEntity]:
    """The entries of the list itself, without the vessels derived from their comments."""
    return [e for e in un.entities if not e.is_vessel]


def test_counts(un: ListFile) -> None:
    assert un.list_date == date(2026, 2, 27)
    assert len(_listed(un)) == 1003
    assert sum(e.schema == "Person" for e in un.entities) == 730
    assert sum(e.schema == "Organization" for e in un.entities) == 273


def test_north_korean_references(un: ListFile) -> None:
    dprk = [e for e in _listed(un) if mentions_dprk(e)]
    assert len(dprk) == 155
    assert sum("DPRK" in e.programs for e in _listed(un)) == 155  # the same entries
    assert sum(e.schema == "Organization" for e in dprk) == 75
    assert sum(e.schema == "Person" for e in dprk) == 80


def test_company_imo_kept_apart(un: ListFile) -> None:
    """The consolidated XML lists companies; their "IMO number" is a company number."""
    assert not [e for e in un.entities if e.imo is not None]
    with_company_imo = [e for e in un.entities if "company_imo" in e.details]
    assert len(with_company_imo) == 15
    omm = next(e for e in un.entities if "5342883" in (e.remarks or ""))
    assert omm.details["company_imo"] == [5342883]


def test_vessels_named_in_dprk_comments(un: ListFile) -> None:
    vessels = {e.name: e for e in un.entities if e.is_vessel}
    assert len(vessels) == 23
    assert {"YU JONG 2", "CHON MA SAN", "KUM UN SAN 3", "YU SON", "PAEK MA"} <= set(vessels)
    assert not {"SAMMA SHIPPING", "IMO 5434358", "DPRK"} & set(vessels)
    assert vessels["YU JONG 2"].details["mentioned_by"] == ["un_sc:KPe.061", "un_sc:KPe.066"]
    assert all(v.imo is None and v.programs == ("DPRK",) for v in vessels.values())


def test_without_mentioned_vessels(shared_data: Path) -> None:
    path = shared_data / "sanctions/un-consolidated-2026/UN_consolidated.xml"
    assert len(read_un_xml(path, mentioned_vessels=False).entities) == 1003


def test_entry_fields(un: ListFile) -> None:
    first = next(e for e in un.entities if e.entity_id == "un_sc:CDi.001")
    assert first.name == "ERIC BADEGE" and first.listed_on == "2012-12-31"
    assert first.programs == ("DRC",)


def test_wrong_root(tmp_path: Path) -> None:
    (tmp_path / "x.xml").write_text("<sdnList/>")
    with pytest.raises(FormatError):
        read_un_xml(tmp_path / "x.xml")


def test_a_date_given_for_undated_lists_leaves_the_lists_own(shared_data: Path) -> None:
    from watchkeeper.context.sanctions.read import read_list

    path = shared_data / "sanctions/un-consolidated-2026/UN_consolidated.xml"
    got = read_list(path, list_date=date(2021, 7, 15))  # as `lists add --date` passes it
    assert got.list_date == date(2026, 2, 27)
    assert {e.list_date for e in got.entities} == {date(2026, 2, 27)}
