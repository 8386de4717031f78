"""The common operational picture (``watchkeeper.serve.page``) on its own and in a browser.

The browser tests run the page in headless Chromium (Debian's ``chromium`` driven by
Playwright, no browser download) against a *fixture* service: a small FastAPI app in this file
that answers the service contract's read endpoints from hand-written data, with the contract's
keys and markings. It stands in for the real service only here; ``test_serve_page_app.py``
runs the same checks against ``watchkeeper.serve.app`` when that module exists.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

import pytest
import shapely
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.testclient import TestClient
from shapely.geometry import shape

from watchkeeper.context.zones import builtin_zones
from watchkeeper.detect.registry import REGISTRY
from watchkeeper.serve.page import STATIC_DIR, router, topojson_features

CHROMIUM = Path("/usr/bin/chromium")
# As tests/publish/test_publish_report_browser.py, plus a software WebGL for MapLibre.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
SKIP_REASON = "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
#: Set to a folder (e.g. docs/img) to save partner A's and B's page as PNG there.
SHOTS_ENV = "WATCHKEEPER_COP_SCREENSHOTS"


# ---- the page's own routes ---------------------------------------------------------------


@pytest.fixture(scope="module")
def page_client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_page_is_static_html_with_an_offline_policy(page_client: TestClient) -> None:
    r = page_client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert "http" not in csp  # no other origin is allowed for anything
    assert 'id="map"' in r.text and 'id="key-input"' in r.text


def test_every_asset_the_page_names_is_served(page_client: TestClient) -> None:
    html = page_client.get("/").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"/static/cop.js", "/static/vendor/maplibre-gl/maplibre-gl.js"} <= set(assets)
    for path in assets:
        if path == "data:,":
            continue  # the empty favicon: no request at all
        assert path.startswith("/static/"), path  # nothing from another origin
        assert page_client.get(path).status_code == 200, path


def test_own_files_name_no_other_origin() -> None:
    for name in ("index.html", "cop.js", "cop.css"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert re.search(r"https?://", text) is None, name


def test_vendored_files_carry_their_licences() -> None:
    vendor = STATIC_DIR / "vendor"
    assert "MapLibre contributors" in (vendor / "maplibre-gl" / "LICENSE.txt").read_text()
    assert "Permission to use" in (vendor / "world-atlas" / "LICENSE").read_text()
    readme = (vendor / "README.md").read_text()
    assert "maplibre-gl" in readme and "world-atlas" in readme


def test_static_route_stays_inside_static(page_client: TestClient) -> None:
    assert page_client.get("/static/..%2Fpage.py").status_code == 404
    assert page_client.get("/static/vendor/../../page.py").status_code == 404
    assert page_client.get("/static/no-such-file.js").status_code == 404


def test_event_types_are_the_registry_colours(page_client: TestClient) -> None:
    got = page_client.get("/static/event-types.json").json()
    assert [(t["type"], t["colour"]) for t in got] == [(str(s.type), s.colour) for s in REGISTRY]


def test_land_is_geojson_with_land_and_sea_where_they_are(page_client: TestClient) -> None:
    r = page_client.get("/static/land.geojson")
    assert r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    parts = [g for f in fc["features"] for g in shapely.get_parts(shape(f["geometry"]))]
    assert sum(p.area > 0 for p in parts) > 1000  # 1:50m: 1,419 polygons (one a sliver)

    def on_land(lon: float, lat: float) -> bool:
        return any(g.intersects(shapely.Point(lon, lat)) for g in parts)

    # Paris, Seoul, Pyongyang, Shanghai; the East China Sea, Yellow Sea, Atlantic, Pacific
    assert all(on_land(*p) for p in [(2.35, 48.85), (126.98, 37.57), (125.75, 39.02)])
    assert on_land(121.3, 31.1)
    assert not any(on_land(*p) for p in [(124.0, 29.0), (125.0, 37.0), (-40, 30), (150, 0)])


def test_topojson_decodes_shared_reversed_arcs() -> None:
    # two squares sharing the edge x=1, the second walking it backwards (~0)
    topo = {
        "type": "Topology",
        "transform": {"scale": [1, 1], "translate": [10, 20]},
        "arcs": [
            [[1, 0], [0, 1]],
            [[1, 1], [-1, 0], [0, -1], [1, 0]],
            [[1, 0], [1, 0], [0, 1]],
            [[2, 1], [-1, 0]],
        ],
        "objects": {
            "land": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]]},
                    {"type": "MultiPolygon", "arcs": [[[~0, 2, 3]]]},
                    {"type": "Polygon", "arcs": []},
                ],
            }
        },
    }
    fc = topojson_features(topo, "land")
    first, second = (shape(f["geometry"]) for f in fc["features"])
    assert len(fc["features"]) == 2  # the empty polygon is dropped
    assert first.area == 1.0 and first.bounds == (10.0, 20.0, 11.0, 21.0)
    assert second.area == 1.0 and second.bounds == (11.0, 20.0, 12.0, 21.0)


# ---- the fixture service (test-only stand-in for the real service) -------------------------

ISO = "%Y-%m-%dT%H:%M:%SZ"
AMBER_A = {"tlp": "AMBER", "rel_to": ["AAA"]}
GREEN_AB = {"tlp": "GREEN", "rel_to": ["AAA", "BBB"]}
KEYS = {"AAA": "fixture-key-aaa", "BBB": "fixture-key-bbb"}
ONLY_A_EVENT = "evt-encounter-a-only"
SHARED_EVENT = "evt-loitering-shared"
SHARED_MMSI = 352000003
ONLY_A_MMSI = 412000001
REASONS = [
    {"key": "loitering", "points": 15, "text": "Loitered 9.5 h at sea, 310 km from any port"},
    {"key": "sts_zone", "points": 20, "text": "Entered the East China Sea STS area"},
    {"key": "ais_gap_deliberate", "points": 25, "text": "Went silent 31 h where AIS is heard"},
]
SANCTIONS = [
    {
        "list": "OFAC SDN",
        "entity": "FIXTURE STAR",
        "match": "IMO 9000001",
        "explanation": "IMO 9000001 reported by this MMSI is listed for FIXTURE STAR",
    }
]


def _event(eid: str, kind: str, mmsi: int, lon: float, lat: float, **kw: Any) -> dict[str, Any]:
    props = {
        "event_id": eid,
        "event_type": kind,
        "mmsi": mmsi,
        "other_mmsi": kw.get("other"),
        "start": kw["start"],
        "end": kw["end"],
        "confidence": kw.get("confidence", 0.8),
        "risk": kw.get("risk"),
        "summary": kw["summary"],
        "details": {},
        "marking": kw["marking"],
        "report_url": None,
        "published_at": "2026-03-02T00:00:00Z",
    }
    return {"type": "Feature", "id": eid, "geometry": _point(lon, lat), "properties": props}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


EVENTS = [
    _event(
        ONLY_A_EVENT,
        "encounter",
        ONLY_A_MMSI,
        123.62,
        28.95,
        other=445000002,
        risk=80,
        start="2026-03-01T02:00:00Z",
        end="2026-03-01T07:30:00Z",
        marking=AMBER_A,
        summary="FIXTURE TANKER and 445000002 drifted 5.5 h within 300 m of each other",
    ),
    _event(
        SHARED_EVENT,
        "loitering",
        SHARED_MMSI,
        122.80,
        28.40,
        risk=60,
        start="2026-02-27T10:00:00Z",
        end="2026-02-27T19:30:00Z",
        marking=GREEN_AB,
        summary="FIXTURE STAR loitered 9.5 h, 310 km from the nearest port",
    ),
    _event(
        "evt-gap-shared",
        "ais_gap",
        SHARED_MMSI,
        122.95,
        28.10,
        risk=60,
        start="2026-02-25T06:00:00Z",
        end="2026-02-26T13:00:00Z",
        marking=GREEN_AB,
        summary="FIXTURE STAR was silent 31 h where AIS is heard",
    ),
]
VESSELS = [
    {
        "type": "Feature",
        "id": str(SHARED_MMSI),
        "geometry": _point(123.10, 28.05),
        "properties": {
            "mmsi": SHARED_MMSI,
            "name": "FIXTURE STAR",
            "imo": 9000001,
            "flag": "PA",
            "ship_type": 80,
            "risk": 60,
            "reasons": REASONS,
            "sanctions": SANCTIONS,
            "marking": GREEN_AB,
            "report_url": f"/api/v1/reports/{SHARED_MMSI}",
            "last_seen": "2026-02-28T23:40:00Z",
        },
    }
]
TRACKS = [
    {
        "type": "Feature",
        "id": f"track-{mmsi}",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {"mmsi": mmsi, "start": s, "end": e, "n_points": len(coords), "marking": m},
    }
    for mmsi, coords, s, e, m in [
        (
            SHARED_MMSI,
            [[122.2, 27.6], [122.95, 28.10], [122.8, 28.4], [123.1, 28.05]],
            "2026-02-25T00:00:00Z",
            "2026-02-28T23:40:00Z",
            GREEN_AB,
        ),
        (
            ONLY_A_MMSI,
            [[123.2, 28.6], [123.62, 28.95], [124.1, 29.3]],
            "2026-02-28T20:00:00Z",
            "2026-03-01T13:30:00Z",
            AMBER_A,
        ),
    ]
]
FIXTURE_PAGE_SIZE = 2  # small, so the page must follow rel=next links


@dataclass
class Fixture:
    """What a page test needs of a service: its app, the keys and the items' ids."""

    app: Any
    keys: dict[str, str]
    only_a_event_id: str
    shared_event_id: str
    shared_mmsi: int
    requests: list[tuple[str, str | None]] = field(default_factory=list)


