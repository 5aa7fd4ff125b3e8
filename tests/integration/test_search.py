"""NameIndex.load builds from a real database (SQLite and PostgreSQL) and finds what it holds."""

from __future__ import annotations

from sqlalchemy import select

from registry.find.lookup import lookup_by_number
from registry.find.search import NameIndex, SearchQuery
from registry.models import Household, Phone, Resident
from registry.seed.load import seed_database


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


async def test_refresh_picks_up_an_import(engine, sessions, tmp_path, monkeypatch):
    from registry.find import search_load
    from registry.ledger.importer import import_ledger

    await seed_database(engine, 40, seed=4, venues=False)
    async with sessions() as s:
        index = await NameIndex.load(s)
        someone = (await s.execute(select(Resident).order_by(Resident.id).limit(1))).scalar_one()
    header = "宛名番号,世帯番号,氏名,氏名カナ,生年月日,性別,住所,電話番号\r\n"
    rows = (
        "9000001,X1,新井 絵里,アライ エリ,1970-05-06,2,舞鶴市新町1,090-4444-5555\r\n"
        f"{someone.person_no},,{someone.name},{someone.name_kana},"
        f"{someone.birth_date.isoformat()},,舞鶴市転居先9,\r\n"
    )
    path = tmp_path / "more.csv"
    path.write_text(header + rows, encoding="utf-8")
    assert not index.search(SearchQuery(name="アライ エリ", birth="1970-05-06"))[:1] or (
        index.search(SearchQuery(name="アライ エリ", birth="1970-05-06"))[0].score < 100
    )
    await import_ledger(engine, path)
    async with sessions() as s:
        assert await index.refresh(s) == 2
        assert await index.refresh(s) == 0
    assert len(index) == 41
    top = index.search(SearchQuery(name="アライ エリ", birth="1970-05-06"))[0]
    assert (top.name, top.address) == ("新井 絵里", "舞鶴市新町1")
    moved = index.search(SearchQuery(name=someone.name_kana, birth=someone.birth_date.isoformat()))
    assert moved[0].resident_id == someone.id
    assert moved[0].address == "舞鶴市転居先9"
    assert index.search(SearchQuery(phone="090-4444-5555"))[0].name == "新井 絵里"

    # a large change rebuilds the index instead of upserting row by row
    monkeypatch.setattr(search_load, "REBUILD_MIN", 0)
    await seed_database(engine, 30, seed=9, venues=False)
    async with sessions() as s:
        assert await index.refresh(s) >= 30
    assert len(index) == 71
