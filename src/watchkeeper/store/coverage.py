"""Data coverage of a workspace: positions per hour and per region, and whether the data is a
short or lopsided sample (``watchkeeper info``).

Why: every detector assumes hours of steady reporting. On a sample whose rows sit in a few
minutes (the NOAA 2022 sample holds 99.6 % of its rows in 00:00-00:25 UTC and a few hundred
more near midnight) every vessel seems silent for a day, and gaps, loitering and risk read
the sampling as behaviour. The warnings say so before anyone reads the findings.

Definitions (parameters in :class:`CoverageParams`):

- *core window*: the shortest time window holding ``core_share`` of the positions (minute
  resolution). The sample is **short** when the core window is shorter than ``short_h``.
- *hourly profile*: positions per UTC hour over every hour from the first to the last
  position, empty hours included. The sample is **lopsided** when the fewest hours that hold
  ``busy_share`` of the positions are fewer than ``lopsided_frac`` of the hours spanned.
- *regions*: cells of ``cell_deg`` degrees (``"35N-40N 80W-75W"``) with their positions,
  vessels and hours with data, most positions first.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from watchkeeper.errors import ConfigError
from watchkeeper.store.workspace import Workspace

__all__ = [
    "Coverage",
    "CoverageParams",
    "Region",
    "assess_coverage",
    "cell_label",
    "core_window",
    "workspace_coverage",
]

Ints = npt.NDArray[np.int64]
MINUTE = 60
HOUR = 3600


@dataclass(frozen=True)
class CoverageParams:
    """Thresholds of the coverage warnings; each comment says where the number comes from."""

    # The share of positions the core window must hold: 99 % leaves out stray late rows and
    # a receiver's replay, never a real part of the data.
    core_share: float = 0.99
    # GFW pipe-gaps records gaps from 6 h (DOMAIN.md): data whose core is shorter cannot
    # show a single gap, and loitering and encounters (>= 2 h) barely fit.
    short_h: float = 6.0
    # Measured on a real whole day (NOAA 2020-01-01, three coasts, 1.42 M rows, 55,499 to
    # 64,447 positions an hour): 90 % of the positions lie in 22 of its 24 hours (0.92); the
    # NOAA 2022 sample: 1 of 24. Half of the spanned hours leaves room for a quiet night and
    # marks data where a few hours dominate.
    busy_share: float = 0.9
    lopsided_frac: float = 0.5
    # A region: 5 degrees (~550 km) is the scale of a coast or a sea (the Gulf of Mexico
    # spans ~4 x 3 cells), coarse enough to read at a glance; reception maps use finer cells.
    cell_deg: float = 5.0
    max_regions: int = 20  # regions listed, most positions first (all are counted)

    def __post_init__(self) -> None:
        if not (0 < self.core_share <= 1 and 0 < self.busy_share <= 1):
            raise ConfigError("core_share and busy_share must be in (0, 1]")
        if self.short_h <= 0 or self.cell_deg <= 0 or not 0 < self.lopsided_frac <= 1:
            raise ConfigError("short_h and cell_deg must be > 0, lopsided_frac in (0, 1]")


@dataclass(frozen=True)
class Region:
    """One grid cell of the data: its label, bounds, positions, vessels, hours with data."""

    label: str
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    positions: int
    vessels: int
    hours: int


@dataclass(frozen=True)
class Coverage:
    """Where and when a workspace has data, and the warnings that follow."""

    positions: int
    span_h: float
    hours_spanned: int
    hours_with_data: int
    per_hour: dict[str, int]  # ISO hour -> positions, empty hours included
    core_start: datetime | None
    core_end: datetime | None
    core_share: float  # share of positions inside the core window
    busy_hours: int  # the fewest hours holding busy_share of the positions
    short: bool
    lopsided: bool
    regions: list[Region] = field(default_factory=list)
    n_regions: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def core_h(self) -> float:
        """Length of the core window in hours (0 without data)."""
        if self.core_start is None or self.core_end is None:
            return 0.0
        return (self.core_end - self.core_start).total_seconds() / HOUR

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (ISO 8601 times)."""
        out = asdict(self)
        for key in ("core_start", "core_end"):
            out[key] = out[key].isoformat() if out[key] else None
        out["core_h"] = round(self.core_h, 3)
        return out


def core_window(minutes: Ints, counts: Ints, share: float) -> tuple[int, int, int]:
    """The shortest window of whole minutes holding ``share`` of ``counts``: (first minute,
    last minute, positions in it). ``minutes`` are sorted epoch minutes.

    >>> core_window(np.array([0, 1, 2, 600]), np.array([50, 30, 19, 1]), 0.99)
    (0, 2, 99)
    """
    total = int(counts.sum())
    need = math.ceil(share * total - 1e-9)
    cum = np.concatenate([[0], np.cumsum(counts)])
    best = (int(minutes[0]), int(minutes[-1]), total)
    j = 0
    for i in range(len(minutes)):  # two pointers: the window [i, j) grows until it holds need
        while j < len(minutes) and cum[j] - cum[i] < need:
            j += 1
        if cum[j] - cum[i] < need:
            break
        if minutes[j - 1] - minutes[i] < best[1] - best[0]:
            best = (int(minutes[i]), int(minutes[j - 1]), int(cum[j] - cum[i]))
    return best


