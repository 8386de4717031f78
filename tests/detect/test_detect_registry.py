"""The registry is complete: every detector has its docs page with a parameter table matching
its defaults, a colour, risk reasons known to the scorer, and a unit-test file; the tables
derived from it agree with it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.assess.risk import RiskWeights
from watchkeeper.context import places
from watchkeeper.context.reception import CoverageParams
from watchkeeper.detect import REGISTRY, DetectParams, EventType
from watchkeeper.detect.registry import DetectorSpec, Scope, kml_colour, spec
from watchkeeper.publish.kml import EVENT_COLOURS as KML_COLOURS
from watchkeeper.publish.report.svg import EVENT_COLOURS
from watchkeeper.schema import EVENT_TYPES
from watchkeeper.simulate.observe import RULES

ROOT = Path(__file__).parents[2]
SPECS = pytest.mark.parametrize("s", REGISTRY, ids=[str(s.type) for s in REGISTRY])


def test_one_spec_per_event_type() -> None:
    assert sorted(str(s.type) for s in REGISTRY) == sorted(EVENT_TYPES) == sorted(EventType)
    assert all(spec(t).type == t for t in EVENT_TYPES)
    assert set(RULES) <= set(EVENT_TYPES)  # the simulator's observability rules


@SPECS
def test_spec_has_colour_risk_keys_and_a_test_file(s: DetectorSpec[Any]) -> None:
    assert re.fullmatch(r"#[0-9a-f]{6}", s.colour)
    assert EVENT_COLOURS[s.type] == s.colour
    assert (
        KML_COLOURS[s.type]
        == kml_colour(s.type)
        == "ff" + "".join(s.colour[i : i + 2] for i in (5, 3, 1))
    )
    weights = {f.name for f in dataclasses.fields(RiskWeights)}
    assert s.risk_keys and set(s.risk_keys) <= weights
    assert (ROOT / "tests" / "detect" / f"test_detect_{s.type}.py").is_file()
    assert (s.scope is Scope.PAIR) == (s.type in ("encounter", "dark_sts"))
    assert dataclasses.is_dataclass(s.params) and s.params.__dataclass_params__.frozen  # type: ignore[attr-defined]


@SPECS
def test_docs_page_parameter_table_matches_the_defaults(s: DetectorSpec[Any]) -> None:
    page = ROOT / s.docs
    assert page.is_file(), f"{s.docs} missing"
    documented = parameter_table(page.read_text("utf-8"))
    defaults = _defaults(s.params())
    missing = sorted(set(defaults) - set(documented))
    assert not missing, f"{s.docs}: parameters not in the table: {missing}"
    p = DetectParams()
    stage = {type(v).__name__: _defaults(v) for v in (p.segment, p.resample, p.anchorages)}
    stage["places"] = {k: v for k, v in vars(places).items() if k.isupper()}  # module constants
    stage["CoverageParams"] = _defaults(CoverageParams())
    for name, text in documented.items():
        owner, _, field = name.rpartition(".")
        source = stage[owner] if owner else defaults
        assert field in source, f"{s.docs}: {name} is not a parameter"
        assert _same(text, source[field]), f"{s.docs}: {name} = {text!r}, code {source[field]!r}"


def _defaults(obj: Any) -> dict[str, Any]:
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)
        if f.init and not f.name.startswith("_")
    }


def parameter_table(markdown: str) -> dict[str, str]:
    """Name -> default text of the table headed ``| parameter | default | ...``; a row may
    name several parameters (``a``, ``b``) with as many comma-separated defaults (or one)."""
    out: dict[str, str] = {}
    inside = False
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| parameter | default"):
            inside = True
            continue
        if not inside or set(line) <= set("|-: "):
            continue
        if not line.startswith("|"):
            break
        names = re.findall(r"`([\w.]+)`", cells[0])
        text = re.sub(r"\s\([^)]*\)", "", cells[1])  # "92.6 (50 nm)": the note goes
        values = [text] if len(names) == 1 else [v.strip() for v in text.split(",")]
        if len(values) == 1:
            values *= len(names)
        assert len(values) == len(names), f"row {line!r}: {len(names)} names, {values}"
        out.update(zip(names, values, strict=True))
    return out


def _same(text: str, value: Any) -> bool:
    """Whether a documented default (``2``, ``0.5``, ``true``, ``SegmentParams()``) is the
    code's (units after the number are allowed: ``1°``, ``60 h``)."""
    text = text.strip("` ")
    if isinstance(value, bool):
        return text == str(value).lower()
    if isinstance(value, dict):  # "tanker 1, cargo 0.8"
        pairs = [p.split() for p in text.split(",")]
        return {k: float(v) for k, v in pairs} == {k: float(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return text == f"{type(value).__name__}()" and value == type(value)()
    if isinstance(value, (int, float)):
        number = re.match(r"-?[\d_]+(\.\d+)?(e-?\d+)?", text)
        return number is not None and float(number.group(0).replace("_", "")) == float(value)
    return text.strip("'\"") == str(value)


def test_table_parser_reads_rows_of_several_names() -> None:
    md = "| parameter | default | source |\n|---|---|---|\n| `a`, `b` | 1, 2 h | x |\n"
    md += "| `c` | 92.6 (50 nm) | y |\n| `e` | `SegmentParams()` | w |\n\nafter\n| `d` | 1 | z |\n"
    assert parameter_table(md) == {"a": "1", "b": "2 h", "c": "92.6", "e": "`SegmentParams()`"}
    assert _same("2 h", 2.0) and not _same("3", 2.0) and _same("true", True)


def test_the_detectors_page_lists_the_registry() -> None:
    from watchkeeper.detect.registry import markdown_table

    assert markdown_table() in (ROOT / "docs" / "detectors" / "README.md").read_text("utf-8")
