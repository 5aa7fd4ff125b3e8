"""lookup_by_number: residents reached at a number, grouped by household, through the index."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry.find.lookup import lookup_by_number, lookup_statement
from registry.models import Household, Phone, Resident

LANDLINE = "+81773621234"
MOBILE = "+819012345678"
LONE_MOBILE = "+818011112222"

_serial = 0


def _resident(name: str, born: dt.date | None, hh: Household | None, status: str = "active"):
    global _serial
    _serial += 1
    return Resident(
        person_no=f"P{_serial:06d}", household=hh, name=name, name_kana="", birth_date=born,
        sex="", address=hh.address if hh else "舞鶴市浜1", barcode=f"B{_serial:011d}",
        status=status,
    )  # fmt: skip


@pytest.fixture
async def ledger(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Household H1 (landline, father's mobile), household H2 (a neighbour giving the same
    number as her own), and a resident without household."""
    h1 = Household(household_no="H1", address="舞鶴市北吸1")
    h2 = Household(household_no="H2", address="舞鶴市北吸2")
    people = {
        "grandma": _resident("舞鶴 ハナ", dt.date(1940, 4, 1), h1),
        "father": _resident("舞鶴 一郎", dt.date(1970, 5, 5), h1),
        "child": _resident("舞鶴 次郎", dt.date(2005, 1, 2), h1),
        "uncle": _resident("舞鶴 三郎", dt.date(1930, 1, 1), h1, status="moved"),
        "neighbour": _resident("北吸 花子", dt.date(1950, 3, 3), h2),
        "lone": _resident("浜 太郎", None, None),
    }
    async with sessions() as s, s.begin():
        s.add_all([h1, h2, *people.values()])
        await s.flush()
        s.add_all(
            [
                Phone(e164=LANDLINE, raw="62-1234", kind="landline", household_id=h1.id),
                Phone(e164=MOBILE, raw="090-1234-5678", kind="mobile",
                      resident_id=people["father"].id),
                Phone(e164=LANDLINE, raw="0773621234", kind="landline",
                      resident_id=people["neighbour"].id),
                Phone(e164=LONE_MOBILE, raw="080-1111-2222", kind="mobile",
                      resident_id=people["lone"].id),
            ]
        )  # fmt: skip
    return {k: v.id for k, v in people.items()}


async def test_shared_landline_groups_households_owner_first(sessions, ledger):
    async with sessions() as s:
        result = await lookup_by_number(s, LANDLINE)
    assert [h.household_no for h in result] == ["H2", "H1"]
    assert result[0].members[0].resident_id == ledger["neighbour"]
    assert result[0].members[0].reasons == ("own_phone",)
    h1 = result[1]
    assert h1.address == "舞鶴市北吸1"
    ids = [m.resident_id for m in h1.members]
    # active members oldest first, the moved-out uncle last although he is the oldest
    assert ids == [ledger["grandma"], ledger["father"], ledger["child"], ledger["uncle"]]
    assert all(m.reasons[0] == "household_landline" for m in h1.members)
    assert h1.members[-1].reasons == ("household_landline", "status:moved")
    assert h1.members[-1].score < h1.members[-2].score


async def test_own_mobile_first_then_household_members(sessions, ledger):
    async with sessions() as s:
        result = await lookup_by_number(s, MOBILE)
    assert len(result) == 1
    members = result[0].members
    assert members[0].resident_id == ledger["father"]
    assert members[0].reasons == ("own_mobile",)
    assert members[0].score == 100
    assert members[0].birth_date == dt.date(1970, 5, 5)
    assert (members[0].name, members[0].household_no) == ("舞鶴 一郎", "H1")
    rest = members[1:]
    assert [m.resident_id for m in rest] == [ledger["grandma"], ledger["child"], ledger["uncle"]]
    assert all(m.reasons[0] == "same_household" and m.score < 100 for m in rest)


async def test_resident_without_household_is_a_group_of_one(sessions, ledger):
    async with sessions() as s:
        result = await lookup_by_number(s, LONE_MOBILE)
    assert len(result) == 1
    assert result[0].household_id is None
    assert result[0].address == "舞鶴市浜1"
    assert [m.resident_id for m in result[0].members] == [ledger["lone"]]


@pytest.mark.parametrize("number", ["+81773999999", "", "0773621234", "anonymous"])
async def test_unknown_or_malformed_number_gives_nothing(sessions, ledger, number):
    async with sessions() as s:
        assert await lookup_by_number(s, number) == []


async def test_limit_caps_residents(sessions, ledger):
    async with sessions() as s:
        result = await lookup_by_number(s, LANDLINE, limit=2)
    assert sum(len(h.members) for h in result) == 2
    assert result[0].members[0].resident_id == ledger["neighbour"]


