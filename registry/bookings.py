"""Booking a vaccination slot: capacity and "never booked twice" are enforced by the database.

- A seat is taken by one conditional ``UPDATE slots SET booked = booked + 1 WHERE id = :id AND
  booked < capacity`` in the same transaction as the booking row; no row updated means the slot is
  full (``SlotFull``, raised before anything is written). The CHECK constraint
  ``booked <= capacity`` backs it up.
- A slot that has started by the moment of booking (``at``, given by the web layer) is refused
  with ``SlotStarted``; with no ``at`` (imports, past data) the time is not checked.
- One active booking per resident and dose is a partial unique index; a violation is
  ``AlreadyBooked`` (checked first for a clear answer, and caught from the index in a race).
  Only that index means ``AlreadyBooked``: the resident, slot and operator are checked to exist
  first (``NotFound`` / ``InvalidInput`` naming the field), and an integrity error from anything
  else (a row deleted meanwhile, a concurrent resend with the same ``client_key``) is told apart
  by the violated constraint's name (PostgreSQL) or the error text (SQLite).
- ``client_key`` is the client's idempotency key: a resend with the same key returns the booking
  the first request made.

Every change is written to the audit log with the operator and call. The caller commits; after a
``Conflict`` other than ``SlotFull`` it rolls back (the database refused part of the work).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.changes import SlotsChanged, note
from registry.errors import (
    AlreadyBooked,
    Conflict,
    InvalidInput,
    NotFound,
    NoTransportSeat,
    SlotFull,
    SlotStarted,
)
from registry.idempotency import check_client_key
from registry.models import Booking, Operator, Resident, Slot, SlotSupport, Venue, utcnow
from registry.views import BookingView, as_utc, check_choice

log = logging.getLogger(__name__)

CHANNELS = ("phone", "web", "paper", "assigned", "walk_in")
STATUSES = ("booked", "cancelled", "attended")
MAX_DOSE = 10
ACTIVE_BOOKING_INDEX = "uq_bookings_active_resident_dose"
# constraint (PostgreSQL name, or a piece of SQLite's message) -> the booking field it guards
FOREIGN_KEYS = {
    "fk_bookings_resident_id_residents": "resident_id",
    "fk_bookings_slot_id_slots": "slot_id",
    "fk_bookings_created_by_operators": "operator_id",
}


def booking_select() -> Select[*tuple[Any, ...]]:
    """Columns of a ``BookingView`` (booking joined with its slot and venue)."""
    return (
        select(
            Booking.id.label("booking_id"),
            Booking.resident_id,
            Booking.slot_id,
            Slot.venue_id,
            Venue.name.label("venue_name"),
            Slot.starts_at,
            Slot.ends_at,
            Booking.dose,
            Booking.status,
            Booking.channel,
            Booking.created_by,
            Booking.call_linkedid,
            Booking.client_key,
            Booking.created_at,
            Booking.updated_at,
        )
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Venue, Venue.id == Slot.venue_id)
    )


def booking_view(row: Any) -> BookingView:
    m = dict(row._mapping)
    for key in ("starts_at", "ends_at", "created_at", "updated_at"):
        m[key] = as_utc(m[key])
    return BookingView(**m)


async def get_booking(session: AsyncSession, booking_id: int) -> BookingView:
    row = (await session.execute(booking_select().where(Booking.id == booking_id))).one_or_none()
    if row is None:
        raise NotFound(f"booking {booking_id} not found", details={"booking_id": booking_id})
    return booking_view(row)


async def bookings_of(session: AsyncSession, resident_id: int) -> list[BookingView]:
    """All bookings of a resident (cancelled ones too), by slot start."""
    stmt = booking_select().where(Booking.resident_id == resident_id)
    rows = await session.execute(stmt.order_by(Slot.starts_at, Booking.id))
    return [booking_view(r) for r in rows.all()]


async def _check_refs(session: AsyncSession, resident_id: int, operator_id: int | None) -> None:
    if await session.scalar(select(Resident.id).where(Resident.id == resident_id)) is None:
        raise NotFound(
            f"resident {resident_id} not found",
            details={"resident_id": resident_id, "field": "resident_id"},
        )
    known = select(Operator.id).where(Operator.id == operator_id)
    if operator_id is not None and await session.scalar(known) is None:
        raise InvalidInput("operator_id", f"operator {operator_id} does not exist")


def violated_constraint(err: IntegrityError) -> str:
    """The name of the constraint ``err`` violated (PostgreSQL names it; on SQLite, what the
    message says: ``UNIQUE constraint failed: t.a, t.b`` or ``FOREIGN KEY constraint failed``)."""
    orig: Any = err.orig
    for source in (orig, getattr(orig, "__cause__", None)):  # asyncpg's error under the adapter
        name = getattr(source, "constraint_name", None)
        if name:
            return str(name)
    text = str(orig)
    if "bookings.resident_id, bookings.dose" in text:
        return ACTIVE_BOOKING_INDEX
    if "bookings.client_key" in text:
        return "uq_bookings_client_key"
    if "FOREIGN KEY constraint failed" in text:
        return "foreign_key"
    return ""


async def _refused(session: AsyncSession, err: IntegrityError, refs: dict[str, Any]) -> Exception:
    """The registry error for an integrity error of the booking insert."""
    name = violated_constraint(err)
    if name == ACTIVE_BOOKING_INDEX:
        return AlreadyBooked(
            "the resident already holds a booking for this dose", details={"dose": refs["dose"]}
        )
    if "client_key" in name:
        return Conflict(
            "a booking with this client_key is being made by another request",
            details={"field": "client_key", "retry_returns_existing": True},
        )
    field = FOREIGN_KEYS.get(name, "")
    if name == "foreign_key":  # SQLite does not say which: only the statement failed, ask
        field = await _missing_ref(session, refs)
    if field or name == "foreign_key":
        return NotFound(f"the booking's {field or 'reference'} no longer exists",
                        details={"field": field})  # fmt: skip
    return Conflict("the database refused the booking", details={"constraint": name})


async def _missing_ref(session: AsyncSession, refs: dict[str, Any]) -> str:
    """Which reference of a failed insert is gone (SQLite only: its transaction lives on)."""
    tables = {"resident_id": Resident.id, "slot_id": Slot.id, "operator_id": Operator.id}
    for field, column in tables.items():
        value = refs[field]
        if (
            value is not None
            and await session.scalar(select(column).where(column == value)) is None
        ):
            return field
    return ""


async def _bookable_slot(
    session: AsyncSession, slot_id: int, field: str, at: dt.datetime | None = None
) -> None:
    row = (
        await session.execute(
            select(Venue.active, Slot.starts_at)
            .join(Slot, Slot.venue_id == Venue.id)
            .where(Slot.id == slot_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"slot {slot_id} not found", details={"slot_id": slot_id})
    if not row.active:
        raise InvalidInput(field, "the slot's venue is closed")
    if at is not None and as_utc(row.starts_at) <= at.astimezone(dt.UTC):
        raise SlotStarted(
            f"slot {slot_id} has already started",
            details={"slot_id": slot_id, "starts_at": as_utc(row.starts_at).isoformat()},
        )


async def _take_seat(session: AsyncSession, slot_id: int) -> None:
    taken = await session.scalar(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .returning(Slot.id)
    )
    if taken is None:
        raise SlotFull(f"slot {slot_id} is full", details={"slot_id": slot_id})


async def _free_seat(session: AsyncSession, slot_id: int) -> None:
    await session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.booked > 0).values(booked=Slot.booked - 1)
    )


async def _check_transport(session: AsyncSession, slot_id: int) -> None:
    """``NoTransportSeat`` before anything is written if the slot has no transport seat left."""
    left = await session.scalar(
        select(SlotSupport.transport_seats - SlotSupport.transport_booked).where(
            SlotSupport.slot_id == slot_id
        )
    )
    if not left or left <= 0:
        raise NoTransportSeat(
            f"slot {slot_id} has no transport seat left", details={"slot_id": slot_id}
        )


async def _take_transport(session: AsyncSession, slot_id: int) -> None:
    taken = await session.scalar(
        update(SlotSupport)
        .where(
            SlotSupport.slot_id == slot_id,
            SlotSupport.transport_booked < SlotSupport.transport_seats,
        )
        .values(transport_booked=SlotSupport.transport_booked + 1)
        .returning(SlotSupport.slot_id)
    )
    if taken is None:  # lost a race after the check; the caller rolls back
        raise NoTransportSeat(
            f"slot {slot_id} has no transport seat left", details={"slot_id": slot_id}
        )


async def _free_transport(session: AsyncSession, slot_id: int) -> None:
    await session.execute(
        update(SlotSupport)
        .where(SlotSupport.slot_id == slot_id, SlotSupport.transport_booked > 0)
        .values(transport_booked=SlotSupport.transport_booked - 1)
    )


async def lock_in_order(
    session: AsyncSession, booking_ids: Iterable[int], slot_ids: Iterable[int]
) -> None:
    """Row locks (PostgreSQL) in one order, bookings by id, then slots by id, then the slots'
    transport rows by slot id: two moves never deadlock, however many rows each takes.

    SQLite renders no FOR UPDATE; it serializes writers as a whole anyway.
    """
    bookings, slots = sorted(set(booking_ids)), sorted(set(slot_ids))
    await session.execute(
        select(Booking.id).where(Booking.id.in_(bookings)).order_by(Booking.id).with_for_update()
    )
    await session.execute(
        select(Slot.id).where(Slot.id.in_(slots)).order_by(Slot.id).with_for_update()
    )
    await session.execute(
        select(SlotSupport.slot_id)
        .where(SlotSupport.slot_id.in_(slots))
        .order_by(SlotSupport.slot_id)
        .with_for_update()
    )


async def _lock_in_order(session: AsyncSession, booking_id: int, slot_ids: tuple[int, int]) -> None:
    await lock_in_order(session, (booking_id,), slot_ids)


async def _by_key(session: AsyncSession, client_key: str) -> BookingView | None:
    row = (
        await session.execute(booking_select().where(Booking.client_key == client_key))
    ).one_or_none()
    return None if row is None else booking_view(row)


async def book_slot(
    session: AsyncSession,
    *,
    resident_id: int,
    slot_id: int,
    channel: str,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
    dose: int = 1,
    client_key: str | None = None,
    at: dt.datetime | None = None,
) -> BookingView:
    """Book a seat; ``SlotFull`` / ``SlotStarted`` (started by ``at``) / ``AlreadyBooked`` /
    ``NotFound`` / ``InvalidInput``."""
    check_choice("channel", channel, CHANNELS)
    if isinstance(dose, bool) or not isinstance(dose, int) or not 1 <= dose <= MAX_DOSE:
        raise InvalidInput("dose", f"dose must be a whole number from 1 to {MAX_DOSE}")
    if check_client_key(client_key) and (done := await _by_key(session, client_key or "")):
        if done.resident_id != resident_id or done.slot_id != slot_id or done.dose != dose:
            raise Conflict(
                "client_key was used for another booking", details={"field": "client_key"}
            )
        return done
    await _check_refs(session, resident_id, operator_id)
    await _bookable_slot(session, slot_id, "slot_id", at)
    held = await session.scalar(
        select(Booking.id).where(
            Booking.resident_id == resident_id, Booking.dose == dose, Booking.status == "booked"
        )
    )
    if held is not None:
        raise AlreadyBooked(
            "the resident already holds a booking for this dose",
            details={"booking_id": held, "dose": dose},
        )
    await _take_seat(session, slot_id)
    try:
        booking_id = await session.scalar(
            insert(Booking)
            .values(
                resident_id=resident_id,
                slot_id=slot_id,
                dose=dose,
                status="booked",
                channel=channel,
                created_by=operator_id,
                call_linkedid=call_linkedid,
                client_key=client_key,
            )
            .returning(Booking.id)
        )
    except IntegrityError as err:  # lost a race; the caller rolls back
        refs = {"resident_id": resident_id, "slot_id": slot_id, "operator_id": operator_id}
        raise await _refused(session, err, {**refs, "dose": dose}) from err
    assert booking_id is not None
    details = {"booking_id": booking_id, "slot_id": slot_id, "dose": dose, "channel": channel}
    await audit(
        session,
        AuditAction.BOOKING_CREATE,
        operator_id=operator_id,
        resident_id=resident_id,
        call_linkedid=call_linkedid,
        details=details,
    )
    log.info(
        "booking %s: slot %s (operator %s, call %s)",
        booking_id,
        slot_id,
        operator_id,
        call_linkedid,
    )
    note(session, SlotsChanged((slot_id,)))
    return await get_booking(session, booking_id)


async def change_booking(
    session: AsyncSession,
    booking_id: int,
    new_slot_id: int,
    *,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
    at: dt.datetime | None = None,
) -> BookingView:
    """Move an active booking to another slot; if that slot is full (or started by ``at``),
    nothing changes."""
    current = await get_booking(session, booking_id)
    if current.status != "booked":
        raise Conflict(
            f"booking {booking_id} is {current.status}; only an active booking can be changed",
            details={"booking_id": booking_id, "status": current.status},
        )
    if new_slot_id == current.slot_id:
        return current
    await _bookable_slot(session, new_slot_id, "slot_id", at)
    await _lock_in_order(session, booking_id, (current.slot_id, new_slot_id))
    rides = bool(await session.scalar(select(Booking.transport).where(Booking.id == booking_id)))
    if rides:  # a booking with a transport seat moves only to a slot with one free
        await _check_transport(session, new_slot_id)
    await _take_seat(session, new_slot_id)  # SlotFull here: nothing written yet
    if rides:
        await _take_transport(session, new_slot_id)
    moved = await session.scalar(
        update(Booking)
        .where(
            Booking.id == booking_id,
            Booking.status == "booked",
            Booking.slot_id == current.slot_id,
        )
        .values(slot_id=new_slot_id, updated_at=utcnow())
        .returning(Booking.id)
    )
    if moved is None:  # changed or cancelled concurrently; caller rolls back
        raise Conflict("the booking was changed meanwhile", details={"booking_id": booking_id})
    await _free_seat(session, current.slot_id)
    if rides:
        await _free_transport(session, current.slot_id)
    await audit(
        session,
        AuditAction.BOOKING_CHANGE,
        operator_id=operator_id,
        resident_id=current.resident_id,
        call_linkedid=call_linkedid,
        details={"booking_id": booking_id, "from_slot": current.slot_id, "to_slot": new_slot_id},
    )
    # not committed yet: the caller may still roll back (the web layer logs what it commits)
    log.debug("booking %s: move to slot %s written (operator %s)", booking_id, new_slot_id,
              operator_id)  # fmt: skip
    note(session, SlotsChanged((current.slot_id, new_slot_id)))
    return await get_booking(session, booking_id)


async def cancel_booking(
    session: AsyncSession,
    booking_id: int,
    *,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
) -> BookingView:
    """Cancel and free the seat. Cancelling a cancelled booking returns it unchanged."""
    freed = (
        await session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.status == "booked")
            .values(status="cancelled", updated_at=utcnow())
            .returning(Booking.slot_id, Booking.transport)
        )
    ).one_or_none()
    if freed is None:
        current = await get_booking(session, booking_id)  # NotFound
        if current.status == "cancelled":
            return current
        raise Conflict(
            f"booking {booking_id} is {current.status} and cannot be cancelled",
            details={"booking_id": booking_id, "status": current.status},
        )
    slot_id, rides = freed
    await _free_seat(session, slot_id)
    if rides:
        await _free_transport(session, slot_id)
    view = await get_booking(session, booking_id)
    await audit(
        session,
        AuditAction.BOOKING_CANCEL,
        operator_id=operator_id,
        resident_id=view.resident_id,
        call_linkedid=call_linkedid,
        details={"booking_id": booking_id, "slot_id": slot_id},
    )
    log.info("booking %s cancelled (operator %s)", booking_id, operator_id)
    note(session, SlotsChanged((slot_id,)))
    return view
