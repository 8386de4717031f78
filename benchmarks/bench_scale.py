"""Scale benchmark (issue 17): detect on real-shaped days, local engine against Dask engine.

A real-shaped day is the real NOAA day in ``../shared/data/csv/noaa-2020-01-01/`` (1.42 M rows,
three US coasts) repeated under other MMSIs: copy k keeps each vessel's MID (flag) and class,
with a fresh 6-digit suffix, its positions shifted k x 5.5 km north (0.0495 degree of
latitude), its IMO and call sign dropped (a copy is another hull: no shared IMO), until the day
holds the wanted number of positions (the last copy takes part of the vessels). Sizes: 2 and
5, 10 and 20 M positions in one day (``WATCHKEEPER_SCALE_SIZES``, in millions), and two
such 2 M days one after the other (two windows, so two workers have work at once): the second
day is the first played backward (every vessel sails back along its track from where it was at
midnight; a day repeated forward would make every vessel jump back to its morning position).

Each case runs ``detect`` once in its own subprocess (the engine's cluster inside it), while
this process samples the resident memory of the subprocess and all its descendants every
0.2 s (``peak_tree_rss_mb``: client, nanny and worker processes of a Dask cluster together;
``peak_process_rss_mb``: the largest single process). Each process loads the 0.9 GB land mask
of ``global-land-mask`` once. The Dask engine runs a ``LocalCluster`` of ``WORKERS``
single-threaded worker processes; its events must be those of the local engine (the same
event ids, ``same_events``).

Reading the numbers: a day above ``unit_positions`` (2 M) is split in units of work (MMSI
groups for the context and the single-vessel detectors, spatial tiles for encounters, one
dark-STS pass over the groups' gaps; docs/scale.md), so peak memory is that of a unit, not of
the day, and the Dask engine gives the groups of one day to all its workers. The projection
for a 180 M-position day uses the measured local throughput per CPU second of the largest day
(one single-core worker; wall time on this shared machine varies with the other jobs) and the
memory on the line through the two largest one-day sizes (what still grows with the day: the
kept events and the run's context: reception map, learned places); see docs/scale.md.

Usage: ``python -m benchmarks.run scale``; skipped with a message when the real day is absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (
    ROOT.parent
    / "shared"
    / "data"
    / "csv"
    / "noaa-2020-01-01"
    / "AIS_2020_01_01_three_coasts.csv.gz"
)
SIZES_M = tuple(
    float(s) for s in os.environ.get("WATCHKEEPER_SCALE_SIZES", "2,5,10,20").split(",") if s.strip()
)
MULTI_DAY = (2, 2.0)  # two days of 2 M positions each: two windows
WORKERS = 2  # this machine's cores
SHIFT_DEG = 0.0495  # 5.5 km of latitude (1 degree = 111.2 km), as in the experiment
SAMPLE_S = 0.2  # memory sampling period
_DAY_MS = 86_400_000
_REAL_DAY_MS = 1_577_836_800_000  # 2020-01-01T00:00Z, the real day's start


def cache_dir() -> Path:
    """Where built workspaces are kept between runs (``WATCHKEEPER_BENCH_CACHE``)."""
    base = os.environ.get("WATCHKEEPER_BENCH_CACHE") or Path(tempfile.gettempdir()) / "wk-bench"
    path = Path(base) / "scale"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------ building days


def base_workspace() -> Path:
    """The real day ingested once (cached)."""
    from watchkeeper import Workspace, ingest_files

    path = cache_dir() / "real-day"
    if not (path / "positions").exists():
        shutil.rmtree(path, ignore_errors=True)
        ingest_files([SOURCE], Workspace(path))
    return path


def _new_mmsis(mmsi: np.ndarray, copies: int) -> list[dict[int, int]]:
    """For each copy k >= 1, original MMSI -> a new one of the same MID (first 3 digits),
    its 6-digit suffix counted down from 999999, skipping the MMSIs of the real day."""
    used = {int(m) for m in mmsi}
    nxt: dict[int, int] = {}
    out: list[dict[int, int]] = [{int(m): int(m) for m in mmsi}]
    for _ in range(1, copies):
        mapping = {}
        for m in sorted(used & set(out[0])):
            mid = m // 1_000_000
            n = nxt.get(mid, 999_999)
            while mid * 1_000_000 + n in used:
                n -= 1
            mapping[m] = mid * 1_000_000 + n
            nxt[mid] = n - 1
        out.append(mapping)
    return out


def _copy(table: pa.Table, mapping: dict[int, int], k: int, day: int) -> pa.Table:
    """Copy ``k`` of ``table`` (positions or identities) on day ``day`` after the real one:
    played forward on even days, backward on odd ones (each vessel sails back along its own
    track, so every track goes on at midnight where the day before left it)."""
    keys = np.fromiter(mapping.keys(), np.int64)
    vals = np.fromiter(mapping.values(), np.int64)
    mmsi = table.column("mmsi").to_numpy().astype(np.int64)
    keep = np.isin(mmsi, keys)
    t = table.filter(pa.array(keep))
    idx = np.searchsorted(keys, mmsi[keep])
    cols = {name: t.column(name) for name in t.column_names}
    cols["mmsi"] = pa.array(vals[idx]).cast(table.schema.field("mmsi").type)
    moved = {n: _moved(t.column(n), day) for n in ("ts", "ts_last") if n in cols}
    if day % 2 and "ts_last" in moved:  # backward: a run's last report comes first
        moved = {"ts": pc.coalesce(moved["ts_last"], moved["ts"]), "ts_last": moved["ts"]}
    for name, values in moved.items():
        cols[name] = values.cast(table.schema.field(name).type)
    if day % 2 and "cog_deg" in cols:
        cols["cog_deg"] = pc.cast(pc.add(cols["cog_deg"], 180.0), pa.float32())
        cols["cog_deg"] = pc.if_else(
            pc.greater_equal(cols["cog_deg"], 360.0),
            pc.subtract(cols["cog_deg"], 360.0),
            cols["cog_deg"],
        ).cast(pa.float32())
        cols["heading_deg"] = pa.nulls(t.num_rows, table.schema.field("heading_deg").type)
    if "lat" in cols:
        cols["lat"] = pc.add(t.column("lat"), k * SHIFT_DEG)
    if k and "imo" in cols:
        for name in ("imo", "callsign"):
            if name in cols:
                cols[name] = pa.nulls(t.num_rows, table.schema.field(name).type)
    return pa.table(cols, schema=table.schema)


def _moved(ts: pa.ChunkedArray, day: int) -> pa.ChunkedArray:
    """Times of the real day moved to ``day`` days later, mirrored on odd days."""
    ms = ts.cast(pa.int64())
    if day % 2 == 0:
        return pc.add(ms, pa.scalar(day * _DAY_MS, pa.int64()))
    start = _REAL_DAY_MS  # t -> start + (day + 1) days - 1 ms - (t - start)
    return pc.subtract(pa.scalar(2 * start + (day + 1) * _DAY_MS - 1, pa.int64()), ms)


def build(size_m: float, days: int = 1) -> Path:
    """A workspace of ``days`` real-shaped days of ``size_m`` M positions each (cached)."""
    from watchkeeper import Workspace

    path = cache_dir() / f"ws-{size_m:g}M-x{days}d"
    if (path / "positions").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    base = Workspace(base_workspace(), create=False)
    pos, ids = base.read("positions"), base.read("identities")
    target = int(size_m * 1_000_000)
    copies = -(-target // pos.num_rows)
    mmsis = np.unique(pos.column("mmsi").to_numpy())
    maps = _new_mmsis(mmsis, copies)
    # the last copy takes the vessels (in MMSI order) that complete the day
    per_mmsi = pos.group_by("mmsi").aggregate([("mmsi", "count")]).sort_by("mmsi")
    counts = np.cumsum(per_mmsi.column("mmsi_count").to_numpy())
    rest = target - (copies - 1) * pos.num_rows
    last = per_mmsi.column("mmsi").to_numpy()[: int(np.searchsorted(counts, rest)) + 1]
    maps[-1] = {m: maps[-1][m] for m in map(int, last)}
    ws = Workspace(path)
    for layer, table in (("positions", pos), ("identities", ids)):
        writer = ws.writer(layer, f"scale-{layer}")
        try:
            for day in range(days):
                for k, mapping in enumerate(maps):
                    writer.write(_copy(table, dict(sorted(mapping.items())), k, day))
        finally:
            writer.close()
    return path


# ------------------------------------------------------------------ measuring


def run_detect(ws_path: str, engine: str) -> dict[str, Any]:
    """Detect over ``ws_path`` with ``engine`` (subprocess entry): time, events, their ids."""
    from watchkeeper import Workspace
    from watchkeeper.detect import DetectParams

    ws = Workspace(ws_path, create=False)
    params = DetectParams()
    t0, c0 = time.perf_counter(), time.process_time()
    workers_cpu = 0.0
    if engine == "dask":
        from watchkeeper.detect.dask_engine import dask_client, detect_workspace_dask

        with dask_client(workers=WORKERS) as client:
            started = time.perf_counter() - t0
            events = detect_workspace_dask(ws, client, params=params)
            workers_cpu = sum(client.run(_process_cpu_s).values())
    else:
        from watchkeeper.detect.run import detect_workspace

        started = 0.0
        events = detect_workspace(ws, params=params)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0 + workers_cpu
    ids = "\n".join(sorted(events.column("event_id").to_pylist()))
    return {
        "wall_s": round(wall, 1),
        "cluster_start_s": round(started, 1),
        "cpu_s": round(cpu, 1),
        "events": events.num_rows,
        "event_ids_sha256": hashlib.sha256(ids.encode()).hexdigest()[:16],
    }


def run_stages(ws_path: str) -> dict[str, Any]:
    """The local engine's stages over ``ws_path``, timed one by one (subprocess entry):
    the real day's ingest (CSV to Parquet), the context's first pass, its merge, the
    windows, and stitching with the write."""
    from watchkeeper import Workspace, ingest_files
    from watchkeeper.detect import DetectParams
    from watchkeeper.detect.plan import finish, make_plan
    from watchkeeper.detect.run import merge_context, run_window, window_context

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="wk-scale-") as tmp:
        t0 = time.perf_counter()
        ingest_files([SOURCE], Workspace(Path(tmp) / "ws"))
        out["ingest_real_day_s"] = round(time.perf_counter() - t0, 1)
        out["ingest_real_day_positions"] = Workspace(Path(tmp) / "ws").count("positions")
    ws, params = Workspace(ws_path, create=False), DetectParams()
    out["positions"] = ws.count("positions")
    t0 = time.perf_counter()
    plan = make_plan(ws.day_counts("positions"), ws.last_time("positions"), params)
    parts = [window_context(ws, w, params) for w in plan.windows]
    t1 = time.perf_counter()
    context = merge_context(parts, params)
    t2 = time.perf_counter()
    kept = [run_window(ws, w, context, params) for w in plan.windows]
    t3 = time.perf_counter()
    events = finish(kept)
    ws.write_tables({**context.to_tables(), "events": events})
    t4 = time.perf_counter()
    out.update(
        context_first_pass_s=round(t1 - t0, 1),
        context_merge_s=round(t2 - t1, 1),
        windows_s=round(t3 - t2, 1),
        stitch_and_write_s=round(t4 - t3, 1),
    )
    return out


def _process_cpu_s() -> float:
    """CPU seconds of the calling process (run on each Dask worker, start-up included)."""
    import psutil

    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def _tree_rss(proc: Any) -> tuple[int, int]:
    """Resident bytes of ``proc`` and its descendants: (sum, largest)."""
    import psutil

    total = biggest = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        biggest = max(biggest, rss)
    return total, biggest


def measure(ws_path: Path, engine: str) -> dict[str, Any]:
    """One detect run in a subprocess, its process tree's memory sampled meanwhile."""
    import psutil

    from watchkeeper import Workspace

    ws = Workspace(ws_path, create=False)
    positions, windows = ws.count("positions"), len(ws.day_counts())
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_scale", "detect", str(ws_path), engine],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        ps = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                total, biggest = _tree_rss(ps)
            except psutil.Error:
                break
            peak[0], peak[1] = max(peak[0], total), max(peak[1], biggest)
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        return {"engine": engine, "error": f"exit {proc.returncode}"}
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    workers = WORKERS if engine == "dask" else 1
    result.update(
        positions=positions,
        windows=windows,
        workers=workers,
        peak_tree_rss_mb=round(peak[0] / 2**20),
        peak_process_rss_mb=round(peak[1] / 2**20),
        kpos_per_s=round(positions / result["wall_s"] / 1000, 1),
        kpos_per_cpu_s=round(positions / result["cpu_s"] / 1000, 1),
    )
    return result


