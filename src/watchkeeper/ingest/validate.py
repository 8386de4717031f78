"""Range checks shared by every reader: keep good rows, null bad fields, quarantine the rest.

Readers build a *candidate* table: the columns of :data:`~watchkeeper.schema.POSITIONS` (or
``IDENTITIES``, see :func:`candidate_names`) with raw values, plus ``_line`` (int64, line
or row number) and ``_raw`` (string, the original text). :func:`validate_positions` returns
the clean table, whose ``line`` is the candidate's ``_line`` (chain of custody), and the
rejects. The AIS conventions come from ITU-R M.1371-5 (see ``DOMAIN.md``): lat 91 / lon 181,
SOG 102.3, COG 360 and heading 511 mean "not available".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.schema import IDENTITIES, POSITIONS, REJECTS, TIMESTAMP, Quality, RejectReason

__all__ = ["candidate_names", "make_rejects", "validate_identities", "validate_positions"]

_MAX_MMSI = 999_999_999


def make_rejects(
    file: str,
    lines: list[int | None] | pa.Array,
    reasons: list[str] | pa.Array,
    raws: list[str | None] | pa.Array,
    details: list[str | None] | pa.Array | None = None,
) -> pa.Table:
    """Build a ``rejects`` table; ``file`` is repeated on every row."""
    n = len(reasons)
    return pa.table(
        {
            "file": pa.array([file] * n, pa.string()),
            "line": pa.array(lines, pa.int64()),
            "reason": pa.array(reasons, pa.string()),
            "detail": pa.array(details if details is not None else [None] * n, pa.string()),
            "raw": pa.array(raws, pa.string()),
        },
        schema=REJECTS,
    )


#: Columns a reader may leave out: ``line`` comes from ``_line``; a reader giving single
#: reports leaves the run columns of ``identities`` to :func:`validate_identities`.
_DERIVED = frozenset({"line", "ts_last", "n_reports"})


def candidate_names(schema: pa.Schema) -> list[str]:
    """The columns of ``schema`` a reader fills: all but ``line`` and the run columns."""
    return [name for name in schema.names if name not in _DERIVED]


def _as_runs(cand: pa.Table) -> pa.Table:
    """Single reports as runs of one (``ts_last`` = ``ts``, ``n_reports`` = 1) unless given."""
    ts = pc.cast(cand.column("ts"), TIMESTAMP)
    ones = pa.array(np.ones(cand.num_rows, np.int32))
    for name, default in (("ts_last", ts), ("n_reports", ones)):
        if name not in cand.column_names:
            cand = cand.append_column(name, default)
        else:
            col = pc.cast(cand.column(name), default.type)
            filled = pc.coalesce(col, default)
            cand = cand.set_column(cand.schema.get_field_index(name), name, filled)
    return cand


def _with_line(table: pa.Table) -> pa.Table:
    """``line`` := ``_line`` (null when the reader gave none), replacing any ``line``."""
    if "line" in table.column_names:
        table = table.drop_columns(["line"])
    if "_line" in table.column_names:
        return table.append_column("line", pc.cast(table.column("_line"), pa.int64()))
    return table.append_column("line", pa.nulls(table.num_rows, pa.int64()))


def _np(col: pa.ChunkedArray | pa.Array, fill: float) -> np.ndarray:
    col = pc.cast(col, pa.float64(), safe=False)  # checks only: 2**53+ may round
    return np.asarray(pc.fill_null(col, fill).to_numpy(zero_copy_only=False), dtype=np.float64)


@dataclass(frozen=True)
class _Reasons:
    """Per row, the first failing check (0: all pass; k: check k - 1), and the names."""

    code: np.ndarray
    names: tuple[str, ...]

    @property
    def bad(self) -> np.ndarray:
        bad: np.ndarray = self.code > 0
        return bad

    def of_bad(self) -> list[str]:
        """The reason of every rejected row, in row order."""
        names = np.array(self.names, dtype=object)
        reasons: list[str] = names[self.code[self.bad] - 1].tolist()
        return reasons


def _first_reason(checks: list[tuple[RejectReason, np.ndarray]], n: int) -> _Reasons:
    """Per row, the first failing check's reason."""
    code = np.zeros(n, dtype=np.int8)
    for k in range(len(checks), 0, -1):
        code[checks[k - 1][1]] = k
    return _Reasons(code, tuple(name.value for name, _ in checks))


def _split(
    cand: pa.Table, reason: _Reasons, file: str, schema: pa.Schema
) -> tuple[pa.Table, pa.Table]:
    bad = reason.bad
    any_bad = bool(bad.any())
    good = cand.filter(pa.array(~bad)) if any_bad else cand
    rej = cand.filter(pa.array(bad)) if any_bad else cand.slice(0, 0)
    rejects = make_rejects(
        file,
        rej.column("_line") if "_line" in rej.column_names else [None] * rej.num_rows,
        reason.of_bad(),
        rej.column("_raw") if "_raw" in rej.column_names else [None] * rej.num_rows,
    )
    return _with_line(good).select(schema.names).cast(schema), rejects


