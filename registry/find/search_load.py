"""Building and refreshing :class:`registry.find.search.NameIndex` from the database.

``load_index``: one streamed query through the driver (no SQLAlchemy row processing: on SQLite a
birth date stays ``YYYY-MM-DD`` text until turned into an ordinal, memoized), residents in id
order joined to their household number, then the indexed phones. Per row only dictionary look-ups
and appends run: the spaced kana and kanji forms are computed once per distinct written name
(1M synthetic residents had 130k distinct kana names), address keys once per distinct address.
(The stored ``name_key`` / ``kana_key`` columns are space-less, and the index needs where the
family name ends, so it keeps its own memoized forms.)

``refresh_index``: what changed since the last load or refresh (the watermark is the highest
``residents.updated_at`` seen, read before the rows): residents updated since are upserted, phones
added since (``phones.id`` above the highest seen; the importer replaces a changed phone by a new
row) are indexed. More than ``REBUILD_SHARE`` of the index changed (a large import): the index is
rebuilt and swapped in at once, since upserted rows are scanned linearly by some searches.
Not seen by a refresh, until the next full load: residents deleted from the table (the importer
never deletes; moves and deaths are status changes, which are seen) - call ``NameIndex.remove`` -
and phone numbers deleted (a stale number can still make its old owner a phone-fragment
candidate; the lookup by number always asks the database).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from registry.find.search_store import IndexedResident
from registry.models import Household, Phone, Resident

if TYPE_CHECKING:
    from registry.find.search import NameIndex

log = logging.getLogger(__name__)

REBUILD_SHARE = 20  # refresh rebuilds when more than 1/20 of the index changed ...
REBUILD_MIN = 5000  # ... and more than this many residents
RESIDENT_SQL = (
    "SELECT r.id, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.household_id, "
    "h.household_no, r.status FROM residents r LEFT JOIN households h ON h.id = r.household_id "
    "ORDER BY r.id"
)
PHONE_SQL = "SELECT e164, resident_id, household_id FROM phones WHERE e164 IS NOT NULL"


async def stream_rows(conn: AsyncConnection, sql: str, batch: int) -> AsyncIterator[Sequence[Any]]:
    """Rows of ``sql`` in batches, as the driver returns them, in the session's transaction."""
    driver: Any = (await conn.get_raw_connection()).driver_connection
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("SELECT 1")  # the adapter's transaction: cursors need one
        cursor = await driver.cursor(sql)
        while rows := await cursor.fetch(batch):
            yield rows
        return
    cursor = await driver.execute(sql)
    try:
        while rows := await cursor.fetchmany(batch):
            yield rows
    finally:
        await cursor.close()


async def _watermarks(conn: AsyncConnection) -> tuple[dt.datetime | None, int]:
    stamp = (await conn.execute(select(func.max(Resident.updated_at)))).scalar()
    phone = (await conn.execute(select(func.max(Phone.id)))).scalar()
    return stamp, int(phone or 0)


async def load_index(index: NameIndex, session: AsyncSession, batch: int = 5000) -> None:
    """Fill an empty ``index`` from the database (see the module docstring)."""
    conn = await session.connection()
    index.watermark, index.last_phone = await _watermarks(conn)
    ordinals: dict[Any, int] = {None: 0}
    add = index._add_values
    async for rows in stream_rows(conn, RESIDENT_SQL, batch):
        for rid, name, kana, birth, sex, address, hid, hh_no, status in rows:
            o = ordinals.get(birth)
            if o is None:
                day = dt.date.fromisoformat(birth) if isinstance(birth, str) else birth
                o = ordinals[birth] = day.toordinal()
            add(rid, name, kana, o, sex, address, hid, hh_no or "", status)
    phones = index._phones
    digits = _digits_of
    async for rows in stream_rows(conn, PHONE_SQL, batch):
        for e164, rid, hid in rows:
            phones.add(digits(e164), rid, hid)
    index._freeze()


def _digits_of(e164: str) -> str:
    """National digits of a stored E.164 number (``+81773...`` -> ``0773...``)."""
    return "0" + e164[3:] if e164.startswith("+81") else e164.lstrip("+")


async def refresh_index(index: NameIndex, session: AsyncSession) -> int:
    """Bring ``index`` up to date (see the module docstring); the number of residents changed."""
    conn = await session.connection()
    since, last_phone = index.watermark, index.last_phone
    watermark, top_phone = await _watermarks(conn)
    r, h = Resident, Household
    stmt = (
        select(r.id, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.household_id,
               h.household_no, r.status)
        .outerjoin(h, h.id == r.household_id)
        .order_by(r.id)
    )  # fmt: skip
    if since is not None:
        stmt = stmt.where(r.updated_at > since)
    changed = (await conn.execute(stmt)).all()
    if len(changed) > max(REBUILD_MIN, len(index) // REBUILD_SHARE):
        fresh = await type(index).load(session)
        index.replace_with(fresh)
        log.info("name index rebuilt: %d residents changed", len(changed))
        return len(changed)
    pstmt = select(Phone.e164, Phone.resident_id, Phone.household_id).where(
        Phone.id > last_phone, Phone.id <= top_phone, Phone.e164.is_not(None)
    )
    phones = (await conn.execute(pstmt)).all()
    for row in changed:
        index.upsert(IndexedResident(*row[:7], row[7] or "", row[8]))
    index.add_phones([(_digits_of(e164 or ""), rid, hid) for e164, rid, hid in phones])
    index.watermark, index.last_phone = watermark or since, max(top_phone, last_phone)
    if changed or phones:
        log.info("name index refreshed: %d residents, %d phones", len(changed), len(phones))
    return len(changed)
