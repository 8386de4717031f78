"""The public reference areas shown under every map: STS zones and North Korean waters.

The zones the workspace's last detection used (``detect_zones``, the built-in ones plus any
the analyst added), else the built-in zones. Public reference data: no marking.
"""

from __future__ import annotations

from typing import Any

from shapely import wkb
from shapely.geometry import mapping

from watchkeeper.context.zones import builtin_zones
from watchkeeper.store.base import Store

__all__ = ["reference_zones", "zone_kind"]


def zone_kind(name: str) -> str:
    """``sts_zone``, ``dprk_waters`` or ``watched_zone`` from a zone's name.

    >>> zone_kind("sts_wonsan"), zone_kind("dprk_east_waters"), zone_kind("my_box")
    ('sts_zone', 'dprk_waters', 'watched_zone')
    """
    if name.startswith("sts_"):
        return "sts_zone"
    if name.startswith("dprk_"):
        return "dprk_waters"
    return "watched_zone"


def reference_zones(store: Store) -> list[dict[str, Any]]:
    """GeoJSON Features of the zones, by name."""
    table = store.read_table("detect_zones")
    if table is not None and table.num_rows:
        rows = [(r["name"], wkb.loads(r["wkb"]), r["risk"], r["source"]) for r in table.to_pylist()]
    else:
        rows = [(z.name, z.geometry, z.risk, z.source) for z in builtin_zones()]
    return [
        {
            "type": "Feature",
            "id": name,
            "geometry": mapping(geom),
            "properties": {"name": name, "kind": zone_kind(name), "risk": risk, "source": source},
        }
        for name, geom, risk, source in sorted(rows, key=lambda r: r[0])
    ]
