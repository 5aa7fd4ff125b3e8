"""Ledger CSV import (upsert by 宛名番号) and CSV export of residents and bookings.

Import: the file is decoded and its header checked (a 個人番号 / 住民票コード column refuses the
whole file) before the database is touched; rows are then validated (``ledger_mapping``) and
written in chunks with bulk Core statements: the 宛名番号 -> id and 世帯番号 -> id maps are loaded
once, new residents inserted, known ones updated, never duplicated. An updated resident's own
phones are replaced; the household phones of every household in the file are rebuilt from its
rows. A bad row is reported with its line number and skipped (or, with ``all_or_nothing``, nothing
is written); ``dry_run`` writes nothing. Given an engine the import is one transaction; given a
session, the caller commits. Works on SQLite and PostgreSQL. Only counts are logged, never row
contents.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from registry.barcode import make_barcode
from registry.errors import LedgerFileError
from registry.ledger_mapping import (
    BadRow,
    LedgerMapping,
    LedgerRow,
    as_mapping,
    decode_ledger,
    parse_row,
    refuse_forbidden,
    resolve_columns,
)
from registry.models import Base

log = logging.getLogger(__name__)

CHUNK = 5000
Progress = Callable[[int, int], None]  # (records done, records expected)
Target = AsyncEngine | AsyncSession
RESIDENTS: Table = Base.metadata.tables["residents"]
HOUSEHOLDS: Table = Base.metadata.tables["households"]
PHONES: Table = Base.metadata.tables["phones"]


@dataclass
class ImportReport:
    path: str
    encoding: str = ""
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    households_inserted: int = 0
    phones: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    flagged: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False  # False after a dry run or a refused all-or-nothing import
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        verb = "would insert" if self.dry_run else "inserted"
        text = (
            f"{self.rows_read} rows read ({self.encoding}): {verb} {self.inserted}, "
            f"{'would update' if self.dry_run else 'updated'} {self.updated}, "
            f"{len(self.bad_rows)} bad, {len({n for n, _ in self.flagged})} flagged for review; "
            f"{self.households_inserted} new households, {self.phones} phones; "
            f"{self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s)"
        )
        if not self.written and not self.dry_run and self.bad_rows:
            text += "; nothing written (all-or-nothing)"
        return text


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of every CSV record; line 1 is the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    prev = 0
    try:
        for cells in reader:
            start, prev = prev + 1, reader.line_num
            yield start, cells
    except csv.Error as err:
        raise LedgerFileError(f"line {reader.line_num}: broken CSV ({err})") from err


class _Parser:
    """Validates records chunk by chunk; remembers 宛名番号 already seen in the file."""

    def __init__(
        self,
        records: Iterator[tuple[int, list[str]]],
        cols: Mapping[str, Any],
        width: int,
        area: str,
    ) -> None:
        self.records, self.cols, self.width, self.area = records, cols, width, area
        self.seen: dict[str, int] = {}

    def chunk(self, report: ImportReport) -> tuple[list[LedgerRow], int]:
        rows: list[LedgerRow] = []
        n = 0
        for line, cells in itertools.islice(self.records, CHUNK):
            n += 1
            if not any(c.strip() for c in cells):
                continue  # blank line
            report.rows_read += 1
            try:
                row = parse_row(cells, line, self.cols, self.width, self.area)
            except BadRow as err:
                report.bad_rows.append((line, str(err)))
                continue
            first = self.seen.setdefault(row.person_no, line)
            if first != line:
                report.bad_rows.append((line, f"duplicate 宛名番号 (first on line {first})"))
                continue
            report.flagged.extend((line, note) for note in row.notes)
            rows.append(row)
        return rows, n


@asynccontextmanager
async def _connection(target: Target) -> AsyncIterator[AsyncConnection]:
    if isinstance(target, AsyncSession):
        yield await target.connection()
    else:
        async with target.begin() as conn:
            yield conn


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _serial(barcode: str | None) -> int:
    head = (barcode or "")[:-1]
    return int(head) if head.isdigit() else 0


class _Writer:
    """Bulk upserts of households, residents and phones, with the key maps kept in memory."""

    def __init__(
        self,
        conn: AsyncConnection,
        people: dict[str, int],
        households: dict[str, tuple[int, str]],
        serial: int,
    ) -> None:
        self.conn, self.people, self.households, self.serial = conn, people, households, serial
        self.known_households = frozenset(households)
        self.reset: set[int] = set()  # households whose phones were rebuilt already
        self.household_phones: set[tuple[int, str]] = set()

    @classmethod
    async def load(cls, conn: AsyncConnection) -> _Writer:
        r, h = RESIDENTS.c, HOUSEHOLDS.c
        people = {no: rid for no, rid in (await conn.execute(select(r.person_no, r.id))).all()}
        rows = (await conn.execute(select(h.household_no, h.id, h.address))).all()
        top = (await conn.execute(select(func.max(r.barcode)))).scalar()
        return cls(conn, people, {no: (hid, addr) for no, hid, addr in rows}, _serial(top) + 1)

    def count(self, rows: Sequence[LedgerRow], report: ImportReport) -> None:
        """Dry run: what a write would do."""
        new = sum(1 for r in rows if r.person_no not in self.people)
        report.inserted += new
        report.updated += len(rows) - new
        fresh = {r.household_no for r in rows if r.household_no} - self.households.keys()
        report.households_inserted += len(fresh)
        self.households.update((no, (0, "")) for no in fresh)
        report.phones += sum(len(r.phones) for r in rows)

    async def write(self, rows: Sequence[LedgerRow], report: ImportReport) -> None:
        await self._households(rows, report)
        new = [r for r in rows if r.person_no not in self.people]
        old = [(self.people[r.person_no], r) for r in rows if r.person_no in self.people]
        if new:
            values = [self._values(r) | self._identity(r) for r in new]
            stmt = insert(RESIDENTS).returning(RESIDENTS.c.person_no, RESIDENTS.c.id)
            self.people.update((no, rid) for no, rid in (await self.conn.execute(stmt, values)))
        if old:
            stmt_u = update(RESIDENTS).where(RESIDENTS.c.id == bindparam("rid"))
            await self.conn.execute(stmt_u, [self._values(r) | {"rid": rid} for rid, r in old])
            for ids in _chunks([rid for rid, _ in old]):
                await self.conn.execute(delete(PHONES).where(PHONES.c.resident_id.in_(ids)))
        report.inserted += len(new)
        report.updated += len(old)
        report.phones += await self._phones(rows)

    def _identity(self, row: LedgerRow) -> dict[str, Any]:
        self.serial += 1
        return {"person_no": row.person_no, "barcode": make_barcode(self.serial - 1)}

    def _values(self, row: LedgerRow) -> dict[str, Any]:
        hid = self.households[row.household_no][0] if row.household_no else None
        return {
            "household_id": hid,
            "name": row.name,
            "name_kana": row.name_kana,
            "name_key": row.name_key,
            "kana_key": row.kana_key,
            "birth_date": row.birth_date,
            "sex": row.sex,
            "address": row.address,
            "review": "; ".join(row.notes),
        }

    async def _households(self, rows: Sequence[LedgerRow], report: ImportReport) -> None:
        wanted: dict[str, str] = {}
        for r in rows:
            if r.household_no and not wanted.get(r.household_no):
                wanted[r.household_no] = r.address
        new = [
            {"household_no": no, "address": a}
            for no, a in wanted.items()
            if no not in self.households
        ]
        if new:
            stmt = insert(HOUSEHOLDS).returning(HOUSEHOLDS.c.household_no, HOUSEHOLDS.c.id)
            for no, hid in await self.conn.execute(stmt, new):
                self.households[no] = (hid, wanted[no])
            report.households_inserted += len(new)
        moved = [no for no, a in wanted.items() if a and self.households[no][1] != a]
        if moved:
            stmt_u = update(HOUSEHOLDS).where(HOUSEHOLDS.c.id == bindparam("hid"))
            params = [{"hid": self.households[no][0], "address": wanted[no]} for no in moved]
            await self.conn.execute(stmt_u, params)
            self.households.update((no, (self.households[no][0], wanted[no])) for no in moved)
        stale = [self.households[no][0] for no in wanted if no in self.known_households]
        stale = [hid for hid in stale if hid not in self.reset]
        self.reset.update(stale)
        for ids in _chunks(stale):
            await self.conn.execute(
                delete(PHONES).where(PHONES.c.household_id.in_(ids), PHONES.c.resident_id.is_(None))
            )

    async def _phones(self, rows: Sequence[LedgerRow]) -> int:
        values: list[dict[str, Any]] = []
        for r in rows:
            for p in r.phones:
                owner: dict[str, int | None] = {
                    "resident_id": self.people[r.person_no],
                    "household_id": None,
                }
                if p.shared:
                    hid = self.households[r.household_no][0]
                    key = (hid, p.e164 or p.raw)
                    if key in self.household_phones:
                        continue
                    self.household_phones.add(key)
                    owner = {"resident_id": None, "household_id": hid}
                values.append(
                    {"e164": p.e164, "raw": p.raw, "kind": p.kind, "flags": p.flags, **owner}
                )
        if values:
            await self.conn.execute(insert(PHONES), values)
        return len(values)


def _open(
    path: str | Path, mapping: LedgerMapping, encoding: str | None
) -> tuple[str, str, list[str], Iterator[tuple[int, list[str]]]]:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise LedgerFileError(f"cannot read {path}: {err.strerror or err}") from err
    text, used = decode_ledger(data, encoding or mapping.encoding)
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise LedgerFileError(f"{path} is empty")
    return text, used, first[1], records


async def import_ledger(
    target: Target,
    path: str | Path,
    *,
    mapping: LedgerMapping | Mapping[str, str | Sequence[str]] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import a ledger CSV file; see the module docstring. Raises ``LedgerFileError``."""
    started = time.perf_counter()
    m = as_mapping(mapping)
    text, used, header, records = await asyncio.to_thread(_open, path, m, encoding)
    refuse_forbidden(header)
    cols = resolve_columns(header, m)
    taken = {i for idx in cols.values() for i in idx}
    report = ImportReport(str(path), used, dry_run=dry_run)
    report.ignored_columns = [h for i, h in enumerate(header) if i not in taken]
    expected = max(text.count("\n") - 1, 0)
    if all_or_nothing and not dry_run:
        check = ImportReport(str(path), used)
        parser = _Parser(records, cols, len(header), m.default_area_code)
        while (await asyncio.to_thread(parser.chunk, check))[1]:
            pass
        if check.bad_rows:
            check.seconds = time.perf_counter() - started
            log.warning("ledger import refused: %d bad rows (all-or-nothing)", len(check.bad_rows))
            return check
        records = _records(text)
        next(records)
    parser = _Parser(records, cols, len(header), m.default_area_code)
    done = 0
    async with _connection(target) as conn:
        writer = await _Writer.load(conn)
        while True:
            rows, n = await asyncio.to_thread(parser.chunk, report)
            if not n:
                break
            if dry_run:
                writer.count(rows, report)
            else:
                await writer.write(rows, report)
            done += n
            if progress is not None:
                progress(done, max(expected, done))
    report.written = not dry_run
    report.seconds = time.perf_counter() - started
    log.info("ledger import: %s", report.summary())
    return report


