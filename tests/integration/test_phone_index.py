"""The in-memory phone index answers exactly what the database lookup answers, and stays so after
the ledger changes and the index is refreshed (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.find.lookup import lookup_by_number
from registry.find.phone_index import PhoneIndex
from registry.models import Household, Phone, Resident
from registry.seed.load import seed_database


async def _numbers(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as s:
        rows = await s.scalars(select(Phone.e164).where(Phone.e164.is_not(None)).distinct())
        return sorted(rows.all())


async def _same_as_database(
    sessions: async_sessionmaker[AsyncSession], index: PhoneIndex, numbers: list[str]
) -> int:
    """Compare every number; the count of numbers that reach somebody."""
    found = 0
    async with sessions() as s:
        for number in numbers:
            expected = await lookup_by_number(s, number)
            assert index.lookup(number) == expected, number
            found += bool(expected)
    return found


async def test_index_answers_what_the_database_answers(engine, sessions):
    await seed_database(engine, 400, seed=7, venues=False)
    async with sessions() as s:
        index = await PhoneIndex.load(s, batch=50)
    numbers = await _numbers(sessions)
    assert len(index) == 400
    assert await _same_as_database(sessions, index, numbers) == len(numbers)
    assert index.lookup("+81000000000") == []
    assert index.lookup("0773621234") == []  # not E.164: nobody, as in the database


async def test_index_keeps_odd_values_exactly(engine, sessions):
    """Values the compact columns store specially come back as the database has them: numbers
    of other widths or not digits, names without a space or with an ideographic one, addresses
    without a digit, a resident without a household, a phone of a resident and a household."""
    await seed_database(engine, 120, seed=3, venues=False)
    odd = [
        {"person_no": "A-17", "barcode": "12", "name": "一名", "name_kana": "",
         "address": "番地なし"},
        {"person_no": "0000000000000000042", "barcode": "１２３", "name": "山田\u3000花子",
         "name_kana": "ﾔﾏﾀﾞ ﾊﾅｺ", "sex": "", "household_id": None, "birth_date": None},
        {"person_no": "7", "barcode": "", "status": "deceased", "address": ""},
    ]  # fmt: skip
    async with sessions() as s, s.begin():
        people = (await s.scalars(select(Resident).order_by(Resident.id).limit(3))).all()
        for person, values in zip(people, odd, strict=True):
            await s.execute(update(Resident).where(Resident.id == person.id).values(**values))
        hh = (await s.scalars(select(Household).order_by(Household.id.desc()).limit(1))).one()
        s.add(Phone(e164="+81773990001", raw="0773-99-0001", kind="landline",
                    resident_id=people[1].id, household_id=hh.id))  # fmt: skip
        s.add(Phone(e164="+81773990002", raw="0773-99-0002", kind="mobile",
                    resident_id=people[0].id))  # fmt: skip
    async with sessions() as s:
        index = await PhoneIndex.load(s)
    numbers = await _numbers(sessions)
    assert await _same_as_database(sessions, index, numbers) == len(numbers)
    pop = index.lookup("+81773990001")
    assert {m.person_no for h in pop for m in h.members} >= {"0000000000000000042"}
    assert next(m.barcode for h in index.lookup("+81773990002") for m in h.members) == "12"


async def test_refresh_sees_edits_moves_new_residents_and_replaced_phones(engine, sessions):
    await seed_database(engine, 200, seed=11, venues=False)
    async with sessions() as s:
        index = await PhoneIndex.load(s)
    before = await _numbers(sessions)
    async with sessions() as s, s.begin():
        own = (await s.execute(select(Phone).where(Phone.resident_id.is_not(None)))).scalars()
        replaced = next(iter(own))
        owner_id = replaced.resident_id
        landline = (await s.execute(select(Phone).where(Phone.household_id.is_not(None)))).scalars()
        shared = next(iter(landline))
        hh_id = shared.household_id
        people = (await s.scalars(select(Resident).order_by(Resident.id).limit(3))).all()
        renamed, mover = people[1], people[2]
        # a resident renamed and moved out; another moved to the landline's household
        await s.execute(
            update(Resident)
            .where(Resident.id == renamed.id)
            .values(name="改名 太郎", status="moved", updated_at=_later())
        )
        await s.execute(
            update(Resident)
            .where(Resident.id == mover.id)
            .values(household_id=hh_id, updated_at=_later())
        )
        # the importer's way to change a number: the old row goes, a new row comes
        await s.execute(delete(Phone).where(Phone.id == replaced.id))
        s.add(Phone(e164="+819099990000", raw="090-9999-0000", kind="mobile",
                    resident_id=owner_id))  # fmt: skip
        # a new household with a new resident and a new landline
        hh = Household(household_no="NEW-1", address="舞鶴市新町1")
        newcomer = Resident(person_no="NEW-P1", household=hh, name="新 花子",
                            name_kana="シン ハナコ", birth_date=dt.date(1944, 2, 3), sex="F",
                            address="舞鶴市新町1", barcode="999999999990")  # fmt: skip
        s.add_all([hh, newcomer])
        await s.flush()
        s.add(Phone(e164="+81773990000", raw="0773-99-0000", kind="landline",
                    household_id=hh.id))  # fmt: skip
    numbers = sorted({*before, "+819099990000", "+81773990000"})
    async with sessions() as s:
        assert index.lookup("+81773990000") == []  # not refreshed yet: the old picture
        assert await index.refresh(s) > 0
    assert await _same_as_database(sessions, index, numbers) >= len(before)
    newcomer_pop = index.lookup("+81773990000")
    assert [m.name for h in newcomer_pop for m in h.members] == ["新 花子"]
    async with sessions() as s:
        assert await index.refresh(s) == 0  # nothing changed since


def _later() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)
