"""FollowTheMoney JSON lines (OpenSanctions export format), and format detection."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from watchkeeper.context.sanctions import detect_format, read_list
from watchkeeper.context.sanctions.ftm import read_ftm
from watchkeeper.errors import FormatError

# Shaped like OpenSanctions' entities.ftm.json (https://www.opensanctions.org/docs/bulk/json/).
ENTITIES = [
    {
        "id": "ofac-29485",
        "schema": "Vessel",
        "properties": {
            "name": ["FREEDOM"],
            "previousName": ["MAGUS"],
            "imoNumber": ["IMO 9018464"],
            "mmsi": ["613000000"],
            "flag": ["cm"],
            "type": ["Crude Oil Tanker"],
            "program": ["VENEZUELA-EO13850"],
        },
        "datasets": ["us_ofac_sdn"],
        "last_change": "2021-07-15T10:00:00",
    },
    {
        "id": "NK-abc",
        "schema": "Organization",
        "properties": {"name": ["KOREA SAMMA SHIPPING CO"], "alias": ["SAMMA SHIPPING"]},
        "datasets": ["un_sc_sanctions"],
        "last_change": "2020-01-01T00:00:00",
    },
]


@pytest.fixture
def ftm_file(tmp_path: Path) -> Path:
    path = tmp_path / "entities.ftm.json"
    lines = [json.dumps(e) for e in ENTITIES] + ["", "not json", json.dumps({"id": "x"})]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_ftm(ftm_file: Path) -> None:
    listed = read_ftm(ftm_file)
    assert listed.source == "ftm:entities.ftm"
    assert listed.list_date == date(2021, 7, 15)  # latest last_change
    assert len(listed.entities) == 2 and len(listed.rejects) == 2
    vessel, org = listed.entities
    assert (vessel.entity_id, vessel.imo, vessel.mmsis) == ("ofac-29485", 9018464, (613000000,))
    assert vessel.previous_names == ("MAGUS",) and vessel.flag == "cm"
    assert vessel.is_vessel and not org.is_vessel
    assert org.aliases == ("SAMMA SHIPPING",)


def test_source_override(ftm_file: Path) -> None:
    assert read_list(ftm_file, source="opensanctions").source == "opensanctions"


def test_empty_ftm_file(tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text("{}\n")
    with pytest.raises(FormatError):
        read_ftm(tmp_path / "e.json")


def test_detect_format(shared_data: Path, ftm_file: Path, tmp_path: Path) -> None:
    ofac = shared_data / "sanctions/ofac-sdn-2021"
    assert detect_format(ofac / "sdn.csv") == "ofac_csv"
    assert detect_format(ofac / "alt.csv") == "ofac_companion"
    assert (
        detect_format(shared_data / "sanctions/un-consolidated-2026/UN_consolidated.xml")
        == "un_xml"
    )
    assert detect_format(ftm_file) == "ftm"
    (tmp_path / "x.txt").write_text("hello\n")
    with pytest.raises(FormatError):
        detect_format(tmp_path / "x.txt")
    with pytest.raises(FormatError):
        read_list(ofac / "alt.csv")
