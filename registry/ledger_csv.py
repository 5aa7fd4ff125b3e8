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

from sqlalchemy import Table, func, select
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
    updated: int = 0  # existing residents whose row or own phones changed
    unchanged: int = 0  # existing residents already as in the file (nothing written)
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
            f"{'' if self.dry_run else f'{self.unchanged} unchanged, '}"
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
    """One bulk statement per chunk: ``insert`` rows, ``update`` them by their id (the last key),
    or ``delete`` by one key. PostgreSQL gets a single set-based statement over ``unnest`` arrays
    (one round trip per chunk); SQLite an in-process executemany with values converted by the
    dialect's own bind processors, so stored values are exactly what Core would store. Both skip
    SQLAlchemy's per-row parameter processing, which cost more than the database itself.
    """

    def __init__(
        self, conn: AsyncConnection, table: Table, op: str, keys: Sequence[str], where: str = ""
    ) -> None:
        d = conn.dialect
        self.pg = d.name == "postgresql"
        if not self.pg and d.paramstyle != "qmark":
            raise LedgerFileError(f"bulk import is not supported on {d.name} ({d.paramstyle})")
        cols = [table.c[k] for k in keys]
        names, t = ", ".join(keys), table.name
        self.table, self.keys, self.copy = t, list(keys), op == "insert"
        if self.pg:
            arrays = [f"${i}::{c.type.compile(dialect=d)}[]" for i, c in enumerate(cols, 1)]
            sets = ", ".join(f"{k} = v.{k}" for k in keys[:-1])
            self.sql = {
                "insert": f"INSERT INTO {t} ({names}) SELECT * FROM unnest({', '.join(arrays)})",
                "update": f"UPDATE {t} SET {sets} FROM unnest({', '.join(arrays)}) "
                f"AS v({names}) WHERE {t}.{keys[-1]} = v.{keys[-1]}",
                "delete": f"DELETE FROM {t} WHERE {keys[0]} = ANY({arrays[0]}){where}",
            }[op]
        else:
            sets = ", ".join(f"{k} = ?" for k in keys[:-1])
            self.sql = {
                "insert": f"INSERT INTO {t} ({names}) VALUES ({', '.join('?' * len(keys))})",
                "update": f"UPDATE {t} SET {sets} WHERE {keys[-1]} = ?",
                "delete": f"DELETE FROM {t} WHERE {keys[0]} = ?{where}",
            }[op]
        procs = [c.type.dialect_impl(d).bind_processor(d) for c in cols]
        self.procs = procs if any(procs) and not self.pg else None

    async def run(self, conn: AsyncConnection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.pg and self.copy:  # COPY: the fastest way in, same connection and transaction
            await conn.exec_driver_sql("SELECT 1")  # the adapter opens its transaction lazily
            raw: Any = (await conn.get_raw_connection()).driver_connection  # asyncpg's own
            await raw.copy_records_to_table(self.table, records=rows, columns=self.keys)
            return
        if self.pg:
            await conn.exec_driver_sql(self.sql, tuple(list(c) for c in zip(*rows, strict=True)))
            return
        params: Sequence[tuple[Any, ...]] = rows
        if self.procs is not None:
            procs = self.procs
            params = [tuple(p(v) if p else v for p, v in zip(procs, r, strict=True)) for r in rows]
        await conn.exec_driver_sql(self.sql, params)


RES_KEYS = ("household_id", "name", "name_kana", "name_key", "kana_key", "birth_date", "sex",
            "address", "review", "updated_at")  # fmt: skip
NEW_RES_KEYS = (*RES_KEYS, "person_no", "barcode", "status")  # values in this order
PHONE_KEYS = ("e164", "raw", "kind", "flags", "resident_id", "household_id")


def _fingerprint(items: Any) -> int:
    """Order-free fingerprint of stored values, to skip rows and phones that did not change."""
    return hash(frozenset(items))


class _Writer:
    """Bulk upserts of households, residents and phones, with the stored state kept in memory
    as key maps and fingerprints, so a re-import writes only what changed."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.people: dict[str, int] = {}  # 宛名番号 -> id
        self.households: dict[str, tuple[int, str]] = {}  # 世帯番号 -> (id, address)
        self.stored: dict[int, int] = {}  # resident id -> fingerprint of its row
        self.own: dict[int, int] = {}  # resident id -> fingerprint of its own phones
        self.shared: dict[int, int] = {}  # household id -> fingerprint of its shared phones
        self.wanted: dict[int, dict[str, tuple[Any, ...]]] = {}  # household phones in the file
        self.serial = self.last_resident = self.last_household = 0
        r, h, p = RESIDENTS, HOUSEHOLDS, PHONES
        self.add_res = _Bulk(conn, r, "insert", NEW_RES_KEYS)
        self.set_res = _Bulk(conn, r, "update", (*RES_KEYS, "id"))
        self.add_hh = _Bulk(conn, h, "insert", ("household_no", "address", "created_at"))
        self.set_hh = _Bulk(conn, h, "update", ("address", "id"))
        self.add_phone = _Bulk(conn, p, "insert", PHONE_KEYS)
        self.drop_own = _Bulk(conn, p, "delete", ("resident_id",))
        self.drop_shared = _Bulk(conn, p, "delete", ("household_id",), " AND resident_id IS NULL")

    @classmethod
    async def load(cls, conn: AsyncConnection) -> _Writer:
        w, r, h, p = cls(conn), RESIDENTS.c, HOUSEHOLDS.c, PHONES.c
        cols = [r[k] for k in RES_KEYS[:-1]]
        for row in await conn.execute(select(r.id, r.person_no, *cols)):
            w.people[row[1]] = row[0]
            w.stored[row[0]] = hash(tuple(row[2:]))
        for no, hid, address in await conn.execute(select(h.household_no, h.id, h.address)):
            w.households[no] = (hid, address)
        own: dict[int, list[tuple[Any, ...]]] = {}
        shared: dict[int, list[tuple[Any, ...]]] = {}
        stmt = select(p.resident_id, p.household_id, p.e164, p.raw, p.kind, p.flags)
        for rid, hid, *phone in await conn.execute(stmt):
            (own.setdefault(rid, []) if rid else shared.setdefault(hid, [])).append(tuple(phone))
        w.own = {k: _fingerprint(v) for k, v in own.items()}
        w.shared = {k: _fingerprint(v) for k, v in shared.items()}
        w.serial = _serial((await conn.execute(select(func.max(r.barcode)))).scalar()) + 1
        w.last_resident = max(w.people.values(), default=0)
        w.last_household = max((hid for hid, _ in w.households.values()), default=0)
        return w

    def count(self, rows: Sequence[LedgerRow], report: ImportReport) -> None:
        """Dry run: what a write would do (an existing resident counts as updated)."""
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
        if new:
            fresh = [(*self._values(r), now, r.person_no, self._barcode(), "active") for r in new]
            await self.add_res.run(self.conn, fresh)
            r = RESIDENTS.c
            added = await self._new_ids(r.person_no, r.id, self.last_resident)
            self.people.update(added)
            self.last_resident = max(added.values(), default=self.last_resident)
        changed: list[tuple[Any, ...]] = []
        phones_changed: list[tuple[int]] = []
        phones: list[tuple[Any, ...]] = []
        for row in rows:
            rid = self.people[row.person_no]
            values = self._values(row)
            own = [(p.e164, p.raw, p.kind, p.flags) for p in row.phones if not p.shared]
            if rid in self.stored and hash(values) != self.stored[rid]:
                changed.append((*values, now, rid))
            if self.own.get(rid, 0) != (_fingerprint(own) if own else 0):
                phones_changed.append((rid,))
                phones.extend((*o, rid, None) for o in own)
            if row.household_no:
                hid = self.households[row.household_no][0]
                wanted = self.wanted.setdefault(hid, {})
                for p in row.phones:
                    if p.shared:
                        wanted.setdefault(p.e164 or p.raw, (p.e164, p.raw, p.kind, p.flags))
        await self.set_res.run(self.conn, changed)
        await self.drop_own.run(self.conn, [r for r in phones_changed if r[0] in self.own])
        await self.add_phone.run(self.conn, phones)
        old = len(rows) - len(new)
        touched = {rid for rid, *_ in changed} | {rid for (rid,) in phones_changed}
        updated = len(touched - {self.people[r.person_no] for r in new})
        report.inserted += len(new)
        report.updated += updated
        report.unchanged += old - updated
        report.phones += len(phones)

    async def finish(self, report: ImportReport) -> None:
        """Sync the shared phones of every household in the file with what its rows gave."""
        drop: list[tuple[int]] = []
        add: list[tuple[Any, ...]] = []
        for hid, wanted in self.wanted.items():
            if self.shared.get(hid, 0) != (_fingerprint(wanted.values()) if wanted else 0):
                if hid in self.shared:
                    drop.append((hid,))
                add.extend((*phone, None, hid) for phone in wanted.values())
        await self.drop_shared.run(self.conn, drop)
        await self.add_phone.run(self.conn, add)
        report.phones += len(add)

    def _barcode(self) -> str:
        self.serial += 1
        return make_barcode(self.serial - 1)

    def _values(self, row: LedgerRow) -> tuple[Any, ...]:
        hid = self.households[row.household_no][0] if row.household_no else None
        return (hid, row.name, row.name_kana, row.name_key, row.kana_key, row.birth_date,
                row.sex, row.address, "; ".join(row.notes))  # fmt: skip

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


async def _pipeline(
    parser: _Parser, writer: _Writer, report: ImportReport, dry_run: bool,
    progress: Progress | None, expected: int,
) -> None:  # fmt: skip
    """On PostgreSQL, parse chunk n+1 in a worker thread while the server stores chunk n.

    Not on SQLite: its executemany takes the GIL back after every row, and a parsing thread
    holding the GIL for its 5 ms switch interval each time made the import several times slower.
    """
    done = 0
    overlap = writer.conn.dialect.name == "postgresql" and not dry_run
    pending = asyncio.ensure_future(asyncio.to_thread(parser.chunk, report))
    try:
        while True:
            rows, n = await pending
            if not n:
                return
            pending = asyncio.ensure_future(asyncio.to_thread(parser.chunk, report))
            if not overlap:
                await asyncio.wait([pending])
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
        writer = await _Writer.load(conn)
        await _pipeline(parser, writer, report, dry_run, progress, expected)
        if not dry_run:
            await writer.finish(report)
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
