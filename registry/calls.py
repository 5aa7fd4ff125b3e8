"""Call records, one per PBX Linkedid, written by upsert so several servers agree.

``upsert_call`` is one ``INSERT ... ON CONFLICT (linkedid) DO UPDATE`` (SQLite and PostgreSQL
dialects): concurrent writers never duplicate a call; ``upsert_calls`` writes many calls, one
execution per set of fields given. Fields given as ``None`` leave the stored
value alone, and an ``outcome`` of ``"ongoing"`` never overwrites a final outcome (events from
two servers may arrive in any order). ``ongoing_calls`` / ``close_ongoing`` find and end records
left ``ongoing`` by calls no longer live; ``recorded_linkedids`` says which calls have a
record. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.errors import InvalidInput, NotFound
from registry.models import CallRecord, Resident, utcnow
from registry.views import CallView, as_utc, aware_utc, opt_utc

log = logging.getLogger(__name__)

ONGOING = "ongoing"
TIME_FIELDS = frozenset({"entered_at", "answered_at", "ended_at"})
FIELDS = frozenset(
    {
        "caller_raw",
        "caller_name_raw",
        "presentation",
        "caller_status",
        "caller_e164",
        "matched_resident_id",
        "match_count",
        "queue",
        "operator_id",
        "extension",
        "hold_seconds",
        "talk_seconds",
        "outcome",
        "disposition",
        "notes",
        "recovered",
    }
    | TIME_FIELDS
)
MAX_LINKEDID = 64
MAX_DISPOSITION = 64


def call_view(r: CallRecord) -> CallView:
    return CallView(
        linkedid=r.linkedid,
        caller_raw=r.caller_raw,
        caller_name_raw=r.caller_name_raw,
        presentation=r.presentation,
        recovered=bool(r.recovered),
        caller_status=r.caller_status,
        caller_e164=r.caller_e164,
        matched_resident_id=r.matched_resident_id,
        match_count=r.match_count,
        queue=r.queue,
        operator_id=r.operator_id,
        extension=r.extension,
        entered_at=opt_utc(r.entered_at),
        answered_at=opt_utc(r.answered_at),
        ended_at=opt_utc(r.ended_at),
        hold_seconds=r.hold_seconds,
        talk_seconds=r.talk_seconds,
        outcome=r.outcome,
        disposition=r.disposition,
        notes=r.notes,
        updated_at=as_utc(r.updated_at),
    )


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT construct (both offer ``on_conflict_do_update``)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(CallRecord)
    if name == "sqlite":
        return sqlite.insert(CallRecord)
    raise NotImplementedError(f"call upsert is not written for {name}")


def _check_linkedid(linkedid: str) -> str:
    if not isinstance(linkedid, str) or not 1 <= len(linkedid) <= MAX_LINKEDID:
        raise InvalidInput("linkedid", f"linkedid must be 1 to {MAX_LINKEDID} characters")
    return linkedid


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in FIELDS:
            raise InvalidInput(key, f"a call record has no field {key!r}")
        if value is None:
            continue
        values[key] = aware_utc(key, value) if key in TIME_FIELDS else value
    return values


@functools.lru_cache(maxsize=256)
def _upsert_statement(dialect: str, keys: tuple[str, ...], keep_outcome: bool) -> Any:
    """One upsert statement per dialect and set of given fields, with bound parameters.

    Built once and reused: constructing ``excluded`` column proxies costs more than the write.
    """
    table: Any = CallRecord.__table__
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    ins = ins.values({key: bindparam(key) for key in ("linkedid", "updated_at", *keys)})
    update_set: dict[str, Any] = {
        key: ins.excluded[key] for key in keys if not (key == "outcome" and keep_outcome)
    }
    if "entered_at" in update_set:  # the first one written came from the PBX's own event; a
        # later one is a resync's estimate (after a restart): never rewrite it
        update_set["entered_at"] = func.coalesce(table.c.entered_at, ins.excluded["entered_at"])
    update_set["updated_at"] = ins.excluded["updated_at"]
    return ins.on_conflict_do_update(index_elements=[table.c.linkedid], set_=update_set)


async def upsert_call(session: AsyncSession, linkedid: str, **fields: Any) -> None:
    """Create or update the call ``linkedid`` with the given non-None fields (``entered_at``
    only where none is stored yet)."""
    _check_linkedid(linkedid)
    values = _clean(fields)
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"call upsert is not written for {dialect}")
    stmt = _upsert_statement(dialect, tuple(sorted(values)), values.get("outcome") == ONGOING)
    conn = await session.connection()
    await conn.execute(stmt, {"linkedid": linkedid, "updated_at": utcnow(), **values})
    log.debug("call %s upserted: %s", linkedid, ", ".join(sorted(values)))


async def upsert_calls(session: AsyncSession, calls: Mapping[str, Mapping[str, Any]]) -> None:
    """``upsert_call`` for each ``{linkedid: fields}``, the calls with the same set of fields in
    one statement executed for all of them (one round trip per set instead of one per call)."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"call upsert is not written for {dialect}")
    now = utcnow()
    groups: dict[tuple[tuple[str, ...], bool], list[dict[str, Any]]] = {}
    for linkedid, fields in calls.items():
        _check_linkedid(linkedid)
        values = _clean(dict(fields))
        shape = (tuple(sorted(values)), values.get("outcome") == ONGOING)
        groups.setdefault(shape, []).append({"linkedid": linkedid, "updated_at": now, **values})
    conn = await session.connection()
    for (keys, keep_outcome), rows in groups.items():
        await conn.execute(_upsert_statement(dialect, keys, keep_outcome), rows)
    log.debug("%d calls upserted in %d statements", len(calls), len(groups))


