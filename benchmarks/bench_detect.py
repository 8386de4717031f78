"""Detect benchmark (issue 4): every detector over 1 and 2 simulated days of 10,000 vessels.

Synthetic traffic is generated directly with numpy in the canonical ``positions`` schema and
written into a temporary workspace (one per size, cached between runs): vessels drift at
sea with a report every ``INTERVAL_S`` seconds (4.8 M positions a day, 9.6 M for two), and
one vessel in ``PAIR_EVERY`` meets a partner and drifts beside it (planted encounters). Each
size then runs ``detect_workspace`` in its own subprocess so that its time and peak memory
(``ru_maxrss``, including the 0.9 GB land mask of ``global-land-mask``) are its own; each
size runs twice and keeps the faster run (the highest peak memory of the two).

Targets (issue 4): 2 days / 1 day <= 2.3x (``ratio_2d_1d_*``; CPU time is the steadier figure
on a shared machine), peak memory < 4 GB for ~10 M positions (``sizes.2d.peak_rss_mb``), and
the encounter rule >= 20x faster than a straightforward pandas implementation of the same
definition (grid cell + 8 neighbours, haversine, runs of slices, both medians) on the same
resampled tracks in the same run (``encounters_vs_pandas``, best of two runs each).

How detect scales: days are processed in windows of at most 5 M positions (here one day
each) with 3 h halos (6 h of re-read data per day instead of 24 h with the former 12 h
halos); runs cut at a window edge are stitched with their continuation from the next window;
positions are read already filtered and sorted by DuckDB, with only the columns detectors
use; the encounter join runs on integer cell keys (own cell + half of the neighbours) of the
tracks that were ever slow. A 2-day run reads 2 x 27 h = 2.25x the data of a 1-day run: that
is the floor of the ratio with day windows. One 9.6 M-position window is slower (17.8 s
against 15.6 s) and bigger (3.3 GB against 2.4 GB) than two day windows on this machine.
Before this work (same machine, 12 h halos): 1 day 20.8 s / 2.9 GB, 2 days 87 s / 3.8 GB,
ratio 4.18x; encounter rule 2.5x faster than pandas.

Usage: ``python -m benchmarks.run detect`` (all) or
``python -m benchmarks.bench_detect detect <workspace>`` (one size, prints JSON).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

VESSELS = int(os.environ.get("WATCHKEEPER_BENCH_VESSELS", "10000"))  # issue 4: 10,000 vessels
INTERVAL_S = 180  # one report every 3 min: 4.8 M positions a day, ~10 M for 2 days
PAIR_EVERY = 50  # one vessel in 50 meets a partner (planted encounter)
DAYS = (1, 2)
SEED = 11
START_S = 1_704_067_200  # 2024-01-01T00:00Z
ROOT = Path(__file__).resolve().parents[1]


def cache_dir() -> Path:
    """Where generated workspaces are kept between runs (``WATCHKEEPER_BENCH_CACHE``)."""
    base = os.environ.get("WATCHKEEPER_BENCH_CACHE") or Path(tempfile.gettempdir()) / "wk-bench"
    path = Path(base) / "detect"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------ generation


def _day_positions(rng: np.random.Generator, day: int, state: dict[str, Any]) -> pa.Table:
    """One day of reports for every vessel, continuing the tracks kept in ``state``."""
    from watchkeeper.schema import POSITIONS

    steps = 86_400 // INTERVAL_S
    n = VESSELS
    lat0, lon0 = state["lat"], state["lon"]
    sog = state["sog"]
    cog = state["cog"] + rng.normal(0, 2, (steps, n)).cumsum(axis=0)
    cog[:, 1::PAIR_EVERY] = cog[:, ::PAIR_EVERY][:, : cog[:, 1::PAIR_EVERY].shape[1]]
    rad = np.radians(cog)
    step_nm = sog * INTERVAL_S / 3600
    lat = lat0 + (step_nm * np.cos(rad) / 60).cumsum(axis=0)
    lon = lon0 + (step_nm * np.sin(rad) / (60 * np.cos(np.radians(lat0)))).cumsum(axis=0)
    jitter = rng.integers(-30, 30, (steps, n))
    t = START_S + day * 86_400 + np.arange(steps)[:, None] * INTERVAL_S + 30 + jitter
    sog_all = np.broadcast_to(sog, (steps, n)).astype(np.float32).copy()
    state.update(lat=lat[-1], lon=lon[-1], cog=cog[-1] % 360)
    mmsi = np.broadcast_to(state["mmsi"], (steps, n))
    order = np.argsort(t.ravel(), kind="stable")
    cols = {
        "mmsi": pa.array(mmsi.ravel()[order]),
        "ts": pa.array(t.ravel()[order] * 1000).cast(pa.timestamp("ms", tz="UTC")),
        "lat": pa.array(lat.ravel()[order]),
        "lon": pa.array(lon.ravel()[order]),
        "sog_kn": pa.array(sog_all.ravel()[order]),
        "cog_deg": pa.array((cog.ravel()[order] % 360).astype(np.float32)),
        "msg_type": pa.array(np.ones(steps * n, np.int8)),
        "ais_class": pa.array(np.full(steps * n, "A")),
    }
    return pa.table(
        {f.name: cols.get(f.name, pa.nulls(steps * n, f.type)) for f in POSITIONS}, POSITIONS
    )


def _plant_pairs(state: dict[str, Any]) -> None:
    """Vessel k*PAIR_EVERY + 1 sails beside k*PAIR_EVERY (~150 m), both drifting at 0.2 kn."""
    a = np.arange(0, VESSELS - 1, PAIR_EVERY)
    for key in ("sog", "cog"):
        state[key][a + 1] = state[key][a]
    state["sog"][a] = state["sog"][a + 1] = 0.2
    state["lat"][a + 1] = state["lat"][a] + 0.001
    state["lon"][a + 1] = state["lon"][a] + 0.001


def generate(days: int) -> Path:
    """A workspace with ``days`` simulated days (cached)."""
    from watchkeeper.store import Workspace

    path = cache_dir() / f"ws-{VESSELS}x{days}d-{INTERVAL_S}s-v2"
    if (path / "positions").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    rng = np.random.default_rng(SEED)
    state: dict[str, Any] = {
        "mmsi": np.arange(VESSELS, dtype=np.int64) + 412_000_000,
        # East China Sea box: dense enough that the grid join has real neighbours.
        "lat": rng.uniform(25.5, 32.5, VESSELS),
        "lon": rng.uniform(122.5, 127.5, VESSELS),
        "sog": rng.choice([0.2, 6.0, 11.0, 14.0], VESSELS, p=[0.2, 0.3, 0.3, 0.2]),
        "cog": rng.uniform(0, 360, VESSELS),
    }
    _plant_pairs(state)
    ws = Workspace(path)
    writer = ws.writer("positions", f"bench-{days}d")
    try:
        for day in range(days):
            table = _day_positions(rng, day, state)
            for chunk in table.to_batches(max_chunksize=1_000_000):
                writer.write(pa.Table.from_batches([chunk]))
    finally:
        writer.close()
    return path


# ------------------------------------------------------------------ contenders


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_detect(ws_path: str) -> dict[str, Any]:
    """``detect_workspace`` over the copy of a generated workspace (subprocess entry)."""
    from watchkeeper.store import Workspace

    work = Path(tempfile.mkdtemp(prefix="wk-detect-"))
    try:
        shutil.copytree(ws_path, work / "ws")
        ws = Workspace(work / "ws")
        n = ws.count("positions")
        from watchkeeper.detect.run import detect_workspace

        t0, c0 = time.perf_counter(), time.process_time()
        events = detect_workspace(ws)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        types = events.column("type").value_counts().to_pylist()
        return {
            "positions": n,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "peak_rss_mb": _peak_mb(),
            "events": events.num_rows,
            "by_type": {d["values"]: d["counts"] for d in types},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _resampled(ws_path: Path) -> pa.Table:
    from watchkeeper.store import Workspace
    from watchkeeper.tracks import clean, resample, segment

    pos = Workspace(ws_path).read("positions")
    return resample(segment(clean(pos)).sort_by([("track_id", "ascending"), ("ts", "ascending")]))


def pandas_encounters(rs: Any, params: Any) -> list[tuple[int, int, int, int]]:
    """The encounter rule written plainly with pandas: (a, b, first slice, last slice) runs."""
    import pandas as pd  # type: ignore[import-untyped]  # dev-only baseline, no stubs

    df = rs.to_pandas()
    df["cy"] = np.floor(df["lat"] / params.cell_deg).astype(np.int64)
    df["cx"] = np.floor(df["lon"] / params.cell_deg).astype(np.int64)
    parts = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            probe = df.assign(cy=df["cy"] + dy, cx=df["cx"] + dx)
            m = probe.merge(df, on=["slice", "cy", "cx"], suffixes=("_a", "_b"))
            parts.append(m[(m["track_id_b"] > m["track_id_a"]) & (m["mmsi_a"] != m["mmsi_b"])])
    pairs = pd.concat(parts)
    la, lb = np.radians(pairs["lat_a"]), np.radians(pairs["lat_b"])
    dlon = np.radians(pairs["lon_b"] - pairs["lon_a"])
    h = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin(dlon / 2) ** 2
    pairs = pairs[2 * 6_371_008.8 * np.arcsin(np.sqrt(h)) <= params.max_distance_m]
    pairs = pairs.drop_duplicates(["track_id_a", "track_id_b", "slice"])
    runs = []
    for (a, b), g in pairs.groupby(["track_id_a", "track_id_b"]):
        k = np.sort(g["slice"].to_numpy())
        cut = np.flatnonzero(np.diff(k) > 1 + params.max_missed_slices)
        for s, e in zip(np.r_[0, cut + 1], np.r_[cut, len(k) - 1], strict=True):
            if (k[e] - k[s]) * params.step_s >= params.min_duration_h * 3600:
                sa = g["sog_kn_a"][(g["slice"] >= k[s]) & (g["slice"] <= k[e])].median()
                sb = g["sog_kn_b"][(g["slice"] >= k[s]) & (g["slice"] <= k[e])].median()
                if sa < params.max_speed_kn and sb < params.max_speed_kn:
                    runs.append((int(a), int(b), int(k[s]), int(k[e])))
    return runs


def _best_of(n: int, fn: Any) -> tuple[float, Any]:
    """Shortest wall time of ``n`` calls (the machine is shared) and the last result."""
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def compare_encounters(ws_path: Path) -> dict[str, Any]:
    """Encounter rule (pairs + runs) by watchkeeper and by pandas on the same resampled tracks."""
    from watchkeeper.detect.encounter import EncounterParams, detect_encounters

    params = EncounterParams()
    rs = _resampled(ws_path)
    wk_s, ours = _best_of(2, lambda: detect_encounters(rs, params=params))
    pd_s, theirs = _best_of(2, lambda: pandas_encounters(rs, params))
    return {
        "resampled_rows": rs.num_rows,
        "watchkeeper_s": round(wk_s, 2),
        "pandas_s": round(pd_s, 2),
        "speedup": round(pd_s / wk_s, 1),
        "events_watchkeeper": ours.num_rows,
        "runs_pandas": len(theirs),
    }


def _subprocess(mode: str, arg: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_detect", mode, arg],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _best_run(ws_path: str, n: int = 2) -> dict[str, Any]:
    """The fastest of ``n`` runs (the machine is shared), with the highest peak memory."""
    runs = [_subprocess("detect", ws_path) for _ in range(n)]
    best = dict(min(runs, key=lambda r: float(r["wall_s"])))
    best["peak_rss_mb"] = max(float(r["peak_rss_mb"]) for r in runs)
    best["runs_wall_s"] = [r["wall_s"] for r in runs]
    return best


def run() -> dict[str, Any]:
    """Both sizes in subprocesses, their ratio, and the encounter comparison."""
    sizes = {f"{d}d": _best_run(str(generate(d))) for d in DAYS}
    one, two = sizes["1d"], sizes["2d"]
    return {
        "vessels": VESSELS,
        "interval_s": INTERVAL_S,
        "sizes": sizes,
        "ratio_2d_1d_wall": round(two["wall_s"] / one["wall_s"], 2),
        "ratio_2d_1d_cpu": round(two["cpu_s"] / one["cpu_s"], 2),
        "encounters_vs_pandas": _subprocess("encounters", str(generate(1))),
    }


def main(argv: list[str]) -> int:
    mode, arg = argv
    result = run_detect(arg) if mode == "detect" else compare_encounters(Path(arg))
    result.setdefault("peak_rss_mb", _peak_mb())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
