"""Identity changes: what a vessel says it is, changing or impossible (DESIGN §3).

Definition. From the ``identities`` layer (AIS types 5, 19, 24 and provider static columns):

- ``change``: the name, IMO number, call sign or ship type of one MMSI changes from one
  *stable* value to another. Values are compared after normalisation (upper case, AIS ``@``
  padding removed, spaces collapsed); nulls, IMO 0 and ship type 0 ("not available") are
  ignored; a value must be reported ``min_reports`` times in a row to count (one garbled
  report is noise). The event is the interval in which the change happened: from the last
  report of the old value to the first report of the new one (both in ``evidence``), so a
  vessel unheard for hours is not stamped when it is heard again. Changes of one MMSI first
  seen in the same report are one event; a pair of values flip-flopping (two ships sharing
  an MMSI) is reported once with its count.
- ``imo_shared``: one IMO number reported by several MMSIs (the hull keeps its IMO for life;
  MMSI and flag change with registration, so this is also how a *flag change* shows:
  ``details.flag_from``/``flag_to``). ``other_mmsi`` is the MMSI that used the IMO first;
  ``simultaneous`` says whether both used it during overlapping times (identity theft).
- ``invalid_imo``: a 7-digit IMO number failing its check digit, of kind ``invalid`` in
  :func:`watchkeeper.context.imo.imo_kind`: US Coast Guard official numbers on US-flag
  vessels (``uscg_doc``), valid IMOs with two zeros appended (``imo_x100``) and numbers of
  other lengths (MMSIs, serials: ``other``) are no invalid IMOs. ``imo_shared`` likewise
  considers only numbers that identify a hull (every kind but ``other``), each event
  saying which kind (``details.changes[].imo_kind``).
- ``unassigned_mid``: a ship-station MMSI whose MID is not allocated to any country.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.context.flags import flag_of, mid_of
from watchkeeper.context.imo import imo_kind
from watchkeeper.detect._lookup import ByMmsi
from watchkeeper.detect.events import event, events_table, to_datetime
from watchkeeper.errors import ConfigError

__all__ = [
    "FIELDS",
    "Change",
    "IdentityParams",
    "detect_identity_changes",
    "field_values",
    "normalise",
    "stable_changes",
]

#: Identity fields compared for changes, with the risk weight of a change (0-100).
FIELDS: dict[str, float] = {"imo": 40.0, "name": 30.0, "callsign": 20.0, "ship_type": 15.0}

Ints = npt.NDArray[np.int64]
# Numbers that identify a hull (context/imo.py): an IMO, a mistyped one, an IMO with two
# zeros appended, a US Coast Guard official number; not 'other' (MMSIs, stray serials).
_HULL_KINDS = frozenset({"imo", "imo_x100", "uscg_doc", "invalid"})


@dataclass(frozen=True)
class IdentityParams:
    """Thresholds of the identity detector."""

    # Static reports come every 6 min (class A): a real new value is repeated at once, a
    # bit error is not.
    min_reports: int = 2
    report_invalid_imo: bool = True
    report_unassigned_mid: bool = True
    report_shared_imo: bool = True

    def __post_init__(self) -> None:
        if self.min_reports < 1:
            raise ConfigError("min_reports must be >= 1")


@dataclass(frozen=True)
class _Finding:
    mmsi: int
    other: int | None
    t: float
    end: float | None
    kind: str
    risk: float
    details: dict[str, Any]
    since: float | None = None  # a change: the last report of the old value (t: the first new)

    @property
    def start(self) -> float:
        """When the finding begins: a change, at the last report before it."""
        return self.t if self.since is None else self.since


def normalise(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Strings upper-cased, AIS ``@`` padding removed, spaces collapsed; empty -> null."""
    s = pc.utf8_upper(values)
    s = pc.replace_substring(s, "@", " ")
    s = pc.utf8_trim_whitespace(pc.replace_substring_regex(s, r"\s+", " "))
    out = pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def field_values(ids: pa.Table, field: str) -> pa.Array | pa.ChunkedArray:
    """The values of ``field`` as compared for changes: strings as :func:`normalise` gives
    them, numbers with 0 ("not available": IMO 0, ship type 0) as missing."""
    col = ids.column(field)
    if pa.types.is_string(col.type):
        return normalise(col)
    return pc.if_else(pc.equal(col, 0), pa.scalar(None, col.type), col)


def _codes(ids: pa.Table, field: str) -> tuple[Ints, list[Any]]:
    """Integer code of each row's normalised value (-1 for missing) and the value list."""
    enc = pc.dictionary_encode(field_values(ids, field))
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    codes = np.where(enc.is_null().to_numpy(zero_copy_only=False), -1, codes).astype(np.int64)
    return codes, enc.dictionary.to_pylist()


class Change(NamedTuple):
    """A change between two stable values of one field: it happened after ``last_old``
    (the last report of the old value) and by ``first_new`` (the first of the new one);
    ``rows`` are the indices of both reports in the (mmsi, ts)-sorted identities."""

    mmsi: int
    last_old: float
    first_new: float
    old: Any
    new: Any
    rows: tuple[int, int]


