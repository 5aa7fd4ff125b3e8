"""registry.seed: deterministic synthetic ledger, bulk seeding on both databases, ledger CSV."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry.db import session_factory
from registry.models import Household, Intent, Phone, Resident, Slot, Venue
from registry.normalize.barcode import is_valid_barcode
from registry.normalize.names import kana_key, name_key
from registry.normalize.wareki import parse_date
from registry.seed.city import CSV_COLUMNS, generate_ledger, write_ledger_csv
from registry.seed.load import seed_database


def test_generate_ledger_is_deterministic_and_plausible() -> None:
    rows = list(generate_ledger(3000, seed=7))
    assert rows == list(generate_ledger(3000, seed=7))
    assert rows != list(generate_ledger(3000, seed=8))
    assert len(rows) == 3000
    assert len({r.person_no for r in rows}) == 3000
    assert all(is_valid_barcode(r.barcode) for r in rows)
    households = Counter(r.household_no for r in rows)
    assert max(households.values()) >= 3
    assert len(households) < 2000
    readings = Counter(r.name_kana.split()[0] for r in rows)
    assert readings.most_common(1)[0][1] > 30  # common readings repeat
    assert any(v in r.name for r in rows for v in "髙﨑邊邉")  # variant kanji appear
    elderly = sum(r.birth_date.year <= 1959 for r in rows)
    assert 0.25 < elderly / len(rows) < 0.5
    assert all(r.address.startswith("京都府舞鶴市") for r in rows)
    landlines = {r.household_no: r.landline for r in rows if r.landline}
    assert len(landlines) > 500
    assert all(r.landline == landlines.get(r.household_no, "") for r in rows)
    assert sum(bool(r.mobile) for r in rows) > 1500


async def test_seed_database_bulk_inserts_everything(engine: AsyncEngine) -> None:
    summary = await seed_database(engine, 1200, seed=3)
    assert summary.residents == 1200
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(Resident))
        assert count == 1200
        assert await conn.scalar(select(func.count()).select_from(Household)) == summary.households
        assert await conn.scalar(select(func.count()).select_from(Phone)) == summary.phones
        assert await conn.scalar(select(func.count()).select_from(Intent)) == summary.intents
        assert await conn.scalar(select(func.count()).select_from(Venue)) == summary.venues == 4
        assert await conn.scalar(select(func.count()).select_from(Slot)) == 4 * 14 * 16
        row = (await conn.execute(select(Resident).limit(1))).one()
        assert row.name_key == name_key(row.name)
        assert row.kana_key == kana_key(row.name_kana)
        shared = await conn.scalar(
            select(func.count()).select_from(Phone).where(Phone.household_id.is_not(None))
        )
        assert shared
        indexed = await conn.scalar(
            select(func.count()).select_from(Phone).where(Phone.e164.like("+81773%"))
        )
        assert indexed
    again = await seed_database(engine, 100, seed=3)  # a second batch: no key clashes, no venues
    assert (again.residents, again.venues) == (100, 0)
    async with engine.begin() as conn:  # sequences were moved past the explicit ids
        await conn.execute(
            Household.__table__.insert().values(household_no="X-1", address="")  # type: ignore[attr-defined]
        )


def test_write_ledger_csv(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    assert write_ledger_csv(path, 400, seed=2, encoding="cp932") == 400
    with open(path, encoding="cp932", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 401
    for row in rows[1:]:
        parse_date(row[4])
        assert row[5] in {"1", "2"}
    assert path.read_bytes()[:3] != b"\xef\xbb\xbf"
    write_ledger_csv(path, 10)
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"


async def test_seed_database_in_a_session_leaves_the_commit_to_the_caller(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        summary = await seed_database(session, 50, venues=False)
        await session.rollback()
    assert summary.residents == 50
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 0
        await seed_database(session, 50, venues=False)
        await session.commit()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 50


async def test_seeded_values_round_trip_through_sqlalchemy(engine: AsyncEngine) -> None:
    """Rows written through the driver read back, and compare in SQL, as ORM-written ones."""
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await seed_database(engine, 30, seed=5, venues=False)
    async with session_factory(engine)() as s:
        people = (await s.scalars(select(Resident).order_by(Resident.id))).all()
        first = people[0]
        assert isinstance(first.birth_date, dt.date)
        stamp = first.updated_at
        aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
        assert before <= aware <= dt.datetime.now(dt.UTC)
        same_day = select(func.count()).where(Resident.birth_date == first.birth_date)
        assert (await s.scalar(same_day)) >= 1
        newer = select(func.count()).where(Resident.updated_at >= before)
        assert (await s.scalar(newer)) == len(people)
        first.name_kana = "テスト"  # an ORM update next to driver-written rows
        await s.commit()
        assert (await s.scalar(newer)) == len(people)
