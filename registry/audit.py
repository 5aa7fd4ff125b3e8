"""The append-only audit log: who did what to which resident, during which call.

Every action is one member of ``AuditAction`` (``noun.verb``, one spelling everywhere); ``audit``
refuses any other string. Writes (bookings, mobility requests, intents, dispositions) are audited
by the registry functions that make them. Reads are not: ``residents.resident_detail`` does not
audit by itself, because only the caller knows who is looking and during which call; the web layer
calls ``audit(session, AuditAction.RESIDENT_VIEW, operator_id=..., resident_id=...,
call_linkedid=...)`` for every resident view. The database refuses UPDATE and DELETE on
``audit_log`` (triggers of migration 0001), so entries written before the enumeration keep their
old spelling (``resident_view``, ``resident_search``); ``AuditAction.of`` reads both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.errors import InvalidInput
from registry.models import AuditEntry, utcnow
from registry.views import View, as_utc

log = logging.getLogger(__name__)


class AuditAction(StrEnum):
    """What was done. Stored as its value; add a member here before writing a new action."""

    RESIDENT_VIEW = "resident.view"  # a card opened (GET /api/residents/{id})
    RESIDENT_SEARCH = "resident.search"  # a search by name, birth, address, phone or barcode
    INTENT_RECORD = "intent.record"
    BOOKING_CREATE = "booking.create"
    BOOKING_CHANGE = "booking.change"
    BOOKING_CANCEL = "booking.cancel"
    MOBILITY_CREATE = "mobility.create"
    MOBILITY_UPDATE = "mobility.update"
    CALL_DISPOSITION = "call.disposition"
    CALL_RESIDENT = "call.resident"  # the operator confirmed who is calling
    POSTCARD_PRINT = "postcard.print"  # a selection's postcards downloaded as a PDF
    SCAN_UPLOAD = "scan.upload"  # returned postcards' scans uploaded and read
    REVIEW_VIEW = "review.view"  # a review item opened: a view of its resident
    REVIEW_ACCEPT = "review.accept"  # a review item recorded as the resident's intent
    REVIEW_REJECT = "review.reject"
    RESIDENT_IDENTIFY = "resident.identify"  # a resident's own try on the web page (ok or not)
    RESIDENT_SELF_VIEW = "resident.self_view"  # a resident looked at their own answer and booking
    CONTACT_REQUEST = "contact.request"  # a resident asked to be called back (a booking change)
    CONTACT_CLOSE = "contact.close"  # the call center dealt with a resident's request
    CHECKIN_SCAN = "checkin.scan"  # a barcode scanned at a venue's reception, with its outcome
    CHECKIN_WALK_IN = "checkin.walk_in"  # a resident without a booking let in at the desk
    CHECKIN_EXPORT = "checkin.export"  # a venue day's list downloaded (names of everyone booked)
    ASSIGNMENT_COMMIT = "assignment.commit"  # an assignment run written (its figures)
    BOOKING_CANNOT_COME = "booking.cannot_come"  # cancelled: the resident cannot come that day
    NOTICE_PRINT = "notice.print"  # appointment notices printed
    WORKLIST_ENQUEUE = "worklist.enqueue"  # a callback put on the worklist (by whom or what)
    WORKLIST_CLAIM = "worklist.claim"  # an operator took an item: a view of its resident
    WORKLIST_RELEASE = "worklist.release"
    WORKLIST_OUTCOME = "worklist.outcome"  # reached / no_answer / wrong_number / call_later
    WORKLIST_PRIORITY = "worklist.priority"  # a supervisor reprioritised an item
    WORKLIST_DIAL = "worklist.dial"  # click-to-dial: the PBX asked to connect the call
    SLOT_RECONFIGURE = "slot.reconfigure"  # capacity lowered, slot or venue closed, day moved

    @classmethod
    def of(cls, stored: str) -> AuditAction | None:
        """The action of a stored entry (older entries spelled reads with an underscore)."""
        try:
            return cls(stored)
        except ValueError:
            return _LEGACY.get(stored)


_LEGACY = {
    "resident_view": AuditAction.RESIDENT_VIEW,
    "resident_search": AuditAction.RESIDENT_SEARCH,
}


@dataclasses.dataclass(frozen=True)
class AuditView(View):
    entry_id: int
    at: dt.datetime
    operator_id: int | None
    action: str
    resident_id: int | None
    call_linkedid: str | None
    details: dict[str, Any]


async def audit(
    session: AsyncSession,
    action: AuditAction,
    *,
    operator_id: int | None,
    resident_id: int | None = None,
    call_linkedid: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry (in the caller's transaction; the caller commits)."""
    if not isinstance(action, AuditAction):
        raise InvalidInput("action", f"action must be an AuditAction; got {action!r}")
    payload = dict(details or {})
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as err:
        raise InvalidInput("details", f"details must be JSON-serializable: {err}") from err
    await session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            action=action.value,
            operator_id=operator_id,
            resident_id=resident_id,
            call_linkedid=call_linkedid,
            details=payload,
        )
    )
    log.debug("audit %s operator=%s call=%s", action, operator_id, call_linkedid)


async def audit_entries(
    session: AsyncSession,
    *,
    resident_id: int | None = None,
    operator_id: int | None = None,
    limit: int = 100,
) -> list[AuditView]:
    """The latest entries, newest first, optionally for one resident and/or one operator."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if resident_id is not None:
        stmt = stmt.where(AuditEntry.resident_id == resident_id)
    if operator_id is not None:
        stmt = stmt.where(AuditEntry.operator_id == operator_id)
    rows = (await session.scalars(stmt)).all()
    return [
        AuditView(
            entry_id=r.id,
            at=as_utc(r.at),
            operator_id=r.operator_id,
            action=r.action,
            resident_id=r.resident_id,
            call_linkedid=r.call_linkedid,
            details=dict(r.details),
        )
        for r in rows
    ]
