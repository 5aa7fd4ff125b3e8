"""caller_facts: the pop's flags, latest intents and earlier calls in one statement, with the
same answers as ``flags.resident_flags``, ``intents.latest_intents`` and
``calls.count_calls_from`` (the reference), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry.calls import count_calls_from
from registry.find.caller_facts import FactsReader, caller_facts, facts_statement
from registry.find.flags import resident_flags
from registry.intents import latest_intents
from registry.models import (
    Booking,
    CallRecord,
    Intent,
    MobilityRequest,
    Resident,
    Slot,
    Venue,
)

NUMBER = "+81773621234"
T0 = dt.datetime(2026, 12, 5, 0, 0, tzinfo=dt.UTC)


def _resident(i: int) -> Resident:
    return Resident(
        person_no=f"F{i:06d}", name=f"舞鶴 {i}", name_kana="", sex="", address="舞鶴市浜1",
        barcode=f"F{i:011d}",
    )  # fmt: skip


@pytest.fixture
async def ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    """Five residents: booked and answered twice (the later answer wins), attended with an
    open mobility request, called before (two finished calls, one ongoing), a cancelled booking
    and request only, and nothing at all; today's calls from the number, one of yesterday."""
    people = [_resident(i) for i in range(5)]
    async with sessions() as s, s.begin():
        venue = Venue(name="中総合会館")
        s.add_all([venue, *people])
        await s.flush()
        slot = Slot(
            venue_id=venue.id, starts_at=T0, ends_at=T0 + dt.timedelta(minutes=30), capacity=9
        )
        s.add(slot)
        await s.flush()
        a, b, c, d, _ = (p.id for p in people)
        s.add_all(
            [
                Booking(resident_id=a, slot_id=slot.id, channel="phone"),
                Booking(resident_id=b, slot_id=slot.id, channel="web", status="attended"),
                Booking(resident_id=d, slot_id=slot.id, channel="web", status="cancelled"),
                MobilityRequest(resident_id=b, pickup_address="北吸1"),
                MobilityRequest(resident_id=b, pickup_address="北吸1", status="arranged"),
                MobilityRequest(resident_id=d, pickup_address="北吸1", status="cancelled"),
                Intent(resident_id=a, wants_vaccination=False, needs_mobility=None,
                       channel="postcard_ocr", recorded_at=T0 + dt.timedelta(hours=1)),
                Intent(resident_id=a, wants_vaccination=True, needs_mobility=True,
                       channel="phone", recorded_at=T0 + dt.timedelta(hours=2), notes="午後"),
                Intent(resident_id=c, wants_vaccination=None, needs_mobility=False,
                       channel="web", recorded_at=T0 + dt.timedelta(hours=3)),
                CallRecord(linkedid="c.1", matched_resident_id=c, ended_at=T0),
                CallRecord(linkedid="c.2", matched_resident_id=c, ended_at=T0),
                CallRecord(linkedid="c.3", matched_resident_id=a),  # ongoing: not "called"
                CallRecord(linkedid="n.1", caller_e164=NUMBER,
                           entered_at=T0 - dt.timedelta(minutes=1)),  # yesterday
                CallRecord(linkedid="n.2", caller_e164=NUMBER, entered_at=T0),
                CallRecord(linkedid="n.3", caller_e164=NUMBER,
                           entered_at=T0 + dt.timedelta(hours=5)),
                CallRecord(linkedid="n.4", caller_e164="+819012345678",
                           entered_at=T0 + dt.timedelta(hours=5)),
            ]
        )  # fmt: skip
    return [p.id for p in people]


@pytest.mark.parametrize("besides", ["", "n.3", "other.1"])
@pytest.mark.parametrize("pick", [slice(0, 5), slice(0, 1), slice(2, 4), slice(0, 0)])
async def test_the_same_answers_as_the_reference_queries(sessions, ids, pick, besides):
    wanted = ids[pick]
    async with sessions() as s:
        facts = await caller_facts(s, [*wanted, *wanted], NUMBER, T0, besides=besides)
    async with sessions() as s:
        flags = await resident_flags(s, wanted)
        intents = await latest_intents(s, wanted)
        earlier = await count_calls_from(s, NUMBER, T0, besides=besides)
    assert facts.flags == flags
    assert facts.intents == intents
    assert facts.earlier_calls == earlier
    assert earlier == (1 if besides == "n.3" else 2)


async def test_what_each_candidate_shows(sessions, ids):
    a, b, c, _, _ = ids
    async with sessions() as s:
        facts = await caller_facts(s, ids, NUMBER, T0 + dt.timedelta(hours=1))
    assert facts.flags == {a: ("booked",), b: ("attended", "mobility"), c: ("called",)}
    assert set(facts.intents) == {a, c}
    latest = facts.intents[a]
    assert (latest.channel, latest.wants_vaccination, latest.needs_mobility, latest.notes) == (
        "phone", True, True, "午後"
    )  # fmt: skip
    assert latest.recorded_at == T0 + dt.timedelta(hours=2)
    assert latest.recorded_at.tzinfo is not None
    assert (facts.intents[c].wants_vaccination, facts.intents[c].needs_mobility) == (None, False)
    assert facts.earlier_calls == 1  # n.3 only: n.2 entered before the hour


async def test_a_number_never_seen_and_no_number(sessions, ids):
    async with sessions() as s:
        assert (await caller_facts(s, [], "+81000000000", T0)).earlier_calls == 0
        assert (await caller_facts(s, [], "", T0)).earlier_calls == 0


async def test_the_statement_uses_the_indexes(engine: AsyncEngine):
    compiled = facts_statement(3).compile(dialect=engine.dialect)
    since: object = T0 if engine.dialect.name == "postgresql" else "2026-12-05 00:00:00.000000"
    params = {"id0": 1, "id1": 2, "id2": 3, "e164": NUMBER, "since": since, "besides": "x"}
    values = tuple(params[name] for name in compiled.positiontup or ())
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values)
            plan = [r[3] for r in rows]
        else:
            await conn.execute(text("SET enable_seqscan = off"))
            plan = [r[0] for r in await conn.exec_driver_sql("EXPLAIN " + str(compiled), values)]
    joined = "\n".join(plan)
    for index in ("bookings_resident_id", "mobility_requests_resident_id",
                  "call_records_matched_resident_id", "intents_resident_id",
                  "call_records_caller_e164"):  # fmt: skip
        assert index in joined, joined
    assert "Seq Scan" not in joined, joined


async def test_the_reader_answers_alike_and_sees_what_is_committed_later(engine, sessions, ids):
    reader = FactsReader(engine)
    assert FactsReader.usable(engine)
    try:
        for pick in (slice(0, 5), slice(2, 4), slice(0, 0)):
            async with sessions() as s:
                expected = await caller_facts(s, ids[pick], NUMBER, T0, besides="n.3")
            assert await reader(ids[pick], NUMBER, T0, besides="n.3") == expected
        async with sessions() as s, s.begin():  # another connection writes meanwhile
            s.add(CallRecord(linkedid="n.5", caller_e164=NUMBER, entered_at=T0))
            s.add(Booking(resident_id=ids[4], slot_id=(await s.scalar(select(Slot.id))),
                          channel="phone"))  # fmt: skip
        facts = await reader(ids, NUMBER, T0)
        assert facts.earlier_calls == 3  # n.2, n.3 and the new n.5
        assert facts.flags[ids[4]] == ("booked",)
    finally:
        await reader.close()
