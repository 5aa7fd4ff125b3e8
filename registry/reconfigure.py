"""Reconfiguration without code: lower a slot's capacity below its bookings, close a slot, close
a venue, or move a venue's day -- first as a dry run (``preview``: the bookings affected, in
booking order, each with its conflict and a proposed new slot), then on confirmation
(``apply``): each affected booking is moved (to the chosen slot, else its proposal) or put on
the callback worklist, and the change is made. Everything is audited (``slot.reconfigure``, and
each booking's own change); the caller commits and publishes ``changes.taken``.

A checked-in booking (``checked_in_at`` set: the resident is at the desk) is never taken away
or moved: it keeps its seat and counts against a cut capacity, and a change that would need
its seat is refused (``Conflict`` naming the slots). A slot that has started is never changed:
cutting or closing it, or moving its day, is refused (``SlotStarted``), and a closed venue
loses only its slots from now on. A day moves only to a day not before today (each slot still
ahead; else ``InvalidInput`` on ``to_day``) on which the venue has no slot: days are never
merged (``Conflict`` naming the slots already there).

A proposal (and a chosen slot) is only a slot the booking can take (``registry.move_targets``):
a free seat, a transport seat if it holds one, wheelchair access if the resident needs it, and
a start beyond the slot's pickup lead time. ``apply`` recomputes the plan in its own
transaction rather than trusting the preview; a move refused all the same (the slot full,
started or out of transport seats by then) puts that booking on the worklist instead of
failing the others. Bookings put on the worklist lose their seat (it is cancelled, with the
proposal kept on the item) except for a moved day, where the booking follows its slot and the
item only tells the resident the new date. Moved bookings are put on the worklist too
(``detail.moved_to``): the resident has to be told.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.bookings import cancel_booking, change_booking
from registry.changes import SlotsChanged, note
from registry.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NoTransportSeat,
    SlotFull,
    SlotStarted,
)
from registry.models import Booking, Resident, Slot, Venue
from registry.move_targets import Need, Opening, nearest, needs, openings
from registry.venues import get_slot, set_slot_capacity, update_venue
from registry.views import View, as_utc
from registry.worklist import enqueue

log = logging.getLogger(__name__)

KINDS = ("capacity", "close_slot", "close_venue", "move_day")
ACTIONS = ("move", "worklist")
CONFLICTS = {"capacity": "over_capacity", "close_slot": "slot_closed",
             "close_venue": "venue_closed", "move_day": "day_moved"}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Change:
    """What a supervisor asks: ``capacity`` (slot_id, capacity), ``close_slot`` (slot_id),
    ``close_venue`` (venue_id; its slots from now on), ``move_day`` (venue_id, day, to_day)."""

    kind: str
    slot_id: int | None = None
    venue_id: int | None = None
    capacity: int | None = None
    day: dt.date | None = None
    to_day: dt.date | None = None

    def key(self) -> str:
        """Names the change in the worklist's source_ref (one item per booking and change)."""
        parts = [self.kind, self.slot_id, self.venue_id, self.capacity, self.day, self.to_day]
        return ":".join("" if p is None else str(p) for p in parts)


@dataclasses.dataclass(frozen=True)
class Affected(View):
    booking_id: int
    resident_id: int
    resident_name: str
    slot_id: int
    starts_at: dt.datetime
    booked_at: dt.datetime
    conflict: str  # over_capacity / slot_closed / venue_closed / day_moved
    proposed_slot_id: int | None  # a slot it can take (for a moved day: the slot itself)


@dataclasses.dataclass(frozen=True)
class Plan(View):
    kind: str
    slot_ids: tuple[int, ...]  # the slots the change touches
    affected: tuple[Affected, ...]  # in booking order


@dataclasses.dataclass(frozen=True)
class Applied(View):
    plan: Plan
    moved: tuple[tuple[int, int], ...]  # (booking_id, slot_id)
    queued: tuple[int, ...]  # worklist item ids


