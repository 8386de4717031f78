"""The real-traffic verdict rule on hand-built facts, and its run on the real files."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from watchkeeper.simulate.real_traffic import (
    EDGE,
    GENUINE,
    HARBOUR,
    IN_PORT,
    OTHER,
    Facts,
    FileResult,
    Finding,
    Place,
    Raw,
    RealFile,
    Reception,
    Silence,
    Verdict,
    Vessel,
    context_flag,
    gap_verdict,
    is_deliberate,
    main,
    pair_verdict,
    precision,
    render_markdown,
    splice_accuracy,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TANKERS = (Vessel(1, "A", 80), Vessel(2, "B", 84))
AT_SEA = {"shore_km": 50.0, "port": Place("FAR PORT (USA)", 60.0)}


def encounter(**kw: object) -> Facts:
    base = Facts(
        kind="encounter",
        vessels=TANKERS,
        median_sog=(0.3, 0.4),
        median_distance_m=80.0,
        together_h=5.0,
        **AT_SEA,  # type: ignore[arg-type]
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def silence(**kw: object) -> Silence:
    base = Silence(
        mmsi=2,
        hours=9.0,
        open=False,
        at_data_edge=False,
        edge_km_before=math.inf,
        edge_km_after=math.inf,
        heard_share=1.0,
        km_to_event=3.0,
        dark_h_in_event=6.0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def dark(**kw: object) -> Facts:
    return replace(encounter(kind="dark_sts", silences=(silence(),)), **kw)  # type: ignore[arg-type]


def gap(**kw: object) -> Facts:
    base = Facts(kind="ais_gap_deliberate", vessels=(TANKERS[0],), silences=(silence(mmsi=1),))
    return replace(base, **{**AT_SEA, **kw})  # type: ignore[arg-type]


def test_two_still_tankers_together_at_sea_are_genuine() -> None:
    v = pair_verdict(encounter())
    assert v.label == GENUINE and "80 m apart for 5.0 h at sea" in v.reason


@pytest.mark.parametrize("ship_type", [31, 32, 36, 37, 40, 49, 50, 52, 59, 60, 69])
def test_harbour_craft_by_type_comes_first(ship_type: int) -> None:
    f = encounter(vessels=(TANKERS[0], Vessel(9, "X", ship_type)), port=Place("P", 0.1))
    assert pair_verdict(f).label == HARBOUR


def test_harbour_craft_by_name_only_when_type_unknown() -> None:
    named = encounter(vessels=(TANKERS[0], Vessel(9, "MORAN TUG 7", None)))
    assert pair_verdict(named).label == HARBOUR
    typed = encounter(vessels=(TANKERS[0], Vessel(9, "TUGELA", 80), Vessel(8, "PILOTS", 70)))
    assert pair_verdict(replace(typed, vessels=typed.vessels[:2])).label == GENUINE


def test_in_port_radii() -> None:
    assert pair_verdict(encounter(anchorage=Place("LB", 3.9))).label == IN_PORT
    assert pair_verdict(encounter(anchorage=Place("LB", 4.1))).label == GENUINE
    assert pair_verdict(encounter(port=Place("OAKLAND (USA)", 9.9))).label == IN_PORT
    assert pair_verdict(encounter(port=Place("OAKLAND (USA)", 10.1))).label == GENUINE


def test_unlisted_berth_and_moored() -> None:
    assert pair_verdict(encounter(shore_km=1.0)).label == IN_PORT
    moving = encounter(shore_km=1.0, median_sog=(3.0, 0.2))
    assert pair_verdict(moving).label == OTHER  # not at a berth, and not still either
    assert pair_verdict(encounter(shore_km=2.0, moored=True)).label == IN_PORT
    assert pair_verdict(encounter(shore_km=5.0, moored=True)).label == GENUINE


def test_offshore_transfer_area_is_named_not_a_port() -> None:
    v = pair_verdict(encounter(sts_area=Place("FUJAIRAH / FUJAIRAH OFFSHORE", 1.0)))
    assert v.label == GENUINE and "FUJAIRAH OFFSHORE" in v.reason


def test_encounter_not_together_or_not_still_is_other() -> None:
    assert pair_verdict(encounter(median_distance_m=900.0)).label == OTHER
    assert pair_verdict(encounter(together_h=1.5)).label == OTHER
    assert pair_verdict(encounter(median_distance_m=None)).label == OTHER
    assert pair_verdict(encounter(median_sog=(0.1, 2.5))).label == OTHER
    dredger = encounter(vessels=(TANKERS[0], Vessel(9, "D", 33)))
    assert pair_verdict(dredger) == Verdict(OTHER, "9 is AIS type 33, not an STS type")


@pytest.mark.parametrize(
    ("kw", "label"),
    [
        ({}, GENUINE),
        ({"open": True}, EDGE),
        ({"at_data_edge": True}, EDGE),
        ({"edge_km_before": 19.0}, EDGE),
        ({"edge_km_after": 12.0}, EDGE),
        ({"edge_km_after": None, "open": False}, GENUINE),
        ({"heard_share": 0.4}, EDGE),
        ({"heard_share": None}, GENUINE),
        ({"dark_h_in_event": 0.5}, OTHER),
        ({"km_to_event": 80.0}, OTHER),
    ],
)
def test_dark_partner_silence(kw: dict[str, object], label: str) -> None:
    assert pair_verdict(dark(silences=(silence(**kw),))).label == label


def test_dark_sts_needs_a_still_loiterer_and_a_silence() -> None:
    assert pair_verdict(dark(median_sog=(3.0, None))).label == OTHER
    assert pair_verdict(dark(median_sog=(3.0, None), both_dark=True)).label == GENUINE
    assert pair_verdict(dark(silences=())).label == OTHER
    both = dark(both_dark=True, silences=(silence(mmsi=1), silence(open=True)))
    assert pair_verdict(both).label == EDGE


@pytest.mark.parametrize(
    ("kw", "label"),
    [
        ({}, GENUINE),
        ({"vessels": (Vessel(5, "F", 60),)}, HARBOUR),
        ({"anchorage": Place("A", 2.0)}, IN_PORT),
        ({"shore_km": 1.0}, IN_PORT),
        ({"silences": (silence(mmsi=1, open=True),)}, EDGE),
        ({"silences": (silence(mmsi=1, heard_share=0.2),)}, EDGE),
        ({"silences": (silence(mmsi=1, edge_km_before=5.0),)}, EDGE),
    ],
)
def test_gap_rule(kw: dict[str, object], label: str) -> None:
    assert gap_verdict(gap(**kw)).label == label


def test_deliberate_reads_cause_first() -> None:
    assert is_deliberate({"deliberate": True})
    assert not is_deliberate({"deliberate": False})
    assert not is_deliberate({"deliberate": True, "cause": "out_of_coverage"})
    assert is_deliberate({"deliberate": False, "cause": "deliberate"})
    assert is_deliberate({"cause": None, "deliberate": True})


def _raw(lat: list[float], lon: list[float], t: list[float]) -> Raw:
    n = len(lat)
    f = np.asarray
    return Raw(
        f(range(1, n + 1), dtype=np.int64),
        f(t, dtype=np.float64),
        f(lat, dtype=np.float64),
        f(lon, dtype=np.float64),
        np.zeros(n),
        np.full(n, np.nan),
        names={},
        types={},
    )


def test_reception_edge_and_hours() -> None:
    # Open Atlantic east of New Jersey (all sea): cells heard in a row of longitudes.
    lon = [-72.95, -72.85, -72.75]
    raw = _raw([39.05] * 3, lon, [0.0, 3600.0, 7200.0])
    rec = Reception.learn(raw, (), 0.1)
    # Every neighbour cell north and south is unheard sea: the edge is one cell away.
    assert rec.edge_km(39.05, -72.85, 20.0) < 12.0
    boxed = Reception.learn(raw, ((38.0, 41.5, -76.0, -72.5),), 0.1)
    assert boxed._box_km(39.05, -72.55) == pytest.approx(0.05 * 111 * math.cos(math.radians(39.05)))
    # Whole hours 1 and 2 of [0.5 h, 3 h) around the western cell: heard in hour 1 only
    # (hour 2's report is two cells east).
    assert rec.heard_share(39.05, -72.95, 1800.0, 10800.0) == pytest.approx(0.5)
    assert rec.heard_share(39.05, -72.85, 1800.0, 10800.0) == pytest.approx(1.0)
    assert rec.heard_share(39.05, -72.85, 1800.0, 3000.0) is None


def _result() -> FileResult:
    t = datetime(2020, 1, 1, tzinfo=UTC)
    ev = {"start": t, "end": t.replace(hour=5), "mmsi": 1, "other_mmsi": 2}
    good = Finding("encounter", ev, encounter(), pair_verdict(encounter()))
    bad_f = encounter(vessels=(TANKERS[0], Vessel(3, "F", 60)))
    bad = Finding("encounter", ev, bad_f, pair_verdict(bad_f))
    return FileResult(RealFile("day", Path("x.csv")), rows=10, findings=[good, bad])


def test_precision_and_page() -> None:
    r = _result()
    assert precision(r.findings) == 0.5 and precision([]) is None
    page = render_markdown([r], "abc1234", "before")
    assert "| day | encounter | 2 | 1 | 0.50 | 1 | 0 | 0 | 0 | 1 | 0 (0) |" in page
    assert "Genuine transfers found (encounter or dark STS): 1." in page
    assert "`abc1234`" in page and "**harbour craft**" in page


def test_context_rows_are_listed_apart_and_not_counted() -> None:
    r = _result()
    r.findings[1].context = context_flag({"in_port": False, "service": True})
    page = render_markdown([r], "abc1234", "after")
    assert "| day | encounter | 1 | 1 | 1.00 | 0 | 0 | 0 | 0 | 0 | 1 (1) |" in page
    assert "### encounter: kept by the detector as context only (not counted)" in page
    assert "(detector: `details.service`)" in page
    assert context_flag({"in_port": True}) == "in_port" and context_flag({}) is None


def test_splice_replaces_or_appends_the_section() -> None:
    once = splice_accuracy("# Accuracy\n\ntext\n", [_result()], "docs/f.md")
    assert once.startswith("# Accuracy\n\ntext\n\n<!-- real-traffic:start -->")
    twice = splice_accuracy(once + "\ntail\n", [_result()], "docs/f.md")
    assert twice.count("## Real traffic") == 1 and twice.endswith("tail\n")


def test_main_skips_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.md"
    assert main(["--data", str(tmp_path / "none"), "--out", str(out)]) == 0
    assert "skipped: real data not found" in capsys.readouterr().err and not out.exists()


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real data not found at {SHARED_DATA}")
def test_real_files_every_finding_judged(tmp_path: Path) -> None:
    out = tmp_path / "findings.md"
    assert main(["--data", str(SHARED_DATA), "--out", str(out)]) == 0
    page = out.read_text()
    assert "## 2020-01-01 (three coasts)" in page and "## NOAA 2022 sample" in page
    assert "| both files | encounter |" in page
