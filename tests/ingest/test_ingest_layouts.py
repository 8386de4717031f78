"""Provider layouts: detection from headers, column specs, text codes, and real-shaped files.

The provider files in tests/data re-write real NOAA MarineCadastre rows (2022-01-03) in each
provider's layout, so each must give the positions the MarineCadastre rows give.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from watchkeeper.errors import ConfigError, FormatError
from watchkeeper.ingest.csv import read_csv
from watchkeeper.ingest.csv_layout import resolve_header, resolve_layout
from watchkeeper.ingest.csv_rows import _ship_type
from watchkeeper.ingest.csv_values import parse_float, parse_time
from watchkeeper.ingest.layouts import (
    PRESETS,
    ColumnSpec,
    detect_layout,
    get_layout,
    parse_column_spec,
    parse_columns_option,
)
from watchkeeper.schema import Decoded

DATA = Path(__file__).resolve().parents[1] / "data"
NOAA_EXCERPT = DATA / "noaa_2022_01_03_excerpt.csv.gz"

MC_2015 = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo"
)
MC_2018 = MC_2015 + ",TransceiverClass"
MC_2024 = (
    "mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,"
    "vessel_type,status,length,width,draft,cargo,transceiver"
)
AISDK = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
    "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
    "Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D"
)
HEADERS = {
    "marinecadastre": [MC_2015, MC_2018, MC_2024, "MMSI,BaseDateTime,LAT,LON,SOG"],
    "marinetraffic": [
        "MMSI;IMO;SHIP_ID;LAT;LON;SPEED_KNOTSx10;HEADING;COURSE;STATUS;TIMESTAMP;VESSEL_TYPE",
        "MMSI,IMO,SHIP_ID,LAT,LON,SPEED,HEADING,COURSE,STATUS,TIMESTAMP,DSRC,UTC_SECONDS",
    ],
    "spire": ["created_at,timestamp,static_updated_at,mmsi,latitude,longitude,speed,course"],
    "exactearth": ["mmsi,imo,vessel_name,ts_pos_utc,dt_pos_utc,longitude,latitude,sog,cog"],
    "aishub": ["MMSI,TIME,LONGITUDE,LATITUDE,COG,SOG,HEADING,NAVSTAT,IMO,NAME,A,B,C,D"],
    "aisdk": [AISDK],
    "gfw": ["ssvid,timestamp,lat,lon,speed,course", "msgid|ssvid|timestamp|lat|lon|shipname"],
}


@pytest.mark.parametrize(("name", "header"), [(n, h) for n, hs in HEADERS.items() for h in hs])
def test_each_provider_header_is_detected(name: str, header: str) -> None:
    layout = resolve_layout(header)
    assert layout.name == name
    assert {"mmsi", "ts", "lat", "lon"} <= set(layout.index)


def test_every_preset_is_documented_and_tested() -> None:
    assert set(PRESETS) == set(HEADERS)
    for p in PRESETS.values():
        assert p.source and p.title and {"mmsi", "ts", "lat", "lon"} <= set(p.fields)


def test_generic_header_matches_no_preset() -> None:
    assert detect_layout(["id", "when", "y", "x"]) is None
    assert resolve_layout("mmsi,time,y,x").name == "generic"


def test_delimiters_are_sniffed() -> None:
    for d in (",", ";", "\t", "|"):
        assert resolve_layout(d.join(["MMSI", "BaseDateTime", "LAT", "LON"])).delimiter == d


def test_column_specs() -> None:
    assert parse_column_spec("SPEED_KNOTSx10/10") == ColumnSpec(("SPEED_KNOTSx10",), 0.1)
    assert parse_column_spec("SOG*0.1") == ColumnSpec(("SOG",), 0.1)
    assert parse_column_spec("A+B") == ColumnSpec(("A", "B"))
    assert parse_column_spec("-").ignored
    assert parse_column_spec("x10") == ColumnSpec(("x10",))  # a name, not a scale
    with pytest.raises(ConfigError, match="zero"):
        parse_column_spec("SOG/0")
    with pytest.raises(ConfigError, match="field=HEADER"):
        parse_columns_option(["sog_kn"])
    assert parse_columns_option(["mmsi=id", "ts=t,ship_type=-"]) == {
        "mmsi": "id",
        "ts": "t",
        "ship_type": "-",
    }


def test_user_columns_override_ignore_and_scale() -> None:
    header = ["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "VesselType"]
    layout = resolve_header(header, columns={"ship_type": "-", "sog_kn": "SOG/10"})
    assert "ship_type" not in layout.index
    assert layout.factor == {"sog_kn": 0.1}
    with pytest.raises(FormatError, match="no such column"):
        resolve_header(header, columns={"sog_kn": "SPEED"})
    with pytest.raises(ConfigError, match="unknown layout"):
        get_layout("vesselfinder")


def test_missing_columns_name_the_remedies() -> None:
    with pytest.raises(FormatError, match="--layout") as exc:
        resolve_layout("id,when,north,east")
    assert "--columns" in str(exc.value) and "watchkeeper layouts" in str(exc.value)


def test_text_ship_types_map_to_itu_codes() -> None:
    text = ["Tanker", "cargo", "Passenger", "Tug", "Fishing", "Pleasure Craft", "Sailing"]
    text += ["Pilot", "High Speed Craft", "Search and Rescue", "Military", "Oil/Chemical Tanker"]
    text += ["Bulk Carrier", "70", "NULL", "", "Spaceship"]
    values, bad = _ship_type(pa.array(text))
    assert values.to_pylist()[:14] == [80, 70, 60, 52, 30, 37, 36, 50, 40, 51, 35, 80, 70, 70]
    assert values.to_pylist()[14:] == [None, None, None]
    assert not bad.any()  # an unknown type is no reason to lose the position


def test_null_spellings_read_as_null() -> None:
    values, bad = parse_float(pa.array(["NULL", "N/A", "", " ", "null", "1.5"]))
    assert values.to_pylist() == [None, None, None, None, None, 1.5]
    assert not bad.any()


def test_times_of_every_layout() -> None:
    values, bad = parse_time(pa.array(["2011-04-12 10:40:27 GMT", "1302604827", "2014-01-01"]))
    assert not bad.any()
    ms = pc.cast(values, pa.int64()).to_pylist()
    assert ms[0] == ms[1] == 1302604827000
    layout = resolve_layout(AISDK)
    row = "03/01/2022 00:07:24,Class A,338224286,40.02143,-75.01565,Moored" + "," * 20
    decoded = read_csv(io.BytesIO(f"{AISDK}\n{row}\n".encode()))
    assert layout.ts_format == "%d/%m/%Y %H:%M:%S"
    pos = decoded.positions.to_pylist()[0]
    assert pos["ts"].isoformat() == "2022-01-03T00:07:24+00:00"
    assert (pos["nav_status"], pos["ais_class"]) == (5, "A")


def _marinecadastre(first: int, last: int) -> Decoded:
    """The excerpt's rows first..last-1 read as MarineCadastre: the reference."""
    with gzip.open(NOAA_EXCERPT) as f:
        lines = f.read().decode().splitlines()
    data = "\n".join([lines[0], *lines[1 + first : 1 + last]]) + "\n"
    return read_csv(io.BytesIO(data.encode()))


