"""NameIndex.load builds from a real database (SQLite and PostgreSQL) and finds what it holds."""

from __future__ import annotations

from sqlalchemy import select

from registry.lookup import lookup_by_number
from registry.models import Household, Phone, Resident
from registry.search import NameIndex, SearchQuery
from registry.seed import seed_database


async def test_load_from_database_and_search(engine, sessions):
    await seed_database(engine, 300, seed=3, venues=False)
    async with sessions() as s:
        index = await NameIndex.load(s, batch=64)  # several partitions
        assert len(index) == 300
        someone = (
            await s.execute(select(Resident).order_by(Resident.id).offset(123).limit(1))
        ).scalar_one()
        landline = (
            await s.execute(
                select(Phone.e164, Phone.household_id)
                .where(Phone.household_id.is_not(None), Phone.e164.is_not(None))
                .limit(1)
            )
        ).one()
        hh_no = (
            await s.execute(
                select(Household.household_no).where(Household.id == someone.household_id)
            )
        ).scalar_one()
    birth = someone.birth_date.isoformat()
    top = index.search(SearchQuery(name=someone.name_kana, birth=birth))[0]
    assert top.resident_id == someone.id
    assert top.reasons[:2] == ("name:kana 100", "birth_exact")
    assert (top.name, top.household_no, top.address) == (someone.name, hh_no, someone.address)
    assert top.birth_date == someone.birth_date
    assert index.search(SearchQuery(name=someone.name))[0].score == 100

    # a household's landline fragment finds its members, as the lookup by number does
    digits = "0" + landline.e164[3:]
    found = {m.resident_id for m in index.search(SearchQuery(phone=digits), limit=50)}
    async with sessions() as s:
        households = await lookup_by_number(s, landline.e164)
    looked_up = {m.resident_id for h in households for m in h.members}
    assert looked_up
    assert looked_up <= found
