"""Run every benchmark, print its numbers and write them to ``docs/benchmarks.json``.

Each ``benchmarks/bench_<name>.py`` defines ``run() -> dict`` returning its measurements,
always with a baseline measured in the same run (so ratios hold across machines).
``docs/benchmarks.md`` is written from these numbers together with the machine they came from;
a module's ``SIDE_BY_SIDE`` names result keys holding one dict per variant (the service's
backends), shown as one table with a column per variant.

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
    md = ROOT / "docs" / "benchmarks.md"
    md.write_text(render(machine(), results))
    print(f"wrote {out_path} and {md}")
    return 0


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows: list[tuple[str, Any]] = []
        for key, sub in value.items():
            rows.extend(_flatten(f"{prefix}.{key}" if prefix else str(key), sub))
        return rows
    return [(prefix, value)]


def render(mach: dict[str, Any], results: dict[str, Any]) -> str:
    """docs/benchmarks.md from the numbers: what each benchmark compares, then its table."""
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks.run`) from `docs/benchmarks.json`; do not",
        "edit by hand. Every benchmark measures its baseline in the same run, on the same machine,",
        "so ratios are comparable across machines even when seconds are not.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in mach.items()],
        "",
    ]
    for name, numbers in sorted(results.items()):
        module = importlib.import_module(f"benchmarks.bench_{name}")
        doc = (module.__doc__ or "").strip()
        side = set(getattr(module, "SIDE_BY_SIDE", ()))
        out += [f"## {name}", "", doc, "", "| measure | value |", "|---|---|"]
        plain = {k: v for k, v in numbers.items() if k not in side}
        out += [f"| {k} | {v} |" for k, v in _flatten("", plain)]
        out.append("")
        for key in side & numbers.keys():
            out += _side_by_side(key, numbers[key])
    return "\n".join(out) + "\n"


def _side_by_side(key: str, variants: dict[str, Any]) -> list[str]:
    """One table, a column per variant, a row per measure."""
    flat = {name: dict(_flatten("", sub)) for name, sub in variants.items()}
    measures = list(dict.fromkeys(m for sub in flat.values() for m in sub))
    out = [f"| {key} | {' | '.join(flat)} |", "|---|" + "---|" * len(flat)]
    for m in measures:
        out.append(f"| {m} | {' | '.join(str(sub.get(m, '')) for sub in flat.values())} |")
    out.append("")
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
