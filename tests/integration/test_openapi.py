"""The generated OpenAPI document: every route is in it, and real answers of every route (and
their errors) validate against it, over real HTTP on SQLite and PostgreSQL. Every time on the
wire carries an offset and is UTC."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import cv2
import jsonschema
import pytest
from aiohttp import FormData, web

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.keys import NAME_INDEX, SERVICE, SESSIONS
from cti_server.web.openapi import OPERATIONS, document
from cti_server.web.rest_reception import CLOCK
from registry import worklist
from registry.db import session_factory
from registry.operators import create_operator
from registry.paper.synth import Filling, Scanning
from tests.integration.venue_day import build_day
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    answered,
    auth,
    incoming,
    make_settings,
    new_linkedid,
    receive_pop,
    ringing,
    token,
)
from tests.paper_corpus import YES_AM, YES_PICKUP, Case, add_residents, make_scans

DAY = dt.date(2031, 5, 12)
JST = dt.timezone(dt.timedelta(hours=9))


def test_the_document_is_valid_json_schema_throughout():
    doc = document()
    assert doc["openapi"] == "3.1.0"
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object", name
    slot = doc["components"]["schemas"]["SlotInfo"]
    assert slot["properties"]["starts_at"] == {"type": "string", "format": "date-time"}
    assert slot["properties"]["remaining"]["readOnly"] is True
    candidate = doc["components"]["schemas"]["Candidate"]["properties"]
    assert {"person_no", "household_no", "barcode"} <= candidate.keys()


async def test_every_route_is_in_the_document(engine, db_url, aiohttp_client):
    app = create_app(make_settings(db_url), engine=engine, load_name_index=False)
    client = await aiohttp_client(app)
    routes = {
        (r.resource.canonical, r.method.lower()) for r in app.router.routes() if r.method != "HEAD"
    }
    documented = {(p, m) for p, ops in document()["paths"].items() for m in ops}
    assert routes - documented == set()
    assert documented - routes == set()
    resp = await client.get("/api/openapi.json")
    assert await resp.json() == document()


# --------------------------------------------------------------------------- the recorder


class Recorder:
    """Each JSON answer with its route template, method and status (an aiohttp middleware)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, Any]] = []
        self.accepted: list[tuple[str, str, Any]] = []  # request bodies answered with 2xx

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        route = request.match_info.route.resource
        template = route.canonical if route is not None else request.path
        json_request = request.content_type == "application/json"
        if request.body_exists and json_request and response.status < 300:
            self.accepted.append((request.method.lower(), template, await request.json()))
        if isinstance(response, web.Response) and response.content_type == "application/json":
            body = json.loads(response.body) if response.body else None  # type: ignore[arg-type]
            self.seen.append((request.method.lower(), template, response.status, body))
        return response


def schema_for(method: str, path: str, status: int) -> dict[str, Any]:
    doc = document()
    op = doc["paths"][path][method]
    answer = op["responses"][str(status)]
    if "$ref" in answer:
        answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    schema = answer["content"]["application/json"]["schema"]
    return {**schema, "components": doc["components"]}


def times_in(schema: dict[str, Any], body: Any, doc: dict[str, Any]) -> Iterator[str]:
    """Every value the schema says is a date-time."""
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            if option.get("type") != "null" and body is not None:
                yield from times_in(option, body, doc)
        return
    if schema.get("format") == "date-time" and isinstance(body, str):
        yield body
    elif schema.get("type") == "array" and isinstance(body, list):
        for item in body:
            yield from times_in(schema["items"], item, doc)
    elif schema.get("type") == "object" and isinstance(body, dict):
        for name, sub in schema.get("properties", {}).items():
            if name in body:
                yield from times_in(sub, body[name], doc)


# --------------------------------------------------------------------------- the scenario


