"""Score a workspace's events and vessels against a scenario's ``truth.json`` (DESIGN §7).

Matching: a detected event matches a truth event of the same type when the vessels agree and
the times overlap (each side widened by ``tolerance_s``). Vessels agree when the MMSIs are
equal for single-vessel events; for pair events (encounter, dark_sts) the detected pair must be
the true pair in either order (a detected ``dark_sts`` without a named partner matches on its
visible vessel). Precision = matched detections / detections (a detection matching an
unobservable truth event is right); recall = matched observable truth events / observable truth
events, the acceptance figure; ``recall_planted`` = matched truth events / all truth events, with
the count of ``unobservable`` ones, so that nothing is hidden. Observability is decided by the
simulator from the received reports (:mod:`watchkeeper.simulate.observe`). Nothing detected
scores 0, not "undefined".

Decoys (``truth.json`` ``decoys``: confounders such as ferries berthed together or a ship that
sailed out of coverage) list the event types they must not produce. A detection *accuses* a
decoy when it would match it as a truth event (same type, vessels, overlapping time) and does
not itself say it is benign (``details.in_port`` or ``details.service`` true); for
``ais_gap_deliberate`` an ``ais_gap`` with ``details.deliberate`` true. Reported per type:
decoys, decoys flagged, and the detections that accuse one (false accusations).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.schema import EVENT_TYPES, EVENTS, VESSELS

__all__ = [
    "DECOY_TYPES",
    "EvalParams",
    "Truth",
    "evaluate",
    "load_truth",
    "truth_as_results",
]

PAIR_TYPES = ("encounter", "dark_sts")
#: Event types a decoy can forbid (``ais_gap_deliberate``: an ais_gap reported as deliberate).
DECOY_TYPES = ("encounter", "dark_sts", "loitering", "ais_gap_deliberate", "identity_change")


@dataclass(frozen=True)
class EvalParams:
    """Matching tolerance."""

    tolerance_s: float = 3_600.0  # detectors report point events (a rename) at the next report


@dataclass(frozen=True)
class Truth:
    """A parsed ``truth.json``."""

    events: list[dict[str, Any]]
    vessels: list[dict[str, Any]]
    doc: dict[str, Any]


def load_truth(path: str | Path) -> Truth:
    """Read ``truth.json``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        return Truth(doc["events"], doc["vessels"], doc)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read truth file {path}: {exc}") from exc


def _secs(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class _Ev:
    type: str
    mmsi: int
    other: int | None
    start: float
    end: float

    @classmethod
    def of(cls, row: dict[str, Any]) -> _Ev:
        end = _secs(row.get("end"))
        other = row.get("other_mmsi")
        return cls(
            str(row["type"]),
            int(row["mmsi"]),
            None if other is None else int(other),
            float(_secs(row["start"]) or 0.0),
            float("inf") if end is None else end,
        )


def _same_vessels(d: _Ev, t: _Ev) -> bool:
    if t.type in PAIR_TYPES and t.other is not None:
        pair = {t.mmsi, t.other}
        return d.mmsi in pair and (d.other is None or {d.mmsi, d.other} == pair)
    return d.mmsi == t.mmsi


def _match(d: _Ev, t: _Ev, tol: float) -> bool:
    return (
        d.type == t.type
        and _same_vessels(d, t)
        and d.start <= t.end + tol
        and t.start <= d.end + tol
    )


def _index(events: list[_Ev]) -> dict[tuple[str, int], list[_Ev]]:
    idx: dict[tuple[str, int], list[_Ev]] = {}
    for e in events:
        for m in {e.mmsi, e.other} - {None}:
            idx.setdefault((e.type, int(m)), []).append(e)  # type: ignore[arg-type]
    return idx


def _candidates(idx: dict[tuple[str, int], list[_Ev]], t: _Ev) -> list[_Ev]:
    found = idx.get((t.type, t.mmsi), [])
    if t.other is not None:
        found = found + idx.get((t.type, t.other), [])
    return found


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _observable(row: dict[str, Any]) -> bool:
    return bool(row.get("observable", True))


def _recalls(found: list[bool], observable: list[bool]) -> dict[str, Any]:
    """Recall over observable truth events (the acceptance figure) and over all of them."""
    n_obs = sum(observable)
    hits_obs = sum(f and o for f, o in zip(found, observable, strict=True))
    return {
        "truth": n_obs,
        "found": hits_obs,
        "recall": _ratio(hits_obs, n_obs),
        "planted": len(found),
        "unobservable": len(found) - n_obs,
        "recall_planted": _ratio(sum(found), len(found)),
    }


def _per_type(
    truth: list[dict[str, Any]], detected: list[_Ev], tol: float
) -> dict[str, dict[str, Any]]:
    t_all = [(_Ev.of(r), r) for r in truth]
    t_idx = _index([e for e, _ in t_all])
    d_idx = _index(detected)
    out: dict[str, dict[str, Any]] = {}
    for typ in EVENT_TYPES:
        dets = [d for d in detected if d.type == typ]
        rows = [(e, r) for e, r in t_all if e.type == typ]
        # Precision against every truth event: matching an unobservable one is still right.
        tp_d = sum(any(_match(d, t, tol) for t in t_idx.get((typ, d.mmsi), [])) for d in dets)
        found = [any(_match(d, t, tol) for d in _candidates(d_idx, t)) for t, _ in rows]
        rec = _recalls(found, [_observable(r) for _, r in rows])
        p, r = _ratio(tp_d, len(dets)), rec["recall"]
        out[typ] = {
            **rec,
            "detected": len(dets),
            "precision": p,
            "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "ais_off": sum(
                (r.get("details") or {}).get("unobservable") == "ais_off" for _, r in rows
            ),
        }
    return out


