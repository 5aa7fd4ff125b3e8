"""REST over real HTTP: validation names the field, the last seat, idempotency, live slot
capacity over the WebSocket, audited resident views, health and metrics."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from cti_server import protocol
from cti_server.web.app import create_app
from registry.audit import AuditAction
from registry.calls import upsert_call
from registry.db import session_factory
from registry.models import AuditEntry
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    auth,
    make_settings,
    receive_type,
    token,
)

JST = dt.timezone(dt.timedelta(hours=9))
DAY = dt.date(2031, 5, 12)


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client):
    app = create_app(
        make_settings(db_url), engine=engine, bridge=FakeBridge(), load_name_index=False
    )
    client = await aiohttp_client(app)
    # token ids below are these rows (audit and booking rows refer to operators)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    assert await add_operator(engine, "op2", "operator", "1002") == 2
    assert await add_operator(engine, "sv", "supervisor", None) == 3
    return app, client


async def _slot(app, client, capacity=1):
    sv = auth(await token(app, 3, role="supervisor", ext=None))
    resp = await client.post(
        "/api/venues", json={"name": "中総合会館", "address": "舞鶴市"}, headers=sv
    )
    venue = await resp.json()
    start = dt.datetime.combine(DAY, dt.time(10), JST)
    resp = await client.post(
        f"/api/venues/{venue['id']}/slots",
        headers=sv,
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(minutes=30)).isoformat(),
            "capacity": capacity,
        },
    )
    assert resp.status == 201, await resp.text()
    return venue["id"], (await resp.json())["slot_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "resident_id"),
        ({"resident_id": 1}, "slot_id"),
        ({"resident_id": "abc", "slot_id": 1}, "resident_id"),
        ({"resident_id": 1, "slot_id": True}, "slot_id"),
        ({"resident_id": 1, "slot_id": 1, "channel": "fax"}, "channel"),
        ({"resident_id": 1, "slot_id": 0}, "slot_id"),
    ],
)
async def test_booking_validation_names_the_field(ctx, body, field):
    app, client = ctx
    resp = await client.post("/api/bookings", json=body, headers=auth(await token(app)))
    assert resp.status == 400
    data = await resp.json()
    assert data["error"] == "invalid_input"
    assert data["details"]["field"] == field
    assert field in data["message"]


async def test_slots_need_a_valid_day(ctx):
    app, client = ctx
    for query, status in (("", 400), ("?day=2031-13-01", 400), ("?day=2031-05-12", 404)):
        resp = await client.get(f"/api/venues/99/slots{query}", headers=auth(await token(app)))
        assert resp.status == status
    resp = await client.get("/api/venues/x/slots?day=2031-05-12", headers=auth(await token(app)))
    assert (await resp.json())["details"]["field"] == "venue_id"


async def test_last_seat_gives_one_booking_and_a_409(ctx, engine):
    app, client = ctx
    a, b = await add_household(engine, "+81773621234")
    venue_id, slot_id = await _slot(app, client, capacity=1)
    op = auth(await token(app))
    first = await client.post(
        "/api/bookings", json={"resident_id": a, "slot_id": slot_id, "call": "1700.1"}, headers=op
    )
    assert first.status == 201, await first.text()
    booking = await first.json()
    assert booking["slot_id"] == slot_id
    assert booking["call_linkedid"] == "1700.1"
    second = await client.post(
        "/api/bookings", json={"resident_id": b, "slot_id": slot_id}, headers=op
    )
    assert second.status == 409
    assert (await second.json())["error"] == "slot_full"
    again = await client.post(
        "/api/bookings", json={"resident_id": a, "slot_id": slot_id}, headers=op
    )
    assert again.status == 409
    resp = await client.get(f"/api/venues/{venue_id}/slots?day={DAY}", headers=op)
    (slot,) = (await resp.json())["slots"]
    assert (slot["capacity"], slot["booked"], slot["remaining"]) == (1, 1, 0)
    assert slot["starts_at"] == "2031-05-12T01:00:00+00:00"  # 10:00 in Tokyo, sent as UTC


async def test_idempotency_key_books_once(ctx, engine):
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    _, slot_id = await _slot(app, client, capacity=5)
    headers = {**auth(await token(app)), "Idempotency-Key": "c0ffee-1"}
    r1 = await client.post(
        "/api/bookings", json={"resident_id": a, "slot_id": slot_id}, headers=headers
    )
    r2 = await client.post(
        "/api/bookings", json={"resident_id": a, "slot_id": slot_id}, headers=headers
    )
    assert r1.status == 201
    assert r2.status in (200, 201)
    assert (await r1.json())["booking_id"] == (await r2.json())["booking_id"]


async def test_watchers_get_slots_changed_after_a_booking(ctx, engine):
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    venue_id, slot_id = await _slot(app, client, capacity=3)
    ws = await client.ws_connect("/ws", headers=auth(await token(app, 2, ext="1002")))
    await receive_type(ws, protocol.Hello)
    await ws.send_str(protocol.encode(protocol.WatchSlots(venue_id=venue_id, day=str(DAY))))
    await ws.send_str(protocol.encode(protocol.Ping(nonce="sync")))
    assert (await receive_type(ws, protocol.Pong)).nonce == "sync"  # the watch is in place
    resp = await client.post(
        "/api/bookings", json={"resident_id": a, "slot_id": slot_id}, headers=auth(await token(app))
    )
    assert resp.status == 201
    changed = await receive_type(ws, protocol.SlotsChanged)
    (slot,) = changed.slots
    assert (slot.slot_id, slot.booked, slot.remaining) == (slot_id, 1, 2)
    resp = await client.delete(
        f"/api/bookings/{(await resp.json())['booking_id']}", headers=auth(await token(app))
    )
    assert resp.status == 200
    assert (await receive_type(ws, protocol.SlotsChanged)).slots[0].booked == 0
    await ws.close()


async def test_resident_payloads_carry_the_ledger_identifiers(ctx, engine):
    app, client = ctx
    a, b = await add_household(engine, "+81773621234", no="H0042")
    resp = await client.get(f"/api/residents/{a}", headers=auth(await token(app, 1)))
    card = await resp.json()
    assert (card["person_no"], card["household_no"], card["barcode"]) == (
        "H0042-0",
        "H0042",
        "H00420000",
    )
    (member,) = card["members"]
    assert (member["resident_id"], member["person_no"], member["barcode"]) == (
        b,
        "H0042-1",
        "H00420001",
    )


async def test_resident_view_is_audited_with_operator_and_call(ctx, engine):
    pytest.importorskip("registry.residents")
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    async with session_factory(engine)() as s:
        await upsert_call(s, "1700.9", operator_id=1, extension="1001")  # operator 1's call
        await upsert_call(s, "1700.8", operator_id=2, extension="1002")
        await s.commit()
    for call in ("1700.9", "1700.8", "made-up"):
        resp = await client.get(
            f"/api/residents/{a}?call={call}", headers=auth(await token(app, 1))
        )
        assert resp.status == 200
        assert (await resp.json())["name"] == "山田 太郎"
    async with session_factory(engine)() as s:
        rows = (
            await s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == AuditAction.RESIDENT_VIEW)
                .order_by(AuditEntry.id)
            )
        ).all()
    refused = {"claimed_call_refused": True}
    assert [(r.operator_id, r.resident_id, r.call_linkedid, r.details) for r in rows] == [
        (1, a, "1700.9", {}),
        (1, a, None, refused),  # another operator's call
        (1, a, None, refused),  # no such call
    ]
    resp = await client.get("/api/residents/999999", headers=auth(await token(app, 1)))
    assert resp.status == 404


async def test_disposition_of_a_call(ctx):
    app, client = ctx
    resp = await client.put(
        "/api/calls/1700.3/disposition", headers=auth(await token(app)), json={"notes": "x"}
    )
    assert (await resp.json())["details"]["field"] == "disposition"


@pytest.mark.parametrize(("connected", "status"), [(True, 200), (False, 503)])
async def test_healthz_reflects_the_pbx_link(engine, db_url, aiohttp_client, connected, status):
    app = create_app(
        make_settings(db_url), engine=engine, bridge=FakeBridge(connected), load_name_index=False
    )
    client = await aiohttp_client(app)
    resp = await client.get("/healthz")  # a stranger: the status alone
    assert resp.status == status
    assert await resp.json() == {"status": "ok" if connected else "degraded"}
    resp = await client.get("/healthz", headers=auth(await token(app, 3, role="supervisor")))
    assert resp.status == status
    body = await resp.json()
    assert body["ami"]["connected"] is connected
    assert body["database"]["ok"] is True
    assert body["indexes"] == {"name": "off", "phone": "off"}  # not loaded by this app


async def test_metrics_are_prometheus_text(ctx):
    _, client = ctx
    resp = await client.get("/metrics")
    assert resp.status == 200
    text = await resp.text()
    for name in (
        "cti_ws_clients",
        "cti_ami_connected 1",
        "cti_pops_sent_total",
        "cti_lookup_latency_seconds_bucket",
        "cti_calls_live",
    ):
        assert name in text


async def test_unknown_route_is_a_json_404(ctx):
    _, client = ctx
    resp = await client.get("/api/nothing")
    assert resp.status == 404
    assert (await resp.json())["error"] == "not_found"


async def test_residents_imported_while_the_server_runs_become_searchable(
    engine, db_url, aiohttp_client
):
    """The name index loads at start and refreshes itself (a cti-registry import meanwhile)."""
    first = await add_household(engine, "+81773621234", names=("山田 太郎",), no="H1")
    app = create_app(
        make_settings(db_url, index_refresh_seconds=0.05), engine=engine, bridge=FakeBridge()
    )
    client = await aiohttp_client(app)
    await add_operator(engine, "op1", "operator", "1001")
    headers = auth(await token(app, 1))

    async def found(name: str) -> int | None:
        """The best candidate for ``name``."""
        resp = await client.get("/api/residents/search", params={"name": name}, headers=headers)
        assert resp.status == 200, await resp.text()
        return next((r["resident_id"] for r in (await resp.json())["results"]), None)

    for _ in range(200):  # the index loads in the background (503 index_loading meanwhile)
        resp = await client.get("/api/residents/search", params={"name": "山田"}, headers=headers)
        if resp.status == 200:
            break
        await asyncio.sleep(0.05)
    assert await found("山田 太郎") == first[0]
    later = await add_household(engine, "+81773625678", names=("鈴木 一郎",), no="H2")
    for _ in range(200):
        if await found("鈴木 一郎") == later[0]:
            break
        await asyncio.sleep(0.05)
    assert await found("鈴木 一郎") == later[0]


async def test_a_search_page_cut_inside_a_tie_says_how_many_were_left_off(
    engine, db_url, aiohttp_client
):
    """Four 山田 太郎 at one address: a page of 2 says 2 more matched as well; a page of 10
    lists all four and says nothing more."""
    await add_household(engine, "+81773621234", names=("山田 太郎",) * 4, no="H1")
    await add_operator(engine, "op1", "operator", "1001")
    app = create_app(make_settings(db_url), engine=engine, bridge=FakeBridge())
    client = await aiohttp_client(app)
    headers = auth(await token(app, 1))
    query = {"name": "山田 太郎", "address": "北吸"}
    for _ in range(200):  # the index loads in the background (503 index_loading meanwhile)
        resp = await client.get(
            "/api/residents/search", params={**query, "limit": "2"}, headers=headers
        )
        if resp.status == 200:
            break
        await asyncio.sleep(0.05)
    body = await resp.json()
    assert len(body["results"]) == 2
    assert body["tied_beyond"] == 2
    resp = await client.get("/api/residents/search", params=query, headers=headers)
    body = await resp.json()
    assert len(body["results"]) == 4
    assert body["tied_beyond"] == 0