def _check(change: Change) -> None:
    if change.kind not in KINDS:
        raise InvalidInput("kind", f"kind must be one of {', '.join(KINDS)}")
    need = {"capacity": ("slot_id", "capacity"), "close_slot": ("slot_id",),
            "close_venue": ("venue_id",), "move_day": ("venue_id", "day", "to_day")}  # fmt: skip
    for name in need[change.kind]:
        if getattr(change, name) is None:
            raise InvalidInput(name, f"{name} is required for {change.kind}")
    if change.capacity is not None and change.capacity < 0:
        raise InvalidInput("capacity", "capacity must be 0 or more")
    if change.kind == "move_day" and change.day == change.to_day:
        raise InvalidInput("to_day", "to_day must differ from day")


async def _slots(session: AsyncSession, change: Change, tz: str, now: dt.datetime) -> list[int]:
    if change.slot_id is not None:
        slot = await get_slot(session, change.slot_id)  # NotFound
        if slot.starts_at <= now:
            raise SlotStarted(
                f"slot {slot.slot_id} has already started; it cannot be changed",
                details={"slot_id": slot.slot_id, "starts_at": slot.starts_at.isoformat()},
            )
        return [change.slot_id]
    if await session.get(Venue, change.venue_id) is None:
        raise NotFound(f"venue {change.venue_id} not found", details={"venue_id": change.venue_id})
    stmt = select(Slot.id, Slot.starts_at).where(Slot.venue_id == change.venue_id)
    stmt = stmt.order_by(Slot.starts_at, Slot.id)
    if change.kind == "move_day":
        assert change.day is not None
        rows = (await session.execute(stmt.where(*_on_day(change.day, tz)))).all()
        await _check_move(session, change, tz, now, rows)
    else:
        rows = (await session.execute(stmt.where(Slot.starts_at > now))).all()
    return [slot_id for slot_id, _ in rows]


def _on_day(day: dt.date, tz: str) -> tuple[Any, Any]:
    """Conditions on ``Slot.starts_at`` for a calendar day in ``tz``."""
    start, end = (dt.datetime.combine(d, dt.time(0), tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)
                  for d in (day, day + dt.timedelta(days=1)))  # fmt: skip
    return Slot.starts_at >= start, Slot.starts_at < end


async def _check_move(
    session: AsyncSession, change: Change, tz: str, now: dt.datetime, rows: Sequence[Any]
) -> None:
    """A day moves only if none of its slots has started, if each slot would still be ahead
    (so not before today), and onto a day on which the venue has no slot (days are not merged:
    the venue would have both days' slots and seats at once)."""
    assert change.day is not None
    assert change.to_day is not None
    for slot_id, starts in rows:
        if as_utc(starts) <= now:
            raise SlotStarted(
                f"slot {slot_id} has already started; its day cannot be moved",
                details={"slot_id": slot_id, "starts_at": as_utc(starts).isoformat()},
            )
    today = now.astimezone(ZoneInfo(tz)).date()
    if change.to_day < today:
        raise InvalidInput("to_day", f"to_day {change.to_day} is before today ({today})")
    shift = change.to_day - change.day
    for slot_id, starts in rows:
        if as_utc(starts) + shift <= now:
            raise InvalidInput("to_day", f"slot {slot_id} would start at a time already past",
                               details={"slot_id": slot_id})  # fmt: skip
    if rows:
        await _check_no_slots(session, change, tz)


async def _check_no_slots(session: AsyncSession, change: Change, tz: str) -> None:
    assert change.to_day is not None
    there = select(Slot.id).where(Slot.venue_id == change.venue_id, *_on_day(change.to_day, tz))
    taken = list((await session.scalars(there.order_by(Slot.id))).all())
    if taken:
        raise Conflict(
            f"venue {change.venue_id} already has {len(taken)} slots on {change.to_day}; "
            "a day is not moved onto another one",
            details={"venue_id": change.venue_id, "to_day": str(change.to_day), "slot_ids": taken},
        )


async def _bookings(session: AsyncSession, slot_ids: list[int]) -> list[Any]:
    return list(
        await session.execute(
            select(
                Booking.id,
                Booking.resident_id,
                Resident.name,
                Booking.slot_id,
                Slot.starts_at,
                Booking.created_at,
                Booking.checked_in_at,
            )
            .join(Resident, Resident.id == Booking.resident_id)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.slot_id.in_(slot_ids), Booking.status == "booked")
            .order_by(Booking.created_at, Booking.id)
        )
    )


