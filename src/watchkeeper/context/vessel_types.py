"""What kind of vessel an AIS ship type code describes, and whether it can do an STS transfer.

AIS message 5 / 24B carries a two-digit ship type (ITU-R M.1371-5, Table 53). Ship-to-ship
cargo transfer of the kind UN Security Council resolutions 2375 (2017) and 2397 (2017) ban is
done by tankers, cargo ships and fishing vessels/reefers (the ban covers North Korean seafood
too). Harbour craft and vessels that carry people work alongside other ships all day without
transferring cargo: tugs and tows (31-32, 52), pilot boats, SAR, port tenders, anti-pollution,
law enforcement, medical (50-59), sailing and pleasure craft (36-37), high-speed craft (40-49)
and passenger ships (60-69). A pair where either vessel is one of these is a *service contact*,
not an STS candidate. An unknown or unassigned type (0, 1-19, 90-99, or never reported) stays a
candidate, at lower confidence.

A *pair* needs one more thing (:func:`sts_pair_reason`): at least one side that may carry
cargo, i.e. a tanker, cargo ship or fishing vessel, or a vessel that never said what it is.
Two vessels that both declare "other type" (90-99) have each told the world they are none of
the cargo classes: on the NOAA 2020-01-01 day the one such pair at sea was the Sandy Hook
pilot station (NEW YORK, IMO 7437068, with WANDERER, drifting together off Ambrose for the
whole day), and a station or survey vessel with its tender meets that way every day.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "STS_CLASSES",
    "VesselClass",
    "is_sts_candidate",
    "sts_pair_reason",
    "vessel_class",
]


class VesselClass(StrEnum):
    """Coarse classes of AIS ship types, as the STS rules need them."""

    TANKER = "tanker"  # 80-89
    CARGO = "cargo"  # 70-79
    FISHING = "fishing"  # 30
    SERVICE = "service"  # harbour craft: tugs, tows, pilots, SAR, tenders, dredgers, diving
    PEOPLE = "people"  # passenger, high-speed craft, sailing, pleasure
    OTHER = "other"  # military (35), reserved codes, wing-in-ground (20-29)
    UNKNOWN = "unknown"  # 0 or never reported, 1-19 and 90-99 (other types)


def vessel_class(ship_type: int | None) -> VesselClass:
    """Class of AIS ship type ``ship_type`` (None or 0: unknown).

    >>> vessel_class(84), vessel_class(52), vessel_class(37), vessel_class(None)
    (<VesselClass.TANKER: 'tanker'>, <VesselClass.SERVICE: 'service'>, \
<VesselClass.PEOPLE: 'people'>, <VesselClass.UNKNOWN: 'unknown'>)
    """
    t = int(ship_type) if ship_type is not None else 0
    if 80 <= t <= 89:
        return VesselClass.TANKER
    if 70 <= t <= 79:
        return VesselClass.CARGO
    if t == 30:
        return VesselClass.FISHING
    if t in (31, 32, 33, 34) or 50 <= t <= 59:  # towing, dredging, diving; 50-59 port services
        return VesselClass.SERVICE
    if t in (36, 37) or 40 <= t <= 49 or 60 <= t <= 69:
        return VesselClass.PEOPLE
    if t == 0 or 1 <= t <= 19 or 90 <= t <= 99:
        return VesselClass.UNKNOWN
    return VesselClass.OTHER


#: Classes that can take part in an STS transfer (unknown stays a candidate, at lower confidence).
STS_CLASSES = frozenset(
    {VesselClass.TANKER, VesselClass.CARGO, VesselClass.FISHING, VesselClass.UNKNOWN}
)


def is_sts_candidate(ship_type: int | None) -> bool:
    """Whether a vessel of this type can be one side of an STS transfer.

    >>> is_sts_candidate(80), is_sts_candidate(30), is_sts_candidate(0), is_sts_candidate(60)
    (True, True, True, False)
    """
    return vessel_class(ship_type) in STS_CLASSES


def _declared_other(ship_type: int | None) -> bool:
    return ship_type is not None and 90 <= int(ship_type) <= 99


def sts_pair_reason(ta: int | None, tb: int | None) -> str | None:
    """Why a pair of vessels of these AIS ship types cannot be an STS transfer (None: it can).

    >>> sts_pair_reason(80, 0) is None, sts_pair_reason(80, 52)[:15], sts_pair_reason(90, 91)[:15]
    (True, 'service contact', 'service contact')
    """
    for t in (ta, tb):
        if not is_sts_candidate(t):
            cls = vessel_class(t)
            what = "harbour craft" if cls is VesselClass.SERVICE else "carries people"
            if cls is VesselClass.OTHER:
                what = "military or special craft"
            return f"service contact: AIS ship type {t} ({cls.value}: {what}), not an STS class"
    if _declared_other(ta) and _declared_other(tb):
        return f"service contact: both declare AIS type 'other' ({ta}, {tb}), neither carries cargo"
    return None