def _case(ws_path: Path) -> dict[str, Any]:
    local, dask = measure(ws_path, "local"), measure(ws_path, "dask")
    same = local.get("event_ids_sha256") == dask.get("event_ids_sha256") is not None
    return {"local": local, "dask": dask, "same_events": same}


def _projection(cases: dict[str, Any]) -> dict[str, Any]:
    """A 180 M-position day from the one-day local runs: time at the measured throughput of
    one worker on the largest day, memory on the line through the two largest days."""
    ones = sorted(
        (
            c["local"]
            for c in cases.values()
            if "wall_s" in c["local"] and c["local"]["windows"] == 1
        ),
        key=lambda r: r["positions"],
    )
    if len(ones) < 2:
        return {}
    a, b = ones[-2], ones[-1]
    per_s = b["positions"] / b["cpu_s"]  # CPU time: the steadier figure on a shared machine
    slope = (b["peak_process_rss_mb"] - a["peak_process_rss_mb"]) / (
        b["positions"] - a["positions"]
    )
    mem_180 = b["peak_process_rss_mb"] + slope * (180e6 - b["positions"])
    return {
        "per_core_kpos_per_cpu_s": round(per_s / 1000, 1),
        "memory_mb_per_m_positions": round(slope * 1e6),
        "day_180m_one_window_min": round(180e6 / per_s / 60, 1),
        "day_180m_one_window_peak_gb": round(mem_180 / 1024, 1),
    }