def _taken_away(change: Change, rows: list[Any]) -> list[Any]:
    """The bookings the change takes away: for a cut capacity, those beyond it with the
    checked-in ones kept first, then first come, first kept; else all. Refused (``Conflict``)
    if that would include a checked-in booking."""
    came = [r for r in rows if r.checked_in_at is not None]
    keep = (change.capacity or 0) if change.kind == "capacity" else 0
    if len(came) > keep:
        slot_ids = sorted({r.slot_id for r in came})
        which = ("slot " if len(slot_ids) == 1 else "slots ") + ", ".join(map(str, slot_ids))
        raise Conflict(
            f"{len(came)} residents have checked in for {which}; the change would take their seats",
            details={"slot_ids": slot_ids, "checked_in": len(came)},
        )
    return [r for r in rows if r.checked_in_at is None][keep - len(came) :]


async def preview(
    session: AsyncSession, change: Change, *, tz: str, now: dt.datetime | None = None
) -> Plan:
    """The bookings the change would affect, in booking order, with a proposal each."""
    _check(change)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return (await _plan(session, change, tz, now))[0]


async def _plan(
    session: AsyncSession, change: Change, tz: str, now: dt.datetime
) -> tuple[Plan, dict[int, Need]]:
    """The plan, and what each affected booking needs of a slot it moves to."""
    slot_ids = await _slots(session, change, tz, now)
    rows = _taken_away(change, await _bookings(session, slot_ids))
    need = await needs(session, [r.id for r in rows])
    venue_of = dict(
        (await session.execute(select(Slot.id, Slot.venue_id).where(Slot.id.in_(slot_ids)))).all()
    )
    choices = [] if change.kind == "move_day" else await openings(session, exclude=slot_ids,
                                                                  now=now)  # fmt: skip

    def proposal(r: Any) -> int | None:
        if change.kind == "move_day":
            return int(r.slot_id)
        best = nearest(choices, need[r.id], venue_of[r.slot_id], as_utc(r.starts_at))
        return None if best is None else best.slot_id

    affected = tuple(
        Affected(
            booking_id=r.id, resident_id=r.resident_id, resident_name=r.name, slot_id=r.slot_id,
            starts_at=as_utc(r.starts_at), booked_at=as_utc(r.created_at),
            conflict=CONFLICTS[change.kind], proposed_slot_id=proposal(r),
        )
        for r in rows
    )  # fmt: skip
    return Plan(change.kind, tuple(slot_ids), affected), need


async def _queue(session: AsyncSession, change: Change, a: Affected, operator_id: int | None,
                 **extra: Any) -> int:  # fmt: skip
    detail = {"conflict": a.conflict, "booking_id": a.booking_id, "slot_id": a.slot_id,
              "starts_at": a.starts_at.isoformat(), "change": change.kind, **extra}  # fmt: skip
    item = await enqueue(
        session, reason="slot_changed", source_ref=f"reconf:{change.key()}:booking:{a.booking_id}",
        resident_id=a.resident_id, detail=detail, operator_id=operator_id,
        proposed_slot_id=extra.get("moved_to") or a.proposed_slot_id,
    )  # fmt: skip
    return item.item_id


async def _resolve(session: AsyncSession, change: Change, a: Affected, slot: int | None,
                   operator_id: int | None,
                   now: dt.datetime) -> tuple[tuple[int, int] | None, int]:  # fmt: skip
    """Move one booking to ``slot`` (if any; else or if the slot refuses, cancel it) and put
    it on the worklist: (moved, item_id)."""
    if change.kind == "move_day":
        return None, await _queue(session, change, a, operator_id, to_day=str(change.to_day))
    if slot is not None:
        try:  # these refusals come before change_booking writes anything
            await change_booking(session, a.booking_id, slot, operator_id=operator_id, at=now)
        except (SlotFull, SlotStarted, NoTransportSeat) as refused:
            log.info("booking %s: slot %s refused the move (%s), put on the worklist",
                     a.booking_id, slot, refused.error_id)  # fmt: skip
        else:
            return (a.booking_id, slot), await _queue(session, change, a, operator_id,
                                                      moved_to=slot)  # fmt: skip
    await cancel_booking(session, a.booking_id, operator_id=operator_id)
    return None, await _queue(session, change, a, operator_id)


