"""What a screen-pop shows beside the match, in one round trip: each candidate's flags
(``registry.find.flags``: booked, attended, mobility, called before) and latest intent answer,
and how many calls came from the caller's number earlier the same day (a repeat caller).

``caller_facts(session, ids, e164, since, besides)`` runs one ``UNION ALL`` statement: the three
flag branches of ``flags_statement`` (each driven by its table's resident index), the intents of
the candidates (``intents.resident_id``) and the count of the number's calls since ``since``
(``call_records.caller_e164``), not counting the call ``besides``. Rows are tagged by their
branch and padded to one shape. On aiosqlite and asyncpg the statement runs on the driver
connection (in the session's transaction): one hop to the SQLite thread instead of one per
cursor step, and none of the result layers (as ``registry.find.lookup`` does). The statement is
built and compiled once per number of candidates (the ids are plain bound parameters).
``FactsReader(engine)`` runs it on a connection held for the purpose, outside any transaction:
no session per call (the pop's lookup, ``cti_server.caller_lookup``).

The answers are those of ``flags.flagged`` (flags, latest intents) and
``registry.calls.count_calls_from`` (the count), which stay the reference.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    CompoundSelect,
    DateTime,
    Integer,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from registry.find.flags import ORDER
from registry.models import Booking, CallRecord, Intent, MobilityRequest
from registry.views import IntentView, as_utc, aware_utc

FLAG, INTENT, CALLS = "flag", "intent", "calls"


@dataclass(frozen=True, slots=True)
class CallerFacts:
    flags: dict[int, tuple[str, ...]]  # resident id -> flags (in ``flags.ORDER``), if any
    intents: dict[int, IntentView]  # resident id -> latest intent answer, if any
    earlier_calls: int  # calls from the number since the day began, this one aside


def _pad(kind: str, rid: Any, num: Any = None, text: Any = None) -> list[Any]:
    """The columns every branch has: kind, rid, num, text, wants, needs, at, notes."""
    return [
        literal_column(f"'{kind}'").label("kind"),
        rid.label("rid") if rid is not None else cast(null(), Integer).label("rid"),
        num.label("num") if num is not None else cast(null(), Integer).label("num"),
        text.label("text") if text is not None else cast(null(), Text).label("text"),
        cast(null(), Boolean).label("wants"),
        cast(null(), Boolean).label("needs"),
        cast(null(), DateTime(timezone=True)).label("at"),
        cast(null(), Text).label("notes"),
    ]


def _texts(*values: str) -> list[Any]:
    """Constants written into the statement (not bound: the raw SQL is compiled once)."""
    return [literal_column(f"'{v}'") for v in values]


@cache
def facts_statement(n_ids: int) -> CompoundSelect[Any]:
    """The statement for ``n_ids`` candidates (bound parameters ``id0``... , ``e164``,
    ``since``, ``besides``); exposed so tests can EXPLAIN it."""
    ids: list[BindParameter[int]] = [bindparam(f"id{i}", type_=Integer) for i in range(n_ids)]
    calls = select(*_pad(CALLS, None, func.count())).where(
        CallRecord.caller_e164 == bindparam("e164", type_=CallRecord.caller_e164.type),
        CallRecord.entered_at >= bindparam("since", type_=CallRecord.entered_at.type),
        CallRecord.linkedid != bindparam("besides", type_=CallRecord.linkedid.type),
    )
    if not ids:
        return union_all(calls)
    booked = select(*_pad(FLAG, Booking.resident_id, text=Booking.status)).where(
        Booking.resident_id.in_(ids), Booking.status.in_(_texts("booked", "attended"))
    )
    mobility = select(*_pad(FLAG, MobilityRequest.resident_id, text=literal_column("'mobility'")))
    mobility = mobility.where(
        MobilityRequest.resident_id.in_(ids), MobilityRequest.status.in_(_texts("open", "arranged"))
    )
    called = select(*_pad(FLAG, CallRecord.matched_resident_id, text=literal_column("'called'")))
    called = called.where(CallRecord.matched_resident_id.in_(ids), CallRecord.ended_at.is_not(None))
    intents = select(
        literal_column(f"'{INTENT}'", Text), Intent.resident_id, Intent.id, Intent.channel,
        Intent.wants_vaccination, Intent.needs_mobility, Intent.recorded_at, Intent.notes,
    ).where(Intent.resident_id.in_(ids))  # fmt: skip
    return union_all(calls, booked, mobility, called, intents)


Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Raw:
    sql: str
    names: tuple[str, ...]  # the bound parameters in order
    binds: tuple[Processor, ...]  # their bind processors (SQLite stores datetimes as text)
    bools: Processor  # result processors: booleans (SQLite: 0/1), the intent's time
    at: Processor


@cache
def _raw(driver: str, n_ids: int) -> _Raw:
    dialect: Dialect = sqlite.dialect() if driver == "aiosqlite" else asyncpg.dialect()  # type: ignore[no-untyped-call]
    compiled = facts_statement(n_ids).compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    bools = Boolean().dialect_impl(dialect).result_processor(dialect, None)
    at = DateTime(timezone=True).dialect_impl(dialect).result_processor(dialect, None)
    return _Raw(str(compiled), names, binds, bools, at)


DRIVERS = ("aiosqlite", "asyncpg")  # run on the driver connection (else through SQLAlchemy)


async def _driver_rows(
    driver_name: str, driver: Any, n_ids: int, params: dict[str, Any]
) -> list[Sequence[Any]]:
    raw = _raw(driver_name, n_ids)
    values = tuple(
        p(params[name]) if p is not None else params[name]
        for name, p in zip(raw.names, raw.binds, strict=True)
    )
    if driver_name == "asyncpg":
        rows: list[Sequence[Any]] = list(await driver.fetch(raw.sql, *values))
    else:
        rows = list(await driver.execute_fetchall(raw.sql, values))
    if raw.bools is None and raw.at is None:
        return rows
    bools, at = raw.bools or (lambda v: v), raw.at or (lambda v: v)
    return [
        (kind, rid, num, text, bools(wants), bools(needs), at(when), notes)
        if kind == INTENT
        else (kind, rid, num, text, wants, needs, when, notes)
        for kind, rid, num, text, wants, needs, when, notes in rows
    ]


async def _rows(conn: AsyncConnection, n_ids: int, params: dict[str, Any]) -> list[Sequence[Any]]:
    driver_name = conn.dialect.driver
    if driver_name not in DRIVERS:
        return list((await conn.execute(facts_statement(n_ids), params)).all())
    driver = (await conn.get_raw_connection()).driver_connection
    return await _driver_rows(driver_name, driver, n_ids, params)


def _newer(a: IntentView, b: IntentView) -> bool:
    """The latest answer: by time, then by id (as ``registry.intents.latest_intents``)."""
    return (a.recorded_at, a.intent_id) > (b.recorded_at, b.intent_id)


def _params(
    ids: Sequence[int], e164: str, since: dt.datetime, besides: str
) -> tuple[int, dict[str, Any]]:
    """The number of distinct ids, and the statement's parameters."""
    wanted = sorted(set(ids))
    params: dict[str, Any] = {f"id{i}": rid for i, rid in enumerate(wanted)}
    params.update(e164=e164, since=aware_utc("since", since), besides=besides)
    return len(wanted), params


