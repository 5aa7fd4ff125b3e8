"""The callback worklist (折り返しリスト): whom to call back, why, and what happened.

- ``enqueue`` adds an item (who: a resident and/or a phone number; why: one of ``REASONS``;
  ``detail``; a proposed slot) once per ``source_ref``: feeding the same cause again returns the
  existing item unchanged.
- ``claim_next`` / ``claim`` take an item for one operator in one conditional ``UPDATE ...
  RETURNING`` (PostgreSQL picks the row with ``FOR UPDATE SKIP LOCKED``; SQLite serializes
  writers), so no two operators hold the same item. A claim lapses after the policy's
  ``claim_ttl``; ``release`` gives it back.
- ``record_outcome``: ``reached`` and ``wrong_number`` close the item; ``no_answer`` schedules
  the next try by the ``RetryPolicy`` (or gives up after ``max_attempts``); ``call_later``
  schedules it for the time the resident asked (within the calling hours).
- ``reprioritise`` for supervisors; ``summary`` for the board.

Every change is audited (``worklist.*``) with the operator; the caller commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.contact_requests import closed_by_worklist
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Phone, Resident, WorkAttempt, WorkItem, utcnow
from registry.normalize.phone import normalize_ledger_phone
from registry.views import View, as_utc, check_choice, opt_utc
from registry.worklist_policy import RetryPolicy

log = logging.getLogger(__name__)

REASONS = (
    "slot_changed",
    "no_show",
    "web_request",
    "callback_requested",
    "abandoned",
    "second_dose",  # a later dose could not follow its moved earlier dose
)
OUTCOMES = ("reached", "no_answer", "wrong_number", "call_later")
STATES = ("open", "claimed", "done", "exhausted")
# default priority by reason: higher is called first
PRIORITY = {
    "slot_changed": 30,
    "second_dose": 30,
    "no_show": 20,
    "callback_requested": 20,
    "web_request": 10,
    "abandoned": 10,
}
MAX_REF = 128
MAX_NOTE = 2000


@dataclasses.dataclass(frozen=True)
class AttemptView(View):
    at: dt.datetime
    operator_id: int | None
    outcome: str
    call_later_at: dt.datetime | None
    call_linkedid: str | None
    note: str


@dataclasses.dataclass(frozen=True)
class WorkItemView(View):
    item_id: int
    source_ref: str
    reason: str
    resident_id: int | None
    resident_name: str
    phone: str | None
    detail: dict[str, Any]
    proposed_slot_id: int | None
    priority: int
    attempts: int
    next_attempt_at: dt.datetime | None
    state: str
    outcome: str
    claimed_by: int | None
    claimed_at: dt.datetime | None
    claim_until: dt.datetime | None
    created_at: dt.datetime
    history: tuple[AttemptView, ...] = ()


@dataclasses.dataclass(frozen=True)
class WorklistSummary(View):
    open: int  # waiting (due or not), claims that lapsed included
    due: int  # open and due now
    claimed: int
    oldest_created_at: dt.datetime | None  # the oldest item still waiting


def _view(item: WorkItem, name: str, history: tuple[AttemptView, ...] = ()) -> WorkItemView:
    return WorkItemView(
        item_id=item.id,
        source_ref=item.source_ref,
        reason=item.reason,
        resident_id=item.resident_id,
        resident_name=name,
        phone=item.phone,
        detail=dict(item.detail),
        proposed_slot_id=item.proposed_slot_id,
        priority=item.priority,
        attempts=item.attempts,
        next_attempt_at=opt_utc(item.next_attempt_at),
        state=item.state,
        outcome=item.outcome,
        claimed_by=item.claimed_by,
        claimed_at=opt_utc(item.claimed_at),
        claim_until=opt_utc(item.claim_until),
        created_at=as_utc(item.created_at),
        history=history,
    )


def _utc(at: dt.datetime | None) -> dt.datetime:
    """``at`` (or now) in UTC: SQLite compares stored times as text, so all of them are UTC."""
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise InvalidInput("now", "times must carry their offset")
    return at.astimezone(dt.UTC)


def _claimable(now: dt.datetime) -> Any:
    """Open, or claimed by someone whose claim lapsed."""
    return or_(
        WorkItem.state == "open",
        and_(WorkItem.state == "claimed", WorkItem.claim_until < now),
    )


async def _phone_of(session: AsyncSession, resident_id: int) -> str | None:
    """The resident's own number first, else their household's."""
    resident = await session.get(Resident, resident_id)
    if resident is None:
        raise InvalidInput("resident_id", f"resident {resident_id} not found")
    rows = await session.execute(
        select(Phone.e164, Phone.resident_id)
        .where(
            Phone.e164.is_not(None),
            or_(Phone.resident_id == resident_id, Phone.household_id == resident.household_id),
        )
        .order_by(Phone.resident_id.is_(None), Phone.id)
    )
    first = rows.first()
    return None if first is None else first[0]


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (both offer ``on_conflict_do_nothing``)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(WorkItem)
    return sqlite.insert(WorkItem)


def _number(phone: str) -> str:
    n = normalize_ledger_phone(phone)
    if not n.is_number or n.e164 is None:
        raise InvalidInput("phone", f"not a phone number one can call: {n.reason or n.status}")
    return n.e164


async def enqueue(
    session: AsyncSession,
    *,
    reason: str,
    source_ref: str,
    resident_id: int | None = None,
    phone: str | None = None,
    detail: dict[str, Any] | None = None,
    proposed_slot_id: int | None = None,
    priority: int | None = None,
    operator_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> WorkItemView:
    """Add an item, or return the one ``source_ref`` already added (nothing changes then)."""
    check_choice("reason", reason, REASONS)
    if not source_ref or len(source_ref) > MAX_REF:
        raise InvalidInput("source_ref", f"source_ref must be 1 to {MAX_REF} characters")
    existing = await session.scalar(select(WorkItem.id).where(WorkItem.source_ref == source_ref))
    if existing is not None:
        return await get_item(session, existing)
    number = _number(phone) if phone else None
    if number is None and resident_id is not None:
        number = await _phone_of(session, resident_id)
    if number is None and resident_id is None:
        raise InvalidInput("phone", "a worklist item needs a resident or a phone number")
    values = dict(
        source_ref=source_ref,
        reason=reason,
        resident_id=resident_id,
        phone=number,
        detail=dict(detail or {}),
        proposed_slot_id=proposed_slot_id,
        priority=PRIORITY[reason] if priority is None else priority,
        attempts=0,
        next_attempt_at=None if not_before is None else _utc(not_before),
        state="open",
        outcome="",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    item_id = await session.scalar(
        _insert(session)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source_ref"])
        .returning(WorkItem.id)
    )
    if item_id is None:  # the same source_ref added concurrently
        again = await session.scalar(select(WorkItem.id).where(WorkItem.source_ref == source_ref))
        if again is None:
            raise Conflict("worklist item vanished meanwhile", details={"source_ref": source_ref})
        return await get_item(session, again)
    await audit(
        session,
        AuditAction.WORKLIST_ENQUEUE,
        operator_id=operator_id,
        resident_id=resident_id,
        details={"item_id": item_id, "reason": reason, "source_ref": source_ref},
    )
    log.info("worklist item %s added (%s, %s)", item_id, reason, source_ref)
    return await get_item(session, item_id)


async def _name(session: AsyncSession, resident_id: int | None) -> str:
    if resident_id is None:
        return ""
    return (await session.scalar(select(Resident.name).where(Resident.id == resident_id))) or ""


async def get_item(session: AsyncSession, item_id: int) -> WorkItemView:
    """One item with its history (oldest attempt first)."""
    item = (
        await session.execute(
            select(WorkItem).where(WorkItem.id == item_id).execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if item is None:
        raise NotFound(f"worklist item {item_id} not found", details={"item_id": item_id})
    rows = await session.scalars(
        select(WorkAttempt).where(WorkAttempt.item_id == item_id).order_by(WorkAttempt.id)
    )
    history = tuple(
        AttemptView(
            at=as_utc(a.at),
            operator_id=a.operator_id,
            outcome=a.outcome,
            call_later_at=opt_utc(a.call_later_at),
            call_linkedid=a.call_linkedid,
            note=a.note,
        )
        for a in rows
    )
    return _view(item, await _name(session, item.resident_id), history)


async def list_items(
    session: AsyncSession,
    *,
    state: str = "open",
    now: dt.datetime | None = None,
    due_only: bool = False,
    limit: int = 100,
) -> list[WorkItemView]:
    """Items in the order they will be called: priority, then due time, then age."""
    check_choice("state", state, STATES)
    now = _utc(now)
    stmt = (
        select(WorkItem, Resident.name)
        .outerjoin(Resident, Resident.id == WorkItem.resident_id)
        .order_by(*_order())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    which = _claimable(now) if state == "open" else WorkItem.state == state
    stmt = stmt.where(which)
    if due_only:
        stmt = stmt.where(_due(now))
    return [_view(row[0], row[1] or "") for row in await session.execute(stmt)]


def _order() -> tuple[Any, ...]:
    return (
        WorkItem.priority.desc(),
        WorkItem.next_attempt_at.is_not(None),
        WorkItem.next_attempt_at,
        WorkItem.id,
    )


def _due(now: dt.datetime) -> Any:
    return or_(WorkItem.next_attempt_at.is_(None), WorkItem.next_attempt_at <= now)


async def claim_next(
    session: AsyncSession, operator_id: int, policy: RetryPolicy, *, now: dt.datetime | None = None
) -> WorkItemView | None:
    """Take the first due item for ``operator_id`` (None when nothing is due). One statement:
    ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) AND <claimable>``."""
    now = _utc(now)
    pick = (
        select(WorkItem.id)
        .where(_claimable(now), _due(now))
        .order_by(*_order())
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    for _ in range(5):  # lost to another claimer between the pick and the update (SQLite)
        item_id = await session.scalar(_take(now, operator_id, policy).where(WorkItem.id == pick))
        if item_id is not None:
            return await _claimed(session, item_id, operator_id)
        if (
            await session.scalar(select(WorkItem.id).where(_claimable(now), _due(now)).limit(1))
            is None
        ):
            return None
    return None


def _take(now: dt.datetime, operator_id: int, policy: RetryPolicy) -> Any:
    return (
        update(WorkItem)
        .where(_claimable(now))
        .values(
            state="claimed",
            claimed_by=operator_id,
            claimed_at=now,
            claim_until=now + policy.claim_ttl,
            updated_at=now,
        )
        .returning(WorkItem.id)
    )


async def _claimed(session: AsyncSession, item_id: int, operator_id: int) -> WorkItemView:
    view = await get_item(session, item_id)
    await audit(
        session,
        AuditAction.WORKLIST_CLAIM,
        operator_id=operator_id,
        resident_id=view.resident_id,
        details={"item_id": item_id},
    )
    log.info("worklist item %s claimed by operator %s", item_id, operator_id)
    return view


async def claim(
    session: AsyncSession,
    item_id: int,
    operator_id: int,
    policy: RetryPolicy,
    *,
    now: dt.datetime | None = None,
) -> WorkItemView:
    """Take this item (due or not); ``Conflict`` when someone else holds it or it is closed.
    Claiming an item one already holds renews the claim."""
    now = _utc(now)
    took = await session.scalar(
        _take(now, operator_id, policy)
        .where(WorkItem.id == item_id)
        .where(or_(_claimable(now), WorkItem.claimed_by == operator_id))
        .where(WorkItem.state.in_(("open", "claimed")))
    )
    if took is None:
        current = await get_item(session, item_id)  # NotFound
        raise Conflict(
            f"worklist item {item_id} is {current.state}"
            + (f" by operator {current.claimed_by}" if current.state == "claimed" else ""),
            details={"item_id": item_id, "state": current.state, "claimed_by": current.claimed_by},
        )
    return await _claimed(session, item_id, operator_id)


async def _held(session: AsyncSession, item_id: int, operator_id: int) -> WorkItemView:
    view = await get_item(session, item_id)
    if view.state != "claimed" or view.claimed_by != operator_id:
        raise Conflict(
            f"worklist item {item_id} is not held by operator {operator_id}",
            details={"item_id": item_id, "state": view.state, "claimed_by": view.claimed_by},
        )
    return view


async def release(
    session: AsyncSession, item_id: int, operator_id: int, *, now: dt.datetime | None = None
) -> WorkItemView:
    """Give a held item back, untouched (no attempt counted)."""
    now = _utc(now)
    await _held(session, item_id, operator_id)
    await session.execute(
        update(WorkItem)
        .where(WorkItem.id == item_id, WorkItem.claimed_by == operator_id)
        .values(state="open", claimed_by=None, claimed_at=None, claim_until=None, updated_at=now)
    )
    await audit(
        session, AuditAction.WORKLIST_RELEASE, operator_id=operator_id, details={"item_id": item_id}
    )
    return await get_item(session, item_id)


def _after(
    outcome: str, attempts: int, policy: RetryPolicy, now: dt.datetime, later: dt.datetime | None
) -> tuple[str, dt.datetime | None]:
    """The item's next state and due time after ``outcome`` (``attempts`` counts this one)."""
    if outcome in ("reached", "wrong_number"):
        return "done", None
    if outcome == "call_later":
        assert later is not None
        return "open", policy.in_hours(later)
    if attempts >= policy.max_attempts:
        return "exhausted", None
    return "open", policy.next_try(now)