def _subset_recall(
    truth: list[dict[str, Any]], detected: list[_Ev], tol: float, *, partner: bool = False
) -> dict[str, Any]:
    d_idx = _index(detected)
    found = []
    for r in truth:
        t = _Ev.of(r)
        ok = [d for d in _candidates(d_idx, t) if _match(d, t, tol)]
        if partner:
            ok = [d for d in ok if d.other is not None and {d.mmsi, d.other} == {t.mmsi, t.other}]
        found.append(bool(ok))
    return _recalls(found, [_observable(r) for r in truth])


def _flag_precision(flagged: list[_Ev], truth: list[dict[str, Any]], tol: float) -> dict[str, Any]:
    """Share of the gaps flagged deliberate that match a planted switch-off (any other is an
    innocent silence, mostly reception, called deliberate)."""
    t_idx = _index([_Ev.of(r) for r in truth])
    right = sum(any(_match(d, t, tol) for t in _candidates(t_idx, d)) for d in flagged)
    return {"flagged": len(flagged), "right": right, "precision": _ratio(right, len(flagged))}


def _deliberate(row: dict[str, Any]) -> bool:
    details = row.get("details")
    d = json.loads(details) if isinstance(details, str) else (details or {})
    return bool(d.get("deliberate"))


def _vessel_scores(truth: Truth, vessels: pa.Table | None) -> dict[str, Any]:
    labels = {int(v["mmsi"]): v for v in truth.vessels}
    sanctioned = {m for m, v in labels.items() if v["sanctioned"]}
    illicit = {m for m, v in labels.items() if v["illicit"]}
    rows = [] if vessels is None else vessels.to_pylist()
    flagged = {int(r["mmsi"]) for r in rows if r.get("sanctions_match")}
    tp = len(flagged & sanctioned)
    k = len(illicit)
    ranked = sorted(
        (r for r in rows if r.get("risk") is not None), key=lambda r: (-float(r["risk"]), r["mmsi"])
    )
    top = [int(r["mmsi"]) for r in ranked[:k]]
    return {
        "sanctions": {
            "truth": len(sanctioned),
            "flagged": len(flagged),
            "precision": _ratio(tp, len(flagged)),
            "recall": _ratio(tp, len(sanctioned)),
            "decoys_flagged": sum(bool(labels.get(m, {}).get("decoy")) for m in flagged),
        },
        "risk": {"k": k, "precision_at_k": _ratio(len(set(top) & illicit), k)},
    }


def _accusing(row: dict[str, Any]) -> tuple[str, bool]:
    """A detection's decoy type and whether it accuses (it does not mark itself benign)."""
    try:
        details = json.loads(row.get("details") or "{}")
    except ValueError:
        details = {}
    details = details if isinstance(details, dict) else {}
    benign = bool(details.get("in_port")) or bool(details.get("service"))
    typ = str(row["type"])
    if typ == "ais_gap":
        return "ais_gap_deliberate", bool(details.get("deliberate"))
    return typ, not benign


def _decoy_hit(d: _Ev, dec: _Ev, tol: float) -> bool:
    """Whether detection ``d`` (already of the decoy's type) names the decoy's vessels in time."""
    if d.start > dec.end + tol or dec.start > d.end + tol:
        return False
    if dec.other is None:
        return dec.mmsi in (d.mmsi, d.other)
    pair = {dec.mmsi, dec.other}
    if d.type in PAIR_TYPES:
        return d.mmsi in pair and (d.other is None or {d.mmsi, d.other} == pair)
    return d.mmsi in pair


def _decoy_scores(
    decoys: list[dict[str, Any]], rows: list[dict[str, Any]], tol: float
) -> dict[str, dict[str, Any]]:
    dets: dict[str, list[_Ev]] = {}
    for r in rows:
        typ, accuses = _accusing(r)
        if accuses:
            dets.setdefault(typ, []).append(_Ev.of(r))
    out: dict[str, dict[str, Any]] = {}
    for typ in DECOY_TYPES:
        these = [(d, _Ev.of({**d, "type": typ})) for d in decoys if typ in d.get("types", ())]
        cand = dets.get(typ, [])
        hit = [any(_decoy_hit(x, e, tol) for x in cand) for _, e in these]
        by_kind: dict[str, list[int]] = {}
        for (d, _), h in zip(these, hit, strict=True):
            k = by_kind.setdefault(str(d["kind"]), [0, 0])
            k[0], k[1] = k[0] + 1, k[1] + int(h)
        out[typ] = {
            "decoys": len(these),
            "observable": sum(bool((d.get("observable") or {}).get(typ, True)) for d, _ in these),
            "flagged": sum(hit),
            "accusations": sum(any(_decoy_hit(x, e, tol) for _, e in these) for x in cand),
            "by_kind": {k: {"decoys": v[0], "flagged": v[1]} for k, v in sorted(by_kind.items())},
        }
    return out


