"""The callback worklist on both databases: idempotent feeding, atomic claims under a real race,
outcomes and the retry policy, reprioritising, the board's summary, and the audit."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry import worklist as wl
from registry.audit import audit_entries
from registry.errors import Conflict, InvalidInput
from registry.models import Operator, Phone
from registry.worklist_policy import RetryPolicy
from tests.integration.test_bookings import make_household, make_resident

TOKYO = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 5, 1, 10, 0, tzinfo=TOKYO)  # a Friday, 10:00 in Tokyo
POLICY = RetryPolicy()
_serial = itertools.count(1)


async def make_operators(session: AsyncSession, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        oid = await session.scalar(
            insert(Operator)
            .values(username=f"op{next(_serial)}", password_hash="x", role="operator")
            .returning(Operator.id)
        )
        assert oid is not None
        ids.append(oid)
    return ids


async def add_items(session: AsyncSession, n: int, *, reason: str = "abandoned") -> list[int]:
    out = []
    for i in range(n):
        item = await wl.enqueue(
            session, reason=reason, source_ref=f"test:{next(_serial)}", phone=f"0773-62-{i:04d}"
        )
        out.append(item.item_id)
    return out


async def test_enqueue_is_idempotent_per_source_ref_and_finds_the_residents_phone(sessions):
    async with sessions() as s:
        hid = await make_household(s)
        rid = await make_resident(s, household_id=hid)
        await s.execute(insert(Phone).values(e164="+81773621234", raw="0773-62-1234",
                                             household_id=hid))  # fmt: skip
        first = await wl.enqueue(s, reason="no_show", source_ref="booking:7:no_show",
                                 resident_id=rid, detail={"booking_id": 7})  # fmt: skip
        again = await wl.enqueue(s, reason="no_show", source_ref="booking:7:no_show",
                                 resident_id=rid, detail={"booking_id": 99})  # fmt: skip
        await s.commit()
    assert again == first
    assert first.phone == "+81773621234"
    assert first.resident_name == "山田 太郎"
    assert first.detail == {"booking_id": 7}
    assert first.state == "open"
    assert first.priority == wl.PRIORITY["no_show"]
    async with sessions() as s:
        assert len(await wl.list_items(s, now=NOW)) == 1
        actions = [e.action for e in await audit_entries(s, resident_id=rid)]
    assert actions == ["worklist.enqueue"]


async def test_enqueue_refuses_what_it_cannot_call(sessions):
    async with sessions() as s:
        with pytest.raises(InvalidInput) as bad:
            await wl.enqueue(s, reason="abandoned", source_ref="x:1", phone="anonymous")
        assert bad.value.field == "phone"
        with pytest.raises(InvalidInput) as bad:
            await wl.enqueue(s, reason="gossip", source_ref="x:2", phone="0773-62-1234")
        assert bad.value.field == "reason"
        with pytest.raises(InvalidInput) as bad:
            await wl.enqueue(s, reason="abandoned", source_ref="x:3")
        assert bad.value.field == "phone"


async def test_claim_order_priority_then_due_then_age(sessions):
    async with sessions() as s:
        (op,) = await make_operators(s, 1)
        low = await wl.enqueue(s, reason="abandoned", source_ref="a", phone="0773621111")
        high = await wl.enqueue(s, reason="slot_changed", source_ref="b", phone="0773621112")
        later = await wl.enqueue(s, reason="slot_changed", source_ref="c", phone="0773621113",
                                 not_before=NOW + dt.timedelta(hours=1))  # fmt: skip
        await s.commit()
    long_claims = RetryPolicy(claim_ttl=dt.timedelta(hours=8))
    async with sessions() as s:
        got = [await wl.claim_next(s, op, long_claims, now=NOW) for _ in range(3)]
        await s.commit()
    assert [g.item_id if g else None for g in got] == [high.item_id, low.item_id, None]
    async with sessions() as s:  # once due, the later one comes
        nxt = await wl.claim_next(s, op, long_claims, now=NOW + dt.timedelta(hours=2))
    assert nxt is not None
    assert nxt.item_id == later.item_id


async def test_a_held_item_cannot_be_claimed_by_another_until_its_claim_lapses(sessions):
    async with sessions() as s:
        a, b = await make_operators(s, 2)
        (item,) = await add_items(s, 1)
        await s.commit()
    async with sessions() as s:
        held = await wl.claim(s, item, a, POLICY, now=NOW)
        await s.commit()
    assert held.state == "claimed"
    assert held.claimed_by == a
    async with sessions() as s:
        with pytest.raises(Conflict) as refused:
            await wl.claim(s, item, b, POLICY, now=NOW + dt.timedelta(minutes=5))
        assert refused.value.details["claimed_by"] == a
        assert await wl.claim_next(s, b, POLICY, now=NOW + dt.timedelta(minutes=5)) is None
    async with sessions() as s:
        lapsed = NOW + POLICY.claim_ttl + dt.timedelta(seconds=1)
        taken = await wl.claim_next(s, b, POLICY, now=lapsed)
        await s.commit()
    assert taken is not None
    assert taken.claimed_by == b
    async with sessions() as s:  # the first holder can no longer record an outcome
        with pytest.raises(Conflict):
            await wl.record_outcome(s, item, a, "reached", POLICY, now=lapsed)


async def test_no_answer_retries_in_hours_then_gives_up(sessions):
    async with sessions() as s:
        (op,) = await make_operators(s, 1)
        (item,) = await add_items(s, 1)
        await s.commit()
    evening = dt.datetime(2026, 5, 1, 18, 0, tzinfo=TOKYO)
    times = [NOW, NOW + dt.timedelta(hours=2), evening]
    views = []
    for t in times:
        async with sessions() as s:
            await wl.claim(s, item, op, POLICY, now=t)
            views.append(await wl.record_outcome(s, item, op, "no_answer", POLICY, now=t))
            await s.commit()
    assert views[0].next_attempt_at == (NOW + dt.timedelta(hours=2)).astimezone(dt.UTC)
    assert views[0].state == "open"
    assert views[0].attempts == 1
    assert views[1].state == "open"
    assert views[1].attempts == 2
    assert views[2].state == "exhausted"
    assert views[2].next_attempt_at is None
    assert [h.outcome for h in views[2].history] == ["no_answer"] * 3
    # the 18:00 try would have been at 20:00: moved to 9:00 the next morning
    assert POLICY.next_try(evening) == dt.datetime(2026, 5, 2, 9, 0, tzinfo=TOKYO)
    assert POLICY.in_hours(dt.datetime(2026, 5, 2, 7, 0, tzinfo=TOKYO)) == dt.datetime(
        2026, 5, 2, 9, 0, tzinfo=TOKYO
    )


async def test_call_later_reached_and_wrong_number(sessions):
    async with sessions() as s:
        (op,) = await make_operators(s, 1)
        one, two, three = await add_items(s, 3)
        await s.commit()
    async with sessions() as s:
        await wl.claim(s, one, op, POLICY, now=NOW)
        with pytest.raises(InvalidInput) as bad:
            await wl.record_outcome(s, one, op, "call_later", POLICY, now=NOW)
        assert bad.value.field == "call_later_at"
        at = NOW + dt.timedelta(hours=3)
        later = await wl.record_outcome(s, one, op, "call_later", POLICY, call_later_at=at,
                                        note="娘さんが夕方に", now=NOW)  # fmt: skip
        await wl.claim(s, two, op, POLICY, now=NOW)
        reached = await wl.record_outcome(s, two, op, "reached", POLICY, call_linkedid="L1",
                                          now=NOW)  # fmt: skip
        await wl.claim(s, three, op, POLICY, now=NOW)
        wrong = await wl.record_outcome(s, three, op, "wrong_number", POLICY, now=NOW)
        await s.commit()
    assert later.state == "open"
    assert later.next_attempt_at == at.astimezone(dt.UTC)
    assert later.history[0].note == "娘さんが夕方に"
    assert reached.state == "done"
    assert reached.history[0].call_linkedid == "L1"
    assert wrong.state == "done"
    assert wrong.outcome == "wrong_number"
    async with sessions() as s:
        summary = await wl.summary(s, now=NOW)
    assert (summary.open, summary.due, summary.claimed) == (1, 0, 0)


async def test_release_reprioritise_and_summary(sessions):
    async with sessions() as s:
        a, b = await make_operators(s, 2)
        first, second = await add_items(s, 2)
        await s.commit()
    async with sessions() as s:
        await wl.claim(s, first, a, POLICY, now=NOW)
        summary = await wl.summary(s, now=NOW)
        with pytest.raises(Conflict):
            await wl.release(s, first, b, now=NOW)
        released = await wl.release(s, first, a, now=NOW)
        up = await wl.reprioritise(s, second, 99, operator_id=b)
        with pytest.raises(InvalidInput):
            await wl.reprioritise(s, second, 10**6, operator_id=b)
        await s.commit()
    assert (summary.open, summary.due, summary.claimed) == (1, 1, 1)
    assert summary.oldest_created_at is not None
    assert released.state == "open"
    assert released.attempts == 0
    assert up.priority == 99
    async with sessions() as s:
        nxt = await wl.claim_next(s, a, POLICY, now=NOW)
        actions = [e.action for e in await audit_entries(s, operator_id=b)]
    assert nxt is not None
    assert nxt.item_id == second
    assert actions == ["worklist.priority"]


async def _claimer(sessions: async_sessionmaker[AsyncSession], op: int) -> list[int]:
    got = []
    while True:
        async with sessions() as s:
            item = await wl.claim_next(s, op, POLICY, now=NOW)
            await s.commit()
        if item is None:
            return got
        got.append(item.item_id)


async def test_twenty_operators_racing_never_claim_the_same_item(sessions):
    async with sessions() as s:
        ops = await make_operators(s, 20)
        items = await add_items(s, 60)
        await s.commit()
    results = await asyncio.gather(*(_claimer(sessions, op) for op in ops))
    claimed = [i for r in results for i in r]
    assert sorted(claimed) == sorted(items)  # every item once, none twice
    async with sessions() as s:
        for op, mine in zip(ops, results, strict=True):
            for item_id in mine:
                assert (await wl.get_item(s, item_id)).claimed_by == op


async def test_twenty_operators_racing_for_one_item(sessions):
    async with sessions() as s:
        ops = await make_operators(s, 20)
        (item,) = await add_items(s, 1)
        await s.commit()

    async def one(op: int) -> int | None:
        async with sessions() as s:
            try:
                got = await wl.claim(s, item, op, POLICY, now=NOW)
            except Conflict:
                await s.rollback()
                return None
            await s.commit()
            return got.claimed_by

    winners = [w for w in await asyncio.gather(*(one(op) for op in ops)) if w is not None]
    assert len(winners) == 1
    async with sessions() as s:
        assert (await wl.get_item(s, item)).claimed_by == winners[0]
