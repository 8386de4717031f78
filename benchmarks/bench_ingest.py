"""Ingest memory benchmark (foundation issue): a multi-GB CSV streams in bounded memory.

A CSV of ``WATCHKEEPER_BENCH_INGEST_GB`` GB (default 2) is built by repeating the real NOAA
MarineCadastre sample (``../shared/data/csv/noaa``) with each copy shifted to another day and
another block of MMSIs, so that every row is distinct. Two contenders run on it, each in its
own subprocess so that the peak resident memory (``ru_maxrss``) is its own:

* ``watchkeeper``: ``watchkeeper ingest`` into a fresh workspace (parse, validate, split into
  positions and identities, write per-day Parquet, quarantine rejects);
* ``duckdb``: baseline, DuckDB's ``COPY (SELECT * FROM read_csv(...)) TO parquet`` of the same
  file (parse and write only: no validation, no identities).

Usage: ``python -m benchmarks.run ingest``.

Duplicate suppression and identity runs (issue 11), measured by hand on the real NOAA day
``../shared/data/csv/noaa-2020-01-01`` (1,424,886 rows, 46 MB gzip), ``watchkeeper ingest``
into a fresh workspace, two runs each, on the machine above (2 cores shared with other work,
load ~1): before 4.60-4.85 s wall, 4.31-4.47 s CPU, 425 MiB peak; after 5.32-5.36 s wall,
4.99 s CPU (+13 %), 476 MiB peak (the day's report hashes and the open identity runs). First
version +50 % CPU: binary searches in random order were cache misses; probing in key order
and one sort per chunk brought it to +13 %. The simulator's 2-day NMEA (405,551 lines,
15 % duplicates): 3.31 s CPU before, 3.32-3.49 s after.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOAA = ROOT.parent / "shared" / "data" / "csv" / "noaa" / "AIS_2022_01_03_first99999.csv.gz"


def _target_bytes() -> int:
    return int(float(os.environ.get("WATCHKEEPER_BENCH_INGEST_GB", "2")) * 2**30)


def build_csv(path: Path, target: int) -> int:
    """Write the shifted copies until ``target`` bytes; returns the number of data rows."""
    header, *rows = gzip.decompress(NOAA.read_bytes()).decode().splitlines()
    body = "\n".join(rows) + "\n"
    rows_written, copy = 0, 0
    with path.open("w") as f:
        f.write(header + "\n")
        while f.tell() < target:
            day = (date(2022, 1, 3) + timedelta(days=copy)).isoformat()
            shifted = body.replace("2022-01-03", day)
            # a distinct MMSI block per copy: prefix digit cycles 1..8 on the 9-digit MMSI
            f.write(shifted if copy == 0 else _shift_mmsi(shifted, copy))
            rows_written += len(rows)
            copy += 1
    return rows_written


def _shift_mmsi(text: str, copy: int) -> str:
    out = []
    for line in text.splitlines():
        mmsi, _, rest = line.partition(",")
        out.append(
            f"{(int(mmsi) + copy * 7919) % 1_000_000_000},{rest}" if mmsi.isdigit() else line
        )
    return "\n".join(out) + "\n"


def _child(mode: str, csv: Path, out: Path) -> dict[str, Any]:
    code = {
        "watchkeeper": (
            "from watchkeeper import ingest_files; "
            f"s = ingest_files([{str(csv)!r}], {str(out)!r}); print(s[0].positions)"
        ),
        "duckdb": (
            "import duckdb; c = duckdb.connect(); "
            f"c.execute(\"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}.parquet'\"); print(0)"
        ),
    }[mode]
    code += "; import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    rows, peak_kib = done.stdout.strip().splitlines()[-2:]
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(int(peak_kib) / 1024),
        "rows": int(rows),
    }


def run() -> dict[str, Any]:
    """Build the file, run both contenders, return the numbers."""
    with tempfile.TemporaryDirectory(prefix="wk-bench-ingest-") as tmp:
        csv = Path(tmp) / "big.csv"
        rows = build_csv(csv, _target_bytes())
        size_gib = csv.stat().st_size / 2**30
        base = _child("duckdb", csv, Path(tmp) / "duck")
        wk = _child("watchkeeper", csv, Path(tmp) / "ws")
    return {
        "file_gib": round(size_gib, 2),
        "rows": rows,
        "watchkeeper": wk,
        "duckdb_copy_baseline": base,
        "watchkeeper_rows_per_s": round(rows / wk["seconds"]),
        "time_ratio_vs_duckdb": round(wk["seconds"] / base["seconds"], 2),
        "peak_rss_under_1gib": wk["peak_rss_mib"] < 1024,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
