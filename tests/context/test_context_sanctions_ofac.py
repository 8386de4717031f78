"""OFAC SDN legacy CSV (real 2021 files) and SDN XML (the published schema, small fixture)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from watchkeeper.context.imo import is_valid_imo
from watchkeeper.context.sanctions.model import ListEntity, ListFile, entities_table
from watchkeeper.context.sanctions.ofac import read_sdn_csv, read_sdn_xml
from watchkeeper.errors import FormatError


@pytest.fixture(scope="module")
def sdn(shared_data: Path) -> ListFile:
    return read_sdn_csv(
        shared_data / "sanctions/ofac-sdn-2021/sdn.csv", list_date=date(2021, 7, 15)
    )


def _vessels(listed: ListFile) -> list[ListEntity]:
    return [e for e in listed.entities if e.is_vessel]


def test_counts(sdn: ListFile) -> None:
    vessels = _vessels(sdn)
    assert len(sdn.entities) == 8976
    assert sdn.rejects == ()
    assert len(vessels) == 406
    assert sum(e.imo is not None for e in vessels) == 400
    assert all(is_valid_imo(e.imo) for e in vessels if e.imo is not None)
    assert sum(any(p.startswith("DPRK") for p in e.programs) for e in vessels) == 106


def test_freedom_is_magus(sdn: ListFile) -> None:
    freedom = next(e for e in sdn.entities if e.entity_id == "ofac_sdn:29485")
    assert (freedom.name, freedom.imo, freedom.flag) == ("FREEDOM", 9018464, "Cameroon")
    assert freedom.previous_names == ("MAGUS",)  # from alt.csv (fka)
    assert freedom.programs == ("VENEZUELA-EO13850",)
    assert freedom.vessel_type == "Crude Oil Tanker"
    assert freedom.list_date == date(2021, 7, 15)


def test_identifiers_from_remarks(sdn: ListFile) -> None:
    by_name = {e.name: e for e in _vessels(sdn)}
    artavil = by_name["ARTAVIL"]
    assert artavil.imo == 9187629 and artavil.mmsis == (572469210,)
    assert "ALPHA" in artavil.previous_names
    assert by_name["RYONG GUN BONG"].imo == 8606173  # "Vessel Registration Identification 8606173"
    assert by_name["BONU 5"].imo is None  # "IMO 15411" is not an IMO number
    assert by_name["BONU 5"].details["unparsed_imo"] == "IMO 15411"
    assert by_name["ST. VITAMIN"].mmsis == (375311000,)
    assert by_name["SAND SWAN"].previous_names == ("ANA I",)


def test_multi_program_field(sdn: ListFile) -> None:
    vitamin = next(e for e in sdn.entities if e.name == "ST. VITAMIN")
    assert vitamin.programs == ("UKRAINE-EO13661", "CYBER2", "ELECTION-EO13848")


def test_comments_continue_remarks(sdn: ListFile) -> None:
    ent = next(e for e in sdn.entities if e.entity_id == "ofac_sdn:12300")
    assert "Linked To: RED MUNDIAL INMOBILIARIA" in (ent.remarks or "")


def test_table_roundtrip(sdn: ListFile) -> None:
    table = entities_table(sdn.entities)
    assert table.num_rows == 8976
    assert table["schema"].to_pylist().count("Vessel") == 406


def test_bad_rows_are_skipped_and_counted(tmp_path: Path, shared_data: Path) -> None:
    real = (shared_data / "sanctions/ofac-sdn-2021/sdn.csv").read_bytes().splitlines(keepends=True)
    (tmp_path / "sdn.csv").write_bytes(b"".join(real[:5]) + b"not,a,row\r\n" + b"\x1a")
    listed = read_sdn_csv(tmp_path / "sdn.csv")
    assert len(listed.entities) == 5 and listed.rejects == ("not,a,row",)


def test_not_sdn_csv(tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_text("a,b\n")
    with pytest.raises(FormatError):
        read_sdn_csv(tmp_path / "sdn.csv")


SDN_XML = """<?xml version="1.0" standalone="yes"?>
<sdnList xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
  <publshInformation><Publish_Date>07/15/2021</Publish_Date><Record_Count>2</Record_Count></publshInformation>
  <sdnEntry>
    <uid>29485</uid><lastName>FREEDOM</lastName><sdnType>Vessel</sdnType>
    <programList><program>VENEZUELA-EO13850</program></programList>
    <idList>
      <id><uid>1</uid><idType>Vessel Registration Identification</idType>
          <idNumber>IMO 9018464</idNumber></id>
      <id><uid>2</uid><idType>MMSI</idType><idNumber>613000000</idNumber></id>
    </idList>
    <akaList><aka><uid>3</uid><type>f.k.a.</type><category>strong</category>
      <lastName>MAGUS</lastName></aka></akaList>
    <vesselInfo><vesselType>Crude Oil Tanker</vesselType>
      <vesselFlag>Cameroon</vesselFlag></vesselInfo>
  </sdnEntry>
  <sdnEntry>
    <uid>36</uid><lastName>AEROCARIBBEAN AIRLINES</lastName><sdnType>Entity</sdnType>
    <programList><program>CUBA</program></programList>
  </sdnEntry>
</sdnList>
"""


def test_sdn_xml(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text(SDN_XML)
    listed = read_sdn_xml(path)
    assert listed.list_date == date(2021, 7, 15)
    freedom, airline = listed.entities
    assert (freedom.schema, freedom.imo, freedom.mmsis) == ("Vessel", 9018464, (613000000,))
    assert freedom.previous_names == ("MAGUS",) and freedom.flag == "Cameroon"
    assert airline.schema == "Organization" and airline.imo is None


def test_sdn_xml_wrong_root(tmp_path: Path) -> None:
    (tmp_path / "x.xml").write_text("<other/>")
    with pytest.raises(FormatError):
        read_sdn_xml(tmp_path / "x.xml")


def test_a_broken_line_does_not_swallow_the_next_entry(tmp_path: Path) -> None:
    """A stray quote used to run on into the following lines, losing their entries."""
    empty = ",-0- " * 8
    lines = [
        '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"' + empty,
        '99,"BROKEN NAME,-0- ,CUBA' + empty,  # the quote opens and never closes
        '173,"ANGLO-CARIBBEAN CO., LTD.",-0- ,"CUBA"' + empty,
        '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA"' + empty,
    ]
    (tmp_path / "sdn.csv").write_text("\n".join(lines) + "\n", encoding="latin-1")
    got = read_sdn_csv(tmp_path / "sdn.csv", list_date=date(2021, 1, 1))
    assert [e.name for e in got.entities] == [
        "AEROCARIBBEAN AIRLINES",
        "ANGLO-CARIBBEAN CO., LTD.",
        "BANCO NACIONAL DE CUBA",
    ]
    assert len(got.rejects) == 1 and got.rejects[0].startswith("99")
