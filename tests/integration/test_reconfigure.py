"""Reconfiguration without code, on both databases: a dry run lists the affected bookings in
booking order with their conflict and a proposed slot; applying moves them or puts them on the
worklist, then makes the change; all audited."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select, update

from registry import reconfigure as rc
from registry import worklist as wl
from registry.assign.support import set_slot_support, slot_support
from registry.audit import audit_entries
from registry.bookings import book_slot, get_booking
from registry.changes import SlotsChanged, taken
from registry.errors import Conflict, InvalidInput, SlotStarted
from registry.mobility import create_mobility_request
from registry.models import Booking, SlotSupport, Venue
from registry.venues import create_slot, create_venue, get_slot
from tests.integration.test_bookings import make_resident

TZ = "Asia/Tokyo"
JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2031, 5, 1, 8, 0, tzinfo=JST)
DAY = dt.date(2031, 5, 12)


def at(hour: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), JST)


async def setup(s) -> dict:
    a = await create_venue(s, "中総合会館", "舞鶴市")
    b = await create_venue(s, "東体育館", "舞鶴市")
    s1 = await create_slot(s, a.venue_id, at(10), at(10) + dt.timedelta(minutes=30), 3)
    s2 = await create_slot(s, a.venue_id, at(11), at(11) + dt.timedelta(minutes=30), 2)
    s3 = await create_slot(s, b.venue_id, at(10), at(10) + dt.timedelta(minutes=30), 5)
    residents = [await make_resident(s, name=f"住民 {i}") for i in range(3)]
    bookings = []
    for rid in residents:
        made = await book_slot(s, resident_id=rid, slot_id=s1.slot_id, channel="phone")
        bookings.append(made.booking_id)
    await s.commit()
    taken(s)
    return {"a": a.venue_id, "b": b.venue_id, "s1": s1.slot_id, "s2": s2.slot_id,
            "s3": s3.slot_id, "residents": residents, "bookings": bookings}  # fmt: skip


async def test_lowering_capacity_previews_then_moves_in_booking_order(sessions):
    async with sessions() as s:
        w = await setup(s)
    change = rc.Change("capacity", slot_id=w["s1"], capacity=1)
    async with sessions() as s:
        plan = await rc.preview(s, change, tz=TZ, now=NOW)
    assert [a.booking_id for a in plan.affected] == w["bookings"][1:]  # first come, first kept
    assert {a.conflict for a in plan.affected} == {"over_capacity"}
    assert [a.proposed_slot_id for a in plan.affected] == [w["s2"], w["s2"]]  # same venue first
    assert plan.affected[0].resident_name == "住民 1"
    async with sessions() as s:
        done = await rc.apply(s, change, action="move", tz=TZ, operator_id=None, now=NOW)
        await s.commit()
        changed = taken(s)
    assert done.moved == ((w["bookings"][1], w["s2"]), (w["bookings"][2], w["s2"]))
    async with sessions() as s:
        slot = await get_slot(s, w["s1"])
        assert (slot.capacity, slot.booked) == (1, 1)
        assert (await get_slot(s, w["s2"])).booked == 2
        items = await wl.list_items(s, now=NOW)
        entries = await audit_entries(s)
    assert sorted(i.detail["moved_to"] for i in items) == [w["s2"], w["s2"]]
    assert {i.reason for i in items} == {"slot_changed"}
    assert "slot.reconfigure" in [e.action for e in entries]
    assert any(isinstance(c, SlotsChanged) and w["s1"] in c.slot_ids for c in changed)


async def test_closing_a_slot_puts_its_bookings_on_the_worklist_with_a_proposal(sessions):
    async with sessions() as s:
        w = await setup(s)
    change = rc.Change("close_slot", slot_id=w["s1"])
    async with sessions() as s:
        done = await rc.apply(s, change, action="worklist", tz=TZ, now=NOW)
        await s.commit()
    assert done.moved == ()
    assert len(done.queued) == 3
    async with sessions() as s:
        slot = await get_slot(s, w["s1"])
        assert (slot.capacity, slot.booked) == (0, 0)
        statuses = [(await get_booking(s, b)).status for b in w["bookings"]]
        items = [await wl.get_item(s, i) for i in done.queued]
    assert statuses == ["cancelled"] * 3
    # two seats left at the same venue, then the other venue at the same hour
    assert [i.proposed_slot_id for i in items] == [w["s2"], w["s2"], w["s3"]]
    assert [i.resident_id for i in items] == w["residents"]
    assert {i.detail["conflict"] for i in items} == {"slot_closed"}
    async with sessions() as s:  # applying the same change again finds nothing left to do
        again = await rc.apply(s, change, action="worklist", tz=TZ, now=NOW)
    assert again.plan.affected == ()


async def test_a_full_target_falls_back_to_the_worklist(sessions):
    async with sessions() as s:
        w = await setup(s)
    change = rc.Change("capacity", slot_id=w["s1"], capacity=0)
    async with sessions() as s:
        done = await rc.apply(s, change, action="move", target_slot_id=w["s2"], tz=TZ, now=NOW)
        await s.commit()
    assert [m[0] for m in done.moved] == w["bookings"][:2]  # s2 had two seats
    async with sessions() as s:
        third = await get_booking(s, w["bookings"][2])
        items = [await wl.get_item(s, i) for i in done.queued]
    assert third.status == "cancelled"
    assert "moved_to" not in items[2].detail
    with pytest.raises(InvalidInput) as bad:
        async with sessions() as s:
            await rc.apply(s, change, action="move", target_slot_id=w["s1"], tz=TZ, now=NOW)
    assert bad.value.field == "target_slot_id"


async def test_closing_a_venue_and_moving_its_day(sessions):
    async with sessions() as s:
        w = await setup(s)
    async with sessions() as s:
        plan = await rc.preview(s, rc.Change("close_venue", venue_id=w["a"]), tz=TZ, now=NOW)
    assert set(plan.slot_ids) == {w["s1"], w["s2"]}
    assert [a.proposed_slot_id for a in plan.affected] == [w["s3"]] * 3  # the other venue
    moved_day = DAY + dt.timedelta(days=2)
    change = rc.Change("move_day", venue_id=w["a"], day=DAY, to_day=moved_day)
    async with sessions() as s:
        done = await rc.apply(s, change, action="worklist", tz=TZ, now=NOW)
        await s.commit()
    async with sessions() as s:
        slot = await get_slot(s, w["s1"])
        booking = await get_booking(s, w["bookings"][0])
        items = [await wl.get_item(s, i) for i in done.queued]
    assert slot.starts_at == at(10, moved_day).astimezone(dt.UTC)
    assert booking.status == "booked"  # the booking follows its slot
    assert {i.detail["to_day"] for i in items} == {moved_day.isoformat()}
    async with sessions() as s:
        await rc.apply(s, rc.Change("close_venue", venue_id=w["a"]), action="move", tz=TZ,
                       now=NOW)  # fmt: skip
        await s.commit()
        active = await s.scalar(select(Venue.active).where(Venue.id == w["a"]))
        s3 = await get_slot(s, w["s3"])
    assert active is False
    assert s3.booked == 3


async def test_bad_changes_name_the_field(sessions):
    async with sessions() as s:
        for change, field in (
            (rc.Change("paint"), "kind"),
            (rc.Change("capacity", slot_id=1), "capacity"),
            (rc.Change("move_day", venue_id=1, day=DAY), "to_day"),
        ):
            with pytest.raises(InvalidInput) as bad:
                await rc.preview(s, change, tz=TZ, now=NOW)
            assert bad.value.field == field


async def check_in(sessions, booking_ids: list[int], when: dt.datetime) -> None:
    async with sessions() as s:
        await s.execute(
            update(Booking).where(Booking.id.in_(booking_ids)).values(checked_in_at=when)
        )
        await s.commit()


async def test_checked_in_bookings_are_kept_and_count_against_the_new_capacity(sessions):
    async with sessions() as s:
        w = await setup(s)
    soon = at(10) - dt.timedelta(minutes=5)  # the reception opens before the slot starts
    await check_in(sessions, w["bookings"][1:], soon - dt.timedelta(minutes=10))
    change = rc.Change("capacity", slot_id=w["s1"], capacity=2)
    async with sessions() as s:
        done = await rc.apply(s, change, action="worklist", tz=TZ, now=soon)
        await s.commit()
    assert [a.booking_id for a in done.plan.affected] == w["bookings"][:1]
    async with sessions() as s:
        statuses = [(await get_booking(s, b)).status for b in w["bookings"]]
        slot = await get_slot(s, w["s1"])
    assert statuses == ["cancelled", "booked", "booked"]
    assert (slot.capacity, slot.booked) == (2, 2)


async def test_a_change_that_would_take_a_checked_in_seat_is_refused(sessions):
    async with sessions() as s:
        w = await setup(s)
    soon = at(10) - dt.timedelta(minutes=5)
    await check_in(sessions, w["bookings"], soon - dt.timedelta(minutes=10))
    for change in (
        rc.Change("capacity", slot_id=w["s1"], capacity=1),
        rc.Change("close_slot", slot_id=w["s1"]),
        rc.Change("close_venue", venue_id=w["a"]),
    ):
        async with sessions() as s:
            with pytest.raises(Conflict) as refused:
                await rc.apply(s, change, action="worklist", tz=TZ, now=soon)
        assert refused.value.details["slot_ids"] == [w["s1"]]
        assert refused.value.details["checked_in"] == 3
    async with sessions() as s:
        statuses = {(await get_booking(s, b)).status for b in w["bookings"]}
        assert (await get_slot(s, w["s1"])).capacity == 3
    assert statuses == {"booked"}


async def test_a_slot_that_has_started_cannot_be_cut_or_closed(sessions):
    async with sessions() as s:
        w = await setup(s)
    started = at(10) + dt.timedelta(minutes=1)
    for change in (
        rc.Change("capacity", slot_id=w["s1"], capacity=1),
        rc.Change("close_slot", slot_id=w["s1"]),
    ):
        async with sessions() as s:
            with pytest.raises(SlotStarted) as refused:
                await rc.preview(s, change, tz=TZ, now=started)
        assert refused.value.details["slot_id"] == w["s1"]
    async with sessions() as s:  # closing the venue leaves its started slots alone
        plan = await rc.preview(s, rc.Change("close_venue", venue_id=w["a"]), tz=TZ, now=started)
    assert plan.slot_ids == (w["s2"],)
    assert plan.affected == ()


async def test_a_day_cannot_be_moved_into_the_past(sessions):
    async with sessions() as s:
        w = await setup(s)
    today = NOW.date()
    for to_day, now in (
        (today - dt.timedelta(days=1), NOW),
        (today, at(10, today) + dt.timedelta(minutes=30)),  # today, but 10:00 has passed
    ):
        change = rc.Change("move_day", venue_id=w["a"], day=DAY, to_day=to_day)
        async with sessions() as s:
            with pytest.raises(InvalidInput) as bad:
                await rc.apply(s, change, action="worklist", tz=TZ, now=now)
        assert bad.value.field == "to_day"
    async with sessions() as s:  # later today is fine
        change = rc.Change("move_day", venue_id=w["a"], day=DAY, to_day=today)
        plan = await rc.preview(s, change, tz=TZ, now=NOW)
        assert (await get_slot(s, w["s1"])).starts_at == at(10).astimezone(dt.UTC)
    assert len(plan.affected) == 3


async def test_a_day_that_has_started_or_has_check_ins_cannot_be_moved(sessions):
    async with sessions() as s:
        w = await setup(s)
    change = rc.Change("move_day", venue_id=w["a"], day=DAY, to_day=DAY + dt.timedelta(days=1))
    async with sessions() as s:
        with pytest.raises(SlotStarted) as started:
            await rc.preview(s, change, tz=TZ, now=at(10) + dt.timedelta(minutes=1))
    assert started.value.details["slot_id"] == w["s1"]
    soon = at(10) - dt.timedelta(minutes=5)
    await check_in(sessions, w["bookings"][:1], soon)
    async with sessions() as s:
        with pytest.raises(Conflict) as came:
            await rc.apply(s, change, action="worklist", tz=TZ, now=soon)
    assert came.value.details["slot_ids"] == [w["s1"]]


async def test_a_day_is_not_moved_onto_a_day_the_venue_already_has_slots(sessions):
    async with sessions() as s:
        w = await setup(s)
        to_day = DAY + dt.timedelta(days=1)
        there = await create_slot(s, w["a"], at(14, to_day), at(15, to_day), 4)
        await s.commit()
    change = rc.Change("move_day", venue_id=w["a"], day=DAY, to_day=to_day)
    for run in (rc.preview, rc.apply):
        extra = {"action": "worklist"} if run is rc.apply else {}
        async with sessions() as s:
            with pytest.raises(Conflict) as taken_day:
                await run(s, change, tz=TZ, now=NOW, **extra)
        assert taken_day.value.details["slot_ids"] == [there.slot_id]
    async with sessions() as s:
        assert (await get_slot(s, w["s1"])).starts_at == at(10).astimezone(dt.UTC)


async def needy(sessions, w: dict) -> dict:
    """Booking 1 holds a transport seat, booking 2's resident needs a wheelchair; at venue a a
    slot at 9:30 with all the help (too soon at 9:15), at venue b one at 12:00 with all of it
    and one at 9:00 (started)."""
    async with sessions() as s:
        await set_slot_support(s, w["s1"], transport_seats=1)
        await s.execute(update(SlotSupport).where(SlotSupport.slot_id == w["s1"])
                        .values(transport_booked=1))  # fmt: skip
        await s.execute(
            update(Booking).where(Booking.id == w["bookings"][1]).values(transport=True)
        )
        await create_mobility_request(s, resident_id=w["residents"][2], pickup_address="",
                                      wheelchair=True)  # fmt: skip
        soon = await create_slot(s, w["a"], at(9) + dt.timedelta(minutes=30), at(10), 5)
        helped = await create_slot(s, w["b"], at(12), at(12) + dt.timedelta(minutes=30), 5)
        started = await create_slot(s, w["b"], at(9), at(9) + dt.timedelta(minutes=30), 5)
        for slot in (soon, helped, started):
            await set_slot_support(s, slot.slot_id, transport_seats=2, wheelchair=True)
        await s.commit()
    return {"soon": soon.slot_id, "helped": helped.slot_id, "started": started.slot_id,
            "now": at(9) + dt.timedelta(minutes=15)}  # fmt: skip


async def test_proposals_name_only_slots_the_booking_can_take_in_time(sessions):
    async with sessions() as s:
        w = await setup(s)
    n = await needy(sessions, w)
    change = rc.Change("close_slot", slot_id=w["s1"])
    async with sessions() as s:
        plan = await rc.preview(s, change, tz=TZ, now=n["now"])
    # the plain booking stays at its venue but not in the slot starting too soon; the rider
    # and the wheelchair go where there is a transport seat and wheelchair access
    assert [a.proposed_slot_id for a in plan.affected] == [w["s2"], n["helped"], n["helped"]]
    async with sessions() as s:
        done = await rc.apply(s, change, action="move", tz=TZ, now=n["now"])
        await s.commit()
    assert done.moved == tuple(zip(w["bookings"], [w["s2"], n["helped"], n["helped"]],
                                   strict=True))  # fmt: skip
    async with sessions() as s:
        assert (await slot_support(s, n["helped"])).transport_booked == 1
        assert (await slot_support(s, w["s1"])).transport_booked == 0


async def test_a_move_the_target_refuses_puts_that_booking_on_the_worklist(sessions):
    async with sessions() as s:
        w = await setup(s)
    n = await needy(sessions, w)
    change = rc.Change("close_slot", slot_id=w["s1"])
    async with sessions() as s:  # s2 has no transport seat and no wheelchair access
        done = await rc.apply(s, change, action="move", target_slot_id=w["s2"], tz=TZ,
                              now=n["now"])  # fmt: skip
        await s.commit()
    assert done.moved == ((w["bookings"][0], w["s2"]),)
    async with sessions() as s:
        statuses = [(await get_booking(s, b)).status for b in w["bookings"]]
        items = [await wl.get_item(s, i) for i in done.queued]
    assert statuses == ["booked", "cancelled", "cancelled"]
    assert ["moved_to" in i.detail for i in items] == [True, False, False]
    for target in (n["started"], n["soon"]):
        async with sessions() as s:
            done = await rc.apply(s, rc.Change("close_slot", slot_id=w["s2"]), action="move",
                                  target_slot_id=target, tz=TZ, now=n["now"])  # fmt: skip
        assert done.moved == ()
        assert len(done.queued) == 1


async def test_moves_are_not_logged_as_done_before_the_caller_commits(sessions, caplog):
    async with sessions() as s:
        w = await setup(s)
    caplog.set_level(logging.DEBUG, "registry")
    async with sessions() as s:
        done = await rc.apply(s, rc.Change("capacity", slot_id=w["s1"], capacity=1),
                              action="move", tz=TZ, now=NOW)  # fmt: skip
        await s.rollback()  # the web layer rolls back when anything fails
    assert len(done.moved) == 2
    told = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert [m for m in told if "moved" in m] == []
    assert any("planned" in r.getMessage() for r in caplog.records)
