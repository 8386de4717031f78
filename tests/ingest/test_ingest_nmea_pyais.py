"""The pyais decoder: libais expected decodes, canonical units, sentinels, rejects, round trip."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nmea_helpers import encoded, payload_of, sentence, tagged
from pyais.constants import ShipType

from watchkeeper.ingest.nmea import iter_nmea, read_nmea
from watchkeeper.ingest.nmea_framing import iter_frames
from watchkeeper.ingest.nmea_pyais import decode_candidates, decode_frames, eta_text
from watchkeeper.schema import IDENTITIES, POSITIONS, Decoded, Quality

T0 = 1_600_000_000
WHEN = datetime.fromtimestamp(T0, UTC)
POSITION_TYPES = {1, 2, 3, 18, 19, 27}
LIBAIS_F32 = 3e-5  # libais's JSON holds float32 degrees: 1 ulp at 161 deg is 1.5e-5


def frames_of(lines: list[str]) -> pa.Table:
    chunks = list(iter_frames(lines, file="t", time=WHEN))
    return pa.concat_tables([c.frames for c in chunks])


def decode_lines(lines: list[str]) -> Decoded:
    return read_nmea(lines, time=WHEN)


def one_message(msg: dict[str, Any]) -> Decoded:
    return decode_lines([tagged(f"c:{T0}", s) for s in encoded(msg)])


# ----------------------------------------------------------------- libais expected decodes


def libais_cases(shared_data: Path) -> list[tuple[str, dict[str, Any]]]:
    folder = shared_data / "nmea" / "libais"
    lines = (folder / "typeexamples.nmea").read_text().splitlines()
    expected = [json.loads(x) for x in (folder / "typeexamples.json").read_text().splitlines()]
    assert len(lines) == len(expected) == 26
    return list(zip(lines, expected, strict=True))


def test_positions_equal_libais(shared_data: Path) -> None:
    checked = Counter[int]()
    for line, exp in libais_cases(shared_data):
        if exp["type"] not in POSITION_TYPES:
            continue
        cand = decode_candidates(frames_of([line]), file="t").positions.to_pylist()
        assert len(cand) == 1, line
        row = cand[0]
        assert row["mmsi"] == exp["mmsi"]
        assert row["msg_type"] == exp["type"]
        assert row["lat"] == pytest.approx(exp["lat"], abs=LIBAIS_F32)
        assert row["lon"] == pytest.approx(exp["lon"], abs=LIBAIS_F32)
        assert row["sog_kn"] == pytest.approx(exp["speed"], abs=1e-4)
        assert row["cog_deg"] == pytest.approx(exp["course"], abs=1e-4)
        if exp["type"] != 27:
            assert row["heading_deg"] == exp["heading"]
        if "status" in exp:
            assert row["nav_status"] == exp["status"]
        checked[exp["type"]] += 1
    assert checked == {1: 1, 2: 1, 3: 1, 18: 1, 27: 1}


def test_identities_equal_libais(shared_data: Path) -> None:
    seen = []
    for line, exp in libais_cases(shared_data):
        if exp["type"] not in (5, 24):
            continue
        rows = decode_frames(frames_of([line]), file="t").identities.to_pylist()
        assert len(rows) == 1
        row = rows[0]
        assert row["mmsi"] == exp["mmsi"]
        assert row["name"] == exp["shipname"]
        if exp["type"] == 5:
            assert row["imo"] == int(exp["imo"])
            assert row["callsign"] == exp["callsign"]
            assert row["ship_type"] == exp["shiptype"]
            assert row["length_m"] == exp["to_bow"] + exp["to_stern"]
            assert row["beam_m"] == exp["to_port"] + exp["to_starboard"]
            assert row["draught_m"] == pytest.approx(exp["draught"])
            assert row["destination"] == exp["destination"]
        seen.append(exp["type"])
    assert sorted(seen) == [5, 24]


def test_out_of_range_libais_examples_are_rejected(shared_data: Path) -> None:
    """Type 2 (lat -101.5) and type 27 (lon 200.2) in typeexamples are impossible positions."""
    lines = [ln for ln, exp in libais_cases(shared_data) if exp["type"] in (2, 27)]
    decoded = decode_frames(frames_of(lines), file="t")
    assert decoded.positions.num_rows == 0
    assert decoded.reject_counts() == {"position_out_of_range": 2}


def test_tagblock_json_time_source_and_values(shared_data: Path) -> None:
    folder = shared_data / "nmea" / "libais"
    expected = [json.loads(x) for x in (folder / "tagblock.json").read_text().splitlines()]
    decoded = read_nmea(folder / "tagblock.nmea")
    assert decoded.rejects.num_rows == 0
    positions = decoded.positions.to_pylist()
    exp_pos = [e for e in expected if e["type"] == 1]
    assert len(positions) == len(exp_pos) == 3
    for row, exp in zip(positions, exp_pos, strict=True):
        assert row["ts"] == datetime.fromisoformat(exp["tagblock_timestamp"])
        assert row["source"] == exp["tagblock_station"]
        assert row["mmsi"] == exp["mmsi"]
        assert row["lat"] == pytest.approx(exp["lat"], abs=LIBAIS_F32)
        assert row["lon"] == pytest.approx(exp["lon"], abs=LIBAIS_F32)
        assert row["sog_kn"] == pytest.approx(exp["speed"], abs=1e-4)
        assert row["cog_deg"] == pytest.approx(exp["course"], abs=1e-4)
        assert row["heading_deg"] == exp["heading"]
        assert row["nav_status"] == exp["status"]
        assert row["quality"] == 0
    (ident,) = decoded.identities.to_pylist()
    (exp5,) = [e for e in expected if e["type"] == 5]
    assert ident["ts"] == datetime.fromisoformat(exp5["tagblock_timestamp"])
    assert ident["source"] == exp5["tagblock_station"]
    assert (ident["name"], ident["callsign"]) == (exp5["shipname"], exp5["callsign"])
    assert ident["length_m"] == exp5["to_bow"] + exp5["to_stern"]
    assert ident["beam_m"] == exp5["to_port"] + exp5["to_starboard"]
    # imo 0, ship type 0, draught 0 and an empty destination mean "not available"
    assert ident["imo"] is ident["ship_type"] is ident["draught_m"] is ident["destination"] is None


# ----------------------------------------------------------------- sentinels and ranges


def test_not_available_motion_becomes_null_without_flag() -> None:
    msg = {"type": 1, "mmsi": 211000001, "lat": 54.5, "lon": 10.25}
    decoded = one_message({**msg, "speed": 102.3, "course": 360.0, "heading": 511})
    (row,) = decoded.positions.to_pylist()
    assert row["sog_kn"] is row["cog_deg"] is row["heading_deg"] is None
    assert row["quality"] == Quality.OK
    assert (row["lat"], row["lon"]) == (54.5, 10.25)


def test_impossible_motion_becomes_null_with_flag() -> None:
    msg = {"type": 1, "mmsi": 211000001, "lat": 54.5, "lon": 10.25, "course": 409.5}
    (row,) = one_message({**msg, "heading": 400}).positions.to_pylist()
    assert row["cog_deg"] is row["heading_deg"] is None
    assert row["quality"] == Quality.FIELD_OUT_OF_RANGE


@pytest.mark.parametrize(
    ("lat", "lon", "mmsi", "reason"),
    [
        (91.0, 10.0, 211000001, "position_unavailable"),
        (54.0, 181.0, 211000001, "position_unavailable"),
        (95.0, 10.0, 211000001, "position_out_of_range"),
        (0.0, 0.0, 211000001, "null_island"),
        (54.0, 10.0, 0, "bad_mmsi"),
    ],
)
def test_position_rejects(lat: float, lon: float, mmsi: int, reason: str) -> None:
    decoded = one_message({"type": 1, "mmsi": mmsi, "lat": lat, "lon": lon})
    assert decoded.positions.num_rows == 0
    assert decoded.reject_counts() == {reason: 1}


def test_type_27_units_sentinels_and_coarse_flag() -> None:
    msg = {"type": 27, "mmsi": 211000001, "lat": 54.5, "lon": 10.25, "status": 5}
    (row,) = one_message({**msg, "speed": 12, "course": 200}).positions.to_pylist()
    assert (row["lat"], row["lon"], row["sog_kn"], row["cog_deg"]) == (54.5, 10.25, 12.0, 200.0)
    assert row["heading_deg"] is None
    assert row["nav_status"] == 5
    assert row["ais_class"] == "A"
    assert row["quality"] == Quality.COARSE
    (na,) = one_message({**msg, "speed": 63, "course": 511}).positions.to_pylist()
    assert na["sog_kn"] is na["cog_deg"] is None
    assert na["quality"] == Quality.COARSE


def test_time_assumed_flag_follows_the_frame() -> None:
    line = sentence(payload_of({"type": 18, "mmsi": 211000001, "lat": 1.0, "lon": 2.0})[0])
    (row,) = read_nmea([line], time=WHEN).positions.to_pylist()
    assert row["quality"] == Quality.TIME_ASSUMED
    assert row["ais_class"] == "B"
    assert row["nav_status"] is None
    assert row["ts"] == WHEN


# ----------------------------------------------------------------- undecodable and skipped


@pytest.mark.parametrize(
    ("payload", "fill"),
    [
        ("", 0),  # empty payload (pyais sample has 100 of these)
        ("15NBj>PP1gG>1PVKTDTUJOv00<0~", 0),  # '~' is outside the armour
        ("15NBj>PP1gG>1PVKTDT", 0),  # type 1 cut short: 114 bits
        ("15NBj>PP1gG>1PVKTDTUJ", 0),  # 126 bits: lat/lon would be garbage
        ("0" * 28, 0),  # type 0 does not exist
        ("b" * 28, 0),  # type 42 does not exist
        ("H5NCRSOL4DhHu8<D00000000000", 2),  # type 24 with partno 3
    ],
)
def test_undecodable(payload: str, fill: int) -> None:
    decoded = decode_lines([sentence(payload, fill=fill)])
    assert decoded.positions.num_rows == decoded.identities.num_rows == 0
    assert decoded.reject_counts() == {"undecodable": 1}
    assert decoded.rejects.column("detail")[0].as_py()


def test_other_message_types_are_counted_not_rejected(shared_data: Path) -> None:
    decoded = read_nmea(shared_data / "nmea" / "libais" / "typeexamples.nmea")
    other = {k: v for k, v in decoded.skipped.items() if k.startswith("msg_type_")}
    assert set(other.values()) == {1}
    expected = set(range(1, 28)) - {1, 2, 3, 5, 18, 19, 24, 27}  # typeexamples lacks 19
    assert {int(k.removeprefix("msg_type_")) for k in other} == expected


# ----------------------------------------------------------------- identities


def test_type_24_part_b_takes_latest_part_a_name_across_chunks() -> None:
    a = {"type": 24, "mmsi": 211000001, "partno": 0, "shipname": "SEA WITCH"}
    b = {
        "type": 24,
        "mmsi": 211000001,
        "partno": 1,
        "ship_type": 37,
        "callsign": "DB1234",
        "to_bow": 8,
        "to_stern": 4,
        "to_port": 2,
        "to_starboard": 2,
    }
    other_b = {**b, "mmsi": 211000002}
    lines = [
        tagged(f"c:{T0}", encoded(b)[0]),  # B before any A: no name
        tagged(f"c:{T0}", encoded(a)[0]),
        tagged(f"c:{T0}", encoded(other_b)[0]),
        tagged(f"c:{T0}", encoded(b)[0]),
    ]
    parts = list(iter_nmea(lines, file="t", chunk_size=1))
    rows = Decoded.concat(parts).identities.to_pylist()
    assert [r["name"] for r in rows] == [None, "SEA WITCH", None, "SEA WITCH"]
    assert rows[1]["callsign"] is rows[1]["ship_type"] is rows[1]["length_m"] is None
    assert (rows[3]["callsign"], rows[3]["ship_type"]) == ("DB1234", 37)
    assert (rows[3]["length_m"], rows[3]["beam_m"]) == (12.0, 4.0)
    assert {r["msg_type"] for r in rows} == {24}


def test_type_24_auxiliary_craft_has_no_dimensions() -> None:
    b = {"type": 24, "mmsi": 981234567, "partno": 1, "callsign": "AUX1", "mothership_mmsi": 1}
    (row,) = one_message(b).identities.to_pylist()
    assert row["callsign"] == "AUX1"
    assert row["length_m"] is row["beam_m"] is None


def test_type_19_is_a_position_and_an_identity() -> None:
    msg = {"type": 19, "mmsi": 211000001, "lat": 3.0, "lon": 4.0, "speed": 5.5, "course": 90}
    decoded = one_message({**msg, "shipname": "NINETEEN", "ship_type": 36, "to_bow": 10})
    (pos,) = decoded.positions.to_pylist()
    (ident,) = decoded.identities.to_pylist()
    assert (pos["ais_class"], pos["sog_kn"], pos["cog_deg"]) == ("B", 5.5, 90.0)
    assert (ident["name"], ident["ship_type"], ident["length_m"]) == ("NINETEEN", 36, 10.0)
    assert ident["imo"] is ident["callsign"] is None


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        ((5, 20, 14, 30), "05-20T14:30"),
        ((5, 20, 24, 60), "05-20"),
        ((0, 0, 24, 60), None),
        ((13, 1, 0, 0), None),
    ],
)
def test_eta_text(parts: tuple[int, int, int, int], text: str | None) -> None:
    assert eta_text(*parts) == text


# ----------------------------------------------------------------- round trip


_mmsi = st.integers(200_000_000, 799_999_999)
_lat = st.integers(-90 * 600_000, 90 * 600_000).map(lambda v: v / 600_000)
_lon = st.integers(-180 * 600_000, 180 * 600_000).map(lambda v: v / 600_000)
_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -", min_size=1, max_size=20)
_ship_type = st.sampled_from([v.value for v in ShipType if v.value])  # encodable codes
_time = st.integers(946_684_800, 4_102_444_799)  # 2000 .. 2099


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([1, 18, 5]))
    if kind == 5:
        return {
            "type": 5,
            "mmsi": draw(_mmsi),
            "imo": draw(st.integers(1, 9_999_999)),
            "callsign": draw(_text.map(lambda s: s[:7])),
            "shipname": draw(_text),
            "ship_type": draw(_ship_type),
            "to_bow": draw(st.integers(1, 511)),
            "to_stern": draw(st.integers(0, 511)),
            "to_port": draw(st.integers(1, 63)),
            "to_starboard": draw(st.integers(0, 63)),
            "draught": draw(st.integers(1, 255)) / 10,
            "destination": draw(_text),
            "month": draw(st.integers(1, 12)),
            "day": draw(st.integers(1, 28)),
            "hour": draw(st.integers(0, 23)),
            "minute": draw(st.integers(0, 59)),
        }
    msg = {
        "type": kind,
        "mmsi": draw(_mmsi),
        "lat": draw(_lat.filter(lambda v: v != 0)),
        "lon": draw(_lon),
        "speed": draw(st.integers(0, 1022)) / 10,
        "course": draw(st.integers(0, 3599)) / 10,
        "heading": draw(st.integers(0, 359)),
    }
    if kind == 1:
        msg["status"] = draw(st.integers(0, 15))
    return msg


@settings(max_examples=150, deadline=None)
@given(msg=messages(), when=_time, source=st.from_regex(r"[a-z][a-z0-9]{1,10}", fullmatch=True))
def test_round_trip_through_pyais_encoder(msg: dict[str, Any], when: int, source: str) -> None:
    lines = [tagged(f"s:{source},c:{when}", s) for s in encoded(msg, seq="3")]
    decoded = read_nmea(lines)
    assert decoded.rejects.num_rows == 0
    ts = datetime.fromtimestamp(when, UTC)
    if msg["type"] == 5:
        (row,) = decoded.identities.to_pylist()
        assert (row["mmsi"], row["ts"], row["source"]) == (msg["mmsi"], ts, source)
        assert row["imo"] == msg["imo"]
        assert row["callsign"] == (msg["callsign"].strip() or None)
        assert row["name"] == (msg["shipname"].strip() or None)
        assert row["destination"] == (msg["destination"].strip() or None)
        assert row["ship_type"] == msg["ship_type"]
        assert row["length_m"] == msg["to_bow"] + msg["to_stern"]
        assert row["beam_m"] == msg["to_port"] + msg["to_starboard"]
        assert row["draught_m"] == pytest.approx(msg["draught"], abs=1e-4)
        m, d, h, mi = msg["month"], msg["day"], msg["hour"], msg["minute"]
        assert row["eta"] == f"{m:02d}-{d:02d}T{h:02d}:{mi:02d}"
        return
    (row,) = decoded.positions.to_pylist()
    assert (row["mmsi"], row["ts"], row["source"]) == (msg["mmsi"], ts, source)
    assert row["lat"] == pytest.approx(msg["lat"], abs=1e-9)
    assert row["lon"] == pytest.approx(msg["lon"], abs=1e-9)
    assert row["sog_kn"] == pytest.approx(msg["speed"], abs=1e-4)
    assert row["cog_deg"] == pytest.approx(msg["course"], abs=1e-4)
    assert row["heading_deg"] == msg["heading"]
    assert row["nav_status"] == msg.get("status")
    assert row["ais_class"] == ("A" if msg["type"] == 1 else "B")


def test_output_schemas() -> None:
    decoded = one_message({"type": 1, "mmsi": 211000001, "lat": 1.0, "lon": 1.0})
    assert decoded.positions.schema.equals(POSITIONS)
    assert decoded.identities.schema.equals(IDENTITIES)
