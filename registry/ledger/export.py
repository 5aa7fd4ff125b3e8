"""CSV export of residents and bookings (CP932 or UTF-8 with BOM for Excel), streamed.

CP932 is the default: the city's systems read it. A character it cannot hold is written as 〓
and counted (UTF-8 keeps every character). The resident export can be imported again
(``registry.ledger.importer.import_ledger``), and a 〓 there never replaces the character
stored (``registry.ledger.geta``). Only counts are logged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from registry.errors import LedgerFileError
from registry.models import Base

log = logging.getLogger(__name__)

Target = AsyncEngine | AsyncSession
RESIDENTS: Table = Base.metadata.tables["residents"]
HOUSEHOLDS: Table = Base.metadata.tables["households"]
PHONES: Table = Base.metadata.tables["phones"]


@asynccontextmanager
async def connection(target: Target) -> AsyncIterator[AsyncConnection]:
    """The session's connection (the caller commits), or a new transaction on the engine."""
    if isinstance(target, AsyncSession):
        yield await target.connection()
    else:
        async with target.begin() as conn:
            yield conn


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
        async with connection(target) as conn:
            async for cells in rows(conn):
                out.write(cells)
    log.info("exported %d rows to %s (%d characters replaced)", out.rows - 1, path, out.replaced)
    return ExportReport(str(path), out.rows - 1, encoding, out.replaced)


def _phone_text(row: Any) -> str:
    return str(row.national if row.e164 else row.raw)


async def _resident_rows(conn: AsyncConnection) -> AsyncIterator[Sequence[object]]:
    from registry.normalize.phone import normalize_ledger_phone

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
