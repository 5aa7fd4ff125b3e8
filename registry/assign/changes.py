"""The call center's changes to an assignment, beside the plain reschedule and cancel of
``registry.bookings``:

- ``cannot_come``: the resident cannot come on their slot's day: the day is kept (no later
  assignment puts them on it), the booking and the later doses the assignment gave them are
  cancelled (seats freed), and the slots they could take instead are suggested;
- ``suggest_slots``: open slots for one resident by the assignment's own rules (nearest venue
  first, with the transport seat or wheelchair access they need, not on their days away);
- ``next_waiting``: for a freed seat, the waiting resident the assignment would seat first.

The caller commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.assign.load import LOCAL_TZ, load_input
from registry.assign.solver import DEFAULT_BANDS, FAR, OpenSlot, Person, Rules, band_index
from registry.audit import AuditAction, audit
from registry.bookings import cancel_booking, get_booking
from registry.errors import Conflict, NotFound
from registry.models import Booking, Resident, UnavailableDay
from registry.views import BookingView, View


@dataclasses.dataclass(frozen=True)
class SlotOffer(View):
    slot_id: int
    venue_id: int
    venue_name: str
    starts_at: dt.datetime
    free: int
    transport_free: int
    wheelchair: bool
    distance_m: int | None


@dataclasses.dataclass(frozen=True)
class CannotCome(View):
    booking: BookingView
    day: dt.date
    cancelled: tuple[int, ...]  # booking ids cancelled (the slot's and later doses)
    suggestions: tuple[SlotOffer, ...]


@dataclasses.dataclass(frozen=True)
class Waiting(View):
    resident_id: int
    name: str
    birth_date: dt.date | None
    band: int
    district: str | None
    transport: bool
    wheelchair: bool


def _fits(s: OpenSlot, p: Person) -> bool:
    return (
        s.free >= 1
        and (not p.transport or s.transport_free >= 1)
        and (not p.wheelchair or s.wheelchair)
        and s.day not in p.unavailable
    )


def _offer(s: OpenSlot, name: str, distance: int) -> SlotOffer:
    return SlotOffer(s.slot_id, s.venue_id, name, s.starts_at, s.free, s.transport_free,
                     s.wheelchair, None if distance >= FAR else distance)  # fmt: skip


async def suggest_slots(
    session: AsyncSession, resident_id: int, *, after: dt.datetime | None = None, limit: int = 5
) -> tuple[SlotOffer, ...]:
    """Open slots the resident could take, best first by the assignment's rules."""
    after = after or dt.datetime.now(dt.UTC)
    data = await load_input(session, after=after, resident_id=resident_id)
    person = next((p for p in data.people if p.resident_id == resident_id), None)
    if person is None:  # not waiting (booked, or no wish recorded): no needs known but the address
        person = Person(resident_id, None, None, None)
    far = {
        s.slot_id: data.distances.get((s.venue_id, person.district or ""), FAR) for s in data.slots
    }
    ranked = sorted(
        (s for s in data.slots if _fits(s, person)),
        key=lambda s: (far[s.slot_id], s.starts_at, s.slot_id),
    )
    return tuple(_offer(s, data.venues[s.venue_id], far[s.slot_id]) for s in ranked[:limit])


async def cannot_come(
    session: AsyncSession,
    booking_id: int,
    *,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
) -> CannotCome:
    """Cancel an active booking because the resident cannot come that day (kept as a day away)."""
    booking = await get_booking(session, booking_id)
    if booking.status != "booked":
        raise Conflict(
            f"booking {booking_id} is {booking.status}",
            details={"booking_id": booking_id, "status": booking.status},
        )
    day = booking.starts_at.astimezone(LOCAL_TZ).date()
    known = select(UnavailableDay.day).where(
        UnavailableDay.resident_id == booking.resident_id, UnavailableDay.day == day
    )
    if await session.scalar(known) is None:
        try:
            await session.execute(
                insert(UnavailableDay).values(
                    resident_id=booking.resident_id, day=day, booking_id=booking_id,
                    created_by=operator_id,
                )
            )  # fmt: skip
        except IntegrityError as err:  # the same day told twice at once; caller rolls back
            raise Conflict("the day was recorded meanwhile", details={"retry": True}) from err
    later = await session.scalars(
        select(Booking.id).where(
            Booking.resident_id == booking.resident_id,
            Booking.status == "booked",
            Booking.channel == "assigned",
            Booking.dose > booking.dose,
        )
    )
    cancelled = (booking_id, *later.all())
    for bid in cancelled:
        await cancel_booking(session, bid, operator_id=operator_id, call_linkedid=call_linkedid)
    await audit(
        session,
        AuditAction.BOOKING_CANNOT_COME,
        operator_id=operator_id,
        resident_id=booking.resident_id,
        call_linkedid=call_linkedid,
        details={"booking_id": booking_id, "day": day.isoformat(), "cancelled": list(cancelled)},
    )
    return CannotCome(
        booking=await get_booking(session, booking_id),
        day=day,
        cancelled=cancelled,
        suggestions=await suggest_slots(session, booking.resident_id),
    )


async def next_waiting(
    session: AsyncSession,
    slot_id: int,
    *,
    bands: tuple[tuple[int, int | None], ...] = DEFAULT_BANDS,
    as_of: dt.date | None = None,
) -> Waiting | None:
    """The waiting resident the assignment would seat first in ``slot_id`` (None: nobody fits,
    or the slot has no free seat)."""
    data = await load_input(session, after=dt.datetime.now(dt.UTC), slot_id=slot_id)
    slot = next((s for s in data.slots if s.slot_id == slot_id), None)
    if slot is None:
        raise NotFound(
            f"slot {slot_id} is not open (unknown, started or its venue closed)",
            details={"slot_id": slot_id},
        )
    rules = Rules(as_of=as_of or dt.datetime.now(LOCAL_TZ).date(), bands=bands)
    fitting = [p for p in data.people if _fits(slot, p)]
    if not fitting:
        return None
    best = min(
        fitting,
        key=lambda p: (band_index(p.birth_date, rules), p.birth_date or dt.date.max, p.resident_id),
    )
    name = await session.scalar(select(Resident.name).where(Resident.id == best.resident_id))
    return Waiting(best.resident_id, name or "", best.birth_date,
                   band_index(best.birth_date, rules), best.district, best.transport,
                   best.wheelchair)  # fmt: skip
