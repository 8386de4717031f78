"""Planted cases: the sanctions-evasion tactics documented by the UN Panel of Experts, OFAC and
C4ADS (DOMAIN.md), each with seed-dependent parameters (places, times, durations, distances).

Every case adds vessels to the fleet and :class:`TruthNote` facts for ``truth.json``; generic
facts (gaps, loitering, port visits, zone entries) are derived later from the tracks themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from watchkeeper.simulate.cases._base import CaseBook, Listing
from watchkeeper.simulate.cases.dprk import DprkCases
from watchkeeper.simulate.cases.identity import IdentityCases
from watchkeeper.simulate.cases.sanctions import SanctionsCases
from watchkeeper.simulate.cases.sts import StsCases
from watchkeeper.simulate.fleet import FleetBuilder

__all__ = ["CASES", "CaseBook", "Listing", "plant_cases"]


class _Cases(StsCases, DprkCases, IdentityCases, SanctionsCases):
    """Every family of cases; ``fb`` holds the vessels, ``book`` the list and decoys."""


def _plan(c: _Cases, counts: dict[str, int]) -> list[tuple[Callable[[], None], int]]:
    return [
        (lambda: c.sts("visible"), counts["sts_visible"]),
        (lambda: c.sts("receiver_dark"), counts["sts_receiver_dark"]),
        (lambda: c.sts("both_dark"), counts["sts_both_dark"]),
        (c.dprk_dark_nampo, counts["dprk_dark_nampo"]),
        (c.dprk_visit_ais_on, counts["dprk_visit_ais_on"]),
        (c.spoof_jump, counts["spoof_jump"]),
        (c.shared_mmsi, counts["shared_mmsi"]),
        (c.rename_at_sea, counts["rename_at_sea"]),
        (c.fraudulent_imo, counts["fraudulent_imo"]),
        (lambda: c.listed(renamed=True, broadcast_imo=True), counts["sanctioned_renamed"]),
        (lambda: c.listed(renamed=False, broadcast_imo=False), counts["sanctioned_no_imo"]),
        (c.listed_absent, 12),
        (c.decoy, counts["lookalike_decoy"]),
        (c.benign_gap, counts["benign_long_gap"]),
    ]


CASES = (
    "sts_visible",
    "sts_receiver_dark",
    "sts_both_dark",
    "dprk_dark_nampo",
    "dprk_visit_ais_on",
    "spoof_jump",
    "shared_mmsi",
    "rename_at_sea",
    "fraudulent_imo",
    "sanctioned_renamed",
    "sanctioned_no_imo",
    "lookalike_decoy",
    "benign_long_gap",
)


def plant_cases(fb: FleetBuilder, counts: dict[str, int]) -> CaseBook:
    """Plant every case ``counts[name]`` times; returns the sanctions list and decoy links."""
    c = _Cases(fb)
    for fn, n in _plan(c, counts):
        for _ in range(n):
            fn()
    return c.book
