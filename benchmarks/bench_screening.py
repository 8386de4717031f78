"""Sanctions screening at scale: 100,000 vessel identities against a 10,000-vessel list.

Synthetic data (seeded): list names from ship-name words and Korean syllables, valid IMOs,
a third with previous names. Planted among the identities: listed hulls broadcasting their
IMO under a new name, listed names on merchants hiding their IMO, and look-alike decoys
(one letter doubled, own IMO). Acceptance: under 60 s, precision and recall 1.0 at
``match``, no decoy above ``review``.

Baseline, measured in the same run: the naive loop (``name_similarity`` on every pair) on a
sample of identities, extrapolated to the full cross product.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.context.imo import check_digit
from watchkeeper.assess.names import name_similarity
from watchkeeper.assess.screen import screen, vessel_identities
from watchkeeper.context.sanctions.model import ListEntity, entities_table

N_IDENTITIES = 100_000
N_LIST = 10_000
N_PLANTED = 200  # of each kind: renamed with IMO, name without IMO, decoy
BASELINE_SAMPLE = 20
SEED = 5

_WORD_TEXT = (
    "OCEAN SEA STAR PEARL GLORY FORTUNE GRACE LUCKY GOLDEN SILVER BLUE OCEANIC PACIFIC "
    "ATLANTIC EAGLE PHOENIX DRAGON LION TIGER ORIENT EASTERN WESTERN NORTHERN SOUTHERN "
    "HARMONY UNITY VICTORY PRIDE SPIRIT DREAM HOPE FAITH NOBLE ROYAL CROWN EMPEROR KING "
    "QUEEN PRINCESS CAPTAIN MARINER VOYAGER PIONEER EXPLORER NAVIGATOR HORIZON SUNRISE"
)
_SYLLABLE_TEXT = (
    "KUM UN SAN YU JONG SON SAE BYOL RYE SONG GANG CHON MA PAEK NAM JI HAP KANG MYONG "
    "HUI BONG RYONG GUN SAM MO RAN PHYONG HWA"
)
_WORDS, _SYLLABLES = _WORD_TEXT.split(), _SYLLABLE_TEXT.split()


def _name(rng: np.random.Generator) -> str:
    if rng.random() < 0.5:
        words = rng.choice(_WORDS, int(rng.integers(1, 4)))
    else:
        words = rng.choice(_SYLLABLES, int(rng.integers(2, 4)))
    tail = [str(int(rng.integers(1, 99)))] if rng.random() < 0.5 else []
    return " ".join([*words, *tail])


def _imos(rng: np.random.Generator, n: int) -> list[int]:
    stems = rng.choice(np.arange(100_000, 999_999), n, replace=False)
    return [int(s) * 10 + check_digit(int(s)) for s in stems]


def _lookalike(name: str, rng: np.random.Generator) -> str:
    parts = name.split()
    word_i = max(i for i, p in enumerate(parts) if not p.isdigit())
    word = parts[word_i]
    i = int(rng.integers(1, len(word))) if len(word) > 1 else 1
    parts[word_i] = word[:i] + word[i - 1] + word[i:]
    return " ".join(parts)


def make_data(seed: int = SEED) -> tuple[pa.Table, pa.Table, dict[str, set[int]]]:
    """(identities, list entities, planted MMSIs by kind)."""
    rng = np.random.default_rng(seed)
    imos = _imos(rng, N_LIST + N_IDENTITIES)
    listed = [
        ListEntity(
            f"bench:{i}",
            "bench",
            "Vessel",
            _name(rng),
            imo=imos[i],
            previous_names=(_name(rng),) if rng.random() < 0.3 else (),
        )
        for i in range(N_LIST)
    ]
    rows: dict[str, list[Any]] = {
        k: [] for k in ("mmsi", "imo", "name", "callsign", "ship_type", "length_m")
    }
    planted: dict[str, set[int]] = {"renamed": set(), "no_imo": set(), "decoy": set()}
    kinds = ["renamed"] * N_PLANTED + ["no_imo"] * N_PLANTED + ["decoy"] * N_PLANTED
    targets = rng.choice(N_LIST, len(kinds), replace=False)
    for k in range(N_IDENTITIES):
        mmsi = 200_000_000 + k
        imo, name = imos[N_LIST + k], _name(rng)
        if k < len(kinds):
            item, kind = listed[int(targets[k])], kinds[k]
            planted[kind].add(mmsi)
            imo = item.imo if kind == "renamed" else None if kind == "no_imo" else imo
            name = {"renamed": name, "no_imo": item.name, "decoy": _lookalike(item.name, rng)}[kind]
        for key, value in zip(
            rows, (mmsi, imo, name, None, int(rng.choice([70, 80])), 120.0), strict=True
        ):
            rows[key].append(value)
    identities = pa.table(
        rows,
        schema=pa.schema(
            [
                ("mmsi", pa.int64()),
                ("imo", pa.int32()),
                ("name", pa.string()),
                ("callsign", pa.string()),
                ("ship_type", pa.int16()),
                ("length_m", pa.float32()),
            ]
        ),
    )
    return identities, entities_table(listed), planted


def _baseline(identities: pa.Table, entities: pa.Table) -> dict[str, float]:
    names = identities["name"].to_pylist()[-BASELINE_SAMPLE:]
    listed = entities["name"].to_pylist()
    start = time.perf_counter()
    for q in names:
        for c in listed:
            name_similarity(q, c)
    elapsed = time.perf_counter() - start
    pairs = len(names) * len(listed)
    return {
        "baseline_pairs_per_s": round(pairs / elapsed),
        "baseline_extrapolated_s": round(elapsed * N_IDENTITIES / len(names), 1),
    }


def run() -> dict[str, Any]:
    """Generate, screen, time, and score the planted cases."""
    identities, entities, planted = make_data()
    start, cpu = time.perf_counter(), time.process_time()
    result = screen(vessel_identities(identities), entities)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    hits = result.to_pylist()
    match = {h["mmsi"] for h in hits if h["level"] == "match"}
    truth = planted["renamed"] | planted["no_imo"]
    decoys_above_review = len(match & planted["decoy"])
    base = _baseline(identities, entities)
    return {
        "n_identities": identities.num_rows,
        "n_list_vessels": entities.num_rows,
        "screen_s": round(elapsed, 2),
        "screen_cpu_s": round(cpu, 2),  # all threads: rapidfuzz uses every core
        "identities_per_s": round(identities.num_rows / elapsed),
        "under_60_s": elapsed < 60,
        "matches": len(match),
        "reviews": sum(h["level"] == "review" for h in hits),
        "precision_at_match": round(len(match & truth) / max(1, len(match)), 4),
        "recall_at_match": round(len(match & truth) / len(truth), 4),
        "decoys_above_review": decoys_above_review,
        **base,
        "speedup_vs_baseline": round(base["baseline_extrapolated_s"] / elapsed, 1),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