@pytest.mark.parametrize(
    ("name", "first", "last", "layout"),
    [
        ("marinetraffic_export_2022_01_03.csv", 0, 600, "marinetraffic"),
        ("aishub_2022_01_03.csv", 600, 1200, "aishub"),
        ("aisdk_2022_01_03.csv", 1700, 2000, "aisdk"),
        ("exactearth_hvp_2022_01_03.csv", 2000, 2200, "exactearth"),
        ("spire_extract_2022_01_03.csv", 2200, 2400, "spire"),
    ],
)
def test_provider_file_gives_the_marinecadastre_positions(
    name: str, first: int, last: int, layout: str
) -> None:
    got = read_csv(DATA / name)
    ref = _marinecadastre(first, last)
    assert resolve_layout((DATA / name).read_text().splitlines()[0]).name == layout
    assert got.rejects.num_rows == 0
    assert got.positions.num_rows == ref.positions.num_rows == last - first
    assert got.identities.num_rows == ref.identities.num_rows
    for col in ("mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg"):
        assert got.positions.column(col).equals(ref.positions.column(col)), col


def test_marinetraffic_scaled_draught_and_text_types() -> None:
    got = read_csv(DATA / "marinetraffic_export_2022_01_03.csv")
    ref = _marinecadastre(0, 600)
    ids, ref_ids = got.identities, ref.identities
    assert pc.max(ids.column("draught_m")).as_py() == pc.max(ref_ids.column("draught_m")).as_py()
    types = pc.value_counts(ids.column("ship_type")).to_pylist()
    assert {t["values"] for t in types} >= {80, 70, 60, 52, 37}
