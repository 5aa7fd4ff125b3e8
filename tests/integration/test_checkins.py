"""Check-in at a venue's reception (registry.checkins, registry.venue_day) on both databases:
every outcome of a scan, the resend of one scan, two desks scanning one barcode at once, the
tally and the no-shows."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.audit import audit_entries, verify_chain
from registry.checkins import (
    CheckinRules,
    Scan,
    ScanIdReused,
    check_in,
    check_in_many,
    walk_in,
)
from registry.errors import InvalidInput
from registry.models import Booking, CheckinScan
from registry.normalize.barcode import make_barcode
from registry.venue_day import day_list, no_shows, tally
from registry.views import as_utc
from tests.integration.venue_day import Day, build_day, tokyo

RULES = CheckinRules(tz="Asia/Tokyo", early_minutes=60, late_minutes=30, walk_ins=True)


@pytest.fixture
async def day(sessions) -> Day:
    async with sessions() as s:
        return await build_day(s, dt.date(2026, 12, 4))


async def scan(sessions, day: Day, code: str, scan_id: str, desk: str = "受付1", **kw):
    async with sessions() as s:
        result = await check_in(
            s, scan_id=scan_id, barcode=code, venue_id=kw.pop("venue", day.venue), desk=desk,
            operator_id=None, rules=kw.pop("rules", RULES), now=kw.pop("now", day.now), **kw,
        )  # fmt: skip
        await s.commit()
        return result


async def test_checked_in_with_masked_name_slot_and_mobility(sessions, day):
    r = await scan(sessions, day, day.barcodes["mobility"], "s-1")
    assert r.outcome == "checked_in"
    assert r.name == "佐藤 花●"
    assert r.slot_id == day.slot_now
    assert r.mobility == ("pickup", "wheelchair")
    assert r.mobility_label == "送迎あり・車いす"
    assert r.checked_in_at == day.now
    assert r.checked_in_desk == "受付1"
    async with sessions() as s:
        b = await s.scalar(select(Booking).where(Booking.id == r.booking_id))
        assert b is not None
        assert b.checked_in_desk == "受付1"
        entries = await audit_entries(s, resident_id=day.residents["mobility"])
    assert entries[0].action == "checkin.scan"
    assert entries[0].details["outcome"] == "checked_in"


async def test_full_width_digits_and_dashes_are_read(sessions, day):
    code = day.barcodes["ok"]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code[:6]) + "-" + code[6:]
    r = await scan(sessions, day, wide, "s-wide")
    assert r.outcome == "checked_in"


async def test_already_checked_in_says_when_and_which_desk(sessions, day):
    first = await scan(sessions, day, day.barcodes["ok"], "s-a", desk="受付1")
    later = day.now + dt.timedelta(minutes=3)
    again = await scan(sessions, day, day.barcodes["ok"], "s-b", desk="受付2", now=later)
    assert first.outcome == "checked_in"
    assert again.outcome == "already_checked_in"
    assert again.checked_in_at == day.now
    assert again.checked_in_desk == "受付1"
    assert not again.replayed


async def test_wrong_venue_names_where_they_should_be(sessions, day):
    r = await scan(sessions, day, day.barcodes["other_venue"], "s-v")
    assert r.outcome == "wrong_venue"
    assert r.venue_id == day.other
    assert r.venue_name.startswith("西会場")
    assert r.checked_in_at is None


async def test_wrong_slot_and_wrong_day_say_when(sessions, day):
    later = await scan(sessions, day, day.barcodes["later"], "s-l")
    assert later.outcome == "wrong_slot"
    assert later.slot_id == day.slot_later
    assert later.starts_at is not None
    assert later.starts_at.hour == 5  # 14:00 in Tokyo
    tomorrow = await scan(sessions, day, day.barcodes["tomorrow"], "s-t")
    assert tomorrow.outcome == "wrong_day"
    assert tomorrow.slot_id == day.slot_tomorrow
    # the same resident lets in at 13:10, within the hour before the slot
    at_one = day.now + dt.timedelta(hours=3, minutes=5)
    ok = await scan(sessions, day, day.barcodes["later"], "s-l2", now=at_one)
    assert ok.outcome == "checked_in"


async def test_no_booking_offers_walk_in_slots_when_allowed(sessions, day):
    r = await scan(sessions, day, day.barcodes["none"], "s-n")
    assert r.outcome == "no_booking"
    offered = [s.slot_id for s in r.walk_in_slots]
    assert offered == [day.slot_now]  # not the ended one, not tomorrow's
    # nor 14:00 (a booking for later: its check-in now would say "not your time"); from
    # 13:00, an hour before it starts (``early_minutes``), it is offered
    at_one = day.now + dt.timedelta(hours=2, minutes=55)  # 13:00 in Tokyo
    r1 = await scan(sessions, day, day.barcodes["none"], "s-n1", now=at_one)
    assert [s.slot_id for s in r1.walk_in_slots] == [day.slot_later]
    closed = CheckinRules(walk_ins=False)
    r2 = await scan(sessions, day, day.barcodes["none"], "s-n2", rules=closed)
    assert r2.outcome == "no_booking"
    assert r2.walk_in_slots == ()


async def test_walk_in_books_and_checks_in(sessions, day):
    async with sessions() as s:
        r = await walk_in(
            s, scan_id="w-1", barcode=day.barcodes["none"], slot_id=day.slot_now,
            venue_id=day.venue, desk="受付1", operator_id=None, rules=RULES, now=day.now,
        )  # fmt: skip
        await s.commit()
    assert r.outcome == "checked_in"
    assert r.slot_id == day.slot_now
    async with sessions() as s:
        channel = await s.scalar(select(Booking.channel).where(Booking.id == r.booking_id))
        assert channel == "walk_in"
        with pytest.raises(InvalidInput) as err:
            await walk_in(
                s, scan_id="w-2", barcode=day.barcodes["none"], slot_id=day.slot_past,
                venue_id=day.venue, desk="受付1", operator_id=None, rules=RULES, now=day.now,
            )  # fmt: skip
        assert err.value.field == "slot_id"


async def test_unknown_and_mistyped_barcodes_are_told_apart(sessions, day):
    unknown = await scan(sessions, day, make_barcode(9_999_999), "s-u")
    assert unknown.outcome == "unknown_barcode"
    assert unknown.resident_id is None
    typo = await scan(sessions, day, day.mistyped("ok"), "s-m")
    assert typo.outcome == "mistyped_barcode"
    short = await scan(sessions, day, "12345", "s-m2")
    assert short.outcome == "mistyped_barcode"
    async with sessions() as s:
        came = await s.scalar(select(Booking.checked_in_at).where(
            Booking.resident_id == day.residents["ok"]))  # fmt: skip
    assert came is None


async def test_a_resent_scan_gives_the_first_answer_once(sessions, day):
    first = await scan(sessions, day, day.barcodes["ok"], "s-same")
    again = await scan(sessions, day, day.barcodes["ok"], "s-same", desk="受付2",
                       now=day.now + dt.timedelta(minutes=9))  # fmt: skip
    assert again.replayed
    assert again.outcome == first.outcome == "checked_in"
    assert again.checked_in_at == first.checked_in_at
    assert again.checked_in_desk == "受付1"
    async with sessions() as s:
        n = await s.scalar(select(func.count()).select_from(CheckinScan))
        audits = await audit_entries(s, resident_id=day.residents["ok"])
    assert n == 1
    assert [a.action for a in audits if a.action.startswith("checkin")] == ["checkin.scan"]


async def test_a_scan_id_used_before_for_another_scan_is_refused_not_replayed(sessions, day):
    """A resend is the same scan (the same barcode, however typed, at the same venue): another
    venue's desk, or another postcard, under an id already stored is refused, and gets neither
    the first scan's answer (another resident's name and booking) nor a check-in."""
    first = await scan(sessions, day, day.barcodes["ok"], "s-reused")
    assert first.outcome == "checked_in"
    spaced = " ".join(day.barcodes["ok"]).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    again = await scan(sessions, day, spaced, "s-reused", desk="受付2")
    assert again.replayed  # the same postcard, typed otherwise: a resend
    with pytest.raises(ScanIdReused, match="used before for another scan"):
        await scan(sessions, day, day.barcodes["other_venue"], "s-reused", venue=day.other)
    with pytest.raises(ScanIdReused):
        await scan(sessions, day, day.barcodes["mobility"], "s-reused")
    async with sessions() as s:
        n = await s.scalar(select(func.count()).select_from(CheckinScan))
        checked = await s.scalar(
            select(Booking.checked_in_at).where(Booking.resident_id == day.residents["mobility"])
        )
    assert n == 1
    assert checked is None
    fresh = await scan(sessions, day, day.barcodes["mobility"], "s-new")
    assert fresh.outcome == "checked_in"  # under a new id, the same scan goes through


async def test_two_desks_scanning_one_barcode_at_once(sessions, day):
    code = day.barcodes["race"]
    results = await asyncio.gather(
        *(scan(sessions, day, code, f"desk{i}-1", desk=f"受付{i}") for i in range(1, 5))
    )
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["already_checked_in"] * 3 + ["checked_in"]
    winner = next(r for r in results if r.outcome == "checked_in")
    for r in results:
        assert r.checked_in_desk == winner.checked_in_desk


async def test_the_same_scan_sent_twice_at_once_counts_once(sessions, day):
    code = day.barcodes["extra1"]
    results = await asyncio.gather(*(scan(sessions, day, code, "dup-1") for _ in range(3)))
    assert {r.outcome for r in results} == {"checked_in"}
    async with sessions() as s:
        n = await s.scalar(select(func.count()).select_from(CheckinScan))
    assert n == 1


async def test_scans_answered_together_as_one_after_the_other(sessions, day):
    """One batch of desks' scans: each its own outcome, one barcode twice (the second is told
    the first desk's check-in), one scan id twice (the first answer again), all stored once
    and audited in one unbroken chain, against the same answers one by one."""
    code = day.barcodes["race"]
    scans = [
        Scan("b-1", code, day.venue, "受付1", None, now=day.now),
        Scan("b-2", day.barcodes["later"], day.venue, "受付2", None, now=day.now),
        Scan("b-3", code, day.venue, "受付2", None, now=day.now),
        Scan("b-4", day.mistyped("ok"), day.venue, "受付3", None, now=day.now),
        Scan("b-1", code, day.venue, "受付1", None, now=day.now),
        Scan("b-5", day.barcodes["none"], day.venue, "受付3", None, now=day.now),
        Scan("b-6", day.barcodes["other_venue"], day.venue, "受付1", None, now=day.now),
        Scan("b-7", day.barcodes["ok"], day.venue, "受付1", None, now=day.now),
    ]
    async with sessions() as s:
        got = await check_in_many(s, scans, rules=RULES)
        await s.commit()
    assert [r.outcome for r in got] == [
        "checked_in", "wrong_slot", "already_checked_in", "mistyped_barcode", "checked_in",
        "no_booking", "wrong_venue", "checked_in",
    ]  # fmt: skip
    assert [r.replayed for r in got] == [False] * 4 + [True] + [False] * 3
    assert got[2].checked_in_desk == got[0].checked_in_desk == "受付1"
    assert got[2].checked_in_at == got[0].checked_in_at == day.now
    assert got[4] == dataclasses.replace(got[0], replayed=True)
    assert got[5].walk_in_slots
    async with sessions() as s:
        stored = (await s.execute(select(CheckinScan.scan_id, CheckinScan.outcome)
                                  .order_by(CheckinScan.id))).all()  # fmt: skip
        came = (await s.execute(select(Booking.resident_id, Booking.checked_in_at,
                                       Booking.checked_in_desk)
                                .where(Booking.checked_in_at.is_not(None)))).all()  # fmt: skip
        entries = await audit_entries(s, limit=20)
        chain = await verify_chain(s)
    assert [tuple(r) for r in stored] == [
        ("b-1", "checked_in"), ("b-2", "wrong_slot"), ("b-3", "already_checked_in"),
        ("b-4", "mistyped_barcode"), ("b-5", "no_booking"), ("b-6", "wrong_venue"),
        ("b-7", "checked_in"),
    ]  # fmt: skip
    assert {(r, as_utc(at), d) for r, at, d in came} == {
        (day.residents["race"], day.now, "受付1"), (day.residents["ok"], day.now, "受付1"),
    }  # fmt: skip
    scanned = [e.details["scan_id"] for e in reversed(entries) if e.action == "checkin.scan"]
    assert scanned == ["b-1", "b-2", "b-3", "b-4", "b-5", "b-6", "b-7"]
    assert chain.ok
    assert chain.entries >= 7
    again = await scan(sessions, day, code, "b-3", desk="受付4")
    assert again == dataclasses.replace(got[2], replayed=True)
    async with sessions() as s:  # a resend among new scans: only the new ones count
        mixed = await check_in_many(s, [
            Scan("b-9", day.barcodes["mobility"], day.venue, "受付2", None, now=day.now),
            Scan("b-2", day.barcodes["later"], day.venue, "受付4", None, now=day.now),
        ], rules=RULES)  # fmt: skip
        await s.commit()
    assert [(r.outcome, r.replayed) for r in mixed] == [("checked_in", False), ("wrong_slot", True)]
    assert mixed[1] == dataclasses.replace(got[1], replayed=True)
    async with sessions() as s:
        n = await s.scalar(select(func.count()).select_from(CheckinScan))
        entries = await audit_entries(s, limit=20)
        assert (await verify_chain(s)).ok
    assert n == 8
    assert [e.details["scan_id"] for e in entries if e.action == "checkin.scan"][:2] == [
        "b-9", "b-7"]  # fmt: skip


async def test_a_batch_after_a_lone_scan_of_the_same_postcard(sessions, day):
    """A desk checked the resident in on its own; a batch with the same barcode twice hears
    it from the database, with that desk's time."""
    first = await scan(sessions, day, day.barcodes["extra1"], "l-1", desk="受付9")
    async with sessions() as s:
        got = await check_in_many(s, [
            Scan(f"l-{n}", day.barcodes["extra1"], day.venue, "受付1", None, now=day.now)
            for n in (2, 3)
        ], rules=RULES)  # fmt: skip
        await s.commit()
    assert [r.outcome for r in got] == ["already_checked_in"] * 2
    assert {(r.checked_in_desk, r.checked_in_at) for r in got} == {("受付9", first.checked_in_at)}


