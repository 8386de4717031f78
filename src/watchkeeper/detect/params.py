"""Parameters of a detect run: every stage's and every registered detector's, one object.

:class:`DetectParams` holds the stages' parameter dataclasses as fields and the detectors'
in ``detectors`` (one instance per :data:`~watchkeeper.detect.registry.REGISTRY` entry, by
event type), so a new detector needs no field here. :func:`load_params` reads a TOML file
whose sections are the stage fields and the event types; :func:`describe` lists every
parameter with its default and its source (the comment next to it in the code).
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from watchkeeper.context.anchorages import AnchorageParams
from watchkeeper.detect.registry import AIS_GAP, ENCOUNTER, REGISTRY, DetectorSpec
from watchkeeper.errors import ConfigError
from watchkeeper.tracks import ResampleParams, SegmentParams

__all__ = ["DetectParams", "Parameter", "apply", "describe", "load_params", "to_toml"]

P = TypeVar("P")


def _defaults() -> Mapping[str, Any]:
    return MappingProxyType({str(s.type): s.params() for s in REGISTRY})


@dataclass(frozen=True)
class DetectParams:
    """Parameters of every stage of a detect run."""

    segment: SegmentParams = field(default_factory=SegmentParams)
    resample: ResampleParams = field(default_factory=ResampleParams)
    anchorages: AnchorageParams = field(default_factory=AnchorageParams)
    # Each registered detector's parameters by event type; missing types get their defaults.
    detectors: Mapping[str, Any] = field(default_factory=_defaults)
    # Days are processed in windows of at most this many positions (whole days; a bigger day
    # is a window alone): memory is bounded by the window. Measured (docs/benchmarks.md, 10,000
    # vessels, 4.8 M positions a day): two 1-day windows of 2 days take 15.6 s and 2.4 GB, one
    # 9.6 M window 17.8 s and 3.3 GB (sorts grow faster than the 3 h halos cost); small
    # data (a simulated scenario) runs as one window.
    window_positions: int = 5_000_000
    # A window of more positions is split into units of work of about this many: MMSI groups
    # for the detectors of one vessel, spatial tiles (with a halo of the encounter distance)
    # for encounters, and the few gaps and loitering events of all groups for dark STS
    # (docs/scale.md). ~0.86 GB per million positions plus the 0.9 GB land mask: with 2 M, one
    # process peaked at 2.5 GB on a 20 M-position day (1.8 GB per Dask worker).
    unit_positions: int = 2_000_000
    # Halos around each window. Runs cut at a window edge are stitched (detect/plan.py), so
    # the halos need only give context: pre + post >= the 6 h gap threshold (GapParams), so
    # a gap starting late on D is seen whole (or open) by one of the two windows; each halo
    # costs its share of a day in time (the 2x data <= 2.3x time).
    pre_halo_h: float = 3.0
    post_halo_h: float = 3.0
    # Identity reports are few: a longer look back finds the previous value of a field
    # (a draught or name last reported before a day of silence).
    identity_halo_h: float = 48.0
    port_files: tuple[str, ...] = field(default=())  # WPI-style CSVs given by the user
    zone_files: tuple[str, ...] = field(default=())  # GeoJSON polygons given by the user
    builtin_zones: bool = True  # North Korean waters and reported STS hotspots

    def __post_init__(self) -> None:
        merged = dict(_defaults())
        unknown = sorted(set(self.detectors) - set(merged))
        if unknown:
            raise ConfigError(f"unknown detector(s) {unknown}; known: {sorted(merged)}")
        for kind, value in self.detectors.items():
            expected = merged[kind].__class__
            if not isinstance(value, expected):
                raise ConfigError(f"{kind}: expected {expected.__name__}, got {value!r}")
            merged[kind] = value
        object.__setattr__(self, "detectors", MappingProxyType(merged))
        self._check()

    def _check(self) -> None:
        """Cross-field checks: parameters of different stages that must agree."""
        if self.pre_halo_h < 0 or self.post_halo_h < 0 or self.window_positions < 1:
            raise ConfigError("halos must be >= 0 and window_positions >= 1")
        if self.unit_positions < 1:
            raise ConfigError("unit_positions must be >= 1")
        if self.pre_halo_h + self.post_halo_h < self.of(AIS_GAP).min_gap_h:
            raise ConfigError("pre_halo_h + post_halo_h must cover ais_gap.min_gap_h")
        if self.of(ENCOUNTER).step_s != self.resample.step_s:
            raise ConfigError(
                f"encounter.step_s ({self.of(ENCOUNTER).step_s}) must equal resample.step_s "
                f"({self.resample.step_s}): encounters count slices of the resampled grid"
            )

    def of(self, spec: DetectorSpec[P]) -> P:
        """The parameters of one registered detector."""
        value: P = self.detectors[str(spec.type)]
        return value

    def __hash__(self) -> int:
        return hash(repr(self))


_STAGES = ("segment", "resample", "anchorages")


@dataclass(frozen=True)
class Parameter:
    """One parameter of a run: its dotted name (the params file key), default and source."""

    name: str
    default: Any
    source: str


def describe(params: DetectParams | None = None) -> list[Parameter]:
    """Every parameter of ``params`` (defaults if None) with the comment that sources it."""
    params = params or DetectParams()
    run = _fields(params, "", skip=frozenset({"detectors"}))
    out = [p for p in run if "." not in p.name] + [p for p in run if "." in p.name]
    for kind, value in params.detectors.items():
        documented = _docs_sources(kind)
        for p in _fields(value, f"{kind}."):
            short = p.name.removeprefix(f"{kind}.")
            out.append(p if p.source else replace(p, source=documented.get(short, "")))
    return out


def _fields(
    obj: Any, prefix: str, skip: frozenset[str] | set[str] = frozenset()
) -> list[Parameter]:
    notes = _comments(obj.__class__)
    out: list[Parameter] = []
    for f in fields(obj):
        if f.name in skip or f.name.startswith("_") or not f.init:
            continue
        value = getattr(obj, f.name)
        if is_dataclass(value) and not isinstance(value, type):
            out += _fields(value, f"{prefix}{f.name}.")
        else:
            out.append(Parameter(prefix + f.name, value, notes.get(f.name, "")))
    return out


@cache
def _comments(cls: type[Any]) -> dict[str, str]:
    """The source comment of each field of dataclass ``cls``: the comment on its line, else
    the comment block above it, else (fields declared together) the previous field's."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    out: dict[str, str] = {}
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    previous: tuple[int, str, str] | None = None  # last line, name, block of the previous field
    for node in body.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            previous = None
            continue
        name, first, end = node.target.id, node.lineno - 1, node.end_lineno or node.lineno
        trailing, block = _trailing(lines[first:end]), _block_above(lines, first)
        if not (trailing or block) and previous and previous[0] == first - 1:
            block = previous[2] if _related(name, previous[1], previous[2]) else ""
        out[name] = trailing or block
        previous = (end - 1, name, "" if trailing else block)
    return out


