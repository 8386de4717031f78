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
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STS_CLASSES", "VesselClass", "is_sts_candidate", "vessel_class"]


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
