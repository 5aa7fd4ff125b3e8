"""Ledger CSV import (upsert by 宛名番号); the CSV export lives in ``registry.ledger.export``
(re-exported here).

Import: the file is decoded and its header checked (a 個人番号 / 住民票コード column refuses the
whole file) before the database is touched. Rows are then validated chunk by chunk
(``ledger_rows`` / ``ledger_chunks``; in worker processes for large files on a multi-core
machine) and written with bulk statements (``ledger_bulk``): the 宛名番号 -> id and
世帯番号 -> id maps are loaded once, new residents inserted, known ones updated, never
duplicated. An updated resident's own phones are replaced; the household phones of every
household in the file are rebuilt from its rows. A bad row (no 宛名番号 or 氏名, a birth date
that is no date, in the future or before 1900, ...) is reported with its line number and
skipped (or, with ``all_or_nothing``, nothing is written); ``dry_run`` writes nothing. Given an
engine the import is one transaction; given a session, the caller commits. Works on SQLite and
PostgreSQL. Only counts are logged, never row contents.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from registry.errors import LedgerFileError
from registry.ledger.bulk import Chunk, LedgerWriter, fetch_raw, large_sqlite_cache
from registry.ledger.chunks import (
    Job,
    ParsedChunk,
    parse_job,
    records_of,
    split_jobs,
    worker_count,
)
from registry.ledger.export import (
    BOOKING_HEADER,
    EXPORT_ENCODINGS,
    RESIDENT_HEADER,
    ExportReport,
    Target,
    connection,
    export_bookings,
    export_residents,
)
from registry.ledger.mapping import (
    LedgerMapping,
    RowParser,
    as_mapping,
    decode_ledger,
    refuse_forbidden,
    refuse_my_numbers,
    resolve_columns,
)
from registry.ledger.worker import Worker

__all__ = [
    "BOOKING_HEADER", "CHUNK", "EXPORT_ENCODINGS", "RESIDENT_HEADER", "ExportReport",
    "ImportReport", "export_bookings", "export_residents", "import_ledger",
]  # fmt: skip

log = logging.getLogger(__name__)

CHUNK = 5000
LOCAL_TZ = ZoneInfo("Asia/Tokyo")  # "today", after which no birth date is possible
Progress = Callable[[int, int], None]  # (records done, records expected)


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
    flagged: list[tuple[int, str]] = field(default_factory=list)  # notes of rows written
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


class _Chunks:
    """Parsed chunks in file order: parsed by worker processes (round robin) or in a thread,
    with up to ``ahead`` chunks parsed in advance while the caller writes."""

    def __init__(self, jobs: Iterator[Job], parser: RowParser, workers: int, ahead: int) -> None:
        self.jobs, self.parser, self.workers_wanted, self.ahead = jobs, parser, workers, ahead
        self.workers: list[Worker] = []
        self.sent = 0
        self.pending: deque[asyncio.Future[ParsedChunk] | Worker] = deque()

    async def _submit(self, job: Job) -> None:
        if self.workers_wanted and not self.workers:
            p = self.parser
            args = (p.cols, p.width, p.area, p.today)
            self.workers = list(
                await asyncio.gather(*(Worker.start(args) for _ in range(self.workers_wanted)))
            )
        if self.workers:
            worker = self.workers[self.sent % len(self.workers)]
            worker.send(job)
            self.pending.append(worker)
        else:
            work = asyncio.to_thread(parse_job, job, self.parser)
            self.pending.append(asyncio.ensure_future(work))
        self.sent += 1

    async def prime(self) -> None:
        """Hand out jobs until ``ahead`` chunks beyond the next are being parsed."""
        while len(self.pending) <= self.ahead:
            job = next(self.jobs, None)
            if job is None:
                break
            await self._submit(job)

    async def next(self) -> ParsedChunk | None:
        await self.prime()
        if not self.pending:
            return None
        first = self.pending.popleft()
        return await (first.receive() if isinstance(first, Worker) else first)

    async def close(self) -> None:
        unfinished = bool(self.pending)
        futures = [f for f in self.pending if not isinstance(f, Worker)]
        if futures:  # a write failed: let running parses end, retrieve their outcome
            await asyncio.wait(futures)
            for fut in futures:
                if not fut.cancelled():
                    fut.exception()
        await asyncio.gather(*(w.close(kill=unfinished) for w in self.workers))


def _accept(parsed: ParsedChunk, chunk: Chunk, seen: dict[str, int], report: ImportReport) -> None:
    """Report the chunk's bad rows, give it its notes; drop a 宛名番号 already seen."""
    report.rows_read += parsed.rows_read
    bad = parsed.bad
    dup: set[int] = set()
    for i, (line, person_no) in enumerate(zip(parsed.lines, chunk.person_no, strict=True)):
        first = seen.setdefault(person_no, line)
        if first != line:
            dup.add(i)
            bad = [*bad, (line, f"duplicate 宛名番号 (first on line {first})")]
    flagged = parsed.flagged
    if dup:
        chunk.keep([i for i in range(len(chunk.person_no)) if i not in dup])
        dropped = {parsed.lines[i] for i in dup}
        flagged = [f for f in flagged if f[0] not in dropped]
        bad.sort()
    report.bad_rows.extend(bad)
    chunk.flagged = flagged  # reported by the writer, for the rows it writes


async def _pipeline(
    chunks: _Chunks, writer: LedgerWriter | None, report: ImportReport,
    progress: Progress | None, expected: int,
) -> None:  # fmt: skip
    """Parse and write (or only count, without a writer) every chunk."""
    seen: dict[str, int] = {}
    done = 0
    date = writer.date if writer is not None else str
    try:
        while (parsed := await chunks.next()) is not None:
            chunk = Chunk.of(parsed, None, date)
            _accept(parsed, chunk, seen, report)
            if writer is not None and not report.dry_run:
                await writer.write(chunk, report)
            else:
                if writer is not None:
                    writer.count(chunk, report)
                report.flagged.extend(chunk.flagged)
            done += parsed.records
            if progress is not None:
                progress(done, max(expected, done))
    finally:
        await chunks.close()


