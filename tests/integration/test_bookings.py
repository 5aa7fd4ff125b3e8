"""Bookings: capacity and "never booked twice" hold under real concurrency, on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.audit import audit_entries
from registry.bookings import book_slot, bookings_of, cancel_booking, change_booking
from registry.errors import AlreadyBooked, Conflict, InvalidInput, NotFound, SlotFull
from registry.models import Booking, Household, Resident
from registry.venues import create_slot, create_venue, get_slot

_serial = itertools.count(1)
T0 = dt.datetime(2026, 5, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 in Tokyo


async def make_resident(
    session: AsyncSession,
    *,
    name: str = "山田 太郎",
    birth: dt.date | None = dt.date(1940, 4, 1),
    household_id: int | None = None,
    address: str = "京都府舞鶴市北吸1044",
) -> int:
    n = next(_serial)
    rid = await session.scalar(
        insert(Resident)
        .values(
            person_no=f"P{n:08d}",
            household_id=household_id,
            name=name,
            name_kana="ヤマダ タロウ",
            birth_date=birth,
            sex="M",
            address=address,
            barcode=f"{n:012d}",
        )
        .returning(Resident.id)
    )
    assert rid is not None
    return rid


async def make_household(session: AsyncSession, address: str = "京都府舞鶴市北吸1044") -> int:
    hid = await session.scalar(
        insert(Household)
        .values(household_no=f"H{next(_serial):08d}", address=address)
        .returning(Household.id)
    )
    assert hid is not None
    return hid


async def make_slot(session: AsyncSession, capacity: int, *, hours: int = 0) -> int:
    venue = await create_venue(session, f"会場{next(_serial)}", "舞鶴市")
    start = T0 + dt.timedelta(hours=hours)
    slot = await create_slot(
        session, venue.venue_id, start, start + dt.timedelta(minutes=30), capacity
    )
    return slot.slot_id


async def _attempt(
    sessions: async_sessionmaker[AsyncSession], resident_id: int, slot_id: int
) -> object:
    async with sessions() as s:
        try:
            b = await book_slot(s, resident_id=resident_id, slot_id=slot_id, channel="phone")
            await s.commit()
            return b
        except (SlotFull, AlreadyBooked) as err:
            await s.rollback()
            return err


async def _active_count(sessions: async_sessionmaker[AsyncSession], slot_id: int) -> int:
    async with sessions() as s:
        n = await s.scalar(
            select(func.count()).where(Booking.slot_id == slot_id, Booking.status == "booked")
        )
        return int(n or 0)


async def test_two_sessions_racing_for_the_last_seat(sessions):
    async with sessions() as s:
        r1, r2 = await make_resident(s), await make_resident(s)
        slot = await make_slot(s, 1)
        await s.commit()
    results = await asyncio.gather(_attempt(sessions, r1, slot), _attempt(sessions, r2, slot))
    assert sum(isinstance(r, SlotFull) for r in results) == 1
    assert sum(not isinstance(r, Exception) for r in results) == 1
    async with sessions() as s:
        assert (await get_slot(s, slot)).booked == 1
    assert await _active_count(sessions, slot) == 1


async def test_many_sessions_never_overbook(sessions):
    async with sessions() as s:
        residents = [await make_resident(s) for _ in range(6)]
        slot = await make_slot(s, 3)
        await s.commit()
    results = await asyncio.gather(*(_attempt(sessions, r, slot) for r in residents))
    assert sum(isinstance(r, SlotFull) for r in results) == 3
    async with sessions() as s:
        view = await get_slot(s, slot)
    assert (view.booked, view.remaining) == (3, 0)
    assert await _active_count(sessions, slot) == 3


async def test_same_resident_twice_concurrently_books_once(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        a, b = await make_slot(s, 5), await make_slot(s, 5, hours=1)
        await s.commit()
    results = await asyncio.gather(_attempt(sessions, rid, a), _attempt(sessions, rid, b))
    assert sum(isinstance(r, AlreadyBooked) for r in results) == 1
    async with sessions() as s:
        assert (await get_slot(s, a)).booked + (await get_slot(s, b)).booked == 1
        assert [x.status for x in await bookings_of(s, rid)] == ["booked"]


async def test_book_returns_view_and_audits(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        slot = await make_slot(s, 2)
        b = await book_slot(s, resident_id=rid, slot_id=slot, channel="paper", call_linkedid="1.1")
        await s.commit()
        assert (b.resident_id, b.slot_id, b.status, b.channel, b.dose) == (
            rid,
            slot,
            "booked",
            "paper",
            1,
        )
        assert b.venue_name.startswith("会場")
        assert b.starts_at == T0
        assert b.to_dict()["starts_at"] == "2026-05-01T00:30:00+00:00"
        with pytest.raises(AlreadyBooked):
            await book_slot(s, resident_id=rid, slot_id=slot, channel="phone")
        second = await book_slot(s, resident_id=rid, slot_id=slot, channel="phone", dose=2)
        assert second.dose == 2
        entries = await audit_entries(s, resident_id=rid)
        assert [e.action for e in entries] == ["booking.create", "booking.create"]
        assert entries[-1].call_linkedid == "1.1"


async def test_client_key_makes_a_resend_harmless(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        slot = await make_slot(s, 2)
        first = await book_slot(s, resident_id=rid, slot_id=slot, channel="web", client_key="k-1")
        await s.commit()
    async with sessions() as s:
        again = await book_slot(s, resident_id=rid, slot_id=slot, channel="web", client_key="k-1")
        assert again == first
        assert (await get_slot(s, slot)).booked == 1
        other = await make_resident(s)
        with pytest.raises(Conflict) as info:
            await book_slot(s, resident_id=other, slot_id=slot, channel="web", client_key="k-1")
        assert info.value.details["field"] == "client_key"


async def test_change_is_atomic_and_cancel_frees_the_seat(sessions):
    async with sessions() as s:
        r1, r2 = await make_resident(s), await make_resident(s)
        a, full = await make_slot(s, 2), await make_slot(s, 1, hours=1)
        other = await make_slot(s, 1, hours=2)
        b = await book_slot(s, resident_id=r1, slot_id=a, channel="phone")
        await book_slot(s, resident_id=r2, slot_id=full, channel="phone")
        await s.commit()
    async with sessions() as s:
        with pytest.raises(SlotFull):
            await change_booking(s, b.booking_id, full)
        await s.commit()  # SlotFull wrote nothing: committing keeps everything as it was
    async with sessions() as s:
        assert [x.slot_id for x in await bookings_of(s, r1)] == [a]
        assert ((await get_slot(s, a)).booked, (await get_slot(s, full)).booked) == (1, 1)
        moved = await change_booking(s, b.booking_id, other, operator_id=None, call_linkedid="9.9")
        assert moved.slot_id == other
        assert moved.booking_id == b.booking_id
        assert ((await get_slot(s, a)).booked, (await get_slot(s, other)).booked) == (0, 1)
        cancelled = await cancel_booking(s, b.booking_id)
        assert cancelled.status == "cancelled"
        assert (await get_slot(s, other)).booked == 0
        assert (await cancel_booking(s, b.booking_id)).status == "cancelled"  # idempotent
        assert (await get_slot(s, other)).booked == 0
        with pytest.raises(Conflict):
            await change_booking(s, b.booking_id, a)
        again = await book_slot(s, resident_id=r1, slot_id=other, channel="phone")
        assert again.status == "booked"
        await s.commit()
        actions = [e.action for e in await audit_entries(s, resident_id=r1)]
        assert actions == ["booking.create", "booking.cancel", "booking.change", "booking.create"]


BAD_BOOKINGS = [
    ({"channel": "fax"}, "channel"),
    ({"channel": "phone", "dose": 0}, "dose"),
    ({"channel": "phone", "client_key": "x" * 65}, "client_key"),
]


async def test_invalid_booking_input_names_the_field(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        slot = await make_slot(s, 1)
        for kwargs, field in BAD_BOOKINGS:
            with pytest.raises(InvalidInput) as info:
                await book_slot(s, resident_id=rid, slot_id=slot, **kwargs)
            assert info.value.field == field
            assert info.value.details["field"] == field


async def test_unknown_resident_or_slot_is_not_found(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        slot = await make_slot(s, 1)
        with pytest.raises(NotFound):
            await book_slot(s, resident_id=rid + 1000, slot_id=slot, channel="phone")
        with pytest.raises(NotFound):
            await book_slot(s, resident_id=rid, slot_id=slot + 1000, channel="phone")
        with pytest.raises(NotFound):
            await cancel_booking(s, 12345)


async def test_crossing_moves_at_the_same_moment_both_succeed(sessions):
    async with sessions() as s:
        r1, r2 = await make_resident(s), await make_resident(s)
        a, b = await make_slot(s, 2), await make_slot(s, 2, hours=1)
        x = await book_slot(s, resident_id=r1, slot_id=a, channel="phone")
        y = await book_slot(s, resident_id=r2, slot_id=b, channel="phone")
        await s.commit()

    async def move(booking_id: int, to: int) -> int:
        async with sessions() as s:
            moved = await change_booking(s, booking_id, to)
            await s.commit()
            return moved.slot_id

    assert await asyncio.gather(move(x.booking_id, b), move(y.booking_id, a)) == [b, a]
    async with sessions() as s:
        assert ((await get_slot(s, a)).booked, (await get_slot(s, b)).booked) == (1, 1)


async def test_unknown_operator_is_invalid_input_not_already_booked(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        slot = await make_slot(s, 2)
        with pytest.raises(InvalidInput) as info:
            await book_slot(s, resident_id=rid, slot_id=slot, channel="phone", operator_id=99999)
        assert info.value.field == "operator_id"
        assert (await get_slot(s, slot)).booked == 0  # refused before a seat was taken


async def test_a_reference_gone_in_a_race_is_not_found_naming_the_field(sessions, monkeypatch):
    import registry.bookings as bookings_module

    async def gone_meanwhile(session, resident_id, operator_id):  # the checks passed, then...
        return None

    monkeypatch.setattr(bookings_module, "_check_refs", gone_meanwhile)
    async with sessions() as s:
        rid = await make_resident(s)
        slot = await make_slot(s, 2)
        with pytest.raises(NotFound) as info:
            await book_slot(s, resident_id=rid, slot_id=slot, channel="phone", operator_id=99999)
        assert info.value.details["field"] == "operator_id"
        await s.rollback()


async def test_only_the_active_booking_index_is_already_booked(sessions):
    from sqlalchemy.exc import IntegrityError

    from registry.bookings import ACTIVE_BOOKING_INDEX, violated_constraint

    async with sessions() as s:
        rid = await make_resident(s)
        slot = await make_slot(s, 5)
        await s.commit()
    row = {"resident_id": rid, "slot_id": slot, "dose": 1, "status": "booked", "channel": "phone"}
    async with sessions() as s:
        await s.execute(insert(Booking).values(**row))
        with pytest.raises(IntegrityError) as twice:
            await s.execute(insert(Booking).values(**row))
        await s.rollback()
    async with sessions() as s:
        with pytest.raises(IntegrityError) as no_operator:
            await s.execute(insert(Booking).values(**row, created_by=99999))
        await s.rollback()
    assert violated_constraint(twice.value) == ACTIVE_BOOKING_INDEX
    assert violated_constraint(no_operator.value) in ("fk_bookings_created_by_operators",
                                                      "foreign_key")  # fmt: skip


async def test_writes_note_what_they_changed_once(sessions):
    from registry.changes import SlotRemoved, SlotsChanged, VenueChanged, taken
    from registry.venues import delete_slot

    async with sessions() as s:
        rid = await make_resident(s)
        a, b = await make_slot(s, 2), await make_slot(s, 2, hours=1)
        assert [type(c) for c in taken(s)] == [VenueChanged, SlotsChanged] * 2
        booking = await book_slot(s, resident_id=rid, slot_id=a, channel="phone")
        await change_booking(s, booking.booking_id, b)
        await cancel_booking(s, booking.booking_id)
        await s.commit()
        assert taken(s) == (SlotsChanged((a,)), SlotsChanged((a, b)), SlotsChanged((b,)))
        assert taken(s) == ()  # taken once
        with pytest.raises(Conflict):
            await delete_slot(s, b)  # its booking (cancelled) refers to it: refused
        assert taken(s) == ()
        fresh = await make_slot(s, 1, hours=2)
        taken(s)
        gone = await get_slot(s, fresh)
        await delete_slot(s, fresh)
        assert taken(s) == (SlotRemoved(fresh, gone.venue_id, gone.starts_at, gone.ends_at),)
