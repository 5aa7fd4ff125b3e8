"""Venues and slots: validation naming the field, capacity never below booked, Tokyo days."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.bookings import book_slot
from registry.errors import Conflict, InvalidInput, NotFound
from registry.venues import (
    create_slot,
    create_venue,
    get_slot,
    list_slots,
    list_venues,
    set_slot_capacity,
    update_venue,
)
from tests.integration.test_bookings import make_resident

TOKYO = dt.timezone(dt.timedelta(hours=9))
T = dt.datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO)
HALF = dt.timedelta(minutes=30)


async def test_venues_create_update_list(sessions):
    async with sessions() as s:
        a = await create_venue(s, " 中総合会館 ", "舞鶴市浜")
        b = await create_venue(s, "西体育館")
        assert a.name == "中総合会館"
        with pytest.raises(Conflict):
            await create_venue(s, "西体育館")
        closed = await update_venue(s, b.venue_id, active=False, address="舞鶴市字南田辺")
        assert (closed.active, closed.address) == (False, "舞鶴市字南田辺")
        await s.commit()
        assert [v.name for v in await list_venues(s)] == ["中総合会館"]
        assert len(await list_venues(s, active_only=False)) == 2
        with pytest.raises(Conflict):
            await update_venue(s, a.venue_id, name="西体育館")
        with pytest.raises(NotFound):
            await update_venue(s, 999, name="x")
        with pytest.raises(InvalidInput) as info:
            await create_venue(s, "  ")
        assert info.value.field == "name"


async def test_slots_validation_names_the_field(sessions):
    async with sessions() as s:
        v = await create_venue(s, "会場A")
        cases = [
            ((T, T - HALF, 5), "ends_at"),
            ((T, T, 5), "ends_at"),
            ((T, T + HALF, -1), "capacity"),
            ((T, T + HALF, 2.5), "capacity"),
            ((T.replace(tzinfo=None), T + HALF, 5), "starts_at"),
        ]
        for (start, end, cap), field in cases:
            with pytest.raises(InvalidInput) as info:
                await create_slot(s, v.venue_id, start, end, cap)
            assert info.value.field == field
        with pytest.raises(NotFound):
            await create_slot(s, 999, T, T + HALF, 5)


async def test_capacity_never_below_booked(sessions):
    async with sessions() as s:
        v = await create_venue(s, "会場B")
        slot = await create_slot(s, v.venue_id, T, T + HALF, 3)
        assert (slot.starts_at, slot.remaining) == (T, 3)
        for _ in range(2):
            rid = await make_resident(s)
            await book_slot(s, resident_id=rid, slot_id=slot.slot_id, channel="assigned")
        with pytest.raises(InvalidInput) as info:
            await set_slot_capacity(s, slot.slot_id, 1)
        assert info.value.field == "capacity"
        assert "2" in info.value.message
        assert (await get_slot(s, slot.slot_id)).capacity == 3
        assert (await set_slot_capacity(s, slot.slot_id, 2)).remaining == 0
        assert (await set_slot_capacity(s, slot.slot_id, 10)).remaining == 8
        with pytest.raises(InvalidInput):
            await set_slot_capacity(s, slot.slot_id, -1)
        with pytest.raises(NotFound):
            await set_slot_capacity(s, 999, 1)
        await update_venue(s, v.venue_id, active=False)
        with pytest.raises(InvalidInput) as info:
            await book_slot(s, resident_id=rid, slot_id=slot.slot_id, channel="phone", dose=2)
        assert info.value.field == "slot_id"


async def test_list_slots_of_a_tokyo_day(sessions):
    async with sessions() as s:
        v = await create_venue(s, "会場C")
        midnight = dt.datetime(2026, 5, 1, tzinfo=TOKYO)
        for start in (midnight - HALF, midnight, midnight + dt.timedelta(hours=23, minutes=30)):
            await create_slot(s, v.venue_id, start, start + HALF, 4)
        await create_slot(
            s,
            v.venue_id,
            midnight + dt.timedelta(days=1),
            midnight + dt.timedelta(days=1) + HALF,
            4,
        )
        await s.commit()
        day = await list_slots(s, v.venue_id, dt.date(2026, 5, 1))
        assert [x.starts_at.astimezone(TOKYO).strftime("%d %H:%M") for x in day] == [
            "01 00:00",
            "01 23:30",
        ]
        assert day[0].to_dict()["remaining"] == 4
        utc_day = await list_slots(s, v.venue_id, dt.date(2026, 4, 30), tz="UTC")
        assert len(utc_day) == 2  # 14:30 and 15:00 UTC
        with pytest.raises(InvalidInput):
            await list_slots(s, v.venue_id, dt.date(2026, 5, 1), tz="Mars/Olympus")
        with pytest.raises(NotFound):
            await list_slots(s, 999, dt.date(2026, 5, 1))