async def _deferrable(conn: AsyncConnection, table: str) -> list[tuple[str, str]]:
    """(drop, create) statements of the table's indexes that no constraint owns, and on
    PostgreSQL of its foreign keys (checked row by row on insert, at once when added)."""
    if conn.dialect.name == "postgresql":
        sql = ("SELECT 'DROP INDEX ' || indexname, indexdef FROM pg_indexes i "
               f"WHERE schemaname = current_schema() AND tablename = '{table}' AND NOT EXISTS "
               "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) UNION ALL "
               f"SELECT 'ALTER TABLE {table} DROP CONSTRAINT ' || conname, 'ALTER TABLE {table} "
               "ADD CONSTRAINT ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
               f"WHERE contype = 'f' AND conrelid = '{table}'::regclass")  # fmt: skip
    else:
        sql = ("SELECT 'DROP INDEX ' || name, sql FROM sqlite_master WHERE type = 'index' "
               f"AND tbl_name = '{table}' AND sql IS NOT NULL")  # fmt: skip
    return [(drop, create) for drop, create in await fetch_raw(conn, sql)]


@asynccontextmanager
async def indexes_built_after(conn: AsyncConnection, tables: Sequence[str]) -> AsyncIterator[None]:
    """Into an empty table, build its secondary indexes (PostgreSQL: and check its foreign
    keys) once after the bulk insert instead of row by row (measured: SQLite 100k residents,
    35% less insert CPU). They are dropped and created again, with the definitions the database
    had, inside the import's transaction: a failed import is rolled back with them. A table
    holding rows keeps its indexes."""
    driver: Any = (await conn.get_raw_connection()).driver_connection
    if conn.dialect.name == "sqlite" and not driver.in_transaction:
        await conn.exec_driver_sql("BEGIN")  # pysqlite opens none for DDL: keep DROP undoable
    dropped: list[tuple[str, str]] = []
    for table in tables:
        if not (await fetch_raw(conn, f"SELECT EXISTS (SELECT 1 FROM {table})"))[0][0]:
            dropped.extend(await _deferrable(conn, table))
    for drop, _ in dropped:
        await conn.exec_driver_sql(drop)
    yield  # on an error, no rebuild: the transaction is rolled back
    for _, create in dropped:
        await conn.exec_driver_sql(create)


def _open(
    path: str | Path, mapping: LedgerMapping, encoding: str | None
) -> tuple[str, str, list[str]]:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise LedgerFileError(f"cannot read {path}: {err.strerror or err}") from err
    text, used = decode_ledger(data, encoding or mapping.encoding)
    first = next(records_of(text), None)
    if first is None:
        raise LedgerFileError(f"{path} is empty")
    return text, used, first[1]


async def import_ledger(
    target: Target,
    path: str | Path,
    *,
    mapping: LedgerMapping | Mapping[str, str | Sequence[str]] | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    encoding: str | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import a ledger CSV file; see the module docstring. Raises ``LedgerFileError``.

    ``workers``: parsing processes (None: two for a large file on a multi-core machine, else
    none; 0: parse in a thread of this process).
    """
    started = time.perf_counter()
    m = as_mapping(mapping)
    text, used, header = await asyncio.to_thread(_open, path, m, encoding)
    refuse_forbidden(header)
    refuse_my_numbers(header, (fields for _, fields in itertools.islice(records_of(text), 1, None)))
    cols = resolve_columns(header, m)
    taken = {i for idx in cols.values() for i in idx}
    report = ImportReport(str(path), used, dry_run=dry_run)
    report.ignored_columns = [h for i, h in enumerate(header) if i not in taken]
    expected = max(text.count("\n") - 1, 0)
    parser = RowParser(cols, len(header), m.default_area_code, dt.datetime.now(LOCAL_TZ).date())
    if workers is None:
        workers = worker_count(expected, CHUNK)

    def chunks(ahead: int) -> _Chunks:
        return _Chunks(split_jobs(text, CHUNK), parser, workers, workers + 1 if workers else ahead)

    if all_or_nothing and not dry_run:
        check = ImportReport(str(path), used)
        await _pipeline(chunks(1), None, check, None, expected)
        if check.bad_rows:
            check.seconds = time.perf_counter() - started
            log.warning("ledger import refused: %d bad rows (all-or-nothing)", len(check.bad_rows))
            return check
    async with connection(target) as conn:
        # SQLite: no parsing thread beside the writes (its executemany takes the GIL back after
        # every row, and a parsing thread holding it for 5 ms each time made imports slower)
        ahead = 1 if conn.dialect.name == "postgresql" and not dry_run else 0
        parsed = chunks(ahead)
        try:
            if workers:  # worker processes parse the first chunks while the stored state loads
                await parsed.prime()
            writer = await LedgerWriter.load(conn)
        except BaseException:
            await parsed.close()
            raise
        if conn.dialect.name == "postgresql" and not dry_run:
            await conn.exec_driver_sql("SET LOCAL synchronous_commit = off")  # an import: safe
        tables = () if dry_run else ("residents", "phones")
        async with large_sqlite_cache(conn), indexes_built_after(conn, tables):
            await _pipeline(parsed, writer, report, progress, expected)
            if not dry_run:
                await writer.finish(report)
    report.written = not dry_run
    report.seconds = time.perf_counter() - started
    log.info("ledger import: %s", report.summary())
    return report
