"""MarineCadastre CSV writer: exact header, conventions, as-of static fields, round trip."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from watchkeeper.ingest.csv import read_csv
from watchkeeper.publish import write_marinecadastre_csv
from watchkeeper.publish.asof import IdentityAsOf
from watchkeeper.schema import IDENTITIES, POSITIONS, Decoded

NOAA = "csv/noaa/AIS_2022_01_03_first99999.csv.gz"
HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
T0 = datetime(2022, 1, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def noaa(shared_data: Path) -> Decoded:
    return read_csv(shared_data / NOAA)


def _positions(rows: list[dict[str, object]]) -> pa.Table:
    full = [{n: r.get(n) for n in POSITIONS.names} | {"quality": 0} for r in rows]
    return pa.Table.from_pylist(full, schema=POSITIONS)


def _identities(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist([{n: r.get(n) for n in IDENTITIES.names} for r in rows], IDENTITIES)


def _write(positions: pa.Table, identities: pa.Table) -> list[str]:
    out = io.BytesIO()
    write_marinecadastre_csv(positions, identities, out)
    return out.getvalue().decode().splitlines()


def test_round_trip_gives_identical_positions(noaa: Decoded, tmp_path: Path) -> None:
    path = tmp_path / "mc.csv"
    n = write_marinecadastre_csv(noaa.positions, noaa.identities, path)
    assert n == noaa.positions.num_rows
    back = read_csv(path)
    assert back.rejects.num_rows == 0
    # the source line is where each row sits in its own file: not comparable across files
    compared = [c for c in POSITIONS.names if c not in ("source", "quality", "line")]
    keys = [(c, "ascending") for c in compared]
    a = noaa.positions.sort_by(keys)
    b = back.positions.sort_by(keys)
    for name in compared:
        assert a.column(name).equals(b.column(name)), name
    # what MarineCadastre CSV cannot carry: quality flags (a nulled heading reads back as 511)
    flagged = pc.sum(pc.not_equal(a.column("quality"), 0)).as_py()
    assert flagged == pc.sum(pc.not_equal(a.column("quality"), b.column("quality"))).as_py()
    # every row's static fields are the same reports; the runs may cut differently, since
    # the original rows of an MMSI interleave out of time order and the export is by time
    reports = pc.sum(noaa.identities.column("n_reports")).as_py()
    assert pc.sum(back.identities.column("n_reports")).as_py() == reports


def test_noaa_rows_are_written_as_noaa_wrote_them(noaa: Decoded, shared_data: Path) -> None:
    lines = _write(noaa.positions.slice(0, 2000), noaa.identities)
    with gzip.open(shared_data / NOAA, "rt") as f:
        original = [next(f).rstrip("\n") for _ in range(2001)]
    assert lines[0] == HEADER == original[0]

    def comparable(line: str) -> list[str]:
        fields = line.split(",")
        del fields[15]  # Cargo is not kept
        # zero IMO, dimensions and draught mean "not available": kept as null, written empty
        return [
            "" if (i in (8, 12, 13, 14) and f in ("IMO0000000", "0", "0.0")) else f
            for i, f in enumerate(fields)
        ]

    diffs = [
        (o, g)
        for o, g in zip(original[1:], lines[1:], strict=True)
        if comparable(o) != comparable(g)
    ]
    # the only other change: an impossible heading (360) is nulled, so written as 511
    assert all(o.split(",")[6] == "360" and g.split(",")[6] == "511" for o, g in diffs)
    assert len(diffs) < 5


def test_conventions_on_a_crafted_row() -> None:
    pos = _positions(
        [
            {
                "mmsi": 374208000,
                "ts": T0,
                "lat": 37.5,
                "lon": -122.25,
                "sog_kn": 0.0,
                "ais_class": "A",
            }
        ]
    )
    ids = _identities(
        [{"mmsi": 374208000, "ts": T0, "imo": 18464, "name": 'RAY "CHIEF", JR', "length_m": 268}]
    )
    row = _write(pos, ids)[1]
    assert row == (
        '374208000,2022-01-03T00:00:00,37.5,-122.25,0.0,360.0,511,"RAY ""CHIEF"", JR",IMO0018464'
        ",,,,268,,,,A"
    )


def test_static_fields_as_known_at_each_time() -> None:
    t = [datetime(2022, 1, 3, h, tzinfo=UTC) for h in range(6)]
    ids = _identities(
        [
            {"mmsi": 1, "ts": t[1], "name": "OLD", "imo": 9018464},
            {"mmsi": 1, "ts": t[3], "name": "NEW"},  # IMO carried forward
            {"mmsi": 2, "ts": t[0], "name": "OTHER"},
        ]
    )
    pos = _positions([{"mmsi": 1, "ts": t[h], "lat": 1.0, "lon": 1.0} for h in (0, 1, 2, 3, 5)])
    pos = pa.concat_tables([pos, _positions([{"mmsi": 3, "ts": t[0], "lat": 1.0, "lon": 1.0}])])
    names = [line.split(",")[7] for line in _write(pos, ids)[1:]]
    imos = [line.split(",")[8] for line in _write(pos, ids)[1:]]
    assert names == ["OLD", "OLD", "OLD", "NEW", "NEW", ""]  # before the first: first after
    assert imos == ["IMO9018464"] * 5 + [""]


def test_asof_lookup_matches_a_brute_force() -> None:
    rng = np.random.default_rng(7)
    n_ids, n_pos = 300, 2000
    ids = _identities(
        [
            {"mmsi": int(m), "ts": datetime.fromtimestamp(int(s), UTC), "ship_type": i}
            for i, (m, s) in enumerate(
                zip(rng.integers(1, 40, n_ids), rng.integers(0, 10**6, n_ids), strict=True)
            )
        ]
    )
    pm = rng.integers(1, 45, n_pos)
    pt = rng.integers(0, 10**6, n_pos) * 1000
    got = IdentityAsOf(ids, ["ship_type"]).lookup(pm, pt).column("ship_type").to_pylist()
    rows = sorted(ids.to_pylist(), key=lambda r: (r["mmsi"], r["ts"]))
    for m, ts, g in zip(pm.tolist(), pt.tolist(), got, strict=True):
        mine = [r for r in rows if r["mmsi"] == m]
        before = [r for r in mine if r["ts"].timestamp() * 1000 <= ts]
        want = (before[-1] if before else mine[0])["ship_type"] if mine else None
        assert g == want


def test_streams_batches_and_gzips(noaa: Decoded, tmp_path: Path) -> None:
    path = tmp_path / "out.csv.gz"
    batches = noaa.positions.slice(0, 5000).to_batches(max_chunksize=1000)
    assert write_marinecadastre_csv(iter(batches), noaa.identities, path) == 5000
    back = read_csv(path)
    assert back.positions.num_rows == 5000


def test_empty_input_writes_the_header_only() -> None:
    assert _write(POSITIONS.empty_table(), IDENTITIES.empty_table()) == [HEADER]
