"""The ledger database going away mid-shift (PostgreSQL behind a proxy that is cut, so the
shared server keeps running for the other tests): calls keep popping with the caller's number,
every client is told the ledger is unreachable and again when it is back, a booking sent
meanwhile is refused with 503 ``ledger_unavailable`` (kept by the client) and lands exactly once
when it is sent again with its key, and call records made meanwhile are written afterwards."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.keys import SERVICE
from registry.db import create_engine, migrate, session_factory
from registry.models import Booking, CallRecord
from registry.venues import create_slot, create_venue
from tests.conftest import _reset_pg
from tests.integration.tcp_proxy import CuttableProxy
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    answered,
    auth,
    completed,
    incoming,
    make_settings,
    new_linkedid,
    receive_pop,
    receive_type,
    ringing,
    token,
)

pytestmark = pytest.mark.postgres

JST = dt.timezone(dt.timedelta(hours=9))
HOME = "+81773621234"
OTHER = "+81773625555"


@pytest.fixture
async def proxied(pg_url):
    """The scratch PostgreSQL database, emptied, reached through a cuttable proxy."""
    await _reset_pg(pg_url)
    u = make_url(pg_url)
    proxy = await CuttableProxy(u.host or "127.0.0.1", u.port or 5432).start()
    url = u.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = create_engine(url)
    await migrate(engine)
    yield proxy, url, engine
    proxy.restore()
    await engine.dispose()
    await proxy.close()


async def _status(ws, ok: bool) -> protocol.LedgerStatus:
    while True:
        msg = await receive_type(ws, protocol.LedgerStatus, 10.0)
        if msg.ok is ok:
            return msg


async def _call(app, ws, linkedid: str, number: str) -> protocol.ScreenPop:
    service = app[SERVICE]
    for event in incoming(linkedid, number):
        service.on_event(event)
    service.on_event(ringing(linkedid, "1001"))
    return await receive_pop(ws, 10.0)


async def test_calls_pop_with_the_number_and_bookings_land_once_after_the_ledger_returns(
    proxied, aiohttp_client
):
    proxy, url, engine = proxied
    home = await add_household(engine, HOME)
    await add_household(engine, OTHER, names=("佐藤 一郎",), no="H0002")
    async with session_factory(engine)() as s:
        venue = await create_venue(s, "中総合会館", "舞鶴市")
        start = dt.datetime.combine(
            dt.datetime.now(JST).date() + dt.timedelta(days=1), dt.time(10), JST
        )
        slot = await create_slot(s, venue.venue_id, start, start + dt.timedelta(minutes=30), 3)
        await s.commit()
    app = create_app(
        make_settings(url, ledger_check_seconds=0.2, lookup_timeout_seconds=1.0),
        engine=engine,
        bridge=FakeBridge(),
        load_name_index=False,
    )
    client = await aiohttp_client(app)
    headers = auth(await token(app, 1, ext="1001"))
    ws = await client.ws_connect("/ws", headers=headers)
    await receive_type(ws, protocol.Hello)

    before = new_linkedid()
    pop = await _call(app, ws, before, HOME)
    assert pop.caller.e164 == HOME
    assert pop.lookup_error == ""
    assert [m.resident_id for h in pop.households for m in h.members] == home

    # ---- the database goes away mid-shift
    proxy.cut()
    down = await _status(ws, False)
    assert down.error
    health = await client.get("/healthz", headers=headers)  # the details need a token
    assert health.status == 503
    assert (await health.json())["database"]["ok"] is False

    during = new_linkedid()
    pop = await _call(app, ws, during, OTHER)  # a number not cached: the ledger is asked
    assert pop.caller.e164 == OTHER
    assert pop.lookup_error == "unavailable"
    assert pop.households == ()
    service = app[SERVICE]
    service.on_event(answered(during, "1001"))
    await receive_pop(ws, 10.0, state="answered")

    body = {"resident_id": home[0], "slot_id": slot.slot_id, "call": before}
    key = {"Idempotency-Key": "outage-booking-1", **headers}
    for _ in range(2):  # the client's outbox sends, and sends again: kept, never a 500
        resp = await client.post("/api/bookings", json=body, headers=key)
        assert resp.status == 503, await resp.text()
        assert (await resp.json())["error"] == "ledger_unavailable"
    service.on_event(completed(during, "1001"))
    await receive_pop(ws, 10.0, state="ended")

    # ---- it comes back: everyone is told, the kept booking lands once
    proxy.restore()
    await _status(ws, True)
    answers = []
    for _ in range(3):
        resp = await client.post("/api/bookings", json=body, headers=key)
        assert resp.status in (200, 201), await resp.text()
        answers.append((await resp.json())["booking_id"])
    assert len(set(answers)) == 1

    await service.recorder.flush()
    async with session_factory(engine)() as s:
        n = await s.scalar(
            select(func.count()).select_from(Booking).where(Booking.resident_id == home[0])
        )
        assert n == 1
        record = await s.get(CallRecord, during)
        assert record is not None
        assert record.caller_e164 == OTHER
        assert record.outcome == "answered"
        assert record.answered_at is not None
        assert record.ended_at is not None
    slots = await client.get(
        f"/api/venues/{venue.venue_id}/slots?day={start.date().isoformat()}", headers=headers
    )
    assert [x["remaining"] for x in (await slots.json())["slots"]] == [2], await slots.text()
    await ws.close()


async def test_a_client_connecting_while_the_ledger_is_away_is_told_after_hello(
    proxied, aiohttp_client
):
    proxy, url, engine = proxied
    app = create_app(
        make_settings(url, ledger_check_seconds=0.2, revocation_cache_seconds=60.0),
        engine=engine,
        bridge=FakeBridge(),
        load_name_index=False,
    )
    client = await aiohttp_client(app)
    headers = auth(await token(app, 1, ext="1001"))  # the account state is cached
    proxy.cut()
    for _ in range(100):
        if (await client.get("/healthz")).status == 503:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # the watch has seen it
    ws = await client.ws_connect("/ws", headers=headers)
    assert isinstance(await receive_type(ws, protocol.Hello), protocol.Hello)
    status = await receive_type(ws, protocol.LedgerStatus)
    assert status.ok is False
    proxy.restore()
    assert (await _status(ws, True)).ok
    await ws.close()