def _facts(rows: Iterable[Sequence[Any]], e164: str) -> CallerFacts:
    found: dict[int, set[str]] = {}
    latest: dict[int, IntentView] = {}
    earlier = 0
    for kind, rid, num, text, wants, needs, when, notes in rows:
        if kind == CALLS:
            earlier = int(num or 0) if e164 else 0
        elif kind == FLAG:
            found.setdefault(int(rid), set()).add(str(text))
        else:
            view = IntentView(
                intent_id=int(num), resident_id=int(rid), wants_vaccination=wants,
                needs_mobility=needs, channel=text, recorded_at=as_utc(when), notes=notes,
            )  # fmt: skip
            prev = latest.get(view.resident_id)
            if prev is None or _newer(view, prev):
                latest[view.resident_id] = view
    flags = {rid: tuple(f for f in ORDER if f in fs) for rid, fs in found.items()}
    return CallerFacts(flags, latest, earlier)


async def caller_facts(
    session: AsyncSession,
    ids: Sequence[int],
    e164: str,
    since: dt.datetime,
    *,
    besides: str = "",
) -> CallerFacts:
    """Flags and latest intent of each resident in ``ids``, and the calls from ``e164`` that
    entered at or after ``since`` (aware; a day's start) other than ``besides``. One statement,
    in the session's transaction. An empty ``e164`` counts no calls (a withheld call has no
    number)."""
    n_ids, params = _params(ids, e164, since, besides)
    return _facts(await _rows(await session.connection(), n_ids, params), e164)


class FactsReader:
    """``caller_facts`` on one connection of ``engine`` held for the purpose (aiosqlite and
    asyncpg only: ``FactsReader.usable(engine)``), used outside any transaction: each statement
    reads what is committed when it runs, and no session is opened, no connection checked out
    and none rolled back per call (on SQLite those are most of a lookup's cost: several hops to
    the connection's thread). Calls take turns (a lock); a connection that failed is closed and
    the next call opens another. ``close()`` gives it back (before the engine is disposed)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._lock = asyncio.Lock()
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    @staticmethod
    def usable(engine: AsyncEngine) -> bool:
        return engine.dialect.driver in DRIVERS

    async def __call__(
        self, ids: Sequence[int], e164: str, since: dt.datetime, *, besides: str = ""
    ) -> CallerFacts:
        n_ids, params = _params(ids, e164, since, besides)
        async with self._lock:
            if self._driver is None:
                self._conn = await self._engine.connect()
                self._driver = (await self._conn.get_raw_connection()).driver_connection
            try:
                rows = await _driver_rows(self._engine.dialect.driver, self._driver, n_ids, params)
            except Exception:
                await self._close()
                raise
        return _facts(rows, e164)

    async def _close(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()  # not back to the pool: its state is unknown
            await conn.close()

    async def close(self) -> None:
        async with self._lock:
            conn, self._conn, self._driver = self._conn, None, None
            if conn is not None:
                await conn.close()
