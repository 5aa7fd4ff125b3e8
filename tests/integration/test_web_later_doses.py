"""REST: a booking's move or cancel answers with what became of its later doses."""

from __future__ import annotations

import datetime as dt

import pytest

from cti_server import protocol
from cti_server.web.app import create_app
from registry import worklist
from registry.assign import later_doses
from registry.bookings import book_slot
from registry.db import session_factory
from registry.venues import create_slot, create_venue
from tests.integration.assign_city import START
from tests.integration.test_bookings import make_resident
from tests.integration.web_helpers import FakeBridge, add_operator, auth, make_settings, token

DAY = dt.timedelta(days=1)


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client):
    app = create_app(make_settings(db_url), engine=engine, bridge=FakeBridge(),
                     load_name_index=False)  # fmt: skip
    client = await aiohttp_client(app)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    ids: dict[str, int] = {}
    async with session_factory(engine)() as s:
        venue = (await create_venue(s, "中央会場", "京都府舞鶴市北吸1044")).venue_id
        for name, at in (("first", START), ("second", START + 21 * DAY),
                         ("moved", START + DAY), ("pair", START + 22 * DAY),
                         ("lonely", START + 2 * DAY)):  # fmt: skip
            slot = await create_slot(s, venue, at, at + dt.timedelta(minutes=30), 3)
            ids[name] = slot.slot_id
        for who in ("a", "b"):
            rid = await make_resident(s)
            one = await book_slot(s, resident_id=rid, slot_id=ids["first"], channel="assigned")
            two = await book_slot(s, resident_id=rid, slot_id=ids["second"], channel="assigned",
                                  dose=2)  # fmt: skip
            ids[f"{who}1"], ids[f"{who}2"] = one.booking_id, two.booking_id
        await s.commit()
    return app, client, ids


async def test_a_move_answers_with_the_second_dose_moved_or_not(ctx) -> None:
    app, client, ids = ctx
    op = auth(await token(app, 1))
    body = {"slot_id": ids["moved"], "call": "c-1"}
    resp = await client.patch(f"/api/bookings/{ids['a1']}", json=body, headers=op)
    assert resp.status == 200
    data = await resp.json()
    done = protocol.from_dict(protocol.BookingChanged, data)
    assert (done.booking_id, done.slot_id) == (ids["a1"], ids["moved"])
    (later,) = done.later
    assert (later.outcome, later.booking.booking_id, later.booking.slot_id) == (
        "moved", ids["a2"], ids["pair"])  # fmt: skip
    assert protocol.from_dict(protocol.Booking, data).slot_id == ids["moved"]  # still a Booking

    resp = await client.patch(f"/api/bookings/{ids['b1']}", json={"slot_id": ids["lonely"]},
                              headers=op)  # fmt: skip
    assert resp.status == 200
    kept = protocol.from_dict(protocol.BookingChanged, await resp.json())
    (later,) = kept.later
    assert (later.outcome, later.why, later.booking.slot_id) == ("not_moved", "no_slot",
                                                                 ids["second"])  # fmt: skip
    assert later.wanted_starts_at == (START + 23 * DAY).isoformat()
    resp = await client.get("/api/worklist", headers=op)
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert [(i["reason"], i["item_id"]) for i in items] == [("second_dose", later.item_id)]


async def test_a_cancel_answers_with_the_second_dose_cancelled(ctx) -> None:
    app, client, ids = ctx
    op = auth(await token(app, 1))
    resp = await client.delete(f"/api/bookings/{ids['a1']}?call=c-2", headers=op)
    assert resp.status == 200
    done = protocol.from_dict(protocol.BookingChanged, await resp.json())
    assert done.status == "cancelled"
    assert [(d.outcome, d.booking.booking_id, d.booking.status) for d in done.later] == [
        ("cancelled", ids["a2"], "cancelled")
    ]
    resp = await client.delete(f"/api/bookings/{ids['a2']}", headers=op)
    assert resp.status == 200
    assert protocol.from_dict(protocol.BookingChanged, await resp.json()).later == ()


def test_the_wire_names_the_registrys_outcomes_and_reasons() -> None:
    assert protocol.LATER_DOSE_OUTCOMES == later_doses.OUTCOMES
    assert protocol.LATER_DOSE_WHY_NOT == later_doses.WHY_NOT
    assert protocol.WORK_REASONS == worklist.REASONS
