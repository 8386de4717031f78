"""Sanctions listings (renamed, hiding the IMO, absent from the scenario) and the innocent
controls: ships named like a listed one, and benign long gaps."""

from __future__ import annotations

import numpy as np

from watchkeeper.simulate.cases._base import CaseBase, H, Listing
from watchkeeper.simulate.traffic import Identity, Vessel

__all__ = ["SanctionsCases"]

#: Syllables of Korean ship names, for listed vessels.
_KO = (
    "CHON",
    "MA",
    "SAN",
    "PAEK",
    "RYE",
    "SONG",
    "GANG",
    "KUM",
    "UN",
    "YU",
    "JONG",
    "BONG",
    "HAE",
    "RYONG",
    "NAM",
    "PO",
    "MYONG",
    "SAE",
    "BYOL",
    "JI",
    "HYANG",
    "AN",
    "SAM",
)


def _ko_name(rng: np.random.Generator) -> str:
    """A Korean-style ship name, with a number six times in ten."""
    a, b = rng.choice(_KO, 2, replace=False)
    return f"{a} {b} {int(rng.integers(1, 20))}" if rng.random() < 0.6 else f"{a} {b}"


class SanctionsCases(CaseBase):
    """Sanctions-list entries, look-alike decoys and innocent gaps."""

    def listed(self, *, renamed: bool, broadcast_imo: bool) -> None:
        """A sanctioned tanker trading normally, renamed since listing or hiding its IMO."""
        r = self.rng
        v = self.merchant()
        listed_name = _ko_name(r)
        ident = v.identities
        imo = ident[0][1].imo
        current = self.fb.new_name("tanker") if renamed else listed_name
        v.identities = [
            (t, Identity(**{**i.__dict__, "name": current, "imo": imo if broadcast_imo else None}))
            for t, i in ident
        ]
        v.sanctioned = v.illicit = True
        old_flag = self.foc()
        self.book.listings.append(
            Listing(
                f"wk-sim-{imo}",
                listed_name,
                (),
                imo,
                self.fb.new_mmsi(old_flag[1]),
                old_flag[0],
                v.mmsi,
            )
        )

    def decoy(self) -> None:
        """An innocent ship whose name resembles a listed one."""
        if not self.book.listings:
            self.listed_absent()
        base = self.book.listings[int(self.rng.integers(len(self.book.listings)))]
        v = self.merchant()
        name = _lookalike(base.name, self.rng)
        v.identities = [(t, Identity(**{**i.__dict__, "name": name})) for t, i in v.identities]
        v.decoy = True
        self.book.decoy_of[v.mmsi] = base.entity_id

    def listed_absent(self) -> None:
        """A listed vessel that is not in the scenario (lists are mostly other ships)."""
        flag = self.foc() if self.rng.random() < 0.7 else ("KP", (445,))
        imo = self.fb.new_imo()
        self.book.listings.append(
            Listing(
                f"wk-sim-{imo}",
                _ko_name(self.rng),
                (),
                imo,
                self.fb.new_mmsi(flag[1]),
                flag[0],
                None,
            )
        )

    def benign_gap(self) -> None:
        """Transponder or reception failure for 12-24 h at sea: innocent."""
        v = self.merchant() if self.rng.random() < 0.5 else self._any_fishing()
        t0 = float(self.rng.uniform(6, max(7.0, self.end / H - 30))) * H
        v.outages.append((t0, t0 + float(self.rng.uniform(12, 24)) * H))

    def _any_fishing(self) -> Vessel:
        fishing = [v for v in self.fb.vessels if v.role == "fishing" and not v.outages]
        return fishing[int(self.rng.integers(len(fishing)))] if fishing else self.merchant()


def _lookalike(name: str, rng: np.random.Generator) -> str:
    """A name one edit away from ``name`` (a changed number, a dropped or doubled letter)."""
    parts = name.split()
    if parts[-1].isdigit():
        return " ".join([*parts[:-1], str(int(parts[-1]) + int(rng.integers(1, 9)))])
    word = parts[-1]
    i = int(rng.integers(1, len(word)))
    return " ".join([*parts[:-1], word[:i] + word[i - 1] + word[i:]])
