"""Sanctions screening: every identity a vessel has shown against the listed vessels.

A vessel here is an MMSI with everything it broadcast over time: all its IMO numbers, names
and call signs. Each is compared with every listed vessel's IMO, MMSIs, name, aliases and
previous names, and each (MMSI, list entity) pair that shares something gets a level:

``match``  the IMO is equal and passes its check digit (it is the hull's number for life,
           so it survives renaming and reflagging); or the MMSI or the call sign is equal
           *and* a name agrees (two independent identifiers); or a cargo ship or tanker
           broadcasts *exactly* a listed name while withholding any IMO (every such ship
           has one: hiding it under a listed name is the tactic itself).
``review`` the MMSI alone (MMSIs are reused, mistyped and spoofed); a similar name alone
           (look-alike names are common: ``FREEDOM`` is a popular name); an equal IMO that
           fails its check digit.

A name-only hit is dropped when the two cannot be the same ship: both carry *different
valid* IMOs (the IMO is the hull), or the list says merchant ship (tanker, cargo, bulk ...)
while AIS says small craft (pleasure, sailing, fishing, tug, pilot, SAR type codes, or
shorter than 30 m), or the list gives a valid IMO number (a ship of 100 GT or more) while AIS
says pleasure or sailing craft or shorter than 24 m. An MMSI-only hit with a different valid
IMO is dropped too. The IMO field is read through :func:`watchkeeper.context.imo.imo_kind`:
a valid IMO with two zeros appended (a transponder artefact) is that IMO; a US Coast Guard
official number is no IMO. Every hit carries its features (what was compared, the two values,
the score) and a one-line explanation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process

from watchkeeper.assess.identity import VesselIdentity, vessel_identities
from watchkeeper.assess.names import name_key, name_numbers, name_similarity, normalise_name
from watchkeeper.context.imo import is_valid_imo
from watchkeeper.errors import ConfigError

__all__ = ["SCREENING", "ScreenParams", "VesselIdentity", "screen", "vessel_identities"]

SCREENING = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("list_name", pa.string()),
        pa.field("programs", pa.list_(pa.string())),
        pa.field("level", pa.string(), nullable=False),  # 'match' | 'review'
        pa.field("score", pa.float32(), nullable=False),  # 0..1
        pa.field("features", pa.string()),  # JSON list of {feature, query, candidate, score}
        pa.field("explanation", pa.string()),
    ]
)


@dataclass(frozen=True)
class ScreenParams:
    """Thresholds and scores of the screening rules (see the module docstring).

    Name thresholds are normalised Indel similarities of space-free normalised names. 0.88
    keeps one typo in an 8-letter name (``FREEDON``~``FREEDOM`` 0.86 is out, 9+ letters in);
    set from the OFAC/NOAA test data so that no two distinct list names collide.
    """

    name_review: float = 0.88  # name alone -> review (see above)
    # Exact listed name on a cargo ship/tanker that broadcasts no IMO at all -> match. SOLAS
    # ships must carry an IMO number; withholding it under a listed ship's name is the
    # "hiding its IMO" tactic (DOMAIN.md). Set above 1 to switch the rule off.
    name_exact_hidden_imo: float = 1.0
    name_confirms_mmsi: float = 0.88  # MMSI or call sign equal + name at least this -> match
    score_imo: float = 1.0  # IMO equal, check digit valid
    score_mmsi_name: float = 0.95  # MMSI equal and name agrees
    score_callsign_name: float = 0.9  # call sign equal and name agrees
    score_name_hidden_imo: float = 0.9  # the exact listed name on a merchant hiding its IMO
    score_imo_invalid: float = 0.8  # IMO equal but fails its check digit
    score_mmsi: float = 0.6  # MMSI alone
    score_name_max: float = 0.75  # name alone: this times the name similarity
    chunk: int = 4096  # identity names per cdist block (memory: chunk x list names bytes)
    workers: int = -1  # rapidfuzz threads (-1: all cores)

    def __post_init__(self) -> None:
        if not 0 < self.name_review <= 1 or not 0 < self.name_confirms_mmsi <= 1:
            raise ConfigError("name thresholds must be in (0, 1]")
        if self.chunk < 1:
            raise ConfigError("chunk must be positive")


_MERCHANT_WORDS = (
    "TANKER",
    "CARGO",
    "BULK",
    "CONTAINER",
    "CARRIER",
    "LPG",
    "LNG",
    "RO-RO",
    "CHEMICAL",
    "ROLL-ON",
    "FREIGHT",
    "REEFER",
    "VEHICLE",
)


def _is_merchant(vessel_type: str | None) -> bool:
    text = (vessel_type or "").upper()
    return any(w in text for w in _MERCHANT_WORDS)


@dataclass(frozen=True)
class _Listed:
    """A listed vessel prepared for comparison."""

    entity_id: str
    source: str
    name: str
    programs: tuple[str, ...]
    imo: int | None
    mmsis: frozenset[int]
    callsign: str | None
    merchant: bool  # the list's vessel type is a tanker, cargo ship, bulk carrier ...
    vessel_type: str | None
    names: tuple[tuple[str, str], ...]  # (kind, raw): name, alias, previous_name


def _listed(entities: pa.Table) -> list[_Listed]:
    out = []
    for row in entities.to_pylist():
        if row["schema"] != "Vessel":
            continue
        names = [("name", row["name"])]
        names += [("alias", a) for a in row["aliases"] or []]
        names += [("previous_name", p) for p in row["previous_names"] or []]
        out.append(
            _Listed(
                entity_id=row["entity_id"],
                source=row["source"],
                name=row["name"],
                programs=tuple(row["programs"] or ()),
                imo=row["imo"],
                mmsis=frozenset(row["mmsis"] or ()),
                callsign=(row["callsign"] or "").upper() or None,
                merchant=_is_merchant(row["vessel_type"]),
                vessel_type=row["vessel_type"],
                names=tuple((k, n) for k, n in names if normalise_name(n)),
            )
        )
    return out


def _candidates_by_id(vessels: list[VesselIdentity], listed: list[_Listed]) -> set[tuple[int, int]]:
    """(vessel index, listed index) pairs sharing an IMO or an MMSI."""
    by_imo: dict[int, list[int]] = defaultdict(list)
    by_mmsi: dict[int, list[int]] = defaultdict(list)
    for j, item in enumerate(listed):
        if item.imo is not None:
            by_imo[item.imo].append(j)
        for m in item.mmsis:
            by_mmsi[m].append(j)
    pairs: set[tuple[int, int]] = set()
    for i, v in enumerate(vessels):
        pairs.update((i, j) for j in by_mmsi.get(v.mmsi, ()))
        for imo in v.imos:
            pairs.update((i, j) for j in by_imo.get(imo, ()))
    return pairs


_NameIndex = dict[frozenset[str], dict[str, list[int]]]  # numbers -> key -> owners


def _name_index(names: list[tuple[int, str]]) -> _NameIndex:
    """Names by their numbers, then by key: pairs whose numbers differ are never compared."""
    index: _NameIndex = defaultdict(lambda: defaultdict(list))
    for owner, raw in names:
        if norm := normalise_name(raw):
            index[name_numbers(norm)][name_key(norm)].append(owner)
    return index


def _candidates_by_name(
    vessels: list[VesselIdentity], listed: list[_Listed], params: ScreenParams
) -> set[tuple[int, int]]:
    """(vessel, listed) pairs with a name pair at or above ``name_review`` (bulk, rapidfuzz).

    Names are blocked by their numbers (sister ships never match, see ``name_similarity``),
    then compared block by block with ``rapidfuzz.process.cdist`` on all cores.
    """
    q_index = _name_index([(i, n) for i, v in enumerate(vessels) for n in v.names])
    c_index = _name_index([(j, n) for j, item in enumerate(listed) for _, n in item.names])
    pairs: set[tuple[int, int]] = set()
    for numbers, q_block in q_index.items():
        if numbers in c_index:
            _compare_block(q_block, c_index[numbers], params, pairs)
    return pairs


def _compare_block(
    q_block: dict[str, list[int]],
    c_block: dict[str, list[int]],
    params: ScreenParams,
    pairs: set[tuple[int, int]],
) -> None:
    q_keys, c_keys = list(q_block), list(c_block)
    cutoff = int(params.name_review * 100)  # uint8 scores are floored; rechecked exactly later
    for start in range(0, len(q_keys), params.chunk):
        chunk = q_keys[start : start + params.chunk]
        scores = process.cdist(
            chunk,
            c_keys,
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            dtype=np.uint8,
            workers=params.workers,
        )
        for qi, ci in zip(*np.nonzero(scores), strict=True):
            pairs.update((i, j) for i in q_block[chunk[qi]] for j in c_block[c_keys[ci]])


def _best_name(v: VesselIdentity, item: _Listed) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    for n in sorted(v.names):
        for kind, listed_name in item.names:
            s = name_similarity(n, listed_name)
            if best is None or s > best["score"]:
                best = {
                    "feature": "name",
                    "query": n,
                    "candidate": listed_name,
                    "candidate_kind": kind,
                    "score": s,
                    **v.when("name", n),
                }
    return best


def _features(v: VesselIdentity, item: _Listed) -> list[dict[str, Any]]:
    """What the vessel and the listed vessel share (or contradict), each with a score."""
    feats: list[dict[str, Any]] = []
    if item.imo is not None and (item.imo in v.imos or item.imo in v.hull_imos):
        valid = is_valid_imo(item.imo)
        feats.append(
            {
                "feature": "imo",
                "query": item.imo,
                "candidate": item.imo,
                "score": 1.0,
                "check_digit_valid": valid,
                **v.when("imo", item.imo),
            }
        )
    elif is_valid_imo(item.imo) and (seen := sorted(v.hull_imos)):
        feats.append(
            {"feature": "imo_conflict", "query": seen, "candidate": item.imo, "score": 0.0}
        )
    if v.mmsi in item.mmsis:
        feats.append({"feature": "mmsi", "query": v.mmsi, "candidate": v.mmsi, "score": 1.0})
    elif feats and feats[0]["feature"] == "imo_conflict":
        return feats  # different hulls: nothing else can make this a hit
    if (name := _best_name(v, item)) is not None:  # kept at 0 too: it shows a rename
        feats.append(name)
    if not v.imos and is_valid_imo(item.imo) and v.merchant:
        types = sorted(v.ship_types)
        feats.append(
            {"feature": "imo_withheld", "query": types, "candidate": item.imo, "score": 1.0}
        )
    if item.merchant and v.small_craft:
        ais = f"types {sorted(v.ship_types)}, length {v.length_m} m"
        feats.append(
            {"feature": "type_conflict", "query": ais, "candidate": item.vessel_type, "score": 0.0}
        )
    elif is_valid_imo(item.imo) and v.below_imo_size:  # a listed IMO: a ship of >= 100 GT
        ais = f"types {sorted(v.ship_types)}, length {v.length_m} m"
        listed = f"IMO {item.imo}: a ship of 100 GT or more"
        feats.append({"feature": "type_conflict", "query": ais, "candidate": listed, "score": 0.0})
    if item.callsign and item.callsign in v.callsigns:
        feats.append(
            {
                "feature": "callsign",
                "query": item.callsign,
                "candidate": item.callsign,
                "score": 1.0,
                **v.when("callsign", item.callsign),
            }
        )
    return feats


def _decide(feats: list[dict[str, Any]], p: ScreenParams) -> tuple[str, float] | None:
    """The level and score of one pair from its features (rules in the module docstring)."""
    f = {x["feature"]: x for x in feats}
    name = f["name"]["score"] if "name" in f else 0.0
    if "imo" in f:
        if f["imo"]["check_digit_valid"]:
            return "match", p.score_imo
        return "review", p.score_imo_invalid
    if "imo_conflict" in f:
        return None
    confirmed = name >= p.name_confirms_mmsi and "type_conflict" not in f
    if "mmsi" in f:
        return ("match", p.score_mmsi_name) if confirmed else ("review", p.score_mmsi)
    if "callsign" in f and confirmed:
        return "match", p.score_callsign_name
    if "imo_withheld" in f and name >= p.name_exact_hidden_imo and "type_conflict" not in f:
        return "match", p.score_name_hidden_imo
    if name >= p.name_review and "type_conflict" not in f:
        return "review", round(p.score_name_max * name, 4)
    return None


def _reported(x: dict[str, Any]) -> str:
    if "first_reported" not in x:
        return ""
    first, last = x["first_reported"], x["last_reported"]
    return f", reported {first}" + (f" to {last}" if last != first else "")


def _explain(level: str, item: _Listed, feats: list[dict[str, Any]]) -> str:
    parts = []
    for x in feats:
        if x["feature"] == "imo":
            check = "check digit valid" if x["check_digit_valid"] else "FAILS check digit"
            parts.append(f"IMO {x['query']} equal ({check}{_reported(x)})")
        elif x["feature"] == "imo_conflict":
            parts.append(f"IMO differs ({x['query']} vs {x['candidate']})")
        elif x["feature"] == "mmsi":
            parts.append(f"MMSI {x['query']} equal (MMSI alone is not proof)")
        elif x["feature"] == "name":
            kind = x["candidate_kind"].replace("_", " ")
            parts.append(f"name {x['query']!r} vs {kind} {x['candidate']!r} {x['score']:.2f}")
        elif x["feature"] == "imo_withheld":
            parts.append(f"no IMO broadcast by a merchant ship (AIS types {x['query']})")
        elif x["feature"] == "type_conflict":
            parts.append(f"AIS says small craft ({x['query']}), list says {x['candidate']}")
        elif x["feature"] == "callsign":
            parts.append(f"call sign {x['query']} equal")
    programs = ", ".join(item.programs) or "no program given"
    listed = f"listed as {item.name!r} by {item.source} [{programs}]"
    return f"{level}: " + "; ".join([*parts, listed])


def screen(
    vessels: list[VesselIdentity], entities: pa.Table, params: ScreenParams | None = None
) -> pa.Table:
    """Screen ``vessels`` against the vessel entities of ``entities`` (LIST_ENTITIES).

    Returns one row of :data:`SCREENING` per (MMSI, entity) hit, best first per MMSI.
    """
    p = params or ScreenParams()
    listed = _listed(entities)
    pairs = _candidates_by_id(vessels, listed) | _candidates_by_name(vessels, listed, p)
    rows = []
    for i, j in sorted(pairs):
        v, item = vessels[i], listed[j]
        feats = _features(v, item)
        decided = _decide(feats, p)
        if decided is None:
            continue
        level, score = decided
        rows.append(
            {
                "mmsi": v.mmsi,
                "entity_id": item.entity_id,
                "source": item.source,
                "list_name": item.name,
                "programs": list(item.programs),
                "level": level,
                "score": score,
                "features": json.dumps(feats, sort_keys=True),
                "explanation": _explain(level, item, feats),
            }
        )
    table = pa.Table.from_pylist(rows, schema=SCREENING)
    return table.sort_by([("mmsi", "ascending"), ("score", "descending")])