async def ongoing_calls(session: AsyncSession) -> list[tuple[str, bool]]:
    """``(linkedid, answered)`` of every record still ``ongoing``."""
    rows = await session.execute(
        select(CallRecord.linkedid, CallRecord.answered_at).where(CallRecord.outcome == ONGOING)
    )
    return [(linkedid, answered_at is not None) for linkedid, answered_at in rows.all()]


async def recorded_linkedids(session: AsyncSession, linkedids: Iterable[str]) -> set[str]:
    """Those of ``linkedids`` that have a call record."""
    wanted = list(dict.fromkeys(linkedids))
    found: set[str] = set()
    for i in range(0, len(wanted), 500):  # a bound list, well under every driver's limit
        rows = await session.scalars(
            select(CallRecord.linkedid).where(CallRecord.linkedid.in_(wanted[i : i + 500]))
        )
        found.update(rows.all())
    return found


async def close_ongoing(session: AsyncSession, outcomes: dict[str, str]) -> None:
    """Give records their final outcome (``{linkedid: outcome}``), only where still ``ongoing``:
    a final outcome written meanwhile (by this server or another) is never overwritten.
    The caller commits."""
    if not outcomes:
        return
    stmt = (
        update(CallRecord)
        .where(CallRecord.linkedid == bindparam("lid"), CallRecord.outcome == ONGOING)
        .values(outcome=bindparam("out"))
    )
    conn = await session.connection()  # Core executemany, not an ORM bulk update
    await conn.execute(stmt, [{"lid": lid, "out": out} for lid, out in outcomes.items()])