@pytest.fixture
async def recorded(engine, db_url, aiohttp_client, tmp_path):
    resident_a, resident_b = await add_household(engine, "+81773621234")
    async with session_factory(engine)() as s:
        await create_operator(s, "login1", "correct horse 1", role="operator", extension="1009")
        await s.commit()
    staff = (("op1", "operator", "1001"), ("sv", "supervisor", None), ("adm", "admin", None))
    for name, role, ext in staff:
        await add_operator(engine, name, role, ext)
    recorder = Recorder()
    settings = make_settings(db_url, scan_dir=str(tmp_path / "scans"))
    app = create_app(settings, engine=engine, bridge=FakeBridge())
    app.middlewares.insert(0, recorder.middleware)  # outside the error middleware
    async with session_factory(engine)() as s:
        venue_day = await build_day(s, dt.date(2026, 12, 4))
    app[CLOCK] = lambda: venue_day.now
    client = await aiohttp_client(app)
    await app[NAME_INDEX]
    op_id = 2  # login1 is 1
    op = auth(await token(app, op_id, ext="1001"))
    sv = auth(await token(app, op_id + 1, role="supervisor", ext=None))
    await _walk_postcards(client, op, sv, await add_residents(engine, 3))
    await _walk_reception(app, client, op, sv, venue_day)
    await _walk_worklist(app, client, op, sv, resident_a, resident_b)
    await _walk_config(client, op, auth(await token(app, op_id + 2, role="admin", ext=None)))
    await _walk(app, client, op, sv, resident_a, resident_b)  # ends by logging out
    return recorder


