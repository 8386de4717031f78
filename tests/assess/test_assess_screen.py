"""Screening rules on small cases, and the real NOAA sample against the real OFAC list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from watchkeeper.assess.screen import ScreenParams, VesselIdentity, screen, vessel_identities
from watchkeeper.context.sanctions.model import ListEntity, entities_table
from watchkeeper.context.sanctions.ofac import read_sdn_csv
from watchkeeper.errors import ConfigError
from watchkeeper.ingest.csv import read_csv

LISTED = [
    ListEntity(
        "l:1",
        "t",
        "Vessel",
        "YU JONG 2",
        imo=8604503,
        mmsis=(445100000,),
        vessel_type="Oil Products Tanker",
        programs=("DPRK",),
    ),
    ListEntity(
        "l:2",
        "t",
        "Vessel",
        "FREEDOM",
        imo=9018464,
        previous_names=("MAGUS",),
        vessel_type="Crude Oil Tanker",
    ),
    ListEntity("l:3", "t", "Vessel", "SAEBYOL", mmsis=(445200000,), callsign="HMYF3"),
    ListEntity("l:4", "t", "Vessel", "BAD NUMBER", imo=1234568),  # fails its check digit
    ListEntity("l:5", "t", "Organization", "KOREA SAMMA SHIPPING"),
    ListEntity("l:6", "t", "Vessel", "RICH GLORY", imo=9306550),  # an IMO, no vessel type
]


def _screen(*vessels: VesselIdentity, **params: Any) -> list[dict[str, Any]]:
    return screen(list(vessels), entities_table(LISTED), ScreenParams(**params)).to_pylist()


def _v(
    mmsi: int,
    *,
    imos: set[int] | None = None,
    names: set[str] | None = None,
    callsigns: set[str] | None = None,
    types: set[int] | None = None,
    length: float | None = None,
) -> VesselIdentity:
    return VesselIdentity(
        mmsi, imos or set(), names or set(), callsigns or set(), types or set(), length
    )


def test_imo_match_survives_renaming() -> None:
    [hit] = _screen(_v(374208000, imos={9018464}, names={"OCEAN GRACE"}))
    assert (hit["entity_id"], hit["level"], hit["score"]) == ("l:2", "match", 1.0)
    feats = {f["feature"]: f for f in json.loads(hit["features"])}
    assert feats["imo"]["check_digit_valid"] is True
    assert "IMO 9018464 equal" in hit["explanation"]


def test_previous_name_explains_rename() -> None:
    [hit] = _screen(_v(374208000, imos={9018464}, names={"MAGUS"}))
    feats = {f["feature"]: f for f in json.loads(hit["features"])}
    assert feats["name"]["candidate_kind"] == "previous_name" and feats["name"]["score"] == 1.0


def test_mmsi_alone_is_review_never_match() -> None:
    [hit] = _screen(_v(445100000, names={"SUNRISE"}))
    assert (hit["level"], hit["score"]) == ("review", pytest.approx(0.6))
    assert "MMSI alone is not proof" in hit["explanation"]


def test_mmsi_and_name_is_match() -> None:
    [hit] = _screen(_v(445100000, names={"M/T YU JONG NO.2"}))
    assert hit["level"] == "match" and hit["score"] == pytest.approx(0.95)


def test_callsign_and_name_is_match() -> None:
    [hit] = _screen(_v(511000001, names={"SAEBYOL"}, callsigns={"HMYF3"}))
    assert hit["level"] == "match" and hit["entity_id"] == "l:3"


@pytest.mark.parametrize("name", ["YU JONG 2", "YUJONG II", "M/T YU JONG NO 2", "YU JOUNG 2"])
def test_lookalike_names_without_imo_are_review(name: str) -> None:
    [hit] = _screen(_v(412000001, names={name}))
    assert hit["level"] == "review" and hit["score"] <= 0.75


@pytest.mark.parametrize("name", ["YU JONG 1", "YU JONG", "OCEAN STAR", "FREE"])
def test_other_names_are_not_hits(name: str) -> None:
    assert _screen(_v(412000001, names={name})) == []


def test_different_valid_imo_means_different_hull() -> None:
    assert _screen(_v(412000001, imos={9074729}, names={"FREEDOM"})) == []


def test_small_craft_is_not_a_listed_tanker() -> None:
    assert _screen(_v(338000001, names={"FREEDOM"}, types={37})) == []
    assert _screen(_v(338000001, names={"FREEDOM"}, length=12.0)) == []
    assert len(_screen(_v(338000001, names={"FREEDOM"}, types={80}))) == 1


def test_a_yacht_is_not_a_listed_imo_numbered_ship() -> None:
    # the list gives no type, but an IMO number: a ship of 100 GT or more
    assert _screen(_v(338000001, names={"RICH GLORY"}, types={37}, length=13.0)) == []
    assert _screen(_v(338000001, names={"RICH GLORY"}, length=18.0)) == []
    # a fishing vessel or tug of 40 m can carry an IMO number: still reviewed
    [hit] = _screen(_v(412000001, names={"RICH GLORY"}, types={30}, length=40.0))
    assert hit["level"] == "review"


def test_equal_imo_failing_check_digit_is_review() -> None:
    [hit] = _screen(_v(412000001, imos={1234568}))
    assert hit["level"] == "review" and "FAILS check digit" in hit["explanation"]


def test_organisations_are_not_screened() -> None:
    assert _screen(_v(412000001, names={"KOREA SAMMA SHIPPING"})) == []


def test_params_are_validated() -> None:
    with pytest.raises(ConfigError):
        ScreenParams(name_review=0)
    with pytest.raises(ConfigError):
        ScreenParams(chunk=0)


def test_small_chunks_give_the_same_hits() -> None:
    vessels = [_v(1, names={"YU JONG 2"}), _v(2, names={"SAEBYOL"}), _v(3, names={"X"})]
    assert _screen(*vessels, chunk=1) == _screen(*vessels)


def test_vessel_identities_groups_by_mmsi() -> None:
    rows = pa.table(
        {
            "mmsi": [1, 1, 2],
            "imo": [9018464, None, None],
            "name": ["MAGUS", "  ", "A"],
            "callsign": ["3EUM7", None, ""],
            "ship_type": [80, None, 37],
            "length_m": [268.0, None, 9.5],
        }
    )
    one, two, three = vessel_identities(rows, [3])
    assert one.imos == {9018464} and one.names == {"MAGUS"} and one.callsigns == {"3EUM7"}
    assert two.small_craft and not one.small_craft
    assert three.mmsi == 3 and not three.names


# -- the real data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noaa_hits(shared_data: Path) -> pa.Table:
    decoded = read_csv(shared_data / "csv/noaa/AIS_2022_01_03_first99999.csv.gz")
    vessels = vessel_identities(decoded.identities, decoded.positions["mmsi"].unique().to_pylist())
    ofac = read_sdn_csv(shared_data / "sanctions/ofac-sdn-2021/sdn.csv")
    return screen(vessels, entities_table(ofac.entities))


def test_noaa_magus_is_ofac_freedom(noaa_hits: pa.Table) -> None:
    matches = [h for h in noaa_hits.to_pylist() if h["level"] == "match"]
    assert [(h["mmsi"], h["entity_id"], h["list_name"]) for h in matches] == [
        (374208000, "ofac_sdn:29485", "FREEDOM")
    ]
    hit = matches[0]
    assert hit["score"] == 1.0 and hit["programs"] == ["VENEZUELA-EO13850"]
    feats = {f["feature"]: f for f in json.loads(hit["features"])}
    assert feats["imo"].pop("first_reported") == "2022-01-03T00:02:59+00:00"
    assert feats["imo"].pop("last_reported") == "2022-01-03T00:02:59+00:00"
    assert feats["imo"] == {
        "feature": "imo",
        "query": 9018464,
        "candidate": 9018464,
        "score": 1.0,
        "check_digit_valid": True,
    }
    assert (feats["name"]["query"], feats["name"]["candidate"]) == ("MAGUS", "MAGUS")
    assert hit["explanation"].startswith(
        "match: IMO 9018464 equal (check digit valid, reported 2022-01-03T00:02:59+00:00)"
    )


def test_noaa_reviews_are_name_only_and_bounded(noaa_hits: pa.Table) -> None:
    reviews = [h for h in noaa_hits.to_pylist() if h["level"] == "review"]
    assert 0 < len(reviews) <= 30  # look-alike names (PATRIOT, BELLA ...) stay reviews
    assert all(h["score"] <= 0.75 for h in reviews)


# -- planted cases, shaped like the simulator's (simulate/cases/) --------------------------


def _planted(seed: int) -> tuple[list[VesselIdentity], list[ListEntity], set[int], set[int]]:
    """Listed hulls renamed (IMO kept) or hiding their IMO, and look-alike decoys."""
    import random

    from watchkeeper.context.imo import check_digit

    rng = random.Random(seed)
    syll = ["KUM", "UN", "SAN", "YU", "JONG", "SAE", "BYOL", "RYE", "SONG", "CHON", "MA", "JI"]

    def imo() -> int:
        stem = rng.randrange(100_000, 999_999)
        return stem * 10 + check_digit(stem)

    def name() -> str:
        words = rng.sample(syll, 2)
        return " ".join(words + ([str(rng.randrange(1, 20))] if rng.random() < 0.6 else []))

    listed = [
        ListEntity(f"sim:{i}", "sim", "Vessel", name(), imo=imo(), mmsis=(445_000_000 + i,))
        for i in range(60)
    ]
    vessels, sanctioned, decoys = [], set(), set()
    for k, item in enumerate(listed[:30]):
        mmsi = 412_000_000 + k
        kind = k % 3
        if kind == 0:  # renamed, broadcasting its IMO
            vessels.append(_v(mmsi, imos={item.imo or 0}, names={f"NEW NAME {k}"}, types={84}))
            sanctioned.add(mmsi)
        elif kind == 1:  # listed name, IMO hidden
            vessels.append(_v(mmsi, names={item.name}, types={80}, length=180.0))
            sanctioned.add(mmsi)
        else:  # look-alike decoy: a doubled letter or a changed number, its own IMO
            parts = item.name.split()
            if parts[-1].isdigit():
                parts[-1] = str(int(parts[-1]) + 1)
            else:
                parts[-1] = parts[-1][0] + parts[-1]
            vessels.append(_v(mmsi, imos={imo()}, names={" ".join(parts)}, types={70}))
            decoys.add(mmsi)
    vessels += [_v(413_000_000 + k, imos={imo()}, names={name()}, types={70}) for k in range(300)]
    return vessels, listed, sanctioned, decoys


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_cases_precision_recall(seed: int) -> None:
    vessels, listed, sanctioned, decoys = _planted(seed)
    hits = screen(vessels, entities_table(listed)).to_pylist()
    matched = {h["mmsi"] for h in hits if h["level"] == "match"}
    assert matched == sanctioned  # precision and recall 1.0 at match
    assert not matched & decoys


def test_identity_times_reach_the_explanation() -> None:
    from datetime import UTC, datetime

    t0, t1 = datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC)
    rows = pa.table(
        {
            "mmsi": [7, 7],
            "imo": [9018464, 9018464],
            "name": ["MAGUS", "MAGUS"],
            "callsign": [None, None],
            "ship_type": [80, 80],
            "length_m": [268.0, 268.0],
            "ts": [t1, t0],
        }
    )
    [vessel] = vessel_identities(rows)
    assert vessel.when("imo", 9018464) == {
        "first_reported": t0.isoformat(),
        "last_reported": t1.isoformat(),
    }
    [hit] = screen([vessel], entities_table(LISTED)).to_pylist()
    assert f"reported {t0.isoformat()} to {t1.isoformat()}" in hit["explanation"]
