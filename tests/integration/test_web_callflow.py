"""The operator's call flow over real HTTP: a started slot is refused, a confirmed resident is
linked to the call (and the card lists it), wrap-up codes come from the server's list."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from cti_server.web.app import create_app
from cti_server.web.keys import SERVICE
from registry.calls import get_call, upsert_call
from registry.db import session_factory
from registry.models import AuditEntry
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    auth,
    incoming,
    make_settings,
    new_linkedid,
    ringing,
    token,
)

JST = dt.timezone(dt.timedelta(hours=9))


async def _app(engine, db_url, aiohttp_client, **settings):
    app = create_app(
        make_settings(db_url, **settings), engine=engine, bridge=FakeBridge(), load_name_index=False
    )
    client = await aiohttp_client(app)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    assert await add_operator(engine, "op2", "operator", "1002") == 2
    assert await add_operator(engine, "sv", "supervisor", None) == 3
    return app, client


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client):
    return await _app(engine, db_url, aiohttp_client)


async def _slot(app, client, start: dt.datetime, capacity: int = 3) -> int:
    sv = auth(await token(app, 3, role="supervisor", ext=None))
    name = f"会館 {start:%m%d%H%M%S}"
    resp = await client.post("/api/venues", json={"name": name, "address": "舞鶴市"}, headers=sv)
    venue = await resp.json()
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
    return int((await resp.json())["slot_id"])


async def test_a_started_or_past_slot_cannot_be_booked_or_moved_to(ctx, engine):
    app, client = ctx
    a, b = await add_household(engine, "+81773621234")
    now = dt.datetime.now(JST)
    started = await _slot(app, client, now - dt.timedelta(minutes=10))
    past = await _slot(app, client, now - dt.timedelta(days=2))
    future = await _slot(app, client, now + dt.timedelta(days=2))
    op = auth(await token(app))
    for slot_id in (started, past):
        resp = await client.post(
            "/api/bookings", json={"resident_id": a, "slot_id": slot_id}, headers=op
        )
        assert resp.status == 409
        body = await resp.json()
        assert body["error"] == "slot_started"
        assert body["details"]["slot_id"] == slot_id
    resp = await client.post(
        "/api/bookings", json={"resident_id": b, "slot_id": future}, headers=op
    )
    assert resp.status == 201
    booking = await resp.json()
    resp = await client.patch(
        f"/api/bookings/{booking['booking_id']}", json={"slot_id": started}, headers=op
    )
    assert resp.status == 409
    assert (await resp.json())["error"] == "slot_started"


async def test_confirming_a_resident_links_the_call_and_the_card_lists_it(ctx, engine):
    app, client = ctx
    a, _ = await add_household(engine, "+81773621234")
    async with session_factory(engine)() as s:
        await upsert_call(s, "1800.1", extension="1001", operator_id=1, caller_status="withheld")
        await s.commit()
    op1, op2 = auth(await token(app)), auth(await token(app, 2, ext="1002"))
    resp = await client.post("/api/calls/1800.1/resident", json={"resident_id": a}, headers=op2)
    assert resp.status == 403
    resp = await client.post("/api/calls/1800.1/resident", json={"resident_id": 999}, headers=op1)
    assert resp.status == 404
    resp = await client.post("/api/calls/1800.1/resident", json={"resident_id": a}, headers=op1)
    assert resp.status == 200, await resp.text()
    resp = await client.put(
        "/api/calls/1800.1/disposition",
        json={"codes": ["booked", "mobility"], "notes": "耳が遠い"},
        headers=op1,
    )
    assert resp.status == 200
    async with session_factory(engine)() as s:
        call = await get_call(s, "1800.1")
        assert (call.matched_resident_id, call.disposition) == (a, "booked,mobility")
        actions = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "call.resident"))
        ).all()
        assert [(e.operator_id, e.resident_id, e.call_linkedid) for e in actions] == [
            (1, a, "1800.1")
        ]
    resp = await client.get(f"/api/residents/{a}", headers=op1)
    (line,) = (await resp.json())["calls"]
    assert (line["linkedid"], line["disposition"], line["notes"]) == (
        "1800.1",
        "booked,mobility",
        "耳が遠い",
    )


async def test_a_ringing_call_not_yet_recorded_can_be_linked_by_its_operator(ctx, engine):
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    linkedid = new_linkedid()
    service = app[SERVICE]
    for event in incoming(linkedid, "", withheld=True):
        service.on_event(event)
    service.on_event(ringing(linkedid, "1001"))
    resp = await client.post(
        f"/api/calls/{linkedid}/resident", json={"resident_id": a}, headers=auth(await token(app))
    )
    assert resp.status == 200, await resp.text()
    for _ in range(100):  # the recorder writes the call's own events meanwhile
        async with session_factory(engine)() as s:
            call = await get_call(s, linkedid)
        if call.caller_status:
            break
        await asyncio.sleep(0.02)
    assert call.matched_resident_id == a


async def test_wrap_up_codes_are_the_configured_list(ctx):
    app, client = ctx
    op = auth(await token(app))
    resp = await client.get("/api/dispositions", headers=op)
    codes = (await resp.json())["dispositions"]
    assert codes[0] == {"code": "booked", "ja": "予約", "en": "Booked"}
    assert {"mobility", "inquiry", "other"} <= {c["code"] for c in codes}
    resp = await client.put(
        "/api/calls/1800.2/disposition", json={"codes": ["nonsense"]}, headers=op
    )
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "codes"
    resp = await client.put("/api/calls/1800.2/disposition", json={"codes": []}, headers=op)
    assert resp.status == 400
    resp = await client.put("/api/calls/1800.2/disposition", json={"codes": "booked"}, headers=op)
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "codes"
    resp = await client.put(
        "/api/calls/1800.2/disposition", json={"disposition": "inquiry", "notes": ""}, headers=op
    )
    assert (await resp.json())["codes"] == ["inquiry"]


async def test_a_custom_list_of_codes(engine, db_url, aiohttp_client):
    app, client = await _app(
        engine, db_url, aiohttp_client, dispositions="vax=接種/Vaccination,other"
    )
    resp = await client.get("/api/dispositions", headers=auth(await token(app)))
    assert (await resp.json())["dispositions"] == [
        {"code": "vax", "ja": "接種", "en": "Vaccination"},
        {"code": "other", "ja": "other", "en": "other"},
    ]
    resp = await client.put(
        "/api/calls/1800.3/disposition", json={"codes": ["booked"]}, headers=auth(await token(app))
    )
    assert resp.status == 400