# --- export -------------------------------------------------------------------------------------

EXPORT_ENCODINGS = ("cp932", "utf-8-sig")
GETA = "〓"  # stands for a character the target encoding cannot hold
_SELECTORS = dict.fromkeys([*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])
RESIDENT_HEADER = (
    "宛名番号",
    "世帯番号",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
    "電話番号",
    "携帯電話番号",
    "バーコード",
    "状態",
    "要確認",
)
BOOKING_HEADER = (
    "予約ID",
    "宛名番号",
    "氏名",
    "会場",
    "開始",
    "終了",
    "回数",
    "状態",
    "受付経路",
    "受付日時",
)
SEX_LABEL = {"M": "男", "F": "女"}


@dataclass(frozen=True)
class ExportReport:
    path: str
    rows: int
    encoding: str
    replaced: int  # characters written as 〓 because the encoding cannot hold them


class _CsvOut:
    """Writes CSV lines to a binary file, replacing unencodable characters with 〓 (counted)."""

    def __init__(self, fh: io.BufferedWriter, encoding: str) -> None:
        if encoding.lower().replace("_", "-") not in EXPORT_ENCODINGS:
            raise LedgerFileError(f"export encoding must be one of {', '.join(EXPORT_ENCODINGS)}")
        self.fh, self.encoding, self.replaced, self.rows = fh, encoding.lower(), 0, 0
        self.buf = io.StringIO()
        self.csv = csv.writer(self.buf, lineterminator="\r\n")
        if self.encoding == "utf-8-sig":
            fh.write("\ufeff".encode())
            self.encoding = "utf-8"

    def write(self, cells: Sequence[object]) -> None:
        self.buf.seek(0)
        self.buf.truncate()
        self.csv.writerow(cells)
        line = self.buf.getvalue()
        try:
            self.fh.write(line.encode(self.encoding))
        except UnicodeEncodeError:
            line = line.translate(_SELECTORS)  # a variation selector is not a character of its own
            out = bytearray()
            for ch in line:
                try:
                    out += ch.encode(self.encoding)
                except UnicodeEncodeError:
                    out += GETA.encode(self.encoding)
                    self.replaced += 1
            self.fh.write(bytes(out))
        self.rows += 1


