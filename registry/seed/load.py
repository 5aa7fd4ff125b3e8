"""Bulk seeding of the synthetic ledger of ``registry.seed.city`` into the database.

``seed_database`` streams ``generate_ledger`` rows into households, residents, phones and a few
intents, with explicit ids, through the driver (``registry.ledger.bulk.Bulk``: ``COPY`` on
PostgreSQL, ``executemany`` on SQLite) with values already in the driver's form (SQLite: dates
as ``YYYY-MM-DD`` text and times as SQLAlchemy writes them, so SQLAlchemy reads them back
unchanged; a test checks the round trip). Name keys are memoized (names repeat), phones take the
plain-number fast path. Then demo venues with slots for the next 14 days.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from registry.ledger.bulk import Bulk, fetch_raw, large_sqlite_cache
from registry.models import Base
from registry.normalize.names import kana_key, name_key
from registry.normalize.phone import normalize_ledger_phone, plain_japanese_number
from registry.seed.city import _city_data, generate_ledger

log = logging.getLogger(__name__)

CHUNK = 5_000

T = Base.metadata.tables
HH_KEYS = ("id", "household_no", "address", "created_at")
RES_KEYS = ("id", "person_no", "household_id", "name", "name_kana", "name_key", "kana_key",
            "birth_date", "sex", "address", "barcode", "status", "review",
            "updated_at")  # fmt: skip
PHONE_KEYS = ("e164", "raw", "kind", "flags", "resident_id", "household_id")
INTENT_KEYS = ("resident_id", "wants_vaccination", "needs_mobility", "channel", "recorded_at",
               "notes")  # fmt: skip


@dataclass(frozen=True)
class SeedSummary:
    households: int
    residents: int
    phones: int
    venues: int
    slots: int
    intents: int
    seconds: float

    def __str__(self) -> str:
        rate = self.residents / self.seconds if self.seconds else 0.0
        return (
            f"seeded {self.residents} residents in {self.households} households, "
            f"{self.phones} phones, {self.venues} venues, {self.slots} slots, "
            f"{self.intents} intents in {self.seconds:.1f} s ({rate:,.0f} residents/s)"
        )


async def seed_database(
    session_or_engine: AsyncEngine | AsyncSession,
    n_residents: int,
    *,
    seed: int = 1,
    venues: bool = True,
) -> SeedSummary:
    """Bulk-insert ``n_residents`` synthetic residents (plus demo venues, slots and intents).

    With an engine, each chunk is committed; with a session, rows go into its transaction and
    the caller commits. Serials continue after the highest existing barcode, so seeding twice
    adds a second batch.
    """
    started = time.perf_counter()
    if isinstance(session_or_engine, AsyncSession):
        conn = await session_or_engine.connection()
        counts = await _seed(conn, n_residents, seed, venues, commit=False)
    else:
        async with session_or_engine.connect() as conn:
            counts = await _seed(conn, n_residents, seed, venues, commit=True)
    summary = SeedSummary(**counts, seconds=time.perf_counter() - started)
    log.info("%s", summary)
    return summary


@functools.lru_cache(maxsize=1 << 16)
def _keys(name: str, kana: str) -> tuple[str, str]:
    return name_key(name), kana_key(kana)


@functools.lru_cache(maxsize=1 << 12)
def _phone_slow(raw: str) -> tuple[str | None, str, str]:
    cn = normalize_ledger_phone(raw)
    return cn.e164, cn.kind, ",".join(cn.flags)[:64]


def _phone(raw: str) -> tuple[str | None, str, str, str]:
    fast = plain_japanese_number(raw)
    if fast is not None:
        return fast[0], raw, fast[1], ""
    e164, kind, flags = _phone_slow(raw)
    return e164, raw, kind, flags


class _Batch:
    """Rows of one chunk, in the driver's form, and the statements that write them."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.tables: dict[str, tuple[Bulk, list[tuple[Any, ...]]]] = {
            name: (Bulk(conn, T[name], "insert", keys), [])
            for name, keys in (("households", HH_KEYS), ("residents", RES_KEYS),
                               ("phones", PHONE_KEYS), ("intents", INTENT_KEYS))
        }  # fmt: skip
        self.households, self.residents, self.phones, self.intents = (
            rows for _, rows in self.tables.values()
        )
        self.counts = dict.fromkeys(self.tables, 0)

    async def flush(self, conn: AsyncConnection, commit: bool) -> None:
        for name, (bulk, rows) in self.tables.items():
            await bulk.run(conn, rows)
            self.counts[name] += len(rows)
            rows.clear()
        if commit:
            await conn.commit()


def _driver_forms(conn: AsyncConnection) -> tuple[Callable[[dt.date], Any], Any]:
    """How a date and "now" are passed to the driver (SQLite: as SQLAlchemy stores them)."""
    d = conn.dialect
    stamp = T["residents"].c.updated_at.type.dialect_impl(d).bind_processor(d)
    now = dt.datetime.now(dt.UTC)
    if d.name == "postgresql":
        return (lambda day: day), now
    return dt.date.isoformat, stamp(now) if stamp else now


