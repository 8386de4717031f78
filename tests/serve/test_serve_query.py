"""Releasability: an item released to A only is visible to A and invisible to B everywhere
(by id, in lists, bounding boxes, time filters, the alert cursor, tracks, reports, feedback
and counts), and the answers for it are exactly those for an item that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Served
from watchkeeper.serve.db import open_service_db
from watchkeeper.serve.query import TRACK_HALO_MS, iso


def _only_a(served: Served) -> dict[str, Any]:
    got = served.client("AAA").get(f"/collections/events/items/{served.only_a_event_id}")
    assert got.status_code == 200
    return dict(got.json())


def _ids(answer: dict[str, Any]) -> set[str]:
    return {f["id"] for f in answer["features"]}


def _all_alerts(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = "0"
    for _ in range(100):
        page = client.get("/api/v1/alerts", params={**params, "changed_since": cursor, "limit": 2})
        assert page.status_code == 200
        body = page.json()
        if not body["items"]:
            return items
        items += body["items"]
        cursor = body["next_cursor"]
    raise AssertionError("the cursor did not advance to the end")


def test_by_id_404_exactly_as_nonexistent(served: Served) -> None:
    b = served.client("BBB")
    hidden = b.get(f"/collections/events/items/{served.only_a_event_id}")
    missing = b.get("/collections/events/items/ffffffffffffffffffffffff")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"detail": f"no event {served.only_a_event_id}"}
    assert missing.json() == {"detail": "no event ffffffffffffffffffffffff"}
    assert hidden.headers["content-type"] == missing.headers["content-type"]
    a = _only_a(served)
    assert a["properties"]["marking"] == {"tlp": "AMBER", "rel_to": ["AAA"]}


def test_lists_bbox_and_datetime(served: Served) -> None:
    feature = _only_a(served)
    lon, lat = feature["geometry"]["coordinates"]
    start = feature["properties"]["start"]
    queries = [
        {"limit": 1000},
        {"bbox": f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"},
        {"datetime": f"{start}/{start}"},
        {"bbox": "-180,-90,180,90", "datetime": "../.."},
    ]
    for params in queries:
        a = served.client("AAA").get("/collections/events/items", params=params).json()
        b = served.client("BBB").get("/collections/events/items", params=params).json()
        assert served.only_a_event_id in _ids(a), params
        assert served.only_a_event_id not in _ids(b), params
        assert a["numberMatched"] == b["numberMatched"] + 1 or "bbox" in params


def test_bbox_around_it_is_empty_for_b(served: Served) -> None:
    lon, lat = _only_a(served)["geometry"]["coordinates"]
    box = f"{lon - 1e-6},{lat - 1e-6},{lon + 1e-6},{lat + 1e-6}"
    b = served.client("BBB").get("/collections/events/items", params={"bbox": box}).json()
    assert b["numberMatched"] == 0 and b["features"] == []


def test_alert_cursor_and_filters(served: Served) -> None:
    a_ids = {i["event_id"] for i in _all_alerts(served.client("AAA"))}
    b_items = _all_alerts(served.client("BBB"))
    assert served.only_a_event_id in a_ids
    assert served.only_a_event_id not in {i["event_id"] for i in b_items}
    assert served.shared_event_id in {i["event_id"] for i in b_items}
    mmsi = _only_a(served)["properties"]["mmsi"]
    b = served.client("BBB").get("/api/v1/alerts", params={"mmsi": mmsi}).json()
    assert b["items"] == []


def test_republish_moves_past_the_cursor(served: Served) -> None:
    b = served.client("BBB")
    cursor = b.get("/api/v1/alerts", params={"limit": 10000}).json()["next_cursor"]
    assert b.get("/api/v1/alerts", params={"changed_since": cursor}).json()["items"] == []
    pub = served.client("PUB")
    body = {"event_id": served.shared_event_id, "tlp": "GREEN", "rel_to": ["AAA", "BBB"]}
    assert pub.post("/api/v1/publish", json=body).status_code == 201
    again = b.get("/api/v1/alerts", params={"changed_since": cursor}).json()
    assert [i["event_id"] for i in again["items"]] == [served.shared_event_id]
    assert int(again["next_cursor"]) > int(cursor)


def test_tracks_and_reports(served: Served) -> None:
    props = _only_a(served)["properties"]
    hidden = [m for m in (props["mmsi"], props["other_mmsi"]) if m is not None]
    a, b = served.client("AAA"), served.client("BBB")
    b_tracks = b.get("/collections/tracks/items", params={"limit": 1000}).json()
    assert not set(map(str, hidden)) & _ids(b_tracks)
    for m in hidden:
        assert b.get(f"/collections/tracks/items/{m}").status_code == 404
        assert b.get(f"/api/v1/reports/{m}").status_code == 404
        assert b.get(f"/collections/vessels/items/{m}").status_code == 404
        track = a.get(f"/collections/tracks/items/{m}").json()
        assert track["properties"]["marking"] == {"tlp": "AMBER", "rel_to": ["AAA"]}
        lo = int(track["properties"]["n_positions"])
        assert lo > 0
    for item in _all_alerts(b):
        assert item["report_url"] in (None, f"/api/v1/reports/{served.shared_mmsi}")
    shared = b.get(f"/api/v1/reports/{served.shared_mmsi}")
    assert shared.status_code == 200 and "<html" in shared.text.lower()
    assert shared.headers["x-tlp"] == "GREEN"


def test_track_covers_event_span_with_halo(served: Served) -> None:
    props = _only_a(served)["properties"]
    track = served.client("AAA").get(f"/collections/tracks/items/{props['mmsi']}").json()
    start, end = track["properties"]["start"], track["properties"]["end"]
    ev_start = props["start"]
    assert start <= ev_start <= end
    db = open_service_db(served.settings)
    with db.session() as con:
        row = con.execute(
            "SELECT start_ms, end_ms FROM pub_events WHERE event_id = ?",
            (served.only_a_event_id,),
        ).fetchone()
    lo, hi = iso(row[0] - TRACK_HALO_MS), iso(row[1] + TRACK_HALO_MS)
    assert lo is not None and hi is not None
    assert lo <= start and end <= hi


def test_nothing_of_it_in_any_answer_to_b(served: Served) -> None:
    b = served.client("BBB")
    paths = [
        "/collections/events/items?limit=10000",
        "/collections/vessels/items?limit=10000",
        "/collections/tracks/items?limit=1000",
        "/api/v1/alerts?limit=10000",
        "/api/v1/stats/precision",
    ]
    for path in paths:
        got = b.get(path)
        assert got.status_code == 200, path
        assert served.only_a_event_id not in got.text, path


def test_feedback_and_precision(served: Served) -> None:
    a, b = served.client("AAA"), served.client("BBB")
    verdict = {"verdict": "confirm", "text": "seen", "tlp": "AMBER", "rel_to": ["AAA"]}
    assert (
        a.post(f"/api/v1/alerts/{served.only_a_event_id}/feedback", json=verdict).status_code == 201
    )
    assert (
        b.post(f"/api/v1/alerts/{served.only_a_event_id}/feedback", json=verdict).status_code == 404
    )
    assert b.get(f"/api/v1/alerts/{served.only_a_event_id}/feedback").status_code == 404
    only_a_type = _only_a(served)["properties"]["event_type"]
    a_stats = {r["event_type"]: r for r in a.get("/api/v1/stats/precision").json()}
    assert a_stats[only_a_type]["confirmed"] >= 1
    b_stats = {r["event_type"]: r for r in b.get("/api/v1/stats/precision").json()}
    assert b_stats.get(only_a_type, {"confirmed": 0})["confirmed"] == 0


@pytest.mark.parametrize("code", ["AAA", "BBB"])
def test_shared_items_visible_to_both(served: Served, code: str) -> None:
    c = served.client(code)
    ev = c.get(f"/collections/events/items/{served.shared_event_id}")
    assert ev.status_code == 200
    assert ev.json()["properties"]["marking"] == {"tlp": "GREEN", "rel_to": ["AAA", "BBB"]}
    vessel = c.get(f"/collections/vessels/items/{served.shared_mmsi}").json()
    assert vessel["properties"]["reasons"]
    assert vessel["properties"]["report_url"] == f"/api/v1/reports/{served.shared_mmsi}"


def test_bbox_across_the_antimeridian(served: Served) -> None:
    a = served.client("AAA")
    everything = a.get("/collections/events/items", params={"limit": 1000}).json()
    positioned = {f["id"] for f in everything["features"] if f["geometry"] is not None}
    across = a.get("/collections/events/items", params={"bbox": "100,-90,-170,90"}).json()
    assert _ids(across) == positioned
    away = a.get("/collections/events/items", params={"bbox": "170,-90,-170,90"}).json()
    assert away["numberMatched"] == 0
