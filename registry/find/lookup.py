"""Who is calling from this number? Residents reached at an E.164 number, grouped by household.

One round trip: a ``UNION ALL`` of three index-driven branches, each starting from
``phones.e164 = :number`` (index ``ix_phones_e164``):

1. residents whose own phone it is        -> reason ``own_mobile`` (kind mobile) or ``own_phone``;
2. members of a household whose phone it is -> reason ``household_landline``;
3. the other members of an owner's household -> reason ``same_household`` (a relative calling
   from their own phone on behalf of someone they live with).

Ranking (documented choice): a resident keeps their best reason (score 100 / 90 / 70). Residents
whose status is not ``active`` (moved, deceased) are *kept* — the operator must see who the caller
names — but score 40 less, carry a ``status:<status>`` reason and come last in their household.
Within a household: score, then active first, then oldest first (vaccination priority; the elderly
are the usual callers on a shared landline). Households are ordered by their best member.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import CompoundSelect, Integer, Select, bindparam, literal_column, select, union_all
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from registry.find.matching import HouseholdMatch, ResidentMatch
from registry.models import Household, Phone, Resident

log = logging.getLogger(__name__)

SCORE_OWN = 100.0
SCORE_LANDLINE = 90.0
SCORE_SAME_HOUSEHOLD = 70.0
INACTIVE_PENALTY = 40.0


def _branch(src: Any, resident: Any, prio: int) -> Select[Any]:
    hh = Household.__table__.alias()
    phones = Phone.__table__
    return (
        select(
            resident.c.id, resident.c.name, resident.c.name_kana, resident.c.birth_date,
            resident.c.sex, resident.c.address, resident.c.status, resident.c.household_id,
            hh.c.household_no, hh.c.address.label("household_address"), phones.c.kind,
            literal_column(str(prio)).label("prio"), resident.c.person_no, resident.c.barcode,
        )
        .select_from(src.outerjoin(hh, hh.c.id == resident.c.household_id))
        .where(phones.c.e164 == bindparam("number", type_=phones.c.e164.type))
    )  # fmt: skip


@cache
def lookup_statement() -> CompoundSelect[Any]:
    """The lookup query, built once (Core; bound parameters ``number`` and ``cap``); exposed
    so tests can EXPLAIN it."""
    phones, residents = Phone.__table__, Resident.__table__
    own, member, owner, mate = (residents.alias() for _ in range(4))
    b1 = _branch(phones.join(own, own.c.id == phones.c.resident_id), own, 1)
    b2 = _branch(phones.join(member, member.c.household_id == phones.c.household_id), member, 2)
    b3 = _branch(
        phones.join(owner, owner.c.id == phones.c.resident_id).join(
            mate, mate.c.household_id == owner.c.household_id
        ),
        mate,
        3,
    )
    return union_all(b1, b2, b3).order_by("prio").limit(bindparam("cap", type_=Integer))


class _Row(NamedTuple):
    id: int
    name: str
    name_kana: str
    birth_date: dt.date | None
    sex: str
    address: str
    status: str
    household_id: int | None
    household_no: str | None
    household_address: str | None
    kind: str | None
    prio: int
    person_no: str
    barcode: str


@cache
def _raw_sql(driver: str) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    dialect = sqlite.dialect() if driver == "aiosqlite" else asyncpg.dialect()  # type: ignore[no-untyped-call]
    compiled = lookup_statement().compile(dialect=dialect)
    defaults = dict(compiled.construct_params({"number": "", "cap": 0}))
    return str(compiled), tuple(compiled.positiontup or ()), defaults


async def _fetch_raw(conn: AsyncConnection, params: dict[str, Any]) -> list[Any]:
    """Run the lookup on the driver connection, in the session's transaction. Through
    SQLAlchemy, aiosqlite hops to its thread for every cursor step (four per query: the main
    cost of a lookup); ``execute_fetchall`` makes it one. asyncpg's ``fetch`` likewise skips
    the adapter's greenlet and result layers (measured in bench/bench_lookup.py)."""
    sql, order, defaults = _raw_sql(conn.dialect.driver)
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    values = tuple(params.get(name, defaults[name]) for name in order)
    if conn.dialect.driver == "asyncpg":
        raws = await driver.fetch(sql, *values)
    else:
        raws = await driver.execute_fetchall(sql, values)
    out = []
    for raw in raws:
        row = _Row(*raw)
        if isinstance(row.birth_date, str):  # SQLite stores dates as ISO text
            row = row._replace(birth_date=dt.date.fromisoformat(row.birth_date))
        out.append(row)
    return out


def _reason(prio: int, kind: str) -> tuple[str, float]:
    if prio == 1:
        return ("own_mobile" if kind == "mobile" else "own_phone"), SCORE_OWN
    if prio == 2:
        return "household_landline", SCORE_LANDLINE
    return "same_household", SCORE_SAME_HOUSEHOLD


def _age_key(birth: dt.date | None) -> int:
    return birth.toordinal() if birth else dt.date.max.toordinal()


def group_rows(rows: list[Any], limit: int) -> list[HouseholdMatch]:
    """Turn raw lookup rows into ranked households (pure; each resident once, best reason)."""
    best: dict[int, ResidentMatch] = {}
    active: dict[int, bool] = {}
    for row in rows:
        reason, score = _reason(row.prio, row.kind or "")
        reasons: tuple[str, ...] = (reason,)
        if row.status != "active":
            score -= INACTIVE_PENALTY
            reasons += (f"status:{row.status}",)
        prev = best.get(row.id)
        if prev is not None and prev.score >= score:
            continue
        active[row.id] = row.status == "active"
        best[row.id] = ResidentMatch(
            resident_id=row.id, name=row.name, name_kana=row.name_kana,
            birth_date=row.birth_date, sex=row.sex, address=row.address,
            household_id=row.household_id, household_no=row.household_no or "",
            score=score, reasons=reasons, person_no=row.person_no, barcode=row.barcode,
        )  # fmt: skip
    hh_address = {r.household_id: r.household_address or "" for r in rows}
    ranked = sorted(
        best.values(),
        key=lambda m: (-m.score, not active[m.resident_id], _age_key(m.birth_date)),
    )[:limit]
    groups: dict[tuple[int, int], list[ResidentMatch]] = {}
    for m in ranked:  # a resident without a household forms a group of their own
        key = (0, m.household_id) if m.household_id is not None else (1, m.resident_id)
        groups.setdefault(key, []).append(m)
    out = [
        HouseholdMatch(
            household_id=ms[0].household_id,
            household_no=ms[0].household_no,
            address=hh_address.get(ms[0].household_id) or ms[0].address,
            members=tuple(ms),
        )
        for ms in groups.values()
    ]
    out.sort(key=lambda h: (-h.best_score, h.household_no))
    return out


async def lookup_by_number(
    session: AsyncSession, e164: str, *, limit: int = 50
) -> list[HouseholdMatch]:
    """Residents reached at ``e164`` (e.g. ``"+81773621234"``), grouped by household, best first.

    At most ``limit`` residents in all. An empty or non-E.164 string gives an empty list.
    """
    if not e164.startswith("+") or not e164[1:].isdigit():
        return []
    conn = await session.connection()
    params = {"number": e164, "cap": limit * 3}
    if conn.dialect.driver in ("aiosqlite", "asyncpg"):
        rows = await _fetch_raw(conn, params)
    else:
        rows = list((await conn.execute(lookup_statement(), params)).all())
    result = group_rows(rows, limit)
    log.debug("lookup: %d rows, %d households", len(rows), len(result))
    return result
