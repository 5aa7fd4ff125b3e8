"""The later doses the assignment gave follow the call center's reschedule and cancel of the
earlier dose, on both databases."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.assign.later_doses import cancel, reschedule, wanted_start
from registry.assign.run import run_assignment
from registry.assign.solver import Rules
from registry.assign.support import slot_support
from registry.audit import audit_entries
from registry.bookings import book_slot, bookings_of
from registry.errors import SlotFull
from registry.models import Booking, WorkItem
from registry.venues import create_slot, create_venue, get_slot
from registry.worklist import get_item
from tests.integration.assign_city import START, add_slot, make_city
from tests.integration.test_bookings import make_resident

GAP = 21
DAY = dt.timedelta(days=1)


@dataclasses.dataclass
class Campaign:
    venue: int
    first: int  # START
    second: int  # START + 21 days
    moved_first: int  # START + 1 day 2 hours
    moved_second: int  # 21 days after moved_first
    lonely: int  # START + 2 days: nothing 21 days later


async def _slot(s: AsyncSession, venue: int, at: dt.datetime, capacity: int = 3) -> int:
    return (await create_slot(s, venue, at, at + dt.timedelta(minutes=30), capacity)).slot_id


async def _campaign(s: AsyncSession, *, moved_second_capacity: int = 3) -> Campaign:
    venue = (await create_venue(s, "中央会場", "京都府舞鶴市北吸1044")).venue_id
    later = START + DAY + dt.timedelta(hours=2)
    return Campaign(
        venue,
        await _slot(s, venue, START),
        await _slot(s, venue, START + GAP * DAY),
        await _slot(s, venue, later),
        await _slot(s, venue, later + GAP * DAY, moved_second_capacity),
        await _slot(s, venue, START + 2 * DAY),
    )


async def _two_doses(s: AsyncSession, c: Campaign) -> tuple[int, int, int]:
    rid = await make_resident(s)
    one = await book_slot(s, resident_id=rid, slot_id=c.first, channel="assigned")
    two = await book_slot(s, resident_id=rid, slot_id=c.second, channel="assigned", dose=2)
    return rid, one.booking_id, two.booking_id


async def _booked(s: AsyncSession, *slots: int) -> list[int]:
    return [(await get_slot(s, slot)).booked for slot in slots]


async def _items(s: AsyncSession) -> int:
    return int(await s.scalar(select(func.count()).select_from(WorkItem)) or 0)


def test_the_wanted_start_keeps_the_days_between_and_takes_the_new_time_of_day():
    old = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 Tokyo
    second = dt.datetime(2026, 12, 22, 5, 0, tzinfo=dt.UTC)  # moved by hand to 14:00
    new = dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC)  # 08:00 Tokyo on the 4th
    assert wanted_start(old, second, new) == dt.datetime(2026, 12, 24, 23, 0, tzinfo=dt.UTC)


async def test_reschedule_moves_the_second_dose_n_days_after_the_new_slot(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s)
        rid, one, two = await _two_doses(s, c)
        await s.commit()
    async with sessions() as s:
        done = await reschedule(s, one, c.moved_first, operator_id=None, call_linkedid="c-1")
        await s.commit()
    assert done.booking.slot_id == c.moved_first
    assert [(d.booking.booking_id, d.outcome, d.booking.slot_id) for d in done.later] == [
        (two, "moved", c.moved_second)
    ]
    async with sessions() as s:
        assert await _booked(s, c.first, c.second, c.moved_first, c.moved_second) == [0, 0, 1, 1]
        mine = {b.booking_id: (b.slot_id, b.status) for b in await bookings_of(s, rid)}
        assert mine == {one: (c.moved_first, "booked"), two: (c.moved_second, "booked")}
        entries = await audit_entries(s, resident_id=rid)
        actions = [e.action for e in entries]
        assert actions.count("booking.change") == 2
        followed = next(e for e in entries if e.action == "booking.later_doses")
        assert followed.details["moved"] == [two]
        assert followed.call_linkedid == "c-1"
        assert await _items(s) == 0


async def test_no_slot_n_days_later_moves_the_first_dose_and_queues_the_second(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s)
        rid, one, two = await _two_doses(s, c)
        await s.commit()
    async with sessions() as s:
        done = await reschedule(s, one, c.lonely)
        await s.commit()
    assert done.booking.slot_id == c.lonely
    (told,) = done.later
    assert (told.outcome, told.why, told.booking.slot_id) == ("not_moved", "no_slot", c.second)
    assert told.wanted_starts_at == START + (2 + GAP) * DAY
    assert told.item_id is not None
    async with sessions() as s:
        assert await _booked(s, c.first, c.second, c.lonely) == [0, 1, 1]
        item = await get_item(s, told.item_id)
        assert (item.reason, item.resident_id, item.state) == ("second_dose", rid, "open")
        assert item.detail["why"] == "no_slot"
        assert item.detail["booking_id"] == two
        assert item.detail["first_slot_id"] == c.lonely
        actions = [e.action for e in await audit_entries(s, resident_id=rid)]
        assert "worklist.enqueue" in actions
        assert "booking.later_doses" in actions


async def test_a_full_slot_n_days_later_keeps_the_second_dose_and_its_seat(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s, moved_second_capacity=1)
        _, one, two = await _two_doses(s, c)
        other = await make_resident(s)
        await book_slot(s, resident_id=other, slot_id=c.moved_second, channel="phone", dose=2)
        await s.commit()
    async with sessions() as s:
        done = await reschedule(s, one, c.moved_first)
        await s.commit()
    (told,) = done.later
    assert (told.booking.booking_id, told.outcome, told.why) == (two, "not_moved", "slot_full")
    async with sessions() as s:
        assert await _booked(s, c.first, c.second, c.moved_first, c.moved_second) == [0, 1, 1, 1]
        assert await _items(s) == 1


async def test_a_full_first_slot_changes_nothing(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s)
        _, one, _ = await _two_doses(s, c)
        full = await _slot(s, c.venue, START + 3 * DAY, capacity=0)
        await _slot(s, c.venue, START + (3 + GAP) * DAY)
        await s.commit()
    async with sessions() as s:
        with pytest.raises(SlotFull):
            await reschedule(s, one, full)
        await s.rollback()
        assert await _booked(s, c.first, c.second) == [1, 1]
        assert await _items(s) == 0


async def test_cancel_of_the_first_dose_cancels_the_later_ones(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s)
        rid, one, two = await _two_doses(s, c)
        await s.commit()
    async with sessions() as s:
        done = await cancel(s, one, call_linkedid="c-2")
        await s.commit()
    assert done.booking.status == "cancelled"
    assert [(d.booking.booking_id, d.outcome, d.booking.status) for d in done.later] == [
        (two, "cancelled", "cancelled")
    ]
    async with sessions() as s:
        assert await _booked(s, c.first, c.second) == [0, 0]
        actions = [e.action for e in await audit_entries(s, resident_id=rid)]
        assert actions.count("booking.cancel") == 2
        assert "booking.later_doses" in actions
        again = await cancel(s, one)  # cancelled already: unchanged, nothing follows
        assert (again.booking.status, again.later) == ("cancelled", ())


async def test_cancel_of_the_second_dose_leaves_the_first(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s)
        rid, one, two = await _two_doses(s, c)
        await s.commit()
        done = await cancel(s, two)
        await s.commit()
        assert done.later == ()
        assert await _booked(s, c.first, c.second) == [1, 0]
        statuses = {b.booking_id: b.status for b in await bookings_of(s, rid)}
        assert statuses == {one: "booked", two: "cancelled"}


async def test_a_resident_without_a_second_dose_moves_alone(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s)
        rid = await make_resident(s)
        one = await book_slot(s, resident_id=rid, slot_id=c.first, channel="assigned")
        phoned = await make_resident(s)  # a second dose booked by phone is not the assignment's
        p1 = await book_slot(s, resident_id=phoned, slot_id=c.first, channel="phone")
        p2 = await book_slot(s, resident_id=phoned, slot_id=c.second, channel="phone", dose=2)
        await s.commit()
    async with sessions() as s:
        alone = await reschedule(s, one.booking_id, c.moved_first)
        kept = await reschedule(s, p1.booking_id, c.moved_first)
        await s.commit()
        assert (alone.booking.slot_id, alone.later) == (c.moved_first, ())
        assert kept.later == ()
        assert (await bookings_of(s, phoned))[-1].booking_id == p2.booking_id
        assert await _booked(s, c.first, c.second, c.moved_first, c.moved_second) == [0, 1, 2, 0]
        assert await _items(s) == 0
        actions = [e.action for e in await audit_entries(s, resident_id=rid)]
        assert "booking.later_doses" not in actions


async def test_two_moves_for_the_last_seat_n_days_later_give_one_move(sessions) -> None:
    async with sessions() as s:
        c = await _campaign(s, moved_second_capacity=1)
        _, a1, a2 = await _two_doses(s, c)
        _, b1, b2 = await _two_doses(s, c)
        await s.commit()

    async def move(booking_id: int) -> tuple[str, ...]:
        async with sessions() as s:
            done = await reschedule(s, booking_id, c.moved_first)
            await s.commit()
            return tuple(d.outcome for d in done.later)

    outcomes = await asyncio.gather(move(a1), move(b1))
    assert sorted(outcomes) == [("moved",), ("not_moved",)]
    async with sessions() as s:
        assert await _booked(s, c.second, c.moved_first, c.moved_second) == [1, 2, 1]
        seconds = await s.scalars(select(Booking.slot_id).where(Booking.id.in_((a2, b2))))
        assert sorted(seconds.all()) == sorted((c.second, c.moved_second))


async def test_an_assigned_rider_moves_only_to_a_pair_with_a_transport_seat(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    city = await make_city(sessions)
    async with sessions() as s:
        pair = await add_slot(s, city["mizo"], 7 * 24, 3, transport_seats=1, wheelchair=True)
        await run_assignment(s, Rules(as_of=dt.date(2026, 12, 1), second_dose_days=7),
                             commit=True)  # fmt: skip
        await s.commit()
        first, second = await bookings_of(s, city["rider"])
        assert (first.slot_id, second.slot_id, second.dose) == (city["mizo1"], pair, 2)
        bare = await add_slot(s, city["mizo"], 3, 3, transport_seats=1)
        await add_slot(s, city["mizo"], 7 * 24 + 3, 3)  # no transport seat
        rides = await add_slot(s, city["mizo"], 5, 3, transport_seats=1)
        rides_pair = await add_slot(s, city["mizo"], 7 * 24 + 5, 3, transport_seats=1)
        await s.commit()
    async with sessions() as s:
        held = await reschedule(s, first.booking_id, bare)
        await s.commit()
        (told,) = held.later
        assert (told.outcome, told.why, told.booking.slot_id) == (
            "not_moved", "no_transport_seat", pair)  # fmt: skip
        moved = await reschedule(s, first.booking_id, rides)
        await s.commit()
        assert [(d.outcome, d.booking.slot_id) for d in moved.later] == [("moved", rides_pair)]
        counts = [(await slot_support(s, x)).transport_booked
                  for x in (city["mizo1"], pair, bare, rides, rides_pair)]  # fmt: skip
        assert counts == [0, 0, 0, 1, 1]