def run() -> dict[str, Any]:
    """Every size, local and Dask, and the projection (skipped without the real day)."""
    if not SOURCE.exists():
        msg = f"skipped: the real day {SOURCE} is absent (see ../shared/data/README.md)"
        print(msg)
        return {"skipped": msg}
    cases = {f"{s:g}M": _case(build(s)) for s in SIZES_M}
    days, size = MULTI_DAY
    cases[f"{days}x{size:g}M"] = _case(build(size, days))
    stages = _stages(build(SIZES_M[-1]))
    return {"workers": WORKERS, "cases": cases, "stages": stages, "projection": _projection(cases)}


def _stages(ws_path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_scale", "stages", str(ws_path), "local"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    per_m = result["positions"] / 1e6
    for key in ("context_first_pass_s", "context_merge_s", "windows_s", "stitch_and_write_s"):
        result[key.removesuffix("_s") + "_s_per_m"] = round(result[key] / per_m, 2)
    ingest_m = result["ingest_real_day_positions"] / 1e6
    result["ingest_s_per_m"] = round(result["ingest_real_day_s"] / ingest_m, 2)
    return result


def main(argv: list[str]) -> int:
    mode, path, engine = argv
    if mode not in ("detect", "stages"):
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(run_detect(path, engine) if mode == "detect" else run_stages(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
