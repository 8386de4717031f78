"""Fuzz the readers: mutated real-shaped lines through the NMEA framer, the NMEA reader (both
engines), the CSV reader and the OFAC list reader. Every input line must come out kept or
rejected with a reason (or counted as skipped), and nothing may raise except a clear
:class:`~watchkeeper.errors.FormatError` for a whole file.

The property tests (``tests/ingest/test_ingest_fuzz.py``) run the same checks on inputs that
hypothesis generates; this module is the long run, with a seeded mutator (fast, so that
hundreds of thousands of lines go through in minutes).

Usage: ``python -m benchmarks.fuzz [--lines 100000] [--seed 15]`` (``make fuzz``); prints
the counts as JSON and exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

import watchkeeper.assess  # noqa: F401  (first: sanctions.model and assess import each other)
from watchkeeper.errors import FormatError
from watchkeeper.ingest.nmea import read_nmea
from watchkeeper.ingest.nmea_framing import iter_frames
from watchkeeper.ingest.nmea_framing_fast import iter_frames_fast
from watchkeeper.ingest.options import FILE_ORDER

# Real-shaped seeds: sentences of the shared test files (tag blocks, trailers, multi-part,
# $PGHP), MarineCadastre rows and OFAC sdn.csv lines.
NMEA_SEEDS = (
    "\\s:2573345,c:1596316799*03\\!BSVDM,1,1,,A,13mAwp001m0MMrjSoomG5bSN0D1l,0*56",
    "\\g:1-2-9309,s:2573145,c:1596316804*4E\\!BSVDM,2,1,9,A,53nFBv01SJ<thHp6220H4heHTf2222222222221?50:454o<`9QSlUDp,0*09",
    "\\g:2-2-9309*5D\\!BSVDM,2,2,9,A,888888888888880,2*3F",
    "!AIVDM,1,1,,A,15NBj>PP1gG>1PVKTDTUJOv00<0M,0*0A,1700000000",
    "!AIVDM,2,1,3,A,53m62@@0000044440004i0P4000000000000000000000000003lk3p20DPS,0*42,1700000000",
    "!AIVDM,2,2,3,A,j84E@FH6000,2*7C,1700000001",
    "!AIVDM,1,1,,B,B52K>;h00Fc>jpUlNV@ikwpUoP06,0*4C,b003669710,1272412800",
    "$PGHP,1,2010,6,11,11,46,11,929,244,0,,1,72*21",
    "!AIVDM,1,1,,A,H52KMeDU653hhhi0000000000000,0*1A",
    "$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76",
    "# a comment",
    "",
)
CSV_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
CSV_SEEDS = (
    "374208000,2022-01-03T00:02:59,37.71043,-122.32879,0.0,81.9,157,MAGUS,IMO9018464,3EUM7,"
    "80,1,268,46,16.9,70,A",
    "367596940,2022-01-03T00:00:05,29.93822,-90.07063,0.0,360.0,511,DELTA BRIDGE,,WDH2880,"
    "31,12,26,9,,31,A",
    '538007363,2022-01-03 00:01:00,1.2,103.8,12.1,90,91,"STAR, LIGHT",IMO9386548,V7A2,80,0,'
    "250,44,15.1,80,A",
    "211000001,2024-03-01T00:00:00Z,54.1,10.1,5,90,90,,,,70,0,,,,,B",
    "",
)
OFAC_SEEDS = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
    '15036,"MAGUS",vessel,"IRAN",-0- ,"9HA4313","Crude Oil Tanker","","","Malta",'
    '"NATIONAL IRANIAN TANKER COMPANY","IMO 9018464; MMSI 256123000"',
    '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'BNC\'."',
)
_ALPHABET = "0123456789,;*\\!$\"'-:.@<>?`wW AIVDMBSgcs\t\x00\x1a\x85\xff\u00e9\u2028\ufeff"


def mutate(rng: random.Random, line: str, pool: Sequence[str]) -> str:
    """One line changed by a few random edits (flip, insert, delete, cut, splice, repeat)."""
    chars = list(line)
    for _ in range(rng.choice((0, 1, 1, 2, 3, 6))):
        op = rng.randrange(7)
        at = rng.randrange(len(chars) + 1)
        if op == 0 and chars:
            chars[min(at, len(chars) - 1)] = rng.choice(_ALPHABET)
        elif op == 1:
            chars.insert(at, rng.choice(_ALPHABET))
        elif op == 2 and chars:
            del chars[min(at, len(chars) - 1)]
        elif op == 3:
            chars = chars[:at]
        elif op == 4:
            other = rng.choice(pool)
            chars = chars[:at] + list(other[rng.randrange(len(other) + 1) :])
        elif op == 5 and chars:
            chars = chars[:at] + chars[at : at + rng.randrange(1, 30)] + chars[at:]
        else:
            chars = chars[::-1] if rng.random() < 0.1 else chars
    return "".join(chars).replace("\n", " ").replace("\r", " ")


def _lines_of(raw: pa.Array) -> int:
    """Input lines behind rows whose ``raw`` joins the fragments of a message with LF."""
    return sum(r.count("\n") + 1 for r in raw.to_pylist() if r is not None)


def _is_pghp(line: str) -> bool:
    if line.startswith("\\"):
        line = line[line.find("\\", 1) + 1 :]
    return line.startswith("$PGHP,")


def check_nmea(lines: Sequence[str]) -> Counter[str]:
    """Framing accounts for every line, the fast framer agrees, both readers survive."""
    chunks = list(iter_frames(lines, file="f", time=FILE_ORDER, chunk_size=64))
    framed = sum(_lines_of(c.frames.column("raw")) for c in chunks)
    rejected = sum(_lines_of(c.rejects.column("raw")) for c in chunks)
    skipped = sum(sum(c.skipped.values()) for c in chunks)
    # a good $PGHP line is kept as the time of the sentence after it (none of the above)
    bad = {n for c in chunks for n in c.rejects.column("line").to_pylist()}
    timing = sum(1 for i, ln in enumerate(lines, 1) if i not in bad and _is_pghp(ln.strip()))
    total = framed + rejected + skipped + timing
    assert total == len(lines), (framed, rejected, skipped, timing, len(lines))
    fast = list(iter_frames_fast(lines, file="f", time=FILE_ORDER, chunk_size=64))

    def joined(parts: list[Any], attr: str) -> list[dict[str, Any]]:
        rows = [r for c in parts for r in getattr(c, attr).to_pylist()]
        return sorted(rows, key=lambda r: (r["line"] or 0, str(r)))

    assert joined(fast, "frames") == joined(chunks, "frames"), "fast framer: other frames"
    assert joined(fast, "rejects") == joined(chunks, "rejects"), "fast framer: other rejects"
    n = len(lines)
    for engine in ("fast", "reference"):
        out = read_nmea(lines, time=FILE_ORDER, engine=engine)  # type: ignore[arg-type]
        for table in (out.positions, out.identities, out.rejects):
            got = [x for x in table.column("line").to_pylist() if x is not None]
            assert all(1 <= x <= n for x in got), f"{engine}: line out of range"
    return Counter(lines=n, framed=framed, rejected=rejected, skipped=skipped, timing=timing)


def check_csv(lines: Sequence[str]) -> Counter[str]:
    """Every data line of a CSV is a kept row, a rejected row or a skipped empty line."""
    from watchkeeper.ingest.csv import read_csv

    text = "\n".join([CSV_HEADER, *lines]) + "\n"
    out = read_csv(io.BytesIO(text.encode("utf-8", "surrogatepass")), file="f.csv")
    positions = set(out.positions.column("line").to_pylist())
    kept = positions | set(out.identities.column("line").to_pylist())
    rejected = set(out.rejects.column("line").to_pylist())
    # a row may give an identity while its position is rejected, never both kinds of a part
    assert not positions & rejected, "a line both kept as a position and rejected"
    data = range(2, len(lines) + 2)
    missing = [n for n in data if n not in kept and n not in rejected]
    empty = out.skipped.get("empty_line", 0)
    assert len(missing) == empty, (missing, empty)
    assert all(r is not None for r in out.rejects.column("reason").to_pylist())
    return Counter(lines=len(lines), kept=len(kept), rejected=len(rejected), skipped=empty)


def check_ofac(lines: Sequence[str]) -> Counter[str]:
    """Every non-empty sdn.csv line is an entity or a reject (no entity at all: FormatError)."""
    from watchkeeper.context.sanctions.ofac import read_sdn_csv

    data = "\n".join(lines).encode("latin-1", "replace")
    stored = data.decode("latin-1").rstrip("\x1a\r\n").split("\n")
    nonempty = sum(1 for ln in stored if ln.rstrip("\r"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sdn.csv"
        path.write_bytes(data)
        try:
            got = read_sdn_csv(path, list_date=datetime(2021, 1, 1, tzinfo=UTC).date())
        except FormatError:
            return Counter(lines=len(lines), rejected=nonempty, whole_file_refused=1)
    assert len(got.entities) + len(got.rejects) == nonempty, (len(got.entities), nonempty)
    return Counter(lines=len(lines), kept=len(got.entities), rejected=len(got.rejects))


CHECKS: dict[str, tuple[Callable[[Sequence[str]], Counter[str]], Sequence[str]]] = {
    "nmea": (check_nmea, NMEA_SEEDS),
    "csv": (check_csv, CSV_SEEDS),
    "ofac": (check_ofac, OFAC_SEEDS),
}


def run(total_lines: int = 100_000, seed: int = 15, file_lines: int = 200) -> dict[str, Any]:
    """Feed about ``total_lines`` mutated lines to every check, ``file_lines`` per input."""
    rng = random.Random(seed)
    report: dict[str, Any] = {"seed": seed, "lines_per_input": file_lines}
    for name, (check, seeds) in CHECKS.items():
        counts: Counter[str] = Counter()
        failures: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        while counts["lines"] < total_lines:
            lines = [mutate(rng, rng.choice(seeds), seeds) for _ in range(file_lines)]
            counts["inputs"] += 1
            try:
                counts.update(check(lines))
            except Exception as exc:  # a crash or a broken invariant: keep the input
                counts["lines"] += len(lines)
                if len(failures) < 5:
                    failures.append(
                        {"error": repr(exc), "trace": traceback.format_exc(limit=3), "lines": lines}
                    )
                counts["failures"] += 1
        report[name] = {**counts, "seconds": round(time.perf_counter() - t0, 1)}
        if failures:
            report[name]["first_failures"] = failures
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fuzzing; exit 1 if any input crashed or broke an invariant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines per reader")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    report = run(args.lines, args.seed)
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    return 1 if any(report[k].get("failures") for k in CHECKS) else 0


if __name__ == "__main__":
    raise SystemExit(main())
