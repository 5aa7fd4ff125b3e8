"""The later doses follow the earlier one: the call center's reschedule and cancel of a booking
that has later doses the assignment gave (``Booking.dose`` 2, 3, ... with channel ``assigned``).

- ``reschedule``: the booking moves to the chosen slot (``registry.bookings.change_booking``:
  its rules and refusals unchanged), and each later dose moves to the slot at the **new slot's
  venue** starting **N days after the new slot at the same time of day**, N being the distance
  the assignment left between the two bookings' days (the existing gap, read from the bookings
  themselves, so a campaign's ``--second-dose-days`` needs no setting here). A later dose moves
  only if that slot exists and has a seat (and a transport seat when the booking holds one).
- ``cancel``: the booking and its later assigned doses are cancelled (as ``cannot_come`` does,
  without keeping the day away).

When a later dose cannot follow, the reschedule still happens: the later dose stays where it was,
the answer names it with ``not_moved`` and why (``no_slot``: the venue has no slot N days later
at that time; ``slot_full``; ``no_transport_seat``), and it goes on the callback worklist
(reason ``second_dose``) so that someone arranges it. Why not refuse the reschedule with a 409:
the operator is on the phone with the resident, whose first dose is what they called about and
what is decided now; a refusal would leave the operator hunting blind for a first-dose slot whose
pair happens to be free, while the answer shows at once, still during the call, that the second
dose could not follow, and the operator can move it by hand right then (or leave it to the
worklist). Nothing is lost either way: the second dose keeps its seat until it is moved.

All in the caller's one transaction: the bookings and every slot involved (and their transport
rows) are locked first, in one order (``registry.bookings.lock_in_order``: bookings by id, then
slots by id), so the checks below see what the moves will find, and two changes never deadlock;
the later doses are read again after the first move (under the locks, and on SQLite under the
write lock that move took): one changed meanwhile is a ``Conflict`` to retry, nothing written.
The plain ``change_booking`` / ``cancel_booking`` stay as they were for the supervisors'
reconfiguration, which deals with every affected booking itself.
Seats are taken and freed only by ``change_booking`` / ``cancel_booking`` (capacity and
transport seats are enforced by the database as ever). Each move and cancel is audited as such
(``booking.change`` / ``booking.cancel``), the worklist item as ``worklist.enqueue``, and the
whole as ``booking.later_doses`` (what followed the booking and what did not). The caller
commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.assign.load import LOCAL_TZ
from registry.audit import AuditAction, audit
from registry.bookings import cancel_booking, change_booking, get_booking, lock_in_order
from registry.errors import Conflict
from registry.models import Booking, Slot, SlotSupport
from registry.views import BookingView, View, as_utc
from registry.worklist import enqueue

log = logging.getLogger(__name__)

OUTCOMES = ("moved", "not_moved", "cancelled")
WHY_NOT = ("no_slot", "slot_full", "no_transport_seat")
WORKLIST_REASON = "second_dose"


@dataclasses.dataclass(frozen=True)
class LaterDose(View):
    """What became of one later dose: ``moved`` (to ``booking``'s slot), ``not_moved`` (kept
    where it was; ``why`` and the slot time it should have had, ``item_id`` on the worklist),
    or ``cancelled``."""

    booking: BookingView
    outcome: str
    why: str | None = None
    wanted_starts_at: dt.datetime | None = None
    item_id: int | None = None


@dataclasses.dataclass(frozen=True)
class Followed(View):
    """The booking changed (moved or cancelled) and what became of its later doses."""

    booking: BookingView
    later: tuple[LaterDose, ...]


@dataclasses.dataclass(frozen=True)
class _Later:
    booking_id: int
    dose: int
    slot_id: int
    starts_at: dt.datetime
    transport: bool


async def _later_doses(session: AsyncSession, booking: BookingView) -> list[_Later]:
    """The resident's active assigned bookings with a later dose than ``booking``'s."""
    rows = await session.execute(
        select(Booking.id, Booking.dose, Booking.slot_id, Slot.starts_at, Booking.transport)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.resident_id == booking.resident_id,
            Booking.status == "booked",
            Booking.channel == "assigned",
            Booking.dose > booking.dose,
            Booking.id != booking.booking_id,
        )
        .order_by(Booking.dose, Booking.id)
    )
    return [_Later(r.id, r.dose, r.slot_id, as_utc(r.starts_at), bool(r.transport)) for r in rows]


def _local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(LOCAL_TZ).date()


def wanted_start(old_first: dt.datetime, later: dt.datetime, new_first: dt.datetime) -> dt.datetime:
    """Where a later dose goes when its earlier dose moves from ``old_first`` to ``new_first``:
    the same number of days after, at the new slot's time of day (local wall clock), in UTC."""
    days = (_local_day(later) - _local_day(old_first)).days
    return (new_first.astimezone(LOCAL_TZ) + dt.timedelta(days=days)).astimezone(dt.UTC)