def _busy_hours(hourly: Ints, share: float) -> int:
    """The fewest hours holding ``share`` of the positions."""
    ordered = np.sort(hourly)[::-1]
    need = share * ordered.sum()
    return int(np.searchsorted(np.cumsum(ordered), need - 1e-9) + 1)


def cell_label(lat0: float, lon0: float, deg: float) -> str:
    """A readable name of the cell whose south-west corner is (lat0, lon0).

    >>> cell_label(35.0, -80.0, 5.0)
    '35N-40N 80W-75W'
    """

    def ns(v: float) -> str:
        return f"{abs(v):g}{'S' if v < 0 else 'N'}"

    def ew(v: float) -> str:
        return f"{abs(v):g}{'W' if v < 0 else 'E'}"

    return f"{ns(lat0)}-{ns(lat0 + deg)} {ew(lon0)}-{ew(lon0 + deg)}"


def _time(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def _hourly(minutes: Ints, counts: Ints) -> tuple[Ints, Ints]:
    """Every hour from the first to the last position (epoch hours) and its positions."""
    hours = minutes // 60
    first, last = int(hours.min()), int(hours.max())
    per = np.zeros(last - first + 1, dtype=np.int64)
    np.add.at(per, hours - first, counts)
    return np.arange(first, last + 1, dtype=np.int64), per


def assess_coverage(
    minutes: Ints,
    counts: Ints,
    regions: list[Region] | None = None,
    params: CoverageParams = CoverageParams(),
) -> Coverage:
    """The coverage of data with ``counts`` positions in each epoch minute ``minutes``
    (sorted, distinct) and its ``regions``; pure, see the module docstring for the rules."""
    p, regions = params, sorted(regions or [], key=lambda r: (-r.positions, r.label))
    keep = counts > 0
    minutes, counts = minutes[keep].astype(np.int64), counts[keep].astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return Coverage(0, 0.0, 0, 0, {}, None, None, 0.0, 0, False, False, [], 0, [])
    hours, hourly = _hourly(minutes, counts)
    c0, c1, in_core = core_window(minutes, counts, p.core_share)
    busy = _busy_hours(hourly, p.busy_share)
    core_start, core_end = _time(c0 * MINUTE), _time((c1 + 1) * MINUTE)
    short = (core_end - core_start).total_seconds() < p.short_h * HOUR
    lopsided = len(hours) > 1 and busy < p.lopsided_frac * len(hours)
    cov = Coverage(
        positions=total,
        span_h=round(float(minutes[-1] - minutes[0] + 1) / 60.0, 3),
        hours_spanned=len(hours),
        hours_with_data=int((hourly > 0).sum()),
        per_hour={_time(h * HOUR).isoformat(): int(n) for h, n in zip(hours, hourly, strict=True)},
        core_start=core_start,
        core_end=core_end,
        core_share=round(in_core / total, 4),
        busy_hours=busy,
        short=bool(short),
        lopsided=bool(lopsided),
        regions=regions[: p.max_regions],
        n_regions=len(regions),
    )
    return _with_warnings(cov, p)


def _with_warnings(c: Coverage, p: CoverageParams) -> Coverage:
    out = []
    if c.short and c.core_start is not None and c.core_end is not None:
        out.append(
            f"short sample: {100 * c.core_share:.1f} % of the positions lie in "
            f"{c.core_h * 60:.0f} minutes ({c.core_start:%Y-%m-%d %H:%M}-{c.core_end:%H:%M} UTC)"
            f"; detectors need hours of steady data (gaps from {p.short_h:g} h): a vessel "
            "unheard outside that window is not silent, the data stops"
        )
    if c.lopsided:
        out.append(
            f"lopsided sample: {100 * p.busy_share:.0f} % of the positions lie in "
            f"{c.busy_hours} of the {c.hours_spanned} hours spanned; "
            f"{c.hours_spanned - c.hours_with_data} hours hold none"
        )
    return replace(c, warnings=out)


def workspace_coverage(ws: Workspace, params: CoverageParams = CoverageParams()) -> Coverage:
    """The coverage of ``ws``'s positions (two aggregate queries, nothing materialised)."""
    deg = params.cell_deg
    per_minute, cells = ws.minute_counts(), ws.cell_counts(deg)
    minutes = per_minute.column("m").to_numpy().astype(np.int64)
    counts = per_minute.column("n").to_numpy().astype(np.int64)
    regions = [
        Region(cell_label(lat0, lon0, deg), (lon0, lat0, lon0 + deg, lat0 + deg), n, v, h)
        for lat0, lon0, n, v, h in zip(*(c.to_pylist() for c in cells.columns), strict=True)
    ]
    return assess_coverage(minutes, counts, regions, params)
