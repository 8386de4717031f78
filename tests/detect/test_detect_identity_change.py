"""Identity changes from the identities layer: stable changes, shared and invalid IMOs, MIDs."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pyarrow as pa

from watchkeeper.detect.identity_change import IdentityParams, detect_identity_changes, normalise
from watchkeeper.schema import IDENTITIES
from watchkeeper.tracks.build import parse_time


def _ids(rows: list[dict[str, Any]]) -> pa.Table:
    t0 = parse_time("2024-01-01T23:45")
    full = [
        {f.name: None for f in IDENTITIES} | {"ts": t0 + timedelta(minutes=6 * i)} | r
        for i, r in enumerate(rows)
    ]
    return pa.Table.from_pylist(full, schema=IDENTITIES)


GOOD = {"mmsi": 412000001, "imo": 9074729, "name": "SEA STAR", "callsign": "BXYZ", "ship_type": 80}


def _kinds(ev: pa.Table) -> list[str]:
    return [json.loads(d)["kind"] for d in ev.column("details").to_pylist()]


def test_normalise_ignores_padding_case_and_spaces() -> None:
    got = normalise(pa.array(["sea  star@@@", " SEA STAR ", "@@@", None])).to_pylist()
    assert got == ["SEA STAR", "SEA STAR", None, None]


def test_padding_and_nulls_are_not_changes() -> None:
    rows = [GOOD, GOOD | {"name": "sea star@@"}, GOOD | {"name": None, "imo": None}, GOOD]
    assert detect_identity_changes(_ids(rows)).num_rows == 0


def test_rename_with_new_imo_across_midnight_is_one_event() -> None:
    new = GOOD | {"name": "OCEAN PEARL", "imo": 9176187, "callsign": "V3AB"}
    ev = detect_identity_changes(_ids([GOOD] * 3 + [new] * 3))
    assert ev.num_rows == 1
    changes = json.loads(ev.column("details")[0].as_py())["changes"]
    assert {c["field"] for c in changes} == {"name", "imo", "callsign"}
    # the interval in which it happened: last old report (23:57) to first new one (00:03)
    assert ev.column("start")[0].as_py() == parse_time("2024-01-01T23:57")
    assert ev.column("end")[0].as_py() == parse_time("2024-01-02T00:03")


def test_a_change_during_a_silence_spans_the_silence() -> None:
    new = GOOD | {"name": "OCEAN PEARL"}
    t0 = parse_time("2024-01-01T06:00")
    times = [t0 + timedelta(minutes=6 * i) for i in range(3)]
    times += [t0 + timedelta(hours=5, minutes=6 * i) for i in range(3)]
    rows = [
        r | {"ts": t, "source": f"r{i}"}
        for i, (r, t) in enumerate(zip([GOOD] * 3 + [new] * 3, times, strict=True))
    ]
    ev = detect_identity_changes(_ids(rows)).to_pylist()
    assert len(ev) == 1
    assert ev[0]["start"] == times[2] and ev[0]["end"] == times[3]
    evidence = json.loads(ev[0]["evidence"])
    assert evidence["last_old"] == {"ts": times[2].isoformat(), "source": "r2"}
    assert evidence["first_new"] == {"ts": times[3].isoformat(), "source": "r3"}


def test_last_old_report_is_found_past_a_garbled_one() -> None:
    garbled, new = GOOD | {"name": "SEA STAQ"}, GOOD | {"name": "OCEAN PEARL"}
    rows = [GOOD] * 3 + [garbled, GOOD] + [new] * 3
    ev = detect_identity_changes(_ids(rows)).to_pylist()
    assert len(ev) == 1
    start = parse_time("2024-01-01T23:45") + timedelta(minutes=6 * 4)  # the lone GOOD after it
    assert ev[0]["start"] == start and ev[0]["end"] == start + timedelta(minutes=6)


def test_a_single_garbled_report_is_noise() -> None:
    rows = [GOOD] * 3 + [GOOD | {"name": "SEA STAQ"}] + [GOOD] * 3
    assert detect_identity_changes(_ids(rows)).num_rows == 0
    assert detect_identity_changes(_ids(rows), params=IdentityParams(min_reports=1)).num_rows == 1


def test_invalid_imo_and_unassigned_mid() -> None:
    bad = GOOD | {"imo": 9074728}
    ev = detect_identity_changes(_ids([bad, bad]))
    assert _kinds(ev) == ["invalid_imo"]
    ev = detect_identity_changes(_ids([GOOD | {"mmsi": 299000001}] * 2))  # MID 299: none
    assert _kinds(ev) == ["unassigned_mid"]
    assert (
        json.loads(detect_identity_changes(_ids([bad])).column("details")[0].as_py())["changes"][0][
            "imo_kind"
        ]
        == "invalid"
    )


def test_numbers_that_are_no_imo_attempt_are_no_invalid_imo() -> None:
    """Vessels of the NOAA 2022 sample: a US tug with its Coast Guard official number, an
    IMO with two zeros appended, a US vessel with its own MMSI in the IMO field."""
    tug = {"mmsi": 368217490, "imo": 1317731, "name": "ANDREW MORAN", "ship_type": 52}
    x100 = {"mmsi": 538071633, "imo": 959803600, "name": "DEEP SEA", "ship_type": 37}
    own = {"mmsi": 367432090, "imo": 367432090, "name": "R/V SUNCOASTER", "ship_type": 90}
    for row in (tug, x100, own):
        assert detect_identity_changes(_ids([row, row])).num_rows == 0
    foreign = tug | {"mmsi": 319202600}  # the same number on a Cayman ship: no official number
    assert _kinds(detect_identity_changes(_ids([foreign, foreign]))) == ["invalid_imo"]


def test_a_coast_guard_number_on_two_mmsis_is_one_hull() -> None:
    tug = {"mmsi": 368217490, "imo": 1317731, "name": "ANDREW MORAN", "ship_type": 52}
    ev = detect_identity_changes(_ids([tug, tug, tug | {"mmsi": 368217491}] * 1))
    changes = json.loads(ev.column("details")[0].as_py())["changes"]
    assert [(c["kind"], c["imo_kind"]) for c in changes] == [("imo_shared", "uscg_doc")]


def test_one_imo_on_two_mmsis_is_a_flag_change() -> None:
    other = GOOD | {"mmsi": 667000001}  # Sierra Leone
    ev = detect_identity_changes(_ids([GOOD, GOOD, other, other])).to_pylist()
    assert len(ev) == 1 and ev[0]["mmsi"] == 667000001 and ev[0]["other_mmsi"] == 412000001
    d = json.loads(ev[0]["details"])["changes"][0]
    assert d["flag_from"] == "CN" and d["flag_to"] == "SL" and d["flag_change"]