async def _seed(
    conn: AsyncConnection, n: int, seed: int, venues: bool, *, commit: bool
) -> dict[str, int]:
    (rid, hid, top), = await fetch_raw(
        conn, "SELECT (SELECT MAX(id) FROM residents), (SELECT MAX(id) FROM households), "
        "(SELECT MAX(barcode) FROM residents)",
    )  # fmt: skip
    rid, hid = rid or 0, hid or 0
    start = int(top[:-1]) + 1 if top and top[:-1].isdigit() else 1
    day, now = _driver_forms(conn)
    rng = random.Random(seed + 11)
    channels = ("postcard_ocr", "postcard_ocr", "web", "phone")
    batch, current = _Batch(conn), ""
    households, residents, phones, intents = (
        batch.households,
        batch.residents,
        batch.phones,
        batch.intents,
    )
    async with large_sqlite_cache(conn):
        for row in generate_ledger(n, seed=seed, start=start):
            if row.household_no != current:
                current, hid = row.household_no, hid + 1
                households.append((hid, current, row.address, now))
                if row.landline:
                    phones.append((*_phone(row.landline), None, hid))
            rid += 1
            keys = _keys(row.name, row.name_kana)
            residents.append((rid, row.person_no, hid, row.name, row.name_kana, *keys,
                              day(row.birth_date), row.sex, row.address, row.barcode, "active",
                              "", now))  # fmt: skip
            if row.mobile:
                phones.append((*_phone(row.mobile), rid, None))
            if row.birth_date.year < 1960 and rng.random() < 0.1:
                wants = rng.random() < 0.85
                intents.append((rid, wants, wants and rng.random() < 0.2, rng.choice(channels),
                                now, ""))  # fmt: skip
            if len(residents) >= CHUNK:
                await batch.flush(conn, commit)
        await batch.flush(conn, commit)
    counts = {**batch.counts, "venues": 0, "slots": 0}
    if venues:
        counts["venues"], counts["slots"] = await _venues(conn)
    await _fix_sequences(conn)
    if commit:
        await conn.commit()
    return counts


VENUES = (
    ("舞鶴市総合文化会館", "京都府舞鶴市字浜2021"),
    ("中総合会館", "京都府舞鶴市字南田辺1"),
    ("西駅交流センター", "京都府舞鶴市字伊佐津213-6"),
    ("東体育館", "京都府舞鶴市字溝尻"),
)
# demo support: the town each venue stands in (for the fake distance table), wheelchair access,
# and the transport seats of each of its morning slots (9:00-10:30)
VENUE_TOWNS = ("浜", "南田辺", "伊佐津", "溝尻")
VENUE_WHEELCHAIR = (True, True, False, True)
MORNING_TRANSPORT_SEATS = 4


def demo_distances(towns: list[str], venue_town: str) -> dict[str, int]:
    """Fake metres from each town to a venue: towns lie on a line in the order of the city data
    (about 800 m apart), which is enough for "nearest venue first" to mean something."""
    at = towns.index(venue_town) if venue_town in towns else 0
    return {t: 300 + 800 * abs(i - at) for i, t in enumerate(towns)}


async def _venues(conn: AsyncConnection, days: int = 14, capacity: int = 10) -> tuple[int, int]:
    """Demo venues (skipping names that exist) with 30-minute slots 9:00-17:00, Asia/Tokyo."""
    v, s = Base.metadata.tables["venues"], Base.metadata.tables["slots"]
    existing = set((await conn.scalars(select(v.c.name))).all())
    tokyo = ZoneInfo("Asia/Tokyo")
    today = dt.datetime.now(tokyo).date()
    made = slots = 0
    towns = _city_data()["towns"]
    for (name, address), town, wheel in zip(VENUES, VENUE_TOWNS, VENUE_WHEELCHAIR, strict=True):
        if name in existing:
            continue
        vid = (await conn.execute(insert(v).values(name=name, address=address, active=True)
                                  .returning(v.c.id))).scalar_one()  # fmt: skip
        await conn.execute(insert(T["venue_distances"]), [
            {"venue_id": vid, "district": d, "distance_m": m}
            for d, m in demo_distances(towns, town).items()])  # fmt: skip
        rows = []
        for d in range(days):
            day = today + dt.timedelta(days=d)
            for k in range(16):
                begin = dt.datetime.combine(day, dt.time(9), tokyo) + dt.timedelta(minutes=30 * k)
                rows.append({"venue_id": vid, "starts_at": begin.astimezone(dt.UTC),
                             "ends_at": (begin + dt.timedelta(minutes=30)).astimezone(dt.UTC),
                             "capacity": capacity, "booked": 0})  # fmt: skip
        ids = (
            await conn.execute(
                insert(s).returning(s.c.id, s.c.starts_at, sort_by_parameter_order=True), rows
            )
        ).all()
        await conn.execute(insert(T["slot_support"]), [
            {"slot_id": sid, "wheelchair": wheel, "pickup_minutes": 45,
             "transport_seats": MORNING_TRANSPORT_SEATS
             if k % 16 < 4 else 0} for k, (sid, _) in enumerate(ids)])  # fmt: skip
        made, slots = made + 1, slots + len(rows)
    return made, slots


async def _fix_sequences(conn: AsyncConnection) -> None:
    """Explicit ids bypass PostgreSQL sequences: move them past the highest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("households", "residents"):
        await conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))  # fmt: skip
