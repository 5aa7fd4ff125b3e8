"""Ledger CSV import on SQLite and PostgreSQL: encodings, dates, bad rows, upsert, refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.db import session_factory
from registry.errors import LedgerFileError
from registry.ledger import bulk as ledger_bulk
from registry.ledger import importer as ledger_csv
from registry.ledger import rows as ledger_rows
from registry.ledger.importer import import_ledger
from registry.ledger.mapping import is_my_number, load_mapping
from registry.ledger.rows import read_date
from registry.models import Household, Phone, Resident
from registry.normalize.barcode import make_barcode
from registry.normalize.wareki import parse_date

HEADER = ("宛名番号", "世帯番号", "氏名", "氏名カナ", "生年月日", "性別", "住所", "電話番号")
ROWS = [
    (
        "1001",
        "H1",
        "髙橋 一郎",
        "タカハシ イチロウ",
        "S15.04.01",
        "男",
        "舞鶴市北吸①-1",
        "0773-62-1234",
    ),
    (
        "1002",
        "H1",
        "髙橋 花子",
        "タカハシ ハナコ",
        "昭和18年5月3日",
        "女",
        "舞鶴市北吸①-1",
        "0773-62-1234",
    ),
    ("1003", "H2", "山﨑 次郎", "ヤマザキ ジロウ", "1950-12-31", "1", "舞鶴市浜1", "090-1234-5678"),
]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    header: Sequence[str] = HEADER,
) -> Path:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


async def count(engine: AsyncEngine, model: type[object]) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())


async def residents(engine: AsyncEngine) -> dict[str, Resident]:
    async with session_factory(engine)() as s:
        return {r.person_no: r for r in (await s.scalars(select(Resident))).all()}


async def test_cp932_file_with_variant_kanji(engine: AsyncEngine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ledger.csv", ROWS, encoding="cp932")
    report = await import_ledger(engine, path)
    assert report.encoding == "cp932"
    assert (report.rows_read, report.inserted, report.updated, report.bad_rows) == (3, 3, 0, [])
    people = await residents(engine)
    assert people["1001"].name == "髙橋 一郎"
    assert people["1001"].address == "舞鶴市北吸①-1"
    assert people["1003"].name == "山﨑 次郎"
    assert people["1001"].name_key == people["1001"].name_key.replace("髙", "高")
    assert people["1001"].kana_key == "タカハシイチロウ"
    assert people["1001"].birth_date == dt.date(1940, 4, 1)
    assert (people["1001"].sex, people["1002"].sex, people["1003"].sex) == ("M", "F", "M")
    assert len({p.barcode for p in people.values()}) == 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
async def test_utf8_with_and_without_bom(
    engine: AsyncEngine, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "ledger.csv", ROWS, encoding=encoding)
    report = await import_ledger(engine, path)
    assert report.encoding == "utf-8-sig"
    assert report.inserted == 3
    assert (await residents(engine))["1001"].person_no == "1001"  # BOM not glued to the header


async def test_wareki_and_western_dates(engine: AsyncEngine, tmp_path: Path) -> None:
    dates = [
        "S15.04.01",
        "昭和15年4月1日",
        "3150401",
        "1940/4/1",
        "１９４０－０４－０１",
        "Ｓ１５．４．１",
    ]
    rows = [(str(i), "", f"住民 {i}", "", d, "", "", "") for i, d in enumerate(dates)]
    report = await import_ledger(engine, write_csv(tmp_path / "d.csv", rows))
    assert report.bad_rows == []
    assert {r.birth_date for r in (await residents(engine)).values()} == {dt.date(1940, 4, 1)}


async def test_bad_rows_reported_with_line_numbers(engine: AsyncEngine, tmp_path: Path) -> None:
    rows = [
        ROWS[0],
        ("", "H9", "名無 権兵衛", "", "S20.1.1", "", "", ""),  # line 3: no 宛名番号
        ("2002", "H9", "日付 誤", "", "昭和15年2月30日", "", "", ""),  # line 4: impossible date
        ("2003", "H9", "電話 誤", "", "S20.1.1", "", "", "12"),  # line 5: kept, phone unindexed
        ("1001", "H1", "重複 太郎", "", "S20.1.1", "", "", ""),  # line 6: duplicate
        ("2004", "H9", "列 不足"),  # line 7: too few fields
    ]
    report = await import_ledger(engine, write_csv(tmp_path / "bad.csv", rows))
    lines = {line: reason for line, reason in report.bad_rows}
    assert sorted(lines) == [3, 4, 6, 7]
    assert "宛名番号" in lines[3]
    assert "生年月日" in lines[4]
    assert "line 2" in lines[6]
    assert report.inserted == 2
    assert any(line == 5 for line, _ in report.flagged)
    async with session_factory(engine)() as s:
        phone = (await s.scalars(select(Phone).where(Phone.raw == "12"))).one()
        assert phone.e164 is None
        assert "invalid" in phone.flags
        assert phone.resident_id is not None
        assert "電話番号" in (await s.get(Resident, phone.resident_id)).review  # type: ignore[union-attr]


async def test_birth_dates_in_the_future_or_before_1900_are_bad_rows(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    tomorrow = (dt.datetime.now(ZoneInfo("Asia/Tokyo")).date() + dt.timedelta(days=1)).isoformat()
    rows = [
        ROWS[0],
        ("2001", "", "未来 太郎", "", "2099-01-01", "", "", ""),  # line 3
        ("2002", "", "明日 花子", "", tomorrow, "", "", ""),  # line 4
        ("2003", "", "明治 一", "", "M32.12.31", "", "", ""),  # line 5: 1899-12-31
        ("2004", "", "明治 二", "", "M33.1.1", "", "", ""),  # line 6: 1900-01-01, kept
    ]
    report = await import_ledger(engine, write_csv(tmp_path / "d.csv", rows))
    assert report.bad_rows == [
        (3, "impossible 生年月日: '2099-01-01' is in the future"),
        (4, f"impossible 生年月日: {tomorrow!r} is in the future"),
        (5, "impossible 生年月日: 'M32.12.31' (1899-12-31) is before 1900"),
    ]
    assert sorted(await residents(engine)) == ["1001", "2004"]


async def test_reimport_updates_without_duplicates(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS))
    before = await residents(engine)
    changed = [list(r) for r in ROWS]
    changed[0][2] = "髙橋 一朗"
    changed[0][7] = changed[1][7] = "0773-75-0000"  # the household's landline changed
    changed[2][7] = "080-1111-2222"  # the mobile changed
    report = await import_ledger(engine, write_csv(tmp_path / "b.csv", changed))
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 1)
    assert await count(engine, Resident) == 3
    assert await count(engine, Household) == 2
    after = await residents(engine)
    assert after["1001"].name == "髙橋 一朗"
    assert after["1001"].barcode == before["1001"].barcode
    async with engine.connect() as conn:
        numbers = sorted((await conn.execute(select(Phone.e164))).scalars().all())
    assert numbers == ["+81773750000", "+818011112222"]


async def test_changed_phones_bring_their_review_notes(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS))
    changed = [list(r) for r in ROWS]
    changed[0][7] = changed[1][7] = "22-1234"  # the household's landline: a number to check
    changed[2][7] = "12"  # 1003's own number: not one
    for _ in range(2):  # the second time, nothing is new
        report = await import_ledger(engine, write_csv(tmp_path / "b.csv", changed))
        people = await residents(engine)
        assert [people[p].review.split(":")[0] for p in ("1001", "1002", "1003")] == [
            "電話番号 to check", "電話番号 to check", "電話番号 not indexed",
        ]  # fmt: skip
    assert (report.updated, report.unchanged) == (0, 3)
    report = await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS))
    assert (report.updated, report.unchanged) == (3, 0)
    assert {r.review for r in (await residents(engine)).values()} == {""}


async def test_reimport_mixing_new_and_known_rows(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_ledger(engine, write_csv(tmp_path / "a.csv", [ROWS[0], ROWS[2]]))
    mixed = [list(r) for r in ROWS]
    mixed[2][7] = ""  # 1003 no longer has a mobile
    report = await import_ledger(engine, write_csv(tmp_path / "b.csv", mixed))
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    after = await residents(engine)
    assert (after["1002"].name, after["1002"].birth_date) == ("髙橋 花子", dt.date(1943, 5, 3))
    assert after["1002"].household_id == after["1001"].household_id is not None
    assert after["1002"].barcode not in {after["1001"].barcode, after["1003"].barcode}
    async with engine.connect() as conn:
        numbers = sorted((await conn.execute(select(Phone.e164))).scalars().all())
    assert numbers == ["+81773621234"]


async def test_household_landline_and_own_mobile(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS))
    async with session_factory(engine)() as s:
        phones = {p.e164: p for p in (await s.scalars(select(Phone))).all()}
    landline, mobile = phones["+81773621234"], phones["+819012345678"]
    assert (landline.resident_id, landline.household_id is not None) == (None, True)
    assert landline.kind == "landline"
    assert (mobile.resident_id is not None, mobile.household_id) == (True, None)


@pytest.mark.parametrize(
    "column",
    ["個人番号", "マイナンバー", "住民票コード", "ﾏｲﾅﾝﾊﾞｰ",
     "まいなんばー", "個人No", "MyNo", "個人ナンバー", "社会保障・税番号", "ＭｙＮｏ"],
)  # fmt: skip
async def test_my_number_column_refused(engine: AsyncEngine, tmp_path: Path, column: str) -> None:
    header = (*HEADER, column)
    rows = [(*r, "123456789012") for r in ROWS]
    path = write_csv(tmp_path / "mn.csv", rows, header=header)
    with pytest.raises(LedgerFileError) as info:
        await import_ledger(engine, path)
    assert "123456789012" not in str(info.value)
    assert await count(engine, Resident) == 0


def my_number(seed: int) -> str:
    """A checksum-valid My Number (made up)."""
    body = f"{seed:011d}"
    return next(body + d for d in "0123456789" if is_my_number(body + d))


@pytest.mark.parametrize("column", ["宛名番号", "備考", "番号"])
async def test_a_column_of_my_numbers_is_refused_whatever_its_header(
    engine: AsyncEngine, tmp_path: Path, column: str
) -> None:
    """Here the My Numbers are the 宛名番号 (or an innocent-looking extra column)."""
    numbers = [my_number(48213 + 7919 * i) for i in range(len(ROWS))]
    if column == "宛名番号":
        rows = [(n, *r[1:]) for n, r in zip(numbers, ROWS, strict=True)]
        header = HEADER
    else:
        rows = [(*r, n) for n, r in zip(numbers, ROWS, strict=True)]
        header = (*HEADER, column)
    path = write_csv(tmp_path / "mn.csv", rows, header=header)
    with pytest.raises(LedgerFileError) as info:
        await import_ledger(engine, path)
    assert "個人番号" in str(info.value)
    assert all(n not in str(info.value) for n in numbers)
    assert await count(engine, Resident) == 0


async def test_twelve_digit_ledger_numbers_are_not_my_numbers(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """A 12-digit 宛名番号 whose last digit fails the check is imported."""
    numbers = [my_number(48213 + 7919 * i) for i in range(len(ROWS))]
    wrong = [n[:11] + str((int(n[11]) + 1) % 10) for n in numbers]
    rows = [(n, *r[1:]) for n, r in zip(wrong, ROWS, strict=True)]
    report = await import_ledger(engine, write_csv(tmp_path / "ok.csv", rows))
    assert report.inserted == len(ROWS)


def test_my_number_check_digit() -> None:
    assert is_my_number("123456789018")
    assert is_my_number("1234 5678 9018")
    assert not is_my_number("123456789012")
    assert not is_my_number("12345678901")


async def test_dry_run_writes_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    report = await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS), dry_run=True)
    assert (report.inserted, report.households_inserted, report.written) == (3, 2, False)
    assert await count(engine, Resident) == 0
    assert await count(engine, Household) == 0


async def test_all_or_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    rows = [*ROWS, ("2002", "", "日付 誤", "", "S15.02.30", "", "", "")]
    path = write_csv(tmp_path / "a.csv", rows)
    report = await import_ledger(engine, path, all_or_nothing=True)
    assert [line for line, _ in report.bad_rows] == [5]
    assert not report.written
    assert await count(engine, Resident) == 0
    report = await import_ledger(engine, write_csv(tmp_path / "b.csv", ROWS), all_or_nothing=True)
    assert report.written
    assert await count(engine, Resident) == 3


async def test_gaiji_flagged_not_dropped(engine: AsyncEngine, tmp_path: Path) -> None:
    rows = [
        ("3001", "", "\ue001田 太郎", "", "S20.1.1", "", "", ""),
        ("3002", "", "〓山 花子", "", "S20.1.1", "", "舞鶴市〓町", ""),
    ]
    report = await import_ledger(engine, write_csv(tmp_path / "g.csv", rows, encoding="cp932"))
    assert report.inserted == 2
    assert {line for line, _ in report.flagged} == {2, 3}
    people = await residents(engine)
    assert people["3001"].name.startswith("\ue001")
    assert "外字" in people["3001"].review
    assert "住所" in people["3002"].review


async def test_header_variants_and_mapping(engine: AsyncEngine, tmp_path: Path) -> None:
    header = (
        "管理番号",
        "世帯番号",
        "氏名",
        "氏名（カナ）",
        "生年月日",
        "性別",
        "住所",
        "連絡先電話番号",
        "携帯電話番号",
        "備考",
    )
    rows = [
        (
            "4001",
            "H4",
            "森 一",
            "モリ ハジメ",
            "H1.1.8",
            "男",
            "舞鶴市",
            "62-0001",
            "090-0000-0001",
            "メモ",
        )
    ]
    path = write_csv(tmp_path / "v.csv", rows, header=header)
    with pytest.raises(LedgerFileError, match="宛名番号"):
        await import_ledger(engine, path)
    toml = tmp_path / "m.toml"
    toml.write_text('[columns]\nperson_no = "管理番号"\n', encoding="utf-8")
    report = await import_ledger(engine, path, mapping=load_mapping(toml))
    assert report.inserted == 1
    assert report.ignored_columns == ["備考"]
    person = (await residents(engine))["4001"]
    assert (person.name_kana, person.kana_key) == ("モリ ハジメ", "モリハジメ")
    async with engine.connect() as conn:
        assert len((await conn.execute(select(Phone.id))).all()) == 2
    report = await import_ledger(engine, path, mapping={"person_no": "管理番号"})
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 1)


async def test_session_target_and_progress(engine: AsyncEngine, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    async with session_factory(engine)() as s:
        report = await import_ledger(
            s, write_csv(tmp_path / "a.csv", ROWS), progress=lambda d, t: seen.append((d, t))
        )
        await s.commit()
    assert report.inserted == 3
    assert seen[-1] == (3, 3)
    assert await count(engine, Resident) == 3


@pytest.mark.parametrize("quoted", [False, True])
async def test_worker_processes_give_the_same_report(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quoted: bool
) -> None:
    monkeypatch.setattr(ledger_csv, "CHUNK", 2)  # several jobs per worker
    rows = [
        *ROWS,
        ("2002", "H9", "日付 誤", "", "昭和15年2月30日", "", "", ""),  # bad date
        ("1001", "H1", "重複 太郎", "", "S20.1.1", "", "", ""),  # duplicate of line 2
        ("2003", "H9", "電話 誤", "", "S20.1.1", "", "", "12"),  # flagged
        ("2004", "H9", "外字 \ue000", "", "S20.1.1", "", '"浜1,2"' if quoted else "浜1", ""),
    ]
    path = write_csv(tmp_path / "w.csv", rows)
    dry = await import_ledger(engine, path, dry_run=True, workers=0)
    report = await import_ledger(engine, path, workers=2)
    assert report.bad_rows == dry.bad_rows
    assert [n for n, _ in report.bad_rows] == [5, 6]
    assert report.flagged == dry.flagged
    assert {n for n, _ in report.flagged} == {7, 8}
    assert (report.rows_read, report.inserted) == (7, 5)
    assert await count(engine, Resident) == 5
    again = await import_ledger(engine, path, workers=2)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)


async def _indexes(engine: AsyncEngine) -> list[tuple[str, ...]]:
    """Every index of residents and phones, as the database describes it."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql = (
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE "
                "tablename IN ('residents', 'phones') AND schemaname = current_schema() UNION ALL "
                "SELECT conrelid::regclass::text, conname, "
                "pg_get_constraintdef(oid) || convalidated FROM pg_constraint "
                "WHERE conrelid IN ('residents'::regclass, 'phones'::regclass)"
            )
            return sorted(tuple(r) for r in (await conn.exec_driver_sql(sql)).all())
        found: list[tuple[str, ...]] = []
        for table in ("residents", "phones"):
            listed = (await conn.exec_driver_sql(f"PRAGMA index_list({table})")).all()
            for _, name, unique, origin, partial in listed:
                cols = (await conn.exec_driver_sql(f"PRAGMA index_info({name})")).all()
                found.append((table, name, str(unique), origin, str(partial),
                              ",".join(c[2] for c in cols)))  # fmt: skip
        return sorted(found)