def _released(marking: dict[str, Any], code: str) -> bool:
    rel = marking["rel_to"]
    return code in rel or ("ALL" in rel and marking["tlp"] in {"CLEAR", "GREEN"})


def _paged(request: Request, items: list[dict[str, Any]], limit: int, offset: int) -> JSONResponse:
    limit = min(limit, FIXTURE_PAGE_SIZE)
    page = items[offset : offset + limit]
    links = [{"rel": "self", "href": str(request.url)}]
    if offset + limit < len(items):
        nxt = request.url.include_query_params(offset=offset + limit, limit=limit)
        links.append({"rel": "next", "href": str(nxt), "type": "application/geo+json"})
    body = {
        "type": "FeatureCollection",
        "features": page,
        "numberMatched": len(items),
        "numberReturned": len(page),
        "links": links,
    }
    return JSONResponse(body, media_type="application/geo+json")


def _zone_kind(name: str) -> str:
    return "dprk_waters" if name.startswith("dprk") else "sts_zone"


def fixture_partner(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The partner code of the request's Bearer key (401 without a known key)."""
    fx: Fixture = request.app.state.fixture
    fx.requests.append((request.url.path, authorization))
    if authorization is None or not authorization.startswith("Bearer "):
        raise HTTPException(401, "missing key")
    code = {v: k for k, v in fx.keys.items()}.get(authorization.removeprefix("Bearer "))
    if code is None:
        raise HTTPException(401, "unknown key")
    return code


Partner = Annotated[str, Depends(fixture_partner)]


def fixture_app() -> Fixture:
    """A FastAPI app answering the contract's read endpoints from the data above."""
    app = FastAPI()
    app.include_router(router)
    fx = Fixture(app, dict(KEYS), ONLY_A_EVENT, SHARED_EVENT, SHARED_MMSI)
    app.state.fixture = fx

    def mine(items: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
        return [f for f in items if _released(f["properties"]["marking"], code)]

    @app.get("/api/v1/me")
    def me(code: Partner) -> dict[str, str]:
        return {"code": code, "name": f"Partner {code}", "scope": "read"}

    @app.get("/collections/{cid}/items")
    def items(request: Request, cid: str, code: Partner, limit: int = 10, offset: int = 0) -> Any:
        source = {"events": EVENTS, "vessels": VESSELS, "tracks": TRACKS}.get(cid)
        if source is None:
            raise HTTPException(404, "no such collection")
        return _paged(request, mine(source, code), limit, offset)

    @app.get("/api/v1/alerts")
    def alerts(code: Partner) -> dict[str, Any]:
        out = []
        for f in mine(EVENTS, code):
            lon, lat = f["geometry"]["coordinates"]
            out.append({**f["properties"], "lon": lon, "lat": lat})
        return {"items": out, "next_cursor": "fixture-cursor"}

    @app.get("/api/v1/zones")
    def zones(code: Partner) -> JSONResponse:
        feats = [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(z.geometry),
                "properties": {
                    "name": z.name,
                    "kind": "dprk_waters" if "dprk" in z.name else "sts",
                },
            }
            for z in builtin_zones()
        ]
        body = {"type": "FeatureCollection", "features": feats}
        return JSONResponse(json.loads(json.dumps(body)), media_type="application/geo+json")

    @app.get("/api/v1/reports/{mmsi}")
    def report(mmsi: int, code: Partner) -> HTMLResponse:
        if not any(v["properties"]["mmsi"] == mmsi for v in mine(VESSELS, code)):
            raise HTTPException(404, "not found")
        return HTMLResponse(f"<html><body><h1>Case {mmsi}</h1></body></html>")

    return fx


# ---- the browser ---------------------------------------------------------------------------


@contextmanager
def live(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port for the duration."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@dataclass
class Seen:
    """What one partner's page showed."""

    state: str
    status: str
    drawn_event_ids: set[str]
    alert_ids: list[str]
    page_event_ids: set[str]
    requests: list[str]
    external: list[str]
    screenshot: bytes
    reasons: list[str] = field(default_factory=list)
    sanctions: str = ""
    console_errors: list[str] = field(default_factory=list)
    report: str = ""  # the text of the case report the panel opened


def open_page(base: str, key: str, *, vessel: int | None = None) -> Seen:
    """Open the page with ``#key=`` in Chromium; optionally open the panel of ``vessel``."""
    from playwright.sync_api import Route, sync_playwright

    requests: list[str] = []
    external: list[str] = []
    errors: list[str] = []

    def guard(route: Route) -> None:
        url = route.request.url
        requests.append(url)
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            external.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 860})
            context.route("**/*", guard)  # the page and any window it opens
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/#key={key}")
            done = ", ".join(f"body[data-state={s}]" for s in ("ready", "failed", "refused"))
            page.wait_for_selector(done, state="attached", timeout=60_000)
            seen = _read(page)
            if vessel is not None:
                items = page.locator(f'#alerts li[data-mmsi~="{vessel}"]')
                if items.count():
                    items.first.click()
                else:  # no alert names it: as a click on its marker
                    page.evaluate(f"() => window.cop.openVessel({vessel})")
                page.wait_for_selector("#vessel-body h3")
                seen.reasons = page.locator("#reasons td:nth-child(2)").all_inner_texts()
                seen.sanctions = page.locator("#vessel-body").inner_text()
                if page.locator("#open-report").count():
                    with page.expect_popup() as opened:
                        page.locator("#open-report").click()
                    report = opened.value
                    report.wait_for_load_state()
                    seen.report = report.locator("body").inner_text()
                    report.close()
                page.evaluate("() => window.cop.settled()")
            seen.screenshot = page.screenshot()
        finally:
            browser.close()
    seen.requests, seen.external, seen.console_errors = requests, external, errors
    return seen