async def set_disposition(
    session: AsyncSession,
    linkedid: str,
    *,
    disposition: str,
    notes: str,
    operator_id: int | None,
) -> None:
    """Record the operator's disposition and notes (audited); the call's operator is kept if set."""
    _check_linkedid(linkedid)
    if not isinstance(disposition, str) or len(disposition) > MAX_DISPOSITION:
        raise InvalidInput(
            "disposition", f"disposition must be at most {MAX_DISPOSITION} characters"
        )
    if not isinstance(notes, str):
        raise InvalidInput("notes", "notes must be text")
    now = utcnow()
    ins = _insert(session).values(
        linkedid=linkedid,
        disposition=disposition,
        notes=notes,
        operator_id=operator_id,
        updated_at=now,
    )
    update_set = {
        "disposition": ins.excluded.disposition,
        "notes": ins.excluded.notes,
        "operator_id": func.coalesce(CallRecord.operator_id, ins.excluded.operator_id),
        "updated_at": now,
    }
    await session.execute(
        ins.on_conflict_do_update(index_elements=[CallRecord.linkedid], set_=update_set)
    )
    resident_id = await session.scalar(
        select(CallRecord.matched_resident_id).where(CallRecord.linkedid == linkedid)
    )
    await audit(
        session,
        AuditAction.CALL_DISPOSITION,
        operator_id=operator_id,
        resident_id=resident_id,
        call_linkedid=linkedid,
        details={"disposition": disposition},
    )
    log.info("call %s disposition %r by operator %s", linkedid, disposition, operator_id)


async def link_resident(
    session: AsyncSession, linkedid: str, resident_id: int, *, operator_id: int | None
) -> None:
    """The operator confirmed who is calling: the call is matched to ``resident_id`` (audited).

    Creates the record if the call was not written yet (its events may still be on their way).
    NotFound when the resident does not exist.
    """
    _check_linkedid(linkedid)
    if await session.scalar(select(Resident.id).where(Resident.id == resident_id)) is None:
        raise NotFound(
            f"resident {resident_id} not found",
            details={"resident_id": resident_id, "field": "resident_id"},
        )
    await upsert_call(session, linkedid, matched_resident_id=resident_id)
    await audit(
        session,
        AuditAction.CALL_RESIDENT,
        operator_id=operator_id,
        resident_id=resident_id,
        call_linkedid=linkedid,
    )
    log.info("call %s matched to a resident by operator %s", linkedid, operator_id)


async def get_call(session: AsyncSession, linkedid: str) -> CallView:
    r = await session.scalar(
        select(CallRecord)
        .where(CallRecord.linkedid == linkedid)
        .execution_options(populate_existing=True)
    )
    if r is None:
        raise NotFound(f"call {linkedid} not found", details={"linkedid": linkedid})
    return call_view(r)


async def count_calls_from(
    session: AsyncSession, e164: str, since: dt.datetime, *, besides: str = ""
) -> int:
    """Calls from ``e164`` that entered at or after ``since`` (a day's start), not counting the
    call ``besides``: a repeat caller. A withheld call has no number and is never counted."""
    if not e164:
        return 0
    since = aware_utc("since", since)
    n = await session.scalar(
        select(func.count())
        .select_from(CallRecord)
        .where(
            CallRecord.caller_e164 == e164,
            CallRecord.entered_at >= since,
            CallRecord.linkedid != besides,
        )
    )
    return int(n or 0)


async def calls_of_resident(
    session: AsyncSession, resident_id: int, limit: int = 20
) -> list[CallView]:
    """The resident's previous calls (matched to them), newest first."""
    when = func.coalesce(CallRecord.entered_at, CallRecord.updated_at)
    rows = await session.scalars(
        select(CallRecord)
        .where(CallRecord.matched_resident_id == resident_id)
        .order_by(when.desc(), CallRecord.linkedid.desc())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return [call_view(r) for r in rows.all()]


async def calls_between(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> list[CallView]:
    """Calls that entered in ``[start, end)`` (aware datetimes), oldest first: daily figures."""
    lo, hi = aware_utc("start", start), aware_utc("end", end)
    if hi < lo:
        raise InvalidInput("end", "end is before start")
    rows = await session.scalars(
        select(CallRecord)
        .where(CallRecord.entered_at >= lo, CallRecord.entered_at < hi)
        .order_by(CallRecord.entered_at, CallRecord.linkedid)
        .execution_options(populate_existing=True)
    )
    return [call_view(r) for r in rows.all()]