async def test_scan_time_from_the_page_counts(sessions, day):
    queued = day.now - dt.timedelta(minutes=2)
    r = await scan(sessions, day, day.barcodes["extra2"], "s-q", scanned_at=queued,
                   now=day.now + dt.timedelta(minutes=40))  # fmt: skip
    assert r.outcome == "checked_in"
    assert r.checked_in_at == queued


async def test_tally_and_no_shows(sessions, day):
    await scan(sessions, day, day.barcodes["ok"], "t-1")
    await scan(sessions, day, day.barcodes["mobility"], "t-2")
    async with sessions() as s:
        rows = await tally(s, day=dt.date(2026, 12, 4), venue_id=day.venue, now=day.now)
        shows = await no_shows(s, day=dt.date(2026, 12, 4), now=day.now)
        listing = await day_list(s, day=dt.date(2026, 12, 4), venue_id=day.venue, now=day.now)
    by_slot = {r.slot_id: r for r in rows}
    assert set(by_slot) == {day.slot_now, day.slot_past, day.slot_later}
    now_slot = by_slot[day.slot_now]
    assert (now_slot.booked, now_slot.checked_in, now_slot.not_yet, now_slot.no_show) == (
        5, 2, 3, 0)  # fmt: skip
    past = by_slot[day.slot_past]
    assert (past.booked, past.checked_in, past.not_yet, past.no_show) == (1, 0, 0, 1)
    assert [n.resident_id for n in shows] == [day.residents["past"]]
    assert shows[0].slot_id == day.slot_past
    states = {e.name: e.state for e in listing}
    assert states["髙橋 一郎"] == "checked_in"
    assert states["山本 六子"] == "no_show"
    assert states["田中 三郎"] == "not_yet"