def _read(page: Any) -> Seen:
    got = page.evaluate(
        """() => ({
            state: document.body.dataset.state,
            status: document.getElementById('status').textContent,
            drawn: window.cop.map.queryRenderedFeatures({layers: ['events']})
                .map(f => f.properties.event_id),
            alerts: [...document.querySelectorAll('#alerts li')].map(li => li.dataset.eventId),
            events: window.cop.state.events.map(f => f.properties.event_id),
        })"""
    )
    return Seen(
        state=got["state"],
        status=got["status"],
        drawn_event_ids=set(got["drawn"]),
        alert_ids=got["alerts"],
        page_event_ids=set(got["events"]),
        requests=[],
        external=[],
        screenshot=b"",
    )


def colour_pixels(png: bytes, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """How many pixels of a PNG are within ``tolerance`` (sum of |channel diff|) of ``rgb``."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    return int((np.abs(pixels - rgb).sum(axis=1) < tolerance).sum())


class Served(Protocol):
    """What the page checks need of a service fixture (the contract's ``served``)."""

    keys: dict[str, str]
    only_a_event_id: str
    shared_event_id: str
    shared_mmsi: int


def check_partners(fx: Served, base: str, save: Callable[[str, bytes], None]) -> tuple[Seen, Seen]:
    """The acceptance checks of the page for partners A and B of service ``fx``; A's page
    ends with the panel of the shared vessel open."""
    a = open_page(base, fx.keys["AAA"], vessel=fx.shared_mmsi)
    b = open_page(base, fx.keys["BBB"])
    save("cop-partner-a.png", a.screenshot)
    save("cop-partner-b.png", b.screenshot)
    for seen in (a, b):
        assert seen.state == "ready", (seen.status, seen.console_errors)
        assert seen.external == [], seen.external  # no request left the machine
        assert any("/api/v1/me" in u for u in seen.requests)
        assert seen.console_errors == []
    # A sees its event on the map and in the alert list; B sees it nowhere
    assert fx.only_a_event_id in a.drawn_event_ids and fx.only_a_event_id in a.alert_ids
    assert fx.shared_event_id in a.drawn_event_ids and fx.shared_event_id in b.drawn_event_ids
    assert fx.shared_event_id in b.alert_ids
    assert fx.only_a_event_id not in b.page_event_ids | b.drawn_event_ids | set(b.alert_ids)
    # the map draws every event the page holds (none filtered at the start)
    assert a.drawn_event_ids == a.page_event_ids and b.drawn_event_ids == b.page_event_ids
    return a, b


def saver() -> Callable[[str, bytes], None]:
    folder = os.environ.get(SHOTS_ENV)

    def save(name: str, png: bytes) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_bytes(png)

    return save


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)
def test_page_two_partners_in_chromium() -> None:
    fx = fixture_app()
    with live(fx.app) as base:
        a, _ = check_partners(fx, base, saver())
        refused = open_page(base, "not-a-key")
    # the vessel panel shows the case's reasons and the sanctions explanation, and its
    # report opens (fetched with the key)
    assert a.reasons == [r["text"] for r in REASONS]
    assert SANCTIONS[0]["explanation"] in a.sanctions
    assert f"Case {SHARED_MMSI}" in a.report
    # the page followed rel=next (2 features a page) and sent the key on every API call
    api_calls = [(p, h) for p, h in fx.requests if not p.startswith("/static")]
    assert sum(p == "/collections/events/items" for p, _ in api_calls) >= 4
    assert {h for p, h in api_calls if h != "Bearer not-a-key"} == {
        f"Bearer {fx.keys['AAA']}",
        f"Bearer {fx.keys['BBB']}",
    }
    # the encounter's colour (registry) is drawn on A's map
    assert colour_pixels(a.screenshot, (0xD6, 0x27, 0x28)) > 20
    # a wrong key is refused and nothing is shown
    assert refused.state == "refused" and refused.page_event_ids == set()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)