def _confounder_vessels(truth: Truth, vessels: pa.Table | None) -> dict[str, Any]:
    """US documentation numbers taken for invalid IMOs, and confounder vessels among the top k
    by risk (k = illicit vessels, as for precision@k)."""
    decoys = truth.doc.get("decoys") or []
    illicit = {int(v["mmsi"]) for v in truth.vessels if v["illicit"]}
    us = {int(d["mmsi"]) for d in decoys if d["kind"] == "us_documentation_number"}
    conf = {int(d["mmsi"]) for d in decoys} - illicit
    conf |= {int(d["other_mmsi"]) for d in decoys if d["kind"] == "coverage_exit_near_loitering"}
    rows = [] if vessels is None else vessels.to_pylist()
    invalid = set()
    for r in rows:
        if int(r["mmsi"]) in us and "invalid_imo" in str(r.get("reasons") or ""):
            invalid.add(int(r["mmsi"]))
    ranked = sorted(
        (r for r in rows if r.get("risk") is not None), key=lambda r: (-float(r["risk"]), r["mmsi"])
    )
    top = {int(r["mmsi"]) for r in ranked[: len(illicit)] if float(r["risk"]) > 0}
    return {
        "us_documented": len(us),
        "us_invalid_imo": len(invalid),
        "confounder_vessels": len(conf),
        "in_top_k": len(top & conf),
    }


def evaluate(
    truth: Truth,
    events: pa.Table | None,
    vessels: pa.Table | None,
    params: EvalParams | None = None,
) -> dict[str, Any]:
    """All scores as a JSON-ready dict (see the module docstring for the definitions)."""
    tol = (params or EvalParams()).tolerance_s
    rows = [] if events is None else events.to_pylist()
    detected = [_Ev.of(r) for r in rows]
    flagged = [_Ev.of(r) for r in rows if r["type"] == "ais_gap" and _deliberate(r)]
    gaps = [r for r in truth.events if r["type"] == "ais_gap" and r.get("deliberate")]
    dark = [r for r in truth.events if r["type"] == "dark_sts"]
    dprk = [r for r in truth.events if r["type"] == "port_visit" and r.get("illicit")]
    return {
        "scenario": truth.doc.get("scenario"),
        "seed": truth.doc.get("seed"),
        "events": _per_type(truth.events, detected, tol),
        # a planted switch-off counts as found only when the gap is flagged deliberate
        "deliberate_gaps": _subset_recall(gaps, flagged, tol),
        "deliberate_flags": _flag_precision(flagged, gaps, tol),
        "dark_sts_partner_named": _subset_recall(dark, detected, tol, partner=True),
        "dprk_port_visits": _subset_recall(dprk, detected, tol),
        **_vessel_scores(truth, vessels),
        "decoys": _decoy_scores(truth.doc.get("decoys") or [], rows, tol),
        "confounders": _confounder_vessels(truth, vessels),
    }


def truth_as_results(truth: Truth) -> tuple[pa.Table, pa.Table]:
    """The truth itself as an ``events`` and a ``vessels`` table (a perfect detector)."""
    rows = []
    for r in truth.events:
        start, end = _secs(r["start"]), _secs(r.get("end"))
        rows.append(
            {
                "event_id": r["id"],
                "type": r["type"],
                "mmsi": r["mmsi"],
                "other_mmsi": r.get("other_mmsi"),
                "start": int(np.round((start or 0.0) * 1000)),
                "end": None if end is None else int(np.round(end * 1000)),
                "lat": r["lat"],
                "lon": r["lon"],
                "confidence": 1.0,
                "risk": 100.0 if r["illicit"] else 0.0,
                "details": json.dumps(
                    (r.get("details") or {}) | {"deliberate": bool(r.get("deliberate"))}
                ),
                "evidence": "[]",
            }
        )
    vessels = [
        {
            "mmsi": v["mmsi"],
            "imo": v.get("imo"),
            "name": v.get("name"),
            "sanctions_match": v.get("listing_id") if v["sanctioned"] else None,
            "sanctions_score": 1.0 if v["sanctioned"] else 0.0,
            "risk": 100.0 if v["illicit"] else 0.0,
        }
        for v in truth.vessels
    ]
    ev = pa.Table.from_pylist(rows, schema=EVENTS)
    names = ("mmsi", "imo", "name", "sanctions_match", "sanctions_score", "risk")
    vs = pa.Table.from_pylist(vessels, schema=pa.schema([VESSELS.field(n) for n in names]))
    return ev, vs
