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
import datetime as dt
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
    RowParser,
    as_mapping,
    decode_ledger,
    refuse_forbidden,
    resolve_columns,
)
from registry.models import Base, utcnow

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

    def __init__(self, records: Iterator[tuple[int, list[str]]], parse: RowParser) -> None:
        self.records, self.parse = records, parse
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
                row = self.parse(cells, line)
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


def _serial(barcode: str | None) -> int:
    head = (barcode or "")[:-1]
    return int(head) if head.isdigit() else 0


class _Bulk:
    """A statement compiled once for the dialect and run as a driver-level executemany.

    SQLAlchemy's per-row parameter processing cost more than the database itself here; rows are
    given as tuples in ``keys`` order and converted only by the dialect's own bind processors
    (SQLite dates), so the stored values are exactly what Core would store.
    """

    def __init__(self, conn: AsyncConnection, stmt: Any, keys: Sequence[str]) -> None:
        dialect = conn.dialect
        compiled = stmt.compile(dialect=dialect)
        self.stmt, self.keys = stmt, tuple(keys)
        pos = compiled.positiontup
        self.sql = str(compiled) if pos is not None else ""
        self.index = [self.keys.index(k) for k in pos or ()]
        procs = [compiled.binds[k].type.dialect_impl(dialect).bind_processor(dialect)
                 for k in pos or ()]  # fmt: skip
        self.procs = procs if any(procs) or self.index != list(range(len(keys))) else None

    async def run(self, conn: AsyncConnection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self.sql:  # a named paramstyle: let Core bind
            await conn.execute(self.stmt, [dict(zip(self.keys, r, strict=True)) for r in rows])
            return
        params: Sequence[tuple[Any, ...]] = rows
        if self.procs is not None:
            pairs = list(zip(self.index, self.procs, strict=True))
            params = [tuple(p(r[i]) if p else r[i] for i, p in pairs) for r in rows]
        await conn.exec_driver_sql(self.sql, params)


def _bind(keys: Sequence[str]) -> dict[str, Any]:
    return {k: bindparam(k) for k in keys}


RES_KEYS = ("household_id", "name", "name_kana", "name_key", "kana_key", "birth_date", "sex",
            "address", "review", "updated_at")  # fmt: skip
NEW_RES_KEYS = (*RES_KEYS, "person_no", "barcode", "status")
PHONE_KEYS = ("e164", "raw", "kind", "flags", "resident_id", "household_id")


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
        self.last_resident = self.last_household = 0  # highest ids known
        r, h = RESIDENTS, HOUSEHOLDS
        self.add_res = _Bulk(conn, insert(r).values(_bind(NEW_RES_KEYS)).inline(), NEW_RES_KEYS)
        self.set_res = _Bulk(
            conn, update(r).where(r.c.id == bindparam("rid")).values(_bind(RES_KEYS)),
            (*RES_KEYS, "rid"),
        )  # fmt: skip
        hh_keys = ("household_no", "address", "created_at")
        self.add_hh = _Bulk(conn, insert(h).values(_bind(hh_keys)).inline(), hh_keys)
        self.set_hh = _Bulk(
            conn, update(h).where(h.c.id == bindparam("hid")).values(_bind(["address"])),
            ("address", "hid"),
        )  # fmt: skip
        self.add_phone = _Bulk(conn, insert(PHONES).values(_bind(PHONE_KEYS)).inline(), PHONE_KEYS)
        p = PHONES.c
        self.drop_own = _Bulk(conn, delete(PHONES).where(p.resident_id == bindparam("r")), ("r",))
        self.drop_shared = _Bulk(
            conn,
            delete(PHONES).where(p.household_id == bindparam("h"), p.resident_id.is_(None)),
            ("h",),
        )

    @classmethod
    async def load(cls, conn: AsyncConnection) -> _Writer:
        r, h = RESIDENTS.c, HOUSEHOLDS.c
        people = {no: rid for no, rid in (await conn.execute(select(r.person_no, r.id))).all()}
        rows = (await conn.execute(select(h.household_no, h.id, h.address))).all()
        top = (await conn.execute(select(func.max(r.barcode)))).scalar()
        writer = cls(conn, people, {no: (hid, a) for no, hid, a in rows}, _serial(top) + 1)
        writer.last_resident = max(people.values(), default=0)
        writer.last_household = max((hid for _, hid, _ in rows), default=0)
        return writer

    def count(self, rows: Sequence[LedgerRow], report: ImportReport) -> None:
        """Dry run: what a write would do."""
        new = sum(1 for r in rows if r.person_no not in self.people)
        report.inserted += new
        report.updated += len(rows) - new
        fresh = {r.household_no for r in rows if r.household_no} - self.households.keys()
        report.households_inserted += len(fresh)
        self.households.update((no, (0, "")) for no in fresh)
        report.phones += sum(len(r.phones) for r in rows)

    async def _new_ids(self, key: Any, pk: Any, after: int) -> dict[str, int]:
        """Keys of the rows inserted since id ``after`` (ids only grow; one range scan)."""
        rows = (await self.conn.execute(select(key, pk).where(pk > after))).all()
        return {k: i for k, i in rows}

    async def write(self, rows: Sequence[LedgerRow], report: ImportReport) -> None:
        now = utcnow()
        await self._households(rows, report, now)
        new = [r for r in rows if r.person_no not in self.people]
        old = [(self.people[r.person_no], r) for r in rows if r.person_no in self.people]
        if new:
            values = [(*self._values(r, now), r.person_no, self._barcode(), "active") for r in new]
            await self.add_res.run(self.conn, values)
            r = RESIDENTS.c
            added = await self._new_ids(r.person_no, r.id, self.last_resident)
            self.people.update(added)
            self.last_resident = max(added.values(), default=self.last_resident)
        if old:
            await self.set_res.run(self.conn, [(*self._values(r, now), rid) for rid, r in old])
            await self.drop_own.run(self.conn, [(rid,) for rid, _ in old])
        report.inserted += len(new)
        report.updated += len(old)
        report.phones += await self._phones(rows)

    def _barcode(self) -> str:
        self.serial += 1
        return make_barcode(self.serial - 1)

    def _values(self, row: LedgerRow, now: dt.datetime) -> tuple[Any, ...]:
        hid = self.households[row.household_no][0] if row.household_no else None
        return (hid, row.name, row.name_kana, row.name_key, row.kana_key, row.birth_date,
                row.sex, row.address, "; ".join(row.notes), now)  # fmt: skip

    async def _households(
        self, rows: Sequence[LedgerRow], report: ImportReport, now: dt.datetime
    ) -> None:
        wanted: dict[str, str] = {}
        for r in rows:
            if r.household_no and not wanted.get(r.household_no):
                wanted[r.household_no] = r.address
        new = [no for no in wanted if no not in self.households]
        if new:
            await self.add_hh.run(self.conn, [(no, wanted[no], now) for no in new])
            h = HOUSEHOLDS.c
            added = await self._new_ids(h.household_no, h.id, self.last_household)
            self.households.update((no, (hid, wanted.get(no, ""))) for no, hid in added.items())
            self.last_household = max(added.values(), default=self.last_household)
            report.households_inserted += len(new)
        moved = [no for no, a in wanted.items() if a and self.households[no][1] != a]
        if moved:
            await self.set_hh.run(self.conn, [(wanted[no], self.households[no][0]) for no in moved])
            self.households.update((no, (self.households[no][0], wanted[no])) for no in moved)
        stale = [self.households[no][0] for no in wanted if no in self.known_households]
        stale = [hid for hid in stale if hid not in self.reset]
        self.reset.update(stale)
        await self.drop_shared.run(self.conn, [(hid,) for hid in stale])

    async def _phones(self, rows: Sequence[LedgerRow]) -> int:
        values: list[tuple[Any, ...]] = []
        for r in rows:
            for p in r.phones:
                if not p.shared:
                    values.append((p.e164, p.raw, p.kind, p.flags, self.people[r.person_no], None))
                    continue
                hid = self.households[r.household_no][0]
                key = (hid, p.e164 or p.raw)
                if key not in self.household_phones:
                    self.household_phones.add(key)
                    values.append((p.e164, p.raw, p.kind, p.flags, None, hid))
        await self.add_phone.run(self.conn, values)
        return len(values)


async def _pipeline(
    parser: _Parser, writer: _Writer, report: ImportReport, dry_run: bool,
    progress: Progress | None, expected: int,
) -> None:  # fmt: skip
    """Parse chunk n+1 in a worker thread while chunk n is written (the database drivers
    release the GIL, so both cores work)."""
    done = 0
    pending = asyncio.ensure_future(asyncio.to_thread(parser.chunk, report))
    try:
        while True:
            rows, n = await pending
            if not n:
                return
            pending = asyncio.ensure_future(asyncio.to_thread(parser.chunk, report))
            if dry_run:
                writer.count(rows, report)
            else:
                await writer.write(rows, report)
            done += n
            if progress is not None:
                progress(done, max(expected, done))
    finally:
        if not pending.done():  # a write failed: let the worker thread finish its chunk
            await asyncio.wait([pending])
        if not pending.cancelled() and pending.exception() is not None:
            pending.exception()  # retrieved, so asyncio does not log it as unhandled


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
        parser = _Parser(records, RowParser(cols, len(header), m.default_area_code))
        while (await asyncio.to_thread(parser.chunk, check))[1]:
            pass
        if check.bad_rows:
            check.seconds = time.perf_counter() - started
            log.warning("ledger import refused: %d bad rows (all-or-nothing)", len(check.bad_rows))
            return check
        records = _records(text)
        next(records)
    parser = _Parser(records, RowParser(cols, len(header), m.default_area_code))
    async with _connection(target) as conn:
        await _pipeline(parser, await _Writer.load(conn), report, dry_run, progress, expected)
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
