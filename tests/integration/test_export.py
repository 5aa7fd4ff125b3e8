"""CSV export of residents and bookings (CP932 with 〓 for the unencodable, UTF-8 with BOM)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.db import session_factory
from registry.ledger.importer import export_bookings, export_residents, import_ledger
from registry.models import Booking, Household, Phone, Resident, Slot, Venue
from registry.seed.load import seed_database
from tests.integration.test_import import ROWS, residents, write_csv


def read_csv(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


async def snapshot(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        r = Resident
        stmt = select(
            r.person_no,
            r.household_id,
            r.name,
            r.name_kana,
            r.birth_date,
            r.sex,
            r.address,
            r.barcode,
            r.review,
        ).order_by(r.person_no)
        return [tuple(row) for row in (await conn.execute(stmt)).all()]


async def test_round_trip_cp932(engine: AsyncEngine, tmp_path: Path) -> None:
    rows = [*ROWS, ("1004", "", "\ue001田 太郎", "", "", "", "", "62-1111")]
    await import_ledger(engine, write_csv(tmp_path / "in.csv", rows, encoding="cp932"))
    before = await snapshot(engine)
    out = tmp_path / "out.csv"
    report = await export_residents(engine, out)
    assert (report.rows, report.replaced, report.encoding) == (4, 0, "cp932")
    table = read_csv(out, "cp932")
    assert table[0][:8] == [
        "宛名番号",
        "世帯番号",
        "氏名",
        "氏名カナ",
        "生年月日",
        "性別",
        "住所",
        "電話番号",
    ]
    assert table[1][:8] == [
        "1001",
        "H1",
        "髙橋 一郎",
        "タカハシ イチロウ",
        "1940-04-01",
        "男",
        "舞鶴市北吸①-1",
        "0773-62-1234",
    ]
    assert table[3][8] == "090-1234-5678"
    again = await import_ledger(engine, out)
    # 1004's phone comes back as 0773-62-1111: the same number, kept as stored (62-1111)
    assert (again.inserted, again.updated, again.unchanged, again.bad_rows) == (0, 0, 4, [])
    assert await snapshot(engine) == before


async def phone_rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        p = Phone
        stmt = select(p.id, p.e164, p.raw, p.kind, p.flags, p.resident_id, p.household_id)
        return [tuple(row) for row in (await conn.execute(stmt.order_by(p.id))).all()]


async def test_reimporting_an_export_changes_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    """Numbers written otherwise than the export writes them are the same numbers, and the
    notes of the first import (a number to check, one not indexed) are kept."""
    rows = [
        ("1001", "H1", "髙橋 一郎", "", "S15.04.01", "男", "舞鶴市北吸", "0773621234"),
        ("1002", "H1", "髙橋 花子", "", "S18.05.03", "女", "舞鶴市北吸", "62-1234 / 09012345678"),
        ("1003", "H2", "福知 三郎", "", "S20.01.01", "", "福知山市", "22-1234"),  # to check
        ("1004", "", "番号 誤", "", "S20.01.01", "", "", "12"),  # not indexed
        ("1005", "", "全角 四郎", "", "S21.01.01", "", "", "０９０－１１１１－２２２２"),
    ]
    first = await import_ledger(engine, write_csv(tmp_path / "in.csv", rows))
    assert {n for n, _ in first.flagged} == {4, 5}
    before, phones = await snapshot(engine), await phone_rows(engine)
    for encoding in ("cp932", "utf-8-sig"):
        out = tmp_path / f"out-{encoding}.csv"
        await export_residents(engine, out, encoding=encoding)
        again = await import_ledger(engine, out)
        assert (again.inserted, again.updated, again.unchanged, again.phones) == (0, 0, 5, 0)
        assert await snapshot(engine) == before
        assert await phone_rows(engine) == phones


async def test_reimporting_an_export_of_a_seeded_ledger_changes_nothing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """The seed stores no review notes, and some of its numbers are not valid ones."""
    await seed_database(engine, 3000, venues=False)
    before, phones = await snapshot(engine), await phone_rows(engine)
    assert any(e164 is None for _, e164, *_ in phones)
    out = tmp_path / "out.csv"
    await export_residents(engine, out, encoding="utf-8-sig")
    again = await import_ledger(engine, out)
    assert (again.updated, again.unchanged, again.phones) == (0, 3000, 0)
    assert await snapshot(engine) == before
    assert await phone_rows(engine) == phones


async def test_unencodable_replaced_and_counted(engine: AsyncEngine, tmp_path: Path) -> None:
    rows = [
        ("5001", "", "𠮷田 太郎", "", "S20.1.1", "", "舞鶴市", ""),
        ("5002", "", "葛\U000e0100城 花子", "", "S20.1.1", "", "", ""),
    ]
    await import_ledger(engine, write_csv(tmp_path / "in.csv", rows))
    out = tmp_path / "out.csv"
    report = await export_residents(engine, out)
    assert report.replaced == 1
    table = read_csv(out, "cp932")
    assert table[1][2] == "〓田 太郎"
    assert table[2][2] == "葛城 花子"  # the variation selector is dropped, not replaced
    excel = tmp_path / "excel.csv"
    report = await export_residents(engine, excel, encoding="utf-8-sig")
    assert report.replaced == 0
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_csv(excel, "utf-8-sig")[1][2] == "𠮷田 太郎"


async def test_reimport_never_replaces_a_stored_character_by_geta(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    rows = [
        ("5001", "H5", "𠮷田 直樹", "ヨシダ ナオキ", "S20.1.1", "", "舞鶴市𠮷原1", "0773-62-1234"),
        ("5002", "H5", "𠮷田 花子", "ヨシダ ハナコ", "S21.1.1", "", "舞鶴市𠮷原1", "0773-62-1234"),
        ROWS[2],
    ]
    await import_ledger(engine, write_csv(tmp_path / "in.csv", rows))
    before = await snapshot(engine)
    keys = {p: (r.name_key, r.kana_key) for p, r in (await residents(engine)).items()}
    out = tmp_path / "out.csv"
    assert (await export_residents(engine, out)).replaced == 4
    assert read_csv(out, "cp932")[1][2] == "〓田 直樹"
    again = await import_ledger(engine, out)
    assert (again.updated, again.unchanged, again.flagged) == (0, 3, [])
    assert await snapshot(engine) == before
    # a file saying something else, with 〓: kept as stored too, but flagged
    changed = [list(r) for r in rows]
    changed[0][2] = "〓川 直樹"
    changed[1][6] = changed[0][6] = "舞鶴市〓町2"
    again = await import_ledger(engine, write_csv(tmp_path / "b.csv", changed))
    assert (again.updated, again.unchanged) == (2, 1)
    assert [line for line, _ in again.flagged] == [2, 2, 3]
    people = await residents(engine)
    assert {p: (r.name_key, r.kana_key) for p, r in people.items()} == keys
    assert (people["5001"].name, people["5001"].address) == ("𠮷田 直樹", "舞鶴市𠮷原1")
    assert people["5001"].review == (
        "氏名 not updated: the file has 〓 (a character it could not carry); "
        "住所 not updated: the file has 〓 (a character it could not carry)"
    )
    assert people["5002"].review.startswith("住所 not updated")
    async with engine.connect() as conn:
        assert (
            await conn.execute(select(Household.address).order_by(Household.id))
        ).scalars().all() == [
            "舞鶴市𠮷原1",
            "舞鶴市浜1",
        ]
    again = await import_ledger(engine, write_csv(tmp_path / "b.csv", changed))
    assert (again.updated, again.unchanged, again.flagged) == (0, 3, [])


async def test_export_bookings(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_ledger(engine, write_csv(tmp_path / "in.csv", ROWS))
    start = dt.datetime(2021, 6, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 in Tokyo
    async with session_factory(engine)() as s:
        rid = (await s.scalars(select(Resident.id).where(Resident.person_no == "1002"))).one()
        venue = Venue(name="総合文化会館")
        s.add(venue)
        await s.flush()
        slot = Slot(
            venue_id=venue.id,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            capacity=5,
            booked=1,
        )
        s.add(slot)
        await s.flush()
        s.add(Booking(resident_id=rid, slot_id=slot.id, channel="phone"))
        await s.commit()
    out = tmp_path / "bookings.csv"
    report = await export_bookings(engine, out, encoding="utf-8-sig")
    assert report.rows == 1
    table = read_csv(out, "utf-8-sig")
    assert table[0][:6] == ["予約ID", "宛名番号", "氏名", "会場", "開始", "終了"]
    assert table[1][1:8] == [
        "1002",
        "髙橋 花子",
        "総合文化会館",
        "2021-06-01 09:30",
        "2021-06-01 10:00",
        "1",
        "booked",
    ]