def test_page_filters_and_time_slider(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    fx = fixture_app()

    def drawn(page: Any) -> list[str]:
        page.evaluate("() => window.cop.settled()")
        ids: list[str] = page.evaluate(
            "() => window.cop.map.queryRenderedFeatures({layers: ['events']})"
            ".map(f => f.properties.event_id)"
        )
        listed = page.locator("#alerts li").evaluate_all("els => els.map(e => e.dataset.eventId)")
        assert sorted(ids) == sorted(listed)  # the map and the alert list agree
        return sorted(ids)

    with live(fx.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.goto(f"{base}/#key={KEYS['AAA']}")
            page.wait_for_selector("body[data-state=ready]", state="attached", timeout=60_000)
            assert page.evaluate("() => window.location.hash") == ""  # key out of the URL
            assert len(drawn(page)) == 3
            # a click on A's track (between its first two points) shows its marking
            xy = page.evaluate("""() => {
                const p = window.cop.map.project([123.41, 28.775]);
                const r = document.getElementById('map').getBoundingClientRect();
                return [r.left + p.x, r.top + p.y];
            }""")
            page.mouse.click(*xy)
            popup = page.locator(".maplibregl-popup").inner_text()
            assert f"Track of {ONLY_A_MMSI}" in popup and "TLP:AMBER" in popup
            assert "REL TO AAA" in popup
            page.locator("#min-risk").fill("70")  # only the encounter (risk 80) is left
            assert drawn(page) == [ONLY_A_EVENT]
            page.locator("#type-filter input[value=encounter]").uncheck()
            assert drawn(page) == []
            page.locator("#type-filter input[value=encounter]").check()
            page.locator("#min-risk").fill("0")
            # until 2026-02-28 00:00: the encounter (1 March) is not yet; the others are
            page.evaluate("""() => {
                const [a, b] = window.cop.state.range;
                const t = Date.parse('2026-02-28T00:00:00Z');
                const s = document.getElementById('time');
                s.value = String(Math.round(1000 * (t - a) / (b - a)));
                s.dispatchEvent(new Event('input'));
            }""")
            assert drawn(page) == sorted([SHARED_EVENT, "evt-gap-shared"])
            page.locator("#span").select_option(str(86_400_000))  # the last day: 27 Feb only
            assert drawn(page) == [SHARED_EVENT]
        finally:
            browser.close()
