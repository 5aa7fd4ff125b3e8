"""Call records: upserts by Linkedid that never duplicate, even from two engines at once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.audit import audit_entries
from registry.calls import calls_between, calls_of_resident, get_call, set_disposition, upsert_call
from registry.db import create_engine, session_factory
from registry.errors import InvalidInput, NotFound
from registry.models import CallRecord
from tests.integration.test_bookings import make_resident

TOKYO = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=TOKYO)


async def test_none_never_overwrites_and_ongoing_never_replaces_a_final_outcome(sessions):
    async with sessions() as s:
        await upsert_call(s, "1700.1", caller_raw="0773621234", queue="vaccine", entered_at=T0)
        await upsert_call(s, "1700.1", caller_raw=None, extension="1001", answered_at=T0)
        await upsert_call(s, "1700.1", outcome="answered", ended_at=T0 + dt.timedelta(minutes=3))
        await upsert_call(s, "1700.1", outcome="ongoing", talk_seconds=None, hold_seconds=4.5)
        await s.commit()
        call = await get_call(s, "1700.1")
    assert call.caller_raw == "0773621234"
    assert call.queue == "vaccine"
    assert call.extension == "1001"
    assert call.outcome == "answered"
    assert call.hold_seconds == 4.5
    assert call.entered_at == T0
    assert call.entered_at is not None
    assert call.entered_at.tzinfo is not None
    async with sessions() as s:
        await upsert_call(s, "1700.2", outcome="ongoing")
        await upsert_call(s, "1700.2", outcome="abandoned")
        assert (await get_call(s, "1700.2")).outcome == "abandoned"


async def test_two_engines_upserting_the_same_call_never_duplicate(engine, db_url):
    other = create_engine(db_url)
    try:

        async def writer(factory, n: int) -> None:
            for i in range(5):
                async with factory() as s:
                    await upsert_call(s, "1800.7", queue="q", match_count=n * 10 + i)
                    await s.commit()

        await asyncio.gather(writer(session_factory(engine), 1), writer(session_factory(other), 2))
    finally:
        await other.dispose()
    async with session_factory(engine)() as s:
        n = await s.scalar(select(func.count()).select_from(CallRecord))
        call = await get_call(s, "1800.7")
    assert n == 1
    assert call.match_count in (14, 24)


async def test_disposition_is_stored_audited_and_keeps_the_answering_operator(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        await upsert_call(s, "1900.1", matched_resident_id=rid, entered_at=T0)
        await set_disposition(s, "1900.1", disposition="booked", notes="車椅子", operator_id=None)
        await s.commit()
        call = await get_call(s, "1900.1")
        assert (call.disposition, call.notes) == ("booked", "車椅子")
        entries = await audit_entries(s, resident_id=rid)
        assert [(e.action, e.call_linkedid) for e in entries] == [("call.disposition", "1900.1")]
        assert [c.linkedid for c in await calls_of_resident(s, rid)] == ["1900.1"]


async def test_calls_between_a_tokyo_day(sessions):
    async with sessions() as s:
        day = dt.datetime(2026, 5, 1, tzinfo=TOKYO)
        await upsert_call(s, "a", entered_at=day - dt.timedelta(seconds=1))
        await upsert_call(s, "b", entered_at=day)
        await upsert_call(s, "c", entered_at=day + dt.timedelta(hours=23, minutes=59))
        await upsert_call(s, "d", entered_at=day + dt.timedelta(days=1))
        await s.commit()
        got = await calls_between(s, day, day + dt.timedelta(days=1))
    assert [c.linkedid for c in got] == ["b", "c"]


async def test_bad_input_names_the_field(sessions):
    async with sessions() as s:
        with pytest.raises(InvalidInput) as info:
            await upsert_call(s, "x", colour="red")
        assert info.value.field == "colour"
        with pytest.raises(InvalidInput) as info:
            await upsert_call(s, "x", entered_at=dt.datetime(2026, 5, 1, 10))  # naive
        assert info.value.field == "entered_at"
        with pytest.raises(InvalidInput) as info:
            await upsert_call(s, "")
        assert info.value.field == "linkedid"
        with pytest.raises(NotFound):
            await get_call(s, "nope")
