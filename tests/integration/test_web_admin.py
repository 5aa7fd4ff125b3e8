"""REST for supervisors' venue and slot management, the postcard number (はがき番号) search and
intents taken by phone: roles, validation naming the field, live SlotsChanged, audit rows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.board_app import BOARD
from registry.audit import AuditAction
from registry.calls import upsert_call
from registry.db import session_factory
from registry.models import AuditEntry, Resident
from registry.normalize.barcode import make_barcode
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    auth,
    make_settings,
    receive_type,
    token,
)

DAY = dt.date(2031, 5, 12)


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client):
    app = create_app(
        make_settings(db_url), engine=engine, bridge=FakeBridge(), load_name_index=False
    )
    client = await aiohttp_client(app)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    assert await add_operator(engine, "sv", "supervisor", None) == 2
    assert await add_operator(engine, "admin", "admin", None) == 3
    return app, client


async def sv(app):
    return auth(await token(app, 2, role="supervisor", ext=None))


async def op(app):
    return auth(await token(app, 1))


async def _venue(app, client, name="中総合会館"):
    resp = await client.post(
        "/api/venues", json={"name": name, "address": "舞鶴市"}, headers=(await sv(app))
    )
    assert resp.status == 201, await resp.text()
    return (await resp.json())["id"]


async def _bulk(app, client, venue_id, **kw):
    body = {"day": str(DAY), "start": "09:00", "end": "12:00", "minutes": 30, "capacity": 4, **kw}
    return await client.post(
        f"/api/venues/{venue_id}/slots/bulk", json=body, headers=(await sv(app))
    )


async def test_operators_cannot_manage_venues_or_slots(ctx):
    app, client = ctx
    venue_id = await _venue(app, client)
    calls = [
        ("post", "/api/venues", {"name": "西体育館"}),
        ("patch", f"/api/venues/{venue_id}", {"active": False}),
        ("post", f"/api/venues/{venue_id}/slots/bulk", {"day": str(DAY)}),
        ("patch", "/api/slots/1", {"capacity": 3}),
        ("delete", "/api/slots/1", None),
    ]
    for method, path, body in calls:
        resp = await getattr(client, method)(path, json=body, headers=(await op(app)))
        assert resp.status == 403, (method, path)
        assert (await resp.json())["error"] == "forbidden"
    admin = auth(await token(app, 3, role="admin", ext=None))
    resp = await client.patch(
        f"/api/venues/{venue_id}", json={"name": "中総合会館 2F"}, headers=admin
    )
    assert resp.status == 200
    assert (await resp.json())["name"] == "中総合会館 2F"


def _tokyo(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")


async def test_bulk_slots_lay_out_a_day_and_a_repeat_adds_nothing(ctx):
    app, client = ctx
    venue_id = await _venue(app, client)
    resp = await _bulk(app, client, venue_id)
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    times = [_tokyo(s["starts_at"]) for s in data["created"]]
    assert times == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert data["created"][0]["starts_at"] == "2031-05-12T00:00:00+00:00"  # 09:00 in Tokyo
    assert data["created"][-1]["ends_at"] == "2031-05-12T03:00:00+00:00"
    assert {(s["capacity"], s["booked"], s["remaining"]) for s in data["created"]} == {(4, 0, 4)}
    again = await _bulk(app, client, venue_id, end="13:00")
    assert again.status == 201
    data = await again.json()
    assert [_tokyo(s["starts_at"]) for s in data["created"]] == ["12:00", "12:30"]
    assert len(data["skipped"]) == 6
    resp = await client.get(f"/api/venues/{venue_id}/slots?day={DAY}", headers=(await op(app)))
    assert len((await resp.json())["slots"]) == 8


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "12:00", "end": "09:00"}, "end"),
        ({"start": "9時"}, "start"),
        ({"minutes": 2}, "minutes"),
        ({"minutes": 240}, "minutes"),
        ({"capacity": -1}, "capacity"),
        ({"day": "2031/05/12"}, "day"),
        ({"capacity": None}, "capacity"),
    ],
)
async def test_bulk_slots_validation_names_the_field(ctx, change, field):
    app, client = ctx
    venue_id = await _venue(app, client)
    resp = await _bulk(app, client, venue_id, **change)
    assert resp.status == 400, await resp.text()
    data = await resp.json()
    assert (data["error"], data["details"]["field"]) == ("invalid_input", field)


async def test_capacity_below_booked_is_refused_and_delete_only_unbooked(ctx, engine):
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    venue_id = await _venue(app, client)
    created = (await (await _bulk(app, client, venue_id, end="10:00")).json())["created"]
    booked, free = created[0]["slot_id"], created[1]["slot_id"]
    resp = await client.post(
        "/api/bookings", json={"resident_id": a, "slot_id": booked}, headers=(await op(app))
    )
    assert resp.status == 201
    resp = await client.patch(f"/api/slots/{booked}", json={"capacity": 0}, headers=(await sv(app)))
    assert resp.status == 400
    data = await resp.json()
    assert data["details"] == {"field": "capacity", "booked": 1}
    assert "below the 1 seats already booked" in data["message"]
    resp = await client.delete(f"/api/slots/{booked}", headers=(await sv(app)))
    assert resp.status == 409
    assert (await resp.json())["details"]["booked"] == 1
    resp = await client.delete(f"/api/slots/{free}", headers=(await sv(app)))
    assert resp.status == 200
    assert (await resp.json())["deleted"] is True
    resp = await client.get(f"/api/venues/{venue_id}/slots?day={DAY}", headers=(await op(app)))
    assert [s["slot_id"] for s in (await resp.json())["slots"]] == [booked]
    assert (await client.delete(f"/api/slots/{free}", headers=(await sv(app)))).status == 404


async def test_slot_changes_reach_watchers_and_the_board(ctx):
    app, client = ctx
    venue_id = await _venue(app, client)
    refreshed = []
    app[BOARD].bookings_changed = lambda: refreshed.append(1)  # the board's fill reload
    ws = await client.ws_connect("/ws", headers=(await op(app)))
    await receive_type(ws, protocol.Hello)
    await ws.send_str(protocol.encode(protocol.WatchSlots(venue_id=venue_id, day=str(DAY))))
    await ws.send_str(protocol.encode(protocol.Ping(nonce="sync")))
    await receive_type(ws, protocol.Pong)
    created = (await (await _bulk(app, client, venue_id, end="10:00")).json())["created"]
    changed = await receive_type(ws, protocol.SlotsChanged)
    assert [s.slot_id for s in changed.slots] == [s["slot_id"] for s in created]
    slot_id = created[0]["slot_id"]
    await client.patch(f"/api/slots/{slot_id}", json={"capacity": 9}, headers=(await sv(app)))
    assert (await receive_type(ws, protocol.SlotsChanged)).slots[0].capacity == 9
    await client.delete(f"/api/slots/{slot_id}", headers=(await sv(app)))
    (gone,) = (await receive_type(ws, protocol.SlotsChanged)).slots
    assert (gone.slot_id, gone.capacity, gone.remaining) == (slot_id, 0, 0)
    await ws.close()
    assert len(refreshed) == 3


async def test_refused_writes_publish_nothing_and_mobility_refreshes_the_board(ctx, engine):
    app, client = ctx
    venue_id = await _venue(app, client)
    (rid, _) = await add_household(engine, "+81773621234")
    slot_id = (await (await _bulk(app, client, venue_id, end="09:30")).json())["created"][0]
    refreshed = []
    app[BOARD].bookings_changed = lambda: refreshed.append(1)
    booked = await client.post(
        "/api/bookings",
        json={"resident_id": rid, "slot_id": slot_id["slot_id"]},
        headers=await op(app),
    )
    assert booked.status == 201
    assert len(refreshed) == 1
    resp = await client.delete(f"/api/slots/{slot_id['slot_id']}", headers=await sv(app))
    assert resp.status == 409  # refused: nothing changed, nothing published
    assert len(refreshed) == 1
    body = {"resident_id": rid, "pickup_address": "舞鶴市北吸1044"}
    made = await client.post("/api/mobility", json=body, headers=await op(app))
    assert made.status == 201
    assert len(refreshed) == 2  # the board's count of open requests follows
    request_id = (await made.json())["request_id"]
    resp = await client.patch(f"/api/mobility/{request_id}", json={"status": "done"},
                              headers=await op(app))  # fmt: skip
    assert resp.status == 200
    assert len(refreshed) == 3


async def _with_barcodes(engine):
    ids = await add_household(engine, "+81773621234")
    async with session_factory(engine)() as s:
        for n, rid in enumerate(ids, start=41):
            await s.execute(
                update(Resident).where(Resident.id == rid).values(barcode=make_barcode(n))
            )
        await s.commit()
    return ids


async def test_postcard_number_finds_the_resident_and_is_audited(ctx, engine):
    app, client = ctx
    _, b = await _with_barcodes(engine)
    code = make_barcode(42)
    async with session_factory(engine)() as s:
        await upsert_call(s, "1700.5", operator_id=1, extension="1001")
        await s.commit()
    wide = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for typed in (code, f"{code[:4]}-{code[4:8]}-{code[8:]}", wide):
        resp = await client.get(
            "/api/residents/search",
            params={"barcode": typed, "call": "1700.5"},
            headers=(await op(app)),
        )
        assert resp.status == 200, await resp.text()
        (found,) = (await resp.json())["results"]
        assert (found["resident_id"], found["reasons"], found["score"]) == (b, ["barcode"], 100.0)
    async with session_factory(engine)() as s:
        rows = (
            await s.scalars(
                select(AuditEntry).where(AuditEntry.action == AuditAction.RESIDENT_SEARCH)
            )
        ).all()
    assert [(r.operator_id, r.resident_id, r.call_linkedid) for r in rows] == [(1, b, "1700.5")] * 3
    unknown = await client.get(
        "/api/residents/search", params={"barcode": make_barcode(999)}, headers=(await op(app))
    )
    assert (await unknown.json())["results"] == []


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda c: c[:5] + str((int(c[5]) + 1) % 10) + c[6:], "check digit does not match"),
        (lambda c: c[:9] + c[10] + c[9] + c[11:], "check digit does not match"),  # 41 -> 14
        (lambda c: c[:-1], "has 12 digits; got 11"),
        (lambda c: c[:6] + "A" + c[7:], "digits only"),
    ],
)
async def test_a_misheard_postcard_number_says_so(ctx, engine, mangle, words):
    app, client = ctx
    await _with_barcodes(engine)
    code = mangle(make_barcode(41))
    resp = await client.get(
        "/api/residents/search", params={"barcode": code}, headers=(await op(app))
    )
    assert resp.status == 400
    data = await resp.json()
    assert (data["error"], data["details"]["field"]) == ("invalid_input", "barcode")
    assert words in data["message"]


async def test_intent_by_phone_is_recorded_with_operator_and_call(ctx, engine):
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    body = {
        "wants_vaccination": True,
        "needs_mobility": None,
        "notes": "娘さんと相談",
        "call": "1700.7",
    }
    resp = await client.post(f"/api/residents/{a}/intents", json=body, headers=(await op(app)))
    assert resp.status == 201, await resp.text()
    intent = await resp.json()
    assert (intent["channel"], intent["wants_vaccination"], intent["needs_mobility"]) == (
        "phone",
        True,
        None,
    )
    card = await (await client.get(f"/api/residents/{a}", headers=(await op(app)))).json()
    assert [i["intent_id"] for i in card["intents"]] == [intent["intent_id"]]
    assert card["intents"][0]["notes"] == "娘さんと相談"
    async with session_factory(engine)() as s:
        rows = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "intent.record"))
        ).all()
    assert [(r.operator_id, r.resident_id, r.call_linkedid) for r in rows] == [(1, a, "1700.7")]


async def test_intent_resent_with_the_same_key_is_kept_once(ctx, engine):
    """A client that lost the answer resends with the same Idempotency-Key: one intent."""
    app, client = ctx
    (a, b) = await add_household(engine, "+81773621234", names=("山田 太郎", "山田 花子"))
    body = {"wants_vaccination": False, "needs_mobility": True}
    headers = {**(await op(app)), "Idempotency-Key": "intent-1"}
    first = await client.post(f"/api/residents/{a}/intents", json=body, headers=headers)
    again = await client.post(f"/api/residents/{a}/intents", json=body, headers=headers)
    assert (first.status, again.status) == (201, 201)
    assert (await first.json())["intent_id"] == (await again.json())["intent_id"]
    card = await (await client.get(f"/api/residents/{a}", headers=(await op(app)))).json()
    assert len(card["intents"]) == 1
    other = await client.post(f"/api/residents/{b}/intents", json=body, headers=headers)
    assert other.status == 409
    assert (await other.json())["details"]["field"] == "client_key"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"wants_vaccination": "yes"}, 400, "wants_vaccination"),
        ({"needs_mobility": 1}, 400, "needs_mobility"),
        ({"notes": 5}, 400, "notes"),
        ({"notes": "x" * 2001}, 400, "notes"),
    ],
)
async def test_intent_validation_names_the_field(ctx, engine, body, status, field):
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    resp = await client.post(f"/api/residents/{a}/intents", json=body, headers=(await op(app)))
    assert resp.status == status
    assert (await resp.json())["details"]["field"] == field


async def test_intent_needs_a_resident_and_a_staff_role(ctx):
    app, client = ctx
    body = {"wants_vaccination": False}
    resp = await client.post("/api/residents/999/intents", json=body, headers=(await op(app)))
    assert resp.status == 404
    kiosk = auth(await token(app, 1, role="kiosk", ext=None))
    resp = await client.post("/api/residents/999/intents", json=body, headers=kiosk)
    assert resp.status == 403