def _related(name: str, previous: str, block: str) -> bool:
    """Whether a field declared right after ``previous`` shares its comment ``block``: the
    block names it, or the two names share their first or last words (pre/post_halo_h)."""
    return bool(block) and (
        f"{name}" in block
        or name.split("_", maxsplit=1)[0] == previous.split("_", maxsplit=1)[0]
        or name.split("_", 1)[-1] == previous.split("_", 1)[-1]
    )


def _trailing(lines: list[str]) -> str:
    for line in lines:
        if "#" in line:
            return line.split("#", 1)[1].strip()
    return ""


def _block_above(lines: list[str], first: int) -> str:
    above: list[str] = []
    i = first - 1
    while i >= 0 and lines[i].strip().startswith("#"):
        above.insert(0, lines[i].strip().lstrip("#").strip())
        i -= 1
    return " ".join(above)


#: The detector pages, where a parameter without a comment in the code has its source.
_DOCS = Path(__file__).resolve().parents[3] / "docs" / "detectors"


@cache
def _docs_sources(kind: str) -> dict[str, str]:
    """Parameter -> source column of the table in ``docs/detectors/<kind>.md`` (if present)."""
    page = _DOCS / f"{kind}.md"
    if not page.is_file():
        return {}
    out: dict[str, str] = {}
    inside = False
    for line in page.read_text("utf-8").splitlines():
        if line.startswith("| parameter | default"):
            inside = True
        elif inside and not line.startswith("|"):
            break
        elif inside and not set(line) <= set("|-: "):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            for name in re.findall(r"`([\w.]+)`", cells[0]):
                out[name] = f"{cells[-1]} (docs/detectors/{kind}.md)"
    return out


