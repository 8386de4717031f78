"""FollowTheMoney: every line is a valid entity of the model; references resolve."""

from __future__ import annotations

import io
import json

from followthemoney import model
from publish_case import MAGUS

from watchkeeper import Workspace
from watchkeeper.publish.ftm import events_ftm, vessel_id, vessels_ftm, write_ftm


def _entities(entities: object) -> list[object]:
    out = io.BytesIO()
    write_ftm(entities, out)  # type: ignore[arg-type]
    # get_proxy with cleaned=False validates every property against the schema
    return [
        model.get_proxy(json.loads(line), cleaned=False) for line in out.getvalue().splitlines()
    ]


def test_vessels_and_risks(case_ws: Workspace) -> None:
    vessels = case_ws.read_table("vessels")
    assert vessels is not None
    proxies = _entities(vessels_ftm(vessels.slice(0, 30)))
    by_id = {p.id: p for p in proxies}  # type: ignore[attr-defined]
    magus = by_id[vessel_id(MAGUS)]
    assert magus.schema.name == "Vessel"  # type: ignore[attr-defined]
    assert magus.get("imoNumber") == ["IMO9018464"]  # type: ignore[attr-defined]
    assert magus.get("mmsi") == [str(MAGUS)]  # type: ignore[attr-defined]
    assert "sanction" in magus.get("topics")  # type: ignore[attr-defined]
    risk = by_id[f"wk-risk-{MAGUS}"]
    assert risk.schema.name == "Risk" and risk.get("entity") == [vessel_id(MAGUS)]  # type: ignore[attr-defined]
    assert any(r.startswith("sanctioned +70") for r in risk.get("reason"))  # type: ignore[attr-defined]
    for p in proxies:
        for ref in p.get("entity") if p.schema.name == "Risk" else []:  # type: ignore[attr-defined]
            assert ref in by_id


def test_sts_unknown_link(case_ws: Workspace) -> None:
    events = case_ws.read_table("events")
    vessels = case_ws.read_table("vessels")
    assert events is not None
    proxies = _entities(events_ftm(events, vessels))
    links = [p for p in proxies if p.schema.name == "UnknownLink"]  # type: ignore[attr-defined]
    assert len(links) == 1  # only the encounter is ship-to-ship
    (link,) = links
    other = events.to_pylist()[0]["other_mmsi"]
    assert link.get("subject") == [vessel_id(MAGUS)]  # type: ignore[attr-defined]
    assert link.get("object") == [vessel_id(other)]  # type: ignore[attr-defined]
    ids = {p.id for p in proxies}  # type: ignore[attr-defined]
    assert {vessel_id(MAGUS), vessel_id(other)} <= ids