async def test_query_plan_uses_the_e164_index(engine: AsyncEngine):
    sql = str(
        lookup_statement()
        .params(number=LANDLINE, cap=150)
        .compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    )
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = [r[3] for r in (await conn.execute(text("EXPLAIN QUERY PLAN " + sql)))]
        else:
            # tiny tables: forbid sequential scans so the plan shows what the index allows
            await conn.execute(text("SET enable_seqscan = off"))
            plan = [r[0] for r in (await conn.execute(text("EXPLAIN " + sql)))]
    joined = "\n".join(plan)
    assert joined.count("ix_phones_e164") == 3, joined
    assert not any(line.startswith("SCAN") for line in plan), joined
    assert "Seq Scan" not in joined, joined


async def test_candidates_carry_booking_mobility_and_call_flags(sessions, ledger):
    from cti_server.caller_lookup import LedgerLookup
    from registry.models import Booking, CallRecord, MobilityRequest, Slot, Venue

    now = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
    async with sessions() as s, s.begin():
        venue = Venue(name="中総合会館")
        s.add(venue)
        await s.flush()
        end = now + dt.timedelta(minutes=30)
        slot = Slot(venue_id=venue.id, starts_at=now, ends_at=end, capacity=9, booked=2)
        s.add(slot)
        await s.flush()
        s.add_all(
            [
                Booking(resident_id=ledger["grandma"], slot_id=slot.id, channel="phone"),
                Booking(resident_id=ledger["father"], slot_id=slot.id, channel="web",
                        status="attended"),
                Booking(resident_id=ledger["uncle"], slot_id=slot.id, channel="web",
                        status="cancelled"),
                MobilityRequest(resident_id=ledger["father"], pickup_address="北吸1"),
                MobilityRequest(resident_id=ledger["child"], pickup_address="北吸1",
                                status="cancelled"),
                CallRecord(linkedid="1.1", matched_resident_id=ledger["child"], ended_at=now),
                CallRecord(linkedid="1.2", matched_resident_id=ledger["child"], ended_at=now),
                CallRecord(linkedid="1.3", matched_resident_id=ledger["neighbour"]),  # ongoing
            ]
        )  # fmt: skip
    found = await LedgerLookup(sessions)(LANDLINE, dt.datetime.now(dt.UTC))
    flags = {m.resident_id: m.flags for h in found.matches for m in h.members}
    assert flags == {
        ledger["grandma"]: ("booked",),
        ledger["father"]: ("attended", "mobility"),
        ledger["child"]: ("called",),
        ledger["uncle"]: (),
        ledger["neighbour"]: (),
    }


async def test_flags_query_uses_the_resident_indexes(engine: AsyncEngine):
    from registry.find.flags import flags_statement

    sql = str(
        flags_statement()
        .params(ids=[1, 2, 3])
        .compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    )
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = [r[3] for r in (await conn.execute(text("EXPLAIN QUERY PLAN " + sql)))]
        else:
            await conn.execute(text("SET enable_seqscan = off"))
            plan = [r[0] for r in (await conn.execute(text("EXPLAIN " + sql)))]
    joined = "\n".join(plan)
    for index in ("bookings_resident_id", "mobility_requests_resident_id",
                  "call_records_matched_resident_id"):  # fmt: skip
        assert index in joined, joined
    assert "Seq Scan" not in joined, joined


class FlakySessions:
    """The sessions until ``down`` is set; then opening one fails as an unreachable database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.down = False

    def __call__(self) -> AsyncSession:
        if self.down:
            raise ConnectionRefusedError("the database is away")
        return self.sessions()


async def test_a_number_looked_up_moments_ago_still_pops_while_the_ledger_is_away(sessions, ledger):
    from cti_server.caller_lookup import LedgerLookup

    flaky = FlakySessions(sessions)
    lookup = LedgerLookup(flaky)  # type: ignore[arg-type]
    now = dt.datetime.now(dt.UTC)
    found = await lookup(LANDLINE, now, "a.1")
    flaky.down = True
    again = await lookup(LANDLINE, now, "a.2")
    assert again.matches == found.matches
    assert again.repeat_calls == 0
    with pytest.raises(ConnectionRefusedError):  # never seen: nothing to show
        await lookup(MOBILE, now, "a.3")


async def test_with_the_index_and_a_held_connection_the_same_pop(engine, sessions, ledger):
    from cti_server.caller_lookup import LedgerLookup
    from registry.find.phone_index import PhoneIndex

    fast = LedgerLookup(sessions, engine=engine)
    async with sessions() as s:
        fast.index = await PhoneIndex.load(s)
    now = dt.datetime.now(dt.UTC)
    try:
        for number in (LANDLINE, MOBILE, LONE_MOBILE, "+81000000000"):
            assert await fast(number, now, "x.1") == await LedgerLookup(sessions)(
                number, now, "x.1"
            )
    finally:
        await fast.close()