def _mmsi_bad(cand: pa.Table) -> np.ndarray:
    mmsi = _np(cand.column("mmsi"), -1)
    return (mmsi <= 0) | (mmsi > _MAX_MMSI)


def validate_positions(cand: pa.Table, *, file: str) -> tuple[pa.Table, pa.Table]:
    """Split candidate positions into clean ``positions`` and ``rejects``.

    Impossible positions and missing times reject the row; an impossible speed, course or
    heading only nulls that field and sets :attr:`Quality.FIELD_OUT_OF_RANGE`.
    """
    n = cand.num_rows
    lat = _np(cand.column("lat"), np.nan)
    lon = _np(cand.column("lon"), np.nan)
    unavailable = (np.abs(lat - 91.0) < 1e-9) | (np.abs(lon - 181.0) < 1e-9)
    out_of_range = ~unavailable & ~((np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0))
    reason = _first_reason(
        [
            (RejectReason.BAD_MMSI, _mmsi_bad(cand)),
            (RejectReason.NO_TIMESTAMP, np.asarray(pc.is_null(cand.column("ts")))),
            (RejectReason.POSITION_UNAVAILABLE, unavailable),
            (RejectReason.POSITION_OUT_OF_RANGE, out_of_range),
            (RejectReason.NULL_ISLAND, (lat == 0.0) & (lon == 0.0)),
        ],
        n,
    )
    cand = _clean_motion(cand)
    return _split(cand, reason, file, POSITIONS)


def _null_where(col: pa.ChunkedArray, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(mask), col.type), col)


def _clean_motion(cand: pa.Table) -> pa.Table:
    """Null "not available" sentinels; null and flag impossible values."""
    sog = _np(cand.column("sog_kn"), np.nan)
    cog = _np(cand.column("cog_deg"), np.nan)
    hdg = _np(cand.column("heading_deg"), np.nan)
    nav = _np(cand.column("nav_status"), np.nan)
    sog_na = sog >= 102.25  # 102.3 = not available
    cog_na = np.abs(cog - 360.0) < 0.05  # 360.0 = not available
    hdg_na = hdg == 511
    sog_bad = sog < 0
    cog_bad = ~cog_na & ((cog < 0) | (cog > 360.0))
    hdg_bad = ~hdg_na & ((hdg < 0) | (hdg > 359))
    nav_bad = (nav < 0) | (nav > 15)
    flag = sog_bad | cog_bad | hdg_bad | nav_bad
    quality = pc.fill_null(cand.column("quality"), 0).to_numpy(zero_copy_only=False)
    quality = np.where(flag, quality | int(Quality.FIELD_OUT_OF_RANGE), quality)
    for name, mask in (
        ("sog_kn", sog_na | sog_bad),
        ("cog_deg", cog_na | cog_bad),
        ("heading_deg", hdg_na | hdg_bad),
        ("nav_status", nav_bad),
    ):
        if mask.any():
            i = cand.schema.get_field_index(name)
            cand = cand.set_column(i, name, _null_where(cand.column(name), mask))
    i = cand.schema.get_field_index("quality")
    return cand.set_column(i, "quality", pa.array(quality.astype(np.int16)))


def _clean_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """AIS pads text with '@' and spaces; empty means absent."""
    col = pc.utf8_trim(pc.cast(col, pa.string()), characters="@ ")
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def validate_identities(cand: pa.Table, *, file: str) -> tuple[pa.Table, pa.Table]:
    """Split candidate identities into clean ``identities`` and ``rejects``.

    Zero IMO, draught and dimensions mean "not available" and become null; text fields lose
    AIS padding. An IMO failing its check digit is kept: it is evidence, judged by detectors.
    """
    cand = _as_runs(cand)
    reason = _first_reason(
        [
            (RejectReason.BAD_MMSI, _mmsi_bad(cand)),
            (RejectReason.NO_TIMESTAMP, np.asarray(pc.is_null(cand.column("ts")))),
        ],
        cand.num_rows,
    )
    for name in ("imo", "length_m", "beam_m", "draught_m"):
        col = cand.column(name)
        bad = _np(col, 0.0) <= 0
        cand = cand.set_column(cand.schema.get_field_index(name), name, _null_where(col, bad))
    for name in ("name", "callsign", "destination", "eta"):
        cand = cand.set_column(
            cand.schema.get_field_index(name), name, _clean_text(cand.column(name))
        )
    return _split(cand, reason, file, IDENTITIES)
