"""Run every benchmark, print its numbers and write them to ``docs/benchmarks.json``.

Each ``benchmarks/bench_<name>.py`` defines ``run() -> dict`` returning its measurements,
always with a baseline measured in the same run (so ratios hold across machines).
``docs/benchmarks.md`` is written from these numbers together with the machine they came from.

Usage: ``python -m benchmarks.run [name ...]``
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    """The machine the numbers come from."""
    mem_gib = None
    try:
        with Path("/proc/meminfo").open() as f:
            mem_gib = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def discover() -> list[str]:
    """Names of the benchmark modules."""
    return sorted(p.stem[len("bench_") :] for p in (ROOT / "benchmarks").glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = argv or discover()
    out_path = ROOT / "docs" / "benchmarks.json"
    results: dict[str, Any] = {}
    if out_path.exists():
        results = json.loads(out_path.read_text()).get("results", {})
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        start = time.perf_counter()
        numbers = module.run()
        numbers["wall_s"] = round(time.perf_counter() - start, 1)
        numbers["date"] = time.strftime("%Y-%m-%d")
        results[name] = numbers
        print(f"== {name}")
        print(json.dumps(numbers, indent=2, default=str))
    out_path.parent.mkdir(exist_ok=True)
    out_path.write_text(
        json.dumps({"machine": machine(), "results": results}, indent=2, default=str) + "\n"
    )
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