def load_params(path: str | Path, base: DetectParams | None = None) -> DetectParams:
    """``base`` (defaults if None) with the values of TOML file ``path``.

    Top-level keys set run parameters (``window_positions = 1``); sections set a stage
    (``[resample]``) or a detector by its event type (``[encounter]``). An unknown key, or a
    value of the wrong type, is a :class:`ConfigError` naming it.
    """
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"params file {path}: {exc}") from exc
    return apply(base or DetectParams(), data, str(path))


def apply(params: DetectParams, data: Mapping[str, Any], where: str = "params") -> DetectParams:
    """``params`` with the values of a nested mapping (a parsed params file)."""
    top = {f.name for f in fields(params)} - {"detectors"}
    changes: dict[str, Any] = {}
    detectors = dict(params.detectors)
    for key, value in data.items():
        if key in params.detectors and isinstance(value, Mapping):
            detectors[key] = _replace(detectors[key], value, f"{where}: [{key}]")
        elif key in _STAGES and isinstance(value, Mapping):
            changes[key] = _replace(getattr(params, key), value, f"{where}: [{key}]")
        elif key in top and key not in _STAGES and not isinstance(value, Mapping):
            changes[key] = _coerce(getattr(params, key), value, f"{where}: {key}")
        else:
            known = sorted(top | set(params.detectors))
            raise ConfigError(f"{where}: unknown parameter {key!r}; known: {', '.join(known)}")
    return replace(params, detectors=detectors, **changes)


def _replace(obj: Any, values: Mapping[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(obj) if f.init and not f.name.startswith("_")}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown parameter {key!r}; known: {', '.join(known)}")
        current = getattr(obj, key)
        if is_dataclass(current) and isinstance(value, Mapping):
            changes[key] = _replace(current, value, f"{where}.{key}")
        else:
            changes[key] = _coerce(current, value, f"{where}.{key}")
    try:
        return replace(obj, **changes)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _coerce(current: Any, value: Any, where: str) -> Any:
    """``value`` as the type of the default it replaces (TOML ints for floats, lists for tuples)."""
    if isinstance(current, bool) or current is None:
        if current is not None and not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(current, (int, float, str)) and type(value) is not type(current):
        raise ConfigError(f"{where}: expected {type(current).__name__}, got {value!r}")
    return value


def to_toml(params: DetectParams | None = None) -> str:
    """Every parameter as a params file (TOML), each preceded by its source as a comment:
    what ``watchkeeper params`` prints, and a starting point for ``detect --params``."""
    out: list[str] = []
    section = ""
    for p in describe(params):
        head, _, key = p.name.rpartition(".")
        if head != section:
            out += ["", f"[{head}]"]
            section = head
        out += [f"# {line}" for line in textwrap.wrap(p.source or "(no source)", 96)]
        value = _toml_value(p.default)
        out.append(f"{key} = {value}" if value is not None else f"# {key} = (none: unset)")
    return "\n".join(out).lstrip("\n") + "\n"


def _toml_value(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(str(_toml_value(x)) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise ConfigError(f"parameter value {v!r} has no TOML form")