async def _target(
    session: AsyncSession, target_slot_id: int | None, plan: Plan, now: dt.datetime
) -> Opening | None:
    """The chosen slot, if it can still take anyone (else every booking falls back)."""
    if target_slot_id is None:
        return None
    slot = await get_slot(session, target_slot_id)  # NotFound
    if not await session.scalar(select(Venue.active).where(Venue.id == slot.venue_id)):
        raise InvalidInput("target_slot_id", "the chosen slot's venue is closed")
    found = await openings(session, exclude=plan.slot_ids, now=now, only=target_slot_id)
    if not found:
        log.info("slot %s is full or starts too soon: no booking moves there", target_slot_id)
    return found[0] if found else None


def _seat_in(target: Opening | None, need: Need) -> int | None:
    """The chosen slot if it still takes what the booking needs (the seats it gives counted)."""
    if target is None or not target.takes(need):
        return None
    target.take(need)
    return target.slot_id


async def _make_change(session: AsyncSession, change: Change, plan: Plan) -> None:
    if change.kind == "capacity":
        assert change.slot_id is not None
        assert change.capacity is not None
        await set_slot_capacity(session, change.slot_id, change.capacity)
    elif change.kind == "close_slot":
        assert change.slot_id is not None
        await set_slot_capacity(session, change.slot_id, 0)
    elif change.kind == "close_venue":
        assert change.venue_id is not None
        await update_venue(session, change.venue_id, active=False)
        note(session, SlotsChanged(plan.slot_ids))
    else:
        assert change.day is not None
        assert change.to_day is not None
        shift = change.to_day - change.day  # per slot: SQLite has no interval arithmetic
        rows = await session.execute(
            select(Slot.id, Slot.starts_at, Slot.ends_at).where(Slot.id.in_(plan.slot_ids))
        )
        for slot_id, starts, ends in rows.all():
            await session.execute(
                update(Slot)
                .where(Slot.id == slot_id)
                .values(starts_at=as_utc(starts) + shift, ends_at=as_utc(ends) + shift)
            )
        note(session, SlotsChanged(plan.slot_ids))


async def apply(
    session: AsyncSession,
    change: Change,
    *,
    action: str,
    tz: str,
    target_slot_id: int | None = None,
    operator_id: int | None = None,
    now: dt.datetime | None = None,
) -> Applied:
    """Make the change: each affected booking moved (``action`` move: to ``target_slot_id``,
    else its proposal) or put on the worklist, in booking order; then the change itself."""
    if action not in ACTIONS:
        raise InvalidInput("action", f"action must be one of {', '.join(ACTIONS)}")
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    _check(change)
    plan, need = await _plan(session, change, tz, now)
    if target_slot_id is not None and target_slot_id in plan.slot_ids:
        raise InvalidInput("target_slot_id", "the chosen slot is one the change takes away")
    target = await _target(session, target_slot_id if action == "move" else None, plan, now)
    moved: list[tuple[int, int]] = []
    queued: list[int] = []
    for a in plan.affected:
        if action == "worklist":
            slot = None
        elif target_slot_id is None:
            slot = a.proposed_slot_id
        else:
            slot = _seat_in(target, need[a.booking_id])
        done, item_id = await _resolve(session, change, a, slot, operator_id, now)
        if done is not None:
            moved.append(done)
        queued.append(item_id)
    await _make_change(session, change, plan)
    await audit(session, AuditAction.SLOT_RECONFIGURE, operator_id=operator_id,
                details={"change": change.key(), "action": action, "affected": len(plan.affected),
                         "moved": len(moved), "slots": list(plan.slot_ids)})  # fmt: skip
    log.debug("reconfigure %s planned: %d affected, %d moved (the caller commits)", change.key(),
              len(plan.affected), len(moved))  # fmt: skip
    return Applied(plan, tuple(moved), tuple(queued))