async def _stream_to_csv(
    target: Target,
    path: str | Path,
    encoding: str,
    header: Sequence[str],
    rows: Callable[[AsyncConnection], AsyncIterator[Sequence[object]]],
) -> ExportReport:
    with open(path, "wb") as fh:  # noqa: ASYNC230 - small sequential writes, like a log file
        out = _CsvOut(fh, encoding)
        out.write(header)
        async with _connection(target) as conn:
            async for cells in rows(conn):
                out.write(cells)
    log.info("exported %d rows to %s (%d characters replaced)", out.rows - 1, path, out.replaced)
    return ExportReport(str(path), out.rows - 1, encoding, out.replaced)


def _phone_text(row: Any) -> str:
    return str(row.national if row.e164 else row.raw)


async def _resident_rows(conn: AsyncConnection) -> AsyncIterator[Sequence[object]]:
    from registry.phone import normalize_ledger_phone

    p = PHONES.c
    own: dict[int, list[tuple[str, str]]] = {}
    shared: dict[int, list[str]] = {}
    for ph in await conn.execute(select(p.resident_id, p.household_id, p.e164, p.raw, p.kind)):
        text = normalize_ledger_phone(ph.e164).national if ph.e164 else ph.raw
        if ph.resident_id is not None:
            own.setdefault(ph.resident_id, []).append((ph.kind, text))
        elif ph.household_id is not None:
            shared.setdefault(ph.household_id, []).append(text)
    r, h = RESIDENTS.c, HOUSEHOLDS.c
    stmt = (
        select(
            r.id,
            r.person_no,
            h.household_no,
            r.name,
            r.name_kana,
            r.birth_date,
            r.sex,
            r.address,
            r.household_id,
            r.barcode,
            r.status,
            r.review,
        )
        .outerjoin(HOUSEHOLDS, h.id == r.household_id)
        .order_by(r.id)
    )
    result = await conn.stream(stmt)
    async for row in result:
        mine = own.get(row.id, [])
        landline = [*shared.get(row.household_id, []), *(t for k, t in mine if k != "mobile")]
        mobile = [t for k, t in mine if k == "mobile"]
        yield (
            row.person_no,
            row.household_no or "",
            row.name,
            row.name_kana,
            row.birth_date.isoformat() if row.birth_date else "",
            SEX_LABEL.get(row.sex, ""),
            row.address,
            " / ".join(landline),
            " / ".join(mobile),
            row.barcode,
            row.status,
            row.review,
        )


