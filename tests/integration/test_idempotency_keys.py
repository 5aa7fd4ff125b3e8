"""Idempotency keys under concurrency, on SQLite and PostgreSQL: twenty concurrent sends with one
key make one record and all get the same answer; a key belongs to its account."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from registry.db import session_factory
from registry.models import Booking, MobilityRequest, Slot
from tests.integration.test_web_rest import _slot, ctx  # noqa: F401 -- the fixture
from tests.integration.web_helpers import add_household, auth, token

SENDS = 20


async def _count(engine, model):
    async with session_factory(engine)() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_concurrent_sends_of_one_booking_make_one(ctx, engine):  # noqa: F811
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    _, slot_id = await _slot(app, client, capacity=50)
    headers = {**auth(await token(app)), "Idempotency-Key": "same-booking"}
    body = {"resident_id": a, "slot_id": slot_id}

    async def send():
        resp = await client.post("/api/bookings", json=body, headers=headers)
        return resp.status, await resp.json()

    answers = await asyncio.gather(*(send() for _ in range(SENDS)))
    assert [status for status, _ in answers] == [201] * SENDS, answers
    assert len({data["booking_id"] for _, data in answers}) == 1
    assert await _count(engine, Booking) == 1
    async with session_factory(engine)() as s:
        assert (await s.get(Slot, slot_id)).booked == 1


async def test_concurrent_sends_of_one_mobility_request_make_one(ctx, engine):  # noqa: F811
    app, client = ctx
    (a,) = await add_household(engine, "+81773621234", names=("山田 太郎",))
    headers = {**auth(await token(app)), "Idempotency-Key": "same-request"}
    body = {"resident_id": a, "pickup_address": "舞鶴市北吸1044", "wheelchair": True}

    async def send():
        resp = await client.post("/api/mobility", json=body, headers=headers)
        return resp.status, await resp.json()

    answers = await asyncio.gather(*(send() for _ in range(SENDS)))
    assert [status for status, _ in answers] == [201] * SENDS, answers
    assert len({data["request_id"] for _, data in answers}) == 1
    assert await _count(engine, MobilityRequest) == 1


async def test_a_key_belongs_to_its_account(ctx, engine):  # noqa: F811
    app, client = ctx
    (a, b) = await add_household(engine, "+81773621234", names=("山田 太郎", "山田 花子"))
    _, slot_id = await _slot(app, client, capacity=5)
    one = {**auth(await token(app, 1)), "Idempotency-Key": "k-1"}
    two = {**auth(await token(app, 2, ext="1002")), "Idempotency-Key": "k-1"}
    first = await client.post("/api/bookings", json={"resident_id": a, "slot_id": slot_id},
                              headers=one)  # fmt: skip
    assert first.status == 201
    # the same key and body from another operator: not the first operator's booking
    same = await client.post("/api/bookings", json={"resident_id": a, "slot_id": slot_id},
                             headers=two)  # fmt: skip
    assert same.status == 409
    assert (await same.json())["error"] == "already_booked"
    other = await client.post("/api/bookings", json={"resident_id": b, "slot_id": slot_id},
                              headers=two)  # fmt: skip
    assert other.status == 201
    assert (await other.json())["booking_id"] != (await first.json())["booking_id"]
    assert await _count(engine, Booking) == 2