async def _walk(app, client, op, sv, a, b) -> None:
    """One request or more per route, answers good and bad."""
    get, post, patch = client.get, client.post, client.patch
    await post("/api/login", json={"username": "login1", "password": "correct horse 1"})
    good = {"username": "login1", "password": "correct horse 1"}
    await post("/api/login", json={**good, "extension": "1009"})
    await post("/api/login", json={**good, "extension": "1001"})  # not theirs: 403
    await post("/api/login", json={"username": "login1", "password": "wrong"})
    await post("/api/login", json={"username": "login1"})
    await get("/api/residents/search?name=山田&call=1.1", headers=op)
    await get("/api/residents/search?barcode=123", headers=op)
    await get("/api/residents/search?name=山田")
    venue = await (await post("/api/venues", json={"name": "会館"}, headers=sv)).json()
    await post("/api/venues", json={"name": "会館"}, headers=op)
    await patch(f"/api/venues/{venue['id']}", json={"address": "舞鶴市"}, headers=sv)
    await patch("/api/venues/999", json={"address": "x"}, headers=sv)
    start = dt.datetime.combine(DAY, dt.time(9), JST)
    body = {"starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(minutes=30))}
    body["ends_at"] = body["ends_at"].isoformat()
    slot = await (
        await post(f"/api/venues/{venue['id']}/slots", json={**body, "capacity": 1}, headers=sv)
    ).json()
    bulk = {"day": DAY.isoformat(), "start": "10:00", "end": "11:00", "minutes": 30}
    await post(f"/api/venues/{venue['id']}/slots/bulk", json={**bulk, "capacity": 2}, headers=sv)
    await post(f"/api/venues/{venue['id']}/slots/bulk", json={**bulk, "capacity": 2}, headers=sv)
    await get("/api/venues?all=1", headers=sv)
    laid = await (await get(f"/api/venues/{venue['id']}/slots?day={DAY}", headers=op)).json()
    await get(f"/api/venues/{venue['id']}/slots", headers=op)
    other = laid["slots"][-1]["slot_id"]
    await patch(f"/api/slots/{other}", json={"capacity": 3}, headers=sv)
    booking = await (
        await post("/api/bookings", json={"resident_id": a, "slot_id": slot["slot_id"]}, headers=op)
    ).json()
    await post("/api/bookings", json={"resident_id": b, "slot_id": slot["slot_id"]}, headers=op)
    await patch(f"/api/bookings/{booking['booking_id']}", json={"slot_id": other}, headers=op)
    mobility = await (
        await post("/api/mobility", json={"resident_id": a, "pickup_address": "北吸"}, headers=op)
    ).json()
    await patch(f"/api/mobility/{mobility['request_id']}", json={"status": "done"}, headers=op)
    await post(f"/api/residents/{a}/intents", json={"wants_vaccination": True}, headers=op)
    await post(f"/api/residents/{b}/intents", json={"wants_vaccination": True}, headers=op)
    await _walk_assignments(client, op, sv, b, booking["booking_id"], other)
    call = new_linkedid()
    ws = await client.ws_connect("/ws", headers=op)
    app[SERVICE].on_event(incoming(call, "0773621234"))
    app[SERVICE].on_event(ringing(call, "1001"))
    app[SERVICE].on_event(answered(call, "1001"))
    await receive_pop(ws, state="answered")
    await ws.close()
    await get("/api/calls/current", headers=op)
    await client.put(f"/api/calls/{call}/disposition", json={"disposition": "booked"}, headers=op)
    await client.put(
        f"/api/calls/{call}/disposition", json={"codes": ["booked", "other"]}, headers=op
    )
    await post(f"/api/calls/{call}/resident", json={"resident_id": a}, headers=op)
    await post(f"/api/calls/{call}/resident", json={"resident_id": a}, headers=sv)  # not theirs
    await get("/api/dispositions", headers=op)
    await get(f"/api/residents/{a}?call={call}", headers=op)
    await get("/api/residents/99999", headers=op)
    await client.delete(f"/api/bookings/{booking['booking_id']}", headers=op)
    await client.delete(f"/api/slots/{other}", headers=sv)  # booked once: 409
    await client.delete(f"/api/slots/{laid['slots'][0]['slot_id']}", headers=sv)
    await get("/healthz")
    await post("/api/logout")
    await post("/api/logout", headers=sv)
    await post("/api/logout", headers=sv)  # its token is revoked now: 401


async def _walk_config(client, op, adm) -> None:
    """The campaign settings: read, save (a stale version refused), history."""
    get, put = client.get, client.put
    loaded = (await (await get("/api/config", headers=op)).json())["entries"]
    entry = next(e for e in loaded if e["key"] == "dispositions")
    codes = {"version": entry["version"], "value": entry["value"]}
    await put("/api/config/dispositions", json=codes, headers=op)  # 403
    saved = await put("/api/config/dispositions", json=codes, headers=adm)
    assert saved.status == 200, await saved.text()
    await put("/api/config/dispositions", json=codes, headers=adm)  # stale: 409
    await put("/api/config/dispositions", json={"version": 1, "value": []}, headers=adm)  # 400
    await get("/api/config/dispositions/history", headers=op)
    await get("/api/config/colours/history", headers=op)  # 400


async def _walk_reception(app, client, op, sv, day) -> None:
    """The venue reception's routes: a desk bound to its venue."""
    get, post = client.get, client.post
    desk = auth(await token(app, 40, role="reception", ext=None, venue_id=day.venue))
    await get("/reception")
    await get("/reception-files/reception.js")
    await get("/api/reception", headers=desk)
    await get(f"/api/reception?venue_id={day.venue}", headers=sv)
    await get("/api/reception", headers=op)  # 403
    scan = {"scan_id": "oa-1", "barcode": day.barcodes["mobility"], "desk": "受付1",
            "scanned_at": day.now.isoformat()}  # fmt: skip
    await post("/api/reception/checkins", json=scan, headers=desk)
    await post("/api/reception/checkins", json=scan, headers=desk)  # replayed
    await post("/api/reception/checkins", json={**scan, "scan_id": "oa-2",
               "barcode": day.barcodes["none"]}, headers=desk)  # fmt: skip
    await post("/api/reception/checkins", json={"barcode": "1"}, headers=desk)  # 400
    walk = {"scan_id": "oa-3", "barcode": day.barcodes["none"], "slot_id": day.slot_now,
            "desk": "受付1"}  # fmt: skip
    await post("/api/reception/walk-ins", json=walk, headers=desk)
    await post("/api/reception/walk-ins", json={**walk, "scan_id": "oa-4",
               "barcode": day.barcodes["tomorrow"]}, headers=desk)  # fmt: skip
    await get("/api/reception/search?name=たかはし&birth=S16.5.3", headers=desk)
    await get("/api/reception/search?name=たかはし&birth=x", headers=desk)  # 400
    await get("/api/reception/day.csv?day=2026-12-04", headers=desk)
    await get(f"/api/reception/day.csv?venue_id={day.venue}&day=2026-12-04", headers=sv)


async def _walk_worklist(app, client, op, sv, resident, other) -> None:
    """The worklist routes: list, take, dial, outcome, release, reprioritise."""
    get, post, patch = client.get, client.post, client.patch
    async with app[SESSIONS]() as s:
        for n in range(2):
            await worklist.enqueue(
                s, reason="no_show", source_ref=f"walk:{n}", resident_id=resident
            )
        await s.commit()
    await get("/api/worklist?state=lost", headers=op)
    page = await (await get("/api/worklist", headers=sv)).json()
    first, second = (i["item_id"] for i in page["items"])
    taken = await (await post("/api/worklist/claim", headers=op)).json()
    assert taken["item"]["item_id"] == first
    await post(f"/api/worklist/{first}/claim", headers=sv)  # held by op: 409
    dialled = await post(f"/api/worklist/{first}/dial", headers=op)
    assert dialled.status == 200, await dialled.text()
    outcome = {"outcome": "call_later", "call_later_at": "2031-05-12T10:00:00+09:00"}
    await post(f"/api/worklist/{first}/outcome", json={**outcome, "note": "夕方"}, headers=op)
    await post(f"/api/worklist/{second}/claim", headers=op)
    await post(f"/api/worklist/{second}/outcome", json={"outcome": "maybe"}, headers=op)
    await post(f"/api/worklist/{second}/release", headers=op)
    await patch(f"/api/worklist/{second}", json={"priority": 50}, headers=sv)
    await patch(f"/api/worklist/{second}", json={"priority": 50}, headers=op)  # 403
    await get("/api/worklist?state=done&limit=10", headers=op)
    venue = await (await post("/api/venues", json={"name": "別館"}, headers=sv)).json()
    start = dt.datetime.combine(DAY, dt.time(13), JST)
    body = {"starts_at": start.isoformat(), "capacity": 2,
            "ends_at": (start + dt.timedelta(minutes=30)).isoformat()}  # fmt: skip
    slot = await (await post(f"/api/venues/{venue['id']}/slots", json=body, headers=sv)).json()
    booked = {"resident_id": other, "slot_id": slot["slot_id"]}
    assert (await post("/api/bookings", json=booked, headers=op)).status == 201
    change = {"kind": "capacity", "slot_id": slot["slot_id"], "capacity": 0}
    plan = await (await post("/api/reconfigure/preview", json=change, headers=sv)).json()
    assert [a["resident_id"] for a in plan["affected"]] == [other]
    await post("/api/reconfigure/preview", json={"kind": "paint"}, headers=sv)
    await post("/api/reconfigure/preview", json=change, headers=op)  # 403
    close = {"kind": "close_slot", "slot_id": slot["slot_id"], "action": "worklist"}
    applied = await post("/api/reconfigure/apply", json=close, headers=sv)
    assert applied.status == 200, await applied.text()


def _scans(residents) -> FormData:
    cases = [
        Case("tick", Filling(YES_AM)),
        Case("note", Filling(YES_PICKUP, note=True), expect="note_written"),
        Case("damaged", Filling(YES_AM), Scanning(damaged_qr=True), expect="no_barcode"),
    ]
    form = FormData()
    for i, scan in enumerate(make_scans(cases, residents)):
        ok, png = cv2.imencode(".png", scan.image)
        assert ok
        form.add_field("file", png.tobytes(), filename=f"scan{i}.png", content_type="image/png")
    return form


async def _walk_postcards(client, op, sv, residents) -> None:
    """The postcard routes: printing, scans read, the review queue worked."""
    get, post = client.get, client.post
    pdf = await post("/api/postcards/print", json={"layout": "a4x4"}, headers=sv)
    assert pdf.content_type == "application/pdf", await pdf.text()
    await post("/api/postcards/print", json={"select": "ward:1"}, headers=sv)
    await post("/api/postcards/print", json={}, headers=op)
    read = await post("/api/postcards/scans", data=_scans(residents), headers=sv)
    assert read.status == 200, await read.text()
    items = (await (await get("/api/postcards/reviews", headers=sv)).json())["reviews"]
    note, damaged = (i["review_id"] for i in items)
    await get("/api/postcards/reviews?status=lost", headers=sv)
    await get(f"/api/postcards/reviews/{note}", headers=sv)
    await get("/api/postcards/reviews/99999", headers=sv)
    image = await get(f"/api/postcards/reviews/{note}/image?which=note", headers=sv)
    assert image.content_type == "image/png"
    await get(f"/api/postcards/reviews/{note}/image?which=x", headers=sv)
    answers = {"wants_vaccination": "yes", "mobility": "pickup", "time_of_day": "pm"}
    await post(f"/api/postcards/reviews/{note}/accept", json={"answers": answers}, headers=sv)
    await post(f"/api/postcards/reviews/{note}/accept", json={"answers": answers}, headers=sv)
    await post(f"/api/postcards/reviews/{damaged}/accept", json={"answers": 1}, headers=sv)
    await post(f"/api/postcards/reviews/{damaged}/reject", json={"comment": "torn"}, headers=sv)
    await get("/api/postcards/reviews?status=rejected", headers=sv)


async def _walk_assignments(client, op, sv, resident, booking_id, slot_id) -> None:
    """Designated appointments: dry run, commit, offers, next waiting, cannot come."""
    get, post = client.get, client.post
    await post("/api/assignments/plan", json={"bands": "x"}, headers=sv)
    await get(f"/api/slots/{slot_id}/next-waiting", headers=op)
    await get("/api/slots/999999/next-waiting", headers=op)
    await post("/api/assignments/plan", json={}, headers=sv)
    none = {"until": "2000-01-01T00:00:00Z"}  # the slots stay unbooked for the later routes
    dry = await (await post("/api/assignments/plan", json=none, headers=sv)).json()
    await post("/api/assignments/commit", json={"expect": "0" * 16}, headers=sv)
    await post("/api/assignments/commit", json={**none, "expect": dry["digest"]}, headers=sv)
    await get(f"/api/residents/{resident}/slot-offers", headers=op)
    pdf = await post("/api/assignments/notices", json={"layout": "a4x4"}, headers=sv)
    assert pdf.content_type == "application/pdf", await pdf.text()
    await post("/api/assignments/notices", json={"day": "soon"}, headers=sv)
    await post(f"/api/bookings/{booking_id}/cannot-come", json={}, headers=op)
    await post(f"/api/bookings/{booking_id}/cannot-come", json={}, headers=op)  # 409


async def test_real_answers_of_every_route_match_the_document(recorded):
    for method, path, status, body in recorded.seen:
        jsonschema.validate(body, schema_for(method, path, status))
    json_routes = {
        (op.method, op.path)
        for op in OPERATIONS
        if any(isinstance(t, type) for t in op.answers.values())
    }
    answered_ok = {(m, p) for m, p, status, _ in recorded.seen if status < 300}
    assert json_routes - answered_ok == set()
    errors = {status for _, _, status, _ in recorded.seen if status >= 400}
    assert {400, 401, 403, 404, 409} <= errors
    refused = {(p, s, b["error"]) for _, p, s, b in recorded.seen if s in (401, 403)}
    assert ("/api/login", 403, "extension_not_allowed") in refused
    assert ("/api/logout", 401, "unauthorized") in refused  # no token, then a revoked one
    found = next(b for _, p, s, b in recorded.seen if p == "/api/residents/search" and s == 200)
    best = found["results"][0]
    assert (best["person_no"], best["household_no"], best["barcode"]) == (
        "H0001-0",
        "H0001",
        "H00010000",
    )


async def test_request_bodies_the_server_accepts_match_the_document(recorded):
    doc = document()
    checked = set()
    for method, path, body in recorded.accepted:
        content = doc["paths"][path][method]["requestBody"]["content"]
        schema = {**content["application/json"]["schema"], "components": doc["components"]}
        jsonschema.validate(body, schema)
        checked.add((method, path))
    with_body = {(op.method, op.path) for op in OPERATIONS if isinstance(op.request, type)}
    assert with_body - checked == set()
    booking = doc["components"]["schemas"]["BookingRequest"]["properties"]
    assert booking["channel"]["enum"] == list(protocol.BOOKING_CHANNELS)
    assert booking["slot_id"]["minimum"] == 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"resident_id": 1, "slot_id": 1, "channel": "fax"},
            {"$ref": "#/components/schemas/BookingRequest", "components": doc["components"]},
        )


async def test_every_time_on_the_wire_has_an_offset_and_is_utc(recorded):
    doc = document()
    seen = 0
    for method, path, status, body in recorded.seen:
        schema = doc["paths"][path][method]["responses"][str(status)]
        if "content" not in schema:
            continue
        for value in times_in(schema["content"]["application/json"]["schema"], body, doc):
            parsed = dt.datetime.fromisoformat(value)
            assert parsed.utcoffset() == dt.timedelta(0), (path, value)
            seen += 1
    card = next(
        b for _, p, s, b in recorded.seen if p == "/api/residents/{resident_id}" and s == 200
    )
    (booking,) = card["bookings"]
    assert booking["starts_at"] == "2031-05-12T01:30:00+00:00"  # the 10:30 slot in Tokyo
    assert seen > 20