def _last_of(code: int, run_code: Ints, run_end: Ints, r_from: int, r_to: int) -> int:
    """End of the latest run in ``r_from..r_to`` (inclusive, walking back) with ``code``."""
    for r in range(r_to, r_from - 1, -1):
        if run_code[r] == code:
            return int(run_end[r])
    return int(run_end[r_from])


def report_times(ids: pa.Table) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Ints]:
    """Per identity row (a run of identical reports, ``schema.IDENTITIES``): its first and
    last report time (s) and how many reports it stands for; a row without the run columns
    is one report."""
    first = _seconds(ids.column("ts"))
    last, count = first, np.ones(ids.num_rows, dtype=np.int64)
    if "ts_last" in ids.column_names:
        last = np.where(np.isnan(t := _seconds(ids.column("ts_last"))), first, t)
    if "n_reports" in ids.column_names:
        n = pc.fill_null(ids.column("n_reports"), 1).to_numpy(zero_copy_only=False)
        count = np.asarray(n, dtype=np.int64)
    return first, last, count


def _seconds(col: pa.ChunkedArray) -> npt.NDArray[np.float64]:
    ms = pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False)
    return np.asarray(ms, dtype=np.float64) / 1000.0  # null -> NaN


def stable_changes(ids: pa.Table, field: str, min_reports: int) -> list[Change]:
    """Every change between stable values of ``field``, as an interval of two reports.

    ``ids`` is sorted by (mmsi, ts); each row is a run of ``n_reports`` identical reports
    (one, for a table without the run columns). A value is stable when reported
    ``min_reports`` times in a row (missing values do not break a run), so the count is the
    same whether a format's reports are stored one by one or as runs. Between the two stable
    runs a garbled report may interleave: ``last_old`` is the last report of the old value
    all the same.
    """
    mmsi = ids.column("mmsi").to_numpy().astype(np.int64)
    t, t_last, count = report_times(ids)
    codes, values = _codes(ids, field)
    ok = np.flatnonzero(codes >= 0)
    m, c = mmsi[ok], codes[ok]
    if not len(m):
        return []
    new_run = np.concatenate([[True], (m[1:] != m[:-1]) | (c[1:] != c[:-1])])
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], len(m)) - 1
    reports = np.add.reduceat(count[ok], starts)
    keep = np.flatnonzero(reports >= min_reports)  # run indices of stable values
    km, kc = m[starts[keep]], c[starts[keep]]
    out = []
    for k in (np.flatnonzero((km[1:] == km[:-1]) & (kc[1:] != kc[:-1])) + 1).tolist():
        r_old, r_new = int(keep[k - 1]), int(keep[k])
        j = _last_of(int(kc[k - 1]), c[starts], ends, r_old, r_new - 1)
        i_old, i_new = int(ok[j]), int(ok[starts[r_new]])
        out.append(
            Change(
                int(km[k]),
                float(t_last[i_old]),
                float(t[i_new]),
                values[int(kc[k - 1])],
                values[int(kc[k])],
                (i_old, i_new),
            )
        )
    return out


def _report(ids: pa.Table, row: int, t: float) -> dict[str, Any]:
    """Reference to one identity report: its time and source (of the run at ``row``)."""
    src = ids.column("source")[row].as_py() if "source" in ids.column_names else None
    return {"ts": to_datetime(t).isoformat(), "source": src}


def _change_findings(ids: pa.Table, p: IdentityParams) -> list[_Finding]:
    out = []
    for field, risk in FIELDS.items():
        seen: dict[tuple[int, str, str], int] = defaultdict(int)
        for ch in stable_changes(ids, field, p.min_reports):
            lo, hi = sorted((str(ch.old), str(ch.new)))
            key = (ch.mmsi, lo, hi)
            seen[key] += 1
            if seen[key] > 1:
                continue
            detail = {"field": field, "from": ch.old, "to": ch.new}
            detail |= {
                "last_old": _report(ids, ch.rows[0], ch.last_old),
                "first_new": _report(ids, ch.rows[1], ch.first_new),
            }
            out.append(
                _Finding(
                    ch.mmsi, None, ch.first_new, ch.first_new, "change", risk, detail, ch.last_old
                )
            )
    return out


def _imo_findings(ids: pa.Table, p: IdentityParams) -> list[_Finding]:
    """Invalid check digits, and IMO numbers used by several MMSIs."""
    have = ids.filter(pc.and_(pc.is_valid(ids.column("imo")), pc.not_equal(ids.column("imo"), 0)))
    if have.num_rows == 0:
        return []
    first, last, _ = report_times(have)
    spans = (
        have.select(["mmsi", "imo"])
        .append_column("t", pa.array(np.round(first * 1000).astype(np.int64)))
        .append_column("t_end", pa.array(np.round(last * 1000).astype(np.int64)))
        .group_by(["imo", "mmsi"])
        .aggregate([("t", "min"), ("t_end", "max")])
        .sort_by([("imo", "ascending"), ("t_min", "ascending")])
        .to_pylist()
    )
    out = []
    for r in spans:
        r["t_max"] = r.pop("t_end_max")
        r["kind"] = imo_kind(r["imo"], r["mmsi"])
        if p.report_invalid_imo and r["kind"] == "invalid":
            out.append(
                _Finding(
                    r["mmsi"],
                    None,
                    r["t_min"] / 1000,
                    r["t_max"] / 1000,
                    "invalid_imo",
                    40.0,
                    {"imo": r["imo"], "imo_kind": r["kind"]},
                )
            )
    if p.report_shared_imo:
        out += _shared([r for r in spans if r["kind"] in _HULL_KINDS])
    return out