def _local(value: Any) -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo

    if not isinstance(value, dt.datetime):
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")


async def _booking_rows(conn: AsyncConnection) -> AsyncIterator[Sequence[object]]:
    b, r = Base.metadata.tables["bookings"].c, RESIDENTS.c
    s, v = Base.metadata.tables["slots"].c, Base.metadata.tables["venues"].c
    stmt = (
        select(
            b.id,
            r.person_no,
            r.name,
            v.name.label("venue"),
            s.starts_at,
            s.ends_at,
            b.dose,
            b.status,
            b.channel,
            b.created_at,
        )
        .join_from(Base.metadata.tables["bookings"], RESIDENTS, r.id == b.resident_id)
        .join(Base.metadata.tables["slots"], s.id == b.slot_id)
        .join(Base.metadata.tables["venues"], v.id == s.venue_id)
        .order_by(s.starts_at, b.id)
    )
    result = await conn.stream(stmt)
    async for row in result:
        yield (
            row.id,
            row.person_no,
            row.name,
            row.venue,
            _local(row.starts_at),
            _local(row.ends_at),
            row.dose,
            row.status,
            row.channel,
            _local(row.created_at),
        )


async def export_residents(
    target: Target, path: str | Path, *, encoding: str = "cp932"
) -> ExportReport:
    """Write every resident to ``path`` (cp932, or utf-8-sig for Excel); re-importable."""
    return await _stream_to_csv(target, path, encoding, RESIDENT_HEADER, _resident_rows)


async def export_bookings(
    target: Target, path: str | Path, *, encoding: str = "cp932"
) -> ExportReport:
    """Write every booking (with the resident, venue and slot times in Asia/Tokyo) to ``path``."""
    return await _stream_to_csv(target, path, encoding, BOOKING_HEADER, _booking_rows)
