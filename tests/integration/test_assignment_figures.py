"""The board's designated-appointment figures against real rows (SQLite and PostgreSQL): intents
by channel, assigned per venue and local day, to assign and cannot assign before and after a
committed run, and after the call center books or cancels."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.board import BoardService
from cti_server.domain.tracker import Tracker
from registry.assign.run import run_assignment
from registry.assign.solver import Rules
from registry.bookings import book_slot, bookings_of, cancel_booking
from registry.figures import (
    AssignedDay,
    AssignmentStatus,
    IntentChannels,
    assigned_by_day,
    assignment_status,
    intents_by_channel,
)
from registry.intents import record_intent
from tests.integration.assign_city import START, make_city
from tests.integration.test_bookings import make_resident
from tests.integration.web_helpers import make_settings

TZ = "Asia/Tokyo"
RULES = Rules(as_of=dt.date(2026, 12, 1))


def _day(hours: int) -> dt.date:
    return (START + dt.timedelta(hours=hours)).astimezone(ZoneInfo(TZ)).date()


async def test_assignment_figures_follow_the_run_and_the_call_center(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    city = await make_city(sessions)
    async with sessions() as s:
        # a second resident of 溝尻 needing transport: the one transport seat goes to the first
        second = await make_resident(s, birth=dt.date(1936, 1, 1), address="京都府舞鶴市溝尻9")
        await record_intent(s, resident_id=second, wants_vaccination=True, needs_mobility=True,
                            channel="phone")  # fmt: skip
        await make_resident(s, birth=dt.date(1950, 1, 1))  # no answer yet
        await s.commit()
    today = START.astimezone(ZoneInfo(TZ)).date() - dt.timedelta(days=2)
    async with sessions() as s:
        assert await intents_by_channel(s) == IntentChannels(postcard=3, web=1, phone=1,
                                                             none_yet=1)  # fmt: skip
        assert await assignment_status(s) == AssignmentStatus(to_assign=4)
        assert await assigned_by_day(s, today, TZ) == []

    async with sessions() as s:
        report = await run_assignment(s, RULES, commit=True)
        await s.commit()
    assert (report.assigned, report.not_assigned) == (3, 1)

    async with sessions() as s:
        status = await assignment_status(s)
        days = await assigned_by_day(s, today, TZ)
    assert (status.to_assign, status.cannot_assign) == (1, 1)
    assert status.reasons == {"no_transport_seats": 1}
    assert status.last_run_at is not None
    assert status.last_run_at.tzinfo is not None
    assert abs(status.last_run_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    hama_days = {_day(0), _day(1)}  # hama1 and hama2 (the same day unless midnight is between)
    expected = [AssignedDay(city["mizo"], "溝尻会場", _day(0), assigned=1, booked=1, capacity=3)]
    if len(hama_days) == 1:
        expected.append(AssignedDay(city["hama"], "浜会場", _day(0), 2, 2, 4))
    else:
        expected.append(AssignedDay(city["hama"], "浜会場", _day(0), 2, 2, 2))
    assert days == sorted(expected, key=lambda d: (d.day, d.venue))
    # from a later day on, nothing is assigned
    async with sessions() as s:
        assert await assigned_by_day(s, max(hama_days) + dt.timedelta(days=1), TZ) == []

    # the call center books the one left over by phone: nobody waits, so nobody "cannot" (the
    # run's reasons are kept as it counted them); a phone booking is not an assigned one
    async with sessions() as s:
        await book_slot(s, resident_id=second, slot_id=city["mizo1"], channel="phone")
        await s.commit()
    async with sessions() as s:
        status = await assignment_status(s)
        days = await assigned_by_day(s, today, TZ)
    assert (status.to_assign, status.cannot_assign) == (0, 0)
    assert status.reasons == {"no_transport_seats": 1}
    mizo = next(d for d in days if d.venue_id == city["mizo"])
    assert (mizo.assigned, mizo.booked) == (1, 2)

    # an assigned booking cancelled: one fewer assigned, the resident waits again; the run's
    # count is not per resident, it is bounded by those waiting
    async with sessions() as s:
        husband = (await bookings_of(s, city["husband"]))[0]
        await cancel_booking(s, husband.booking_id)
        await s.commit()
    async with sessions() as s:
        status = await assignment_status(s)
        days = await assigned_by_day(s, today, TZ)
    assert (status.to_assign, status.cannot_assign) == (1, 1)
    assert sum(d.assigned for d in days if d.venue_id == city["hama"]) == 1


async def test_the_board_carries_the_assignment_figures_with_their_definitions(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    city = await make_city(sessions)
    async with sessions() as s:
        await run_assignment(s, RULES, commit=True)
        await s.commit()
    board = BoardService(make_settings(db_url), sessions, Tracker())
    assert board.snapshot().assignment is None  # not read yet
    await board.reload_bookings()
    shown = board.snapshot()
    figures = shown.assignment
    assert figures is not None
    assert (figures.to_assign, figures.cannot_assign, figures.reasons) == (0, 0, {})
    assert figures.last_run_at is not None
    assert figures.last_run_at.endswith("+00:00")
    assert {(d.venue_id, d.assigned) for d in figures.days} >= {(city["mizo"], 1)}
    assert sum(d.assigned for d in figures.days) == 3
    assert all(d.day == _day(0).isoformat() or d.day == _day(1).isoformat() for d in figures.days)
    for key in ("assigned", "to_assign", "cannot_assign", "intents"):
        assert shown.definitions[key].en
        assert shown.definitions[key].ja
    # the wire round trip keeps it
    wire = protocol.decode(board.encode(shown))
    assert isinstance(wire, protocol.BoardUpdate)
    assert wire.board.assignment == figures
    await board.close()


async def _settled(board: BoardService) -> None:
    while board._bookings_task is not None and not board._bookings_task.done():
        await board._bookings_task


async def test_a_booking_change_rereads_the_whole_ledger_figures_at_most_every_interval(
    sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    city = await make_city(sessions)
    board = BoardService(make_settings(db_url), sessions, Tracker(), ledger_interval=2.0)
    await board.reload_bookings()
    assert board.assignment is not None
    assert board.assignment.to_assign == 3
    async with sessions() as s:
        await book_slot(s, resident_id=city["wife"], slot_id=city["hama2"], channel="phone")
        await s.commit()
    reads: list[bool] = []
    read = asyncio.Event()
    reload = board.reload_bookings

    async def counted(*, ledger: bool = True) -> None:
        await reload(ledger=ledger)
        reads.append(ledger)
        read.set()

    board.reload_bookings = counted  # type: ignore[method-assign]
    board.bookings_changed()
    await read.wait()
    assert reads == [False]  # the fill and the tallies only
    assert sum(f.booked for f in board.bookings) == 1
    assert board.assignment.to_assign == 3  # kept until the interval has passed
    await _settled(board)  # then reread, without another change
    assert reads == [False, True]
    assert board.assignment.to_assign == 2
    assert board.intents == protocol.IntentsByChannel(postcard=3, web=1, phone=0, none_yet=0)
    await board.close()