def _shared(spans: list[dict[str, Any]]) -> list[_Finding]:
    by_imo: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in spans:
        by_imo[r["imo"]].append(r)
    out = []
    for imo, rows in by_imo.items():
        first = rows[0]
        for r in rows[1:]:
            flags = flag_of(first["mmsi"]), flag_of(r["mmsi"])
            together = r["t_min"] <= max(x["t_max"] for x in rows if x is not r)
            details = {"imo": imo, "imo_kind": first["kind"]}
            details |= {"flag_from": flags[0], "flag_to": flags[1]}
            details |= {"simultaneous": bool(together), "flag_change": flags[0] != flags[1]}
            risk = 40.0 if together else 20.0
            out.append(
                _Finding(
                    r["mmsi"], first["mmsi"], r["t_min"] / 1000, None, "imo_shared", risk, details
                )
            )
    return out


def _is_ship_mmsi(m: int) -> bool:
    """A 9-digit ship-station MMSI (MID first: 2xx-7xx)."""
    return 200_000_000 <= m <= 799_999_999


def _mid_findings(first_seen: dict[int, float]) -> list[_Finding]:
    return [
        _Finding(m, None, t, None, "unassigned_mid", 30.0, {"mid": mid_of(m)})
        for m, t in sorted(first_seen.items())
        if _is_ship_mmsi(m) and flag_of(m) is None
    ]


def _first_seen(ids: pa.Table, where: ByMmsi | None) -> dict[int, float]:
    """Earliest time each MMSI was heard, in identities or positions."""
    mm = ids.column("mmsi").to_numpy().astype(np.int64)
    t = ids.column("ts").cast(pa.int64()).to_numpy().astype(np.float64) / 1000.0
    if where is not None:
        mm, t = np.concatenate([mm, where.mmsi]), np.concatenate([t, where.t])
    order = np.lexsort((t, mm))
    u, first = np.unique(mm[order], return_index=True)
    return dict(zip(u.tolist(), t[order][first].tolist(), strict=True))


def _place(f: _Finding, where: ByMmsi | None) -> tuple[float | None, float | None]:
    if where is None:
        return None, None
    i = where.nearest(f.mmsi, f.t)
    return (None, None) if i < 0 else (float(where.lat[i]), float(where.lon[i]))


def _evidence(fs: list[_Finding]) -> dict[str, Any]:
    """The reports bounding the changes: the earliest last-old and the first-new report."""
    changes = [f for f in fs if f.kind == "change"]
    if not changes:
        return {}
    first = min(changes, key=lambda f: f.start)
    return {"last_old": first.details["last_old"], "first_new": first.details["first_new"]}


def _events(found: list[_Finding], where: ByMmsi | None, p: IdentityParams) -> pa.Table:
    """One event per vessel (pair) and instant found; a change spans from the last report
    of the old value to the first of the new (the interval in which it happened)."""
    groups: dict[tuple[int, int | None, float], list[_Finding]] = defaultdict(list)
    for f in found:
        groups[(f.mmsi, f.other, f.t)].append(f)
    rows = []
    for (mmsi, other, _), fs in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][0])):
        kinds = sorted({f.kind for f in fs})
        ends = [f.end for f in fs if f.end is not None]
        lat, lon = _place(fs[0], where)
        rows.append(
            event(
                "identity_change",
                mmsi,
                to_datetime(min(f.start for f in fs)),
                to_datetime(max(ends)) if ends else None,
                lat,
                lon,
                other=other,
                confidence=0.9 if any(f.kind != "change" for f in fs) or len(fs) > 1 else 0.7,
                risk=min(100.0, sum(f.risk for f in fs)),
                details={
                    "kind": "+".join(kinds),
                    "kinds": kinds,
                    "changes": [{"kind": f.kind, **f.details} for f in fs],
                    "params": asdict(p),
                },
                evidence=_evidence(fs),
            )
        )
    return events_table(rows)


def detect_identity_changes(
    identities: pa.Table,
    *,
    positions: ByMmsi | None = None,
    params: IdentityParams = IdentityParams(),
) -> pa.Table:
    """``identity_change`` events of an ``identities`` table (any order).

    ``positions`` (optional) place each event at the vessel's nearest position in time and
    add position-only MMSIs to the unassigned-MID check.
    """
    ids = identities.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
    found = _change_findings(ids, params) + _imo_findings(ids, params)
    if params.report_unassigned_mid:
        found += _mid_findings(_first_seen(ids, positions))
    return _events(found, positions, params)