async def test_first_import_ends_with_the_migrations_indexes(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await _indexes(engine)
    assert any("ix_residents_name_key" in str(i) for i in before)
    if engine.dialect.name == "postgresql":
        assert any("fk_phones_resident_id_residents" in str(i) for i in before)
    await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS))
    assert await _indexes(engine) == before
    await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS))  # not empty: kept
    assert await _indexes(engine) == before


async def test_failed_first_import_keeps_indexes_and_writes_nothing(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _indexes(engine)

    async def broken(self: ledger_bulk.LedgerWriter, report: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger_bulk.LedgerWriter, "finish", broken)
    with pytest.raises(RuntimeError):
        await import_ledger(engine, write_csv(tmp_path / "a.csv", ROWS))
    assert await _indexes(engine) == before
    assert await count(engine, Resident) == 0
    async with session_factory(engine)() as s:  # the session path: the caller commits
        with pytest.raises(RuntimeError):
            await import_ledger(s, write_csv(tmp_path / "a.csv", ROWS))
        await s.rollback()
    assert await _indexes(engine) == before
    assert await count(engine, Resident) == 0


def test_barcodes_follow_make_barcode() -> None:
    for start in (1, 7, 10, 99_999_995):
        codes = ledger_bulk.barcodes(start)
        assert [next(codes) for _ in range(25)] == [make_barcode(start + i) for i in range(25)]


@pytest.mark.parametrize(
    "raw",
    ["平成5年11月21日", "S15.04.01", "3150401", "1940-04-01", "昭和64年1月8日", "H31.4.30",
     "R1.4.30", "令和1年5月1日", "5010501", "昭和15年2月30日", "S00.01.01", "平成元年1月8日"],
)  # fmt: skip
def test_fast_dates_agree_with_parse_date(raw: str) -> None:
    try:
        expected: object = parse_date(raw)
    except ValueError:
        expected = None
    assert ledger_rows._fast_date(raw) in (expected, None)
    assert read_date(raw) == expected or (expected is None and isinstance(read_date(raw), str))