async def test_desk_search_by_name_and_birth(sessions, day):
    from registry.venue_day import desk_search

    async with sessions() as s:
        found = await desk_search(s, name="高橋", birth=dt.date(1941, 5, 3), venue_id=day.venue,
                                  day=dt.date(2026, 12, 4))  # fmt: skip
        by_kana = await desk_search(s, name="たかはし", birth=dt.date(1941, 5, 3),
                                    venue_id=day.venue, day=dt.date(2026, 12, 4))  # fmt: skip
        wrong_birth = await desk_search(s, name="高橋", birth=dt.date(1941, 5, 4),
                                        venue_id=day.venue, day=dt.date(2026, 12, 4))  # fmt: skip
    assert [c.barcode for c in found] == [day.barcodes["ok"]]
    assert found[0].name == "髙橋 一●"
    assert found[0].booked_here_at is not None
    assert [c.resident_id for c in by_kana] == [day.residents["ok"]]
    assert wrong_birth == []


async def test_the_board_tally_adds_check_ins_as_a_reread_counts_them(sessions, day):
    """The board adds each check-in to its slot in memory (a late one in an ended slot: from
    no-show to checked in); the result is what a reread of the day's bookings gives."""
    from cti_server.board import BoardService
    from cti_server.domain.tracker import Tracker
    from tests.integration.web_helpers import make_settings

    late = tokyo(dt.date(2026, 12, 4), 9, 45)  # the 09:00-09:30 slot ended, still let in
    board = BoardService(make_settings(), sessions, Tracker(), clock=lambda: late)
    await board.reload_bookings()
    before = board.checkins
    got = [
        await scan(sessions, day, day.barcodes["past"], "bt-1", now=late),
        await scan(sessions, day, day.barcodes["ok"], "bt-2", now=late),
        await scan(sessions, day, day.barcodes["race"], "bt-3", now=late),
    ]
    assert [r.outcome for r in got] == ["checked_in"] * 3
    board.checked_in(r.slot_id for r in got if r.slot_id is not None)
    added = board.checkins
    await board.reload_bookings()
    assert added == board.checkins != before
    mine = next(v for v in added if v.venue_id == day.venue)
    past = next(s for s in mine.slots if s.slot_id == day.slot_past)
    assert (past.checked_in, past.no_show, past.not_yet) == (1, 0, 0)
    assert mine.checked_in == 3


async def test_a_check_in_during_a_reread_is_not_lost(sessions, day, monkeypatch):
    """The minute's reread reads the day, a desk checks in meanwhile (added in memory), the
    reread then lands with rows from before: the board rereads again and counts it."""
    import cti_server.board as board_module
    from cti_server.board import BoardService
    from cti_server.domain.tracker import Tracker
    from tests.integration.web_helpers import make_settings

    board = BoardService(make_settings(), sessions, Tracker(), clock=lambda: day.now)
    await board.reload_bookings()
    read, go = asyncio.Event(), asyncio.Event()
    real = board_module.tally

    async def held_once(*args, **kw):
        rows = await real(*args, **kw)
        if not read.is_set():
            read.set()
            await go.wait()
        return rows

    monkeypatch.setattr(board_module, "tally", held_once)
    minute = asyncio.create_task(board.reload_bookings())  # as the minute's loop does
    await read.wait()
    r = await scan(sessions, day, day.barcodes["ok"], "rr-1")
    board.checked_in([r.slot_id])
    go.set()
    await minute
    again = board._bookings_task  # the reread it asked for
    assert again is not None
    await again
    mine = next(v for v in board.checkins if v.venue_id == day.venue)
    assert mine.checked_in == 1
    await board.close()