async def _slots_at(session: AsyncSession, venue_id: int, starts_at: dt.datetime) -> list[int]:
    """The slots of ``venue_id`` starting at ``starts_at`` (to the second), by id."""
    hit = await session.scalars(
        select(Slot.id)
        .where(
            Slot.venue_id == venue_id,
            Slot.starts_at >= starts_at,
            Slot.starts_at < starts_at + dt.timedelta(seconds=1),
        )
        .order_by(Slot.id)
    )
    return list(hit.all())


async def _room(session: AsyncSession, slot_id: int) -> tuple[int, int]:
    """(free seats, free transport seats) of a slot, as the locks hold them."""
    row = (
        await session.execute(
            select(
                Slot.capacity - Slot.booked,
                SlotSupport.transport_seats - SlotSupport.transport_booked,
            )
            .outerjoin(SlotSupport, SlotSupport.slot_id == Slot.id)
            .where(Slot.id == slot_id)
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def _pick(session: AsyncSession, later: _Later, slots: list[int]) -> tuple[int | None, str]:
    """The slot (among ``slots``, all at the wanted time) the later dose moves to, or why none."""
    if later.slot_id in slots:
        return later.slot_id, ""  # already there (another slot at the same time was chosen)
    if not slots:
        return None, "no_slot"
    why = "slot_full"
    for slot_id in slots:
        seats, rides = await _room(session, slot_id)
        if seats < 1:
            continue
        if later.transport and rides < 1:
            why = "no_transport_seat"
            continue
        return slot_id, ""
    return None, why


async def reschedule(
    session: AsyncSession,
    booking_id: int,
    new_slot_id: int,
    *,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
    at: dt.datetime | None = None,
) -> Followed:
    """Move a booking to ``new_slot_id`` (``change_booking``'s refusals) and its later assigned
    doses with it; a later dose that cannot follow stays, is told, and goes on the worklist."""
    current = await get_booking(session, booking_id)
    if current.status != "booked" or new_slot_id == current.slot_id:
        return Followed(await change_booking(session, booking_id, new_slot_id, at=at), ())
    new = (
        await session.execute(select(Slot.venue_id, Slot.starts_at).where(Slot.id == new_slot_id))
    ).one_or_none()
    later = await _later_doses(session, current)
    if new is None or not later:  # NotFound from change_booking; or nothing follows
        moved = await change_booking(session, booking_id, new_slot_id, operator_id=operator_id,
                                     call_linkedid=call_linkedid, at=at)  # fmt: skip
        return Followed(moved, ())
    new_starts = as_utc(new.starts_at)
    wanted = {d.booking_id: wanted_start(current.starts_at, d.starts_at, new_starts) for d in later}
    targets = {d.booking_id: await _slots_at(session, new.venue_id, wanted[d.booking_id])
               for d in later}  # fmt: skip
    await lock_in_order(
        session,
        (booking_id, *(d.booking_id for d in later)),
        (current.slot_id, new_slot_id, *(d.slot_id for d in later),
         *(s for ids in targets.values() for s in ids)),
    )  # fmt: skip
    moved = await change_booking(session, booking_id, new_slot_id, operator_id=operator_id,
                                 call_linkedid=call_linkedid, at=at)  # fmt: skip
    # read again under the locks (SQLite: under the write lock the move above took)
    if await _later_doses(session, current) != later:
        raise Conflict(
            "a later dose changed meanwhile", details={"booking_id": booking_id, "retry": True}
        )
    told: list[LaterDose] = []
    for d in later:
        slot_id, why = await _pick(session, d, targets[d.booking_id])
        if slot_id is not None:
            view = await change_booking(session, d.booking_id, slot_id, operator_id=operator_id,
                                        call_linkedid=call_linkedid, at=at)  # fmt: skip
            told.append(LaterDose(view, "moved"))
            continue
        item = await _queue(session, moved, d, why, wanted[d.booking_id], operator_id)
        told.append(LaterDose(await get_booking(session, d.booking_id), "not_moved", why,
                              wanted[d.booking_id], item))  # fmt: skip
    await _audit(session, moved, told, operator_id, call_linkedid, to_slot=new_slot_id)
    return Followed(moved, tuple(told))


async def _queue(
    session: AsyncSession,
    first: BookingView,
    later: _Later,
    why: str,
    wanted: dt.datetime,
    operator_id: int | None,
) -> int:
    """A callback for a later dose that could not follow its moved earlier dose."""
    detail: dict[str, Any] = {
        "why": why,
        "booking_id": later.booking_id,
        "dose": later.dose,
        "slot_id": later.slot_id,
        "starts_at": later.starts_at.isoformat(),
        "wanted_starts_at": wanted.isoformat(),
        "venue_id": first.venue_id,
        "first_booking_id": first.booking_id,
        "first_slot_id": first.slot_id,
        "first_starts_at": first.starts_at.isoformat(),
    }
    item = await enqueue(
        session,
        reason=WORKLIST_REASON,
        source_ref=f"later-dose:{later.booking_id}:after-slot:{first.slot_id}",
        resident_id=first.resident_id,
        detail=detail,
        operator_id=operator_id,
    )
    log.info("booking %s (dose %s) did not follow: %s", later.booking_id, later.dose, why)
    return item.item_id


async def _audit(
    session: AsyncSession,
    booking: BookingView,
    told: list[LaterDose],
    operator_id: int | None,
    call_linkedid: str | None,
    **extra: Any,
) -> None:
    if not told:
        return
    details: dict[str, Any] = {"booking_id": booking.booking_id, **extra}
    for outcome in OUTCOMES:
        details[outcome] = [t.booking.booking_id for t in told if t.outcome == outcome]
    not_moved = [t for t in told if t.outcome == "not_moved"]
    if not_moved:
        details["why"] = {str(t.booking.booking_id): t.why for t in not_moved}
    await audit(
        session,
        AuditAction.BOOKING_LATER_DOSES,
        operator_id=operator_id,
        resident_id=booking.resident_id,
        call_linkedid=call_linkedid,
        details=details,
    )


async def cancel(
    session: AsyncSession,
    booking_id: int,
    *,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
) -> Followed:
    """Cancel a booking (``cancel_booking``: a cancelled one comes back unchanged) and its later
    assigned doses."""
    current = await get_booking(session, booking_id)
    if current.status != "booked":
        return Followed(await cancel_booking(session, booking_id, operator_id=operator_id,
                                             call_linkedid=call_linkedid), ())  # fmt: skip
    later = await _later_doses(session, current)
    if later:
        await lock_in_order(session, (booking_id, *(d.booking_id for d in later)),
                            (current.slot_id, *(d.slot_id for d in later)))  # fmt: skip
    view = await cancel_booking(session, booking_id, operator_id=operator_id,
                                call_linkedid=call_linkedid)  # fmt: skip
    told: list[LaterDose] = []
    for d in later:
        gone = await cancel_booking(session, d.booking_id, operator_id=operator_id,
                                    call_linkedid=call_linkedid)  # fmt: skip
        told.append(LaterDose(gone, "cancelled"))
    await _audit(session, view, told, operator_id, call_linkedid)
    return Followed(view, tuple(told))