async def record_outcome(
    session: AsyncSession,
    item_id: int,
    operator_id: int,
    outcome: str,
    policy: RetryPolicy,
    *,
    call_later_at: dt.datetime | None = None,
    call_linkedid: str | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> WorkItemView:
    """Record one call's outcome on a held item and schedule what follows."""
    check_choice("outcome", outcome, OUTCOMES)
    now = _utc(now)
    if outcome == "call_later":
        if call_later_at is None or call_later_at.tzinfo is None:
            raise InvalidInput("call_later_at", "call_later needs a time with its offset")
        if call_later_at <= now:
            raise InvalidInput("call_later_at", "call_later_at must be in the future")
    if len(note) > MAX_NOTE:
        raise InvalidInput("note", f"note is longer than {MAX_NOTE} characters")
    held = await _held(session, item_id, operator_id)
    attempts = held.attempts + 1
    state, due = _after(outcome, attempts, policy, now, call_later_at)
    done = await session.scalar(
        update(WorkItem)
        .where(
            WorkItem.id == item_id, WorkItem.claimed_by == operator_id, WorkItem.state == "claimed"
        )
        .values(
            state=state,
            attempts=attempts,
            outcome=outcome,
            next_attempt_at=due,
            claimed_by=None,
            claimed_at=None,
            claim_until=None,
            updated_at=now,
            closed_at=now if state in ("done", "exhausted") else None,
        )
        .returning(WorkItem.id)
    )
    if done is None:
        raise Conflict("the item changed meanwhile", details={"item_id": item_id})
    await session.execute(
        insert(WorkAttempt).values(
            item_id=item_id,
            at=now,
            operator_id=operator_id,
            outcome=outcome,
            call_later_at=call_later_at.astimezone(dt.UTC) if call_later_at else None,
            call_linkedid=call_linkedid,
            note=note,
        )
    )
    await audit(
        session,
        AuditAction.WORKLIST_OUTCOME,
        operator_id=operator_id,
        resident_id=held.resident_id,
        call_linkedid=call_linkedid,
        details={"item_id": item_id, "outcome": outcome, "state": state, "attempts": attempts},
    )
    if state == "done":  # a resident's request from the web page is answered with it
        await closed_by_worklist(
            session, held.source_ref, operator_id=operator_id, call_linkedid=call_linkedid
        )
    log.info("worklist item %s: %s (attempt %d) -> %s", item_id, outcome, attempts, state)
    return await get_item(session, item_id)


async def reprioritise(
    session: AsyncSession, item_id: int, priority: int, *, operator_id: int | None
) -> WorkItemView:
    """Set an item's priority (higher is called first)."""
    if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > 1000:
        raise InvalidInput("priority", "priority must be a whole number from -1000 to 1000")
    before = await get_item(session, item_id)  # NotFound
    await session.execute(
        update(WorkItem)
        .where(WorkItem.id == item_id)
        .values(priority=priority, updated_at=utcnow())
    )
    await audit(
        session,
        AuditAction.WORKLIST_PRIORITY,
        operator_id=operator_id,
        details={"item_id": item_id, "from": before.priority, "to": priority},
    )
    return await get_item(session, item_id)


async def summary(session: AsyncSession, *, now: dt.datetime | None = None) -> WorklistSummary:
    """Size and age of the worklist, for the supervisors' board."""
    now = _utc(now)
    row = (
        await session.execute(
            select(func.count(), func.min(WorkItem.created_at)).where(_claimable(now))
        )
    ).one()
    due = await session.scalar(select(func.count()).where(_claimable(now), _due(now)))
    claimed = await session.scalar(
        select(func.count()).where(WorkItem.state == "claimed", WorkItem.claim_until >= now)
    )
    return WorklistSummary(
        open=row[0], due=due or 0, claimed=claimed or 0, oldest_created_at=opt_utc(row[1])
    )
