"""Residents' requests to be contacted: a change of their booking asked for on the web page.

``add`` stores one (audited, ``contact.request``); the same request sent again while the first
is open (a double click, a reload) gives the first back. ``cancel_asked`` stores one per booking
still to come of a resident who answered on the page that they do not want the vaccination (the
seat is not given up unasked: the call center confirms and cancels). ``open_requests`` lists the
open ones, oldest first, for the call center's callback worklist; ``close_request`` marks one
done (audited, ``contact.close``), as ``closed_by_worklist`` does when the request's worklist
item is done. Only the resident's own booking may be named. The caller commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.errors import InvalidInput, NotFound
from registry.models import Booking, ContactRequest, Resident, Slot, utcnow
from registry.views import View, as_utc, check_choice

log = logging.getLogger(__name__)

KINDS = ("reschedule", "cancel", "other")
CHANNELS = ("web",)
MAX_NOTE = 500
WORKLIST_REF = "web:contact:"  # + the request's id: its callback worklist item's source_ref
NO_LONGER_WANTED = "ウェブで「接種を希望しない」と回答（予約あり）"  # the note of ``cancel_asked``


@dataclasses.dataclass(frozen=True)
class ContactRequestView(View):
    request_id: int
    resident_id: int
    booking_id: int | None
    kind: str
    note: str
    channel: str
    status: str
    created_at: dt.datetime


def _view(r: ContactRequest) -> ContactRequestView:
    return ContactRequestView(
        request_id=r.id,
        resident_id=r.resident_id,
        booking_id=r.booking_id,
        kind=r.kind,
        note=r.note,
        channel=r.channel,
        status=r.status,
        created_at=as_utc(r.created_at),
    )


async def _check_booking(session: AsyncSession, resident_id: int, booking_id: int) -> None:
    owner = await session.scalar(select(Booking.resident_id).where(Booking.id == booking_id))
    if owner != resident_id:
        raise InvalidInput("booking_id", "the booking is not the resident's")


async def add(
    session: AsyncSession,
    *,
    resident_id: int,
    kind: str,
    note: str = "",
    booking_id: int | None = None,
    channel: str = "web",
    source: str = "",
) -> ContactRequestView:
    """Store one open request and audit it (``source``: where it came from, for the audit)."""
    check_choice("kind", kind, KINDS)
    check_choice("channel", channel, CHANNELS)
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidInput("note", f"note must be text of at most {MAX_NOTE} characters")
    if await session.scalar(select(Resident.id).where(Resident.id == resident_id)) is None:
        raise NotFound(f"resident {resident_id} not found", details={"resident_id": resident_id})
    if booking_id is not None:
        await _check_booking(session, resident_id, booking_id)
    same = await session.scalar(
        select(ContactRequest).where(
            ContactRequest.resident_id == resident_id,
            ContactRequest.booking_id.is_(None)
            if booking_id is None
            else ContactRequest.booking_id == booking_id,
            ContactRequest.kind == kind,
            ContactRequest.note == note.strip(),
            ContactRequest.status == "open",
        )
    )
    if same is not None:
        return _view(same)
    request_id = await session.scalar(
        insert(ContactRequest)
        .values(
            resident_id=resident_id,
            booking_id=booking_id,
            kind=kind,
            note=note.strip(),
            channel=channel,
            status="open",
            created_at=utcnow(),
        )
        .returning(ContactRequest.id)
    )
    assert request_id is not None
    await audit(
        session,
        AuditAction.CONTACT_REQUEST,
        operator_id=None,
        resident_id=resident_id,
        details={"request_id": request_id, "kind": kind, "channel": channel, "source": source},
    )
    log.info("contact request %s stored via %s", request_id, channel)
    row = await session.get(ContactRequest, request_id)
    assert row is not None
    return _view(row)


async def open_requests(
    session: AsyncSession, *, resident_id: int | None = None, limit: int = 500
) -> list[ContactRequestView]:
    """Open requests, oldest first (optionally one resident's)."""
    stmt = select(ContactRequest).where(ContactRequest.status == "open")
    if resident_id is not None:
        stmt = stmt.where(ContactRequest.resident_id == resident_id)
    stmt = stmt.order_by(ContactRequest.created_at, ContactRequest.id).limit(limit)
    return [_view(r) for r in (await session.scalars(stmt)).all()]


async def cancel_asked(
    session: AsyncSession, resident_id: int, *, source: str = "", now: dt.datetime | None = None
) -> list[ContactRequestView]:
    """A ``cancel`` request for each of the resident's bookings still to come (none: nothing),
    noted ``NO_LONGER_WANTED``: the resident answered that they do not want the vaccination."""
    now = now or utcnow()
    rows = await session.scalars(
        select(Booking.id)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.resident_id == resident_id, Booking.status == "booked", Slot.ends_at > now)
        .order_by(Slot.starts_at)
    )
    asked = []
    for booking_id in rows.all():
        request = await add(
            session,
            resident_id=resident_id,
            kind="cancel",
            note=NO_LONGER_WANTED,
            booking_id=booking_id,
            source=source,
        )
        asked.append(request)
    return asked


async def closed_by_worklist(
    session: AsyncSession, source_ref: str, *, operator_id: int | None, call_linkedid: str | None
) -> ContactRequestView | None:
    """Close the request whose worklist item (``source_ref``) is done; None for another item."""
    if not source_ref.startswith(WORKLIST_REF) or not source_ref[len(WORKLIST_REF) :].isdigit():
        return None
    request_id = int(source_ref[len(WORKLIST_REF) :])
    return await close_request(
        session, request_id, operator_id=operator_id, call_linkedid=call_linkedid
    )


async def close_request(
    session: AsyncSession, request_id: int, *, operator_id: int | None, call_linkedid: str | None
) -> ContactRequestView:
    """Mark a request done (the call center called back); audited."""
    row = await session.get(ContactRequest, request_id, populate_existing=True)
    if row is None:
        raise NotFound(
            f"contact request {request_id} not found", details={"request_id": request_id}
        )
    if row.status != "done":
        row.status = "done"
        await session.flush()
        await audit(
            session,
            AuditAction.CONTACT_CLOSE,
            operator_id=operator_id,
            resident_id=row.resident_id,
            call_linkedid=call_linkedid,
            details={"request_id": request_id},
        )
    return _view(row)
