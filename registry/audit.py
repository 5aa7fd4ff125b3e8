"""The append-only audit log: who did what to which resident, during which call.

Every action is one member of ``AuditAction`` (``noun.verb``, one spelling everywhere); ``audit``
refuses any other string. Writes (bookings, mobility requests, intents, dispositions) are audited
by the registry functions that make them. Reads are not: ``residents.resident_detail`` does not
audit by itself, because only the caller knows who is looking and during which call; the web layer
calls ``audit(session, AuditAction.RESIDENT_VIEW, operator_id=..., resident_id=...,
call_linkedid=...)`` for every resident view. The database refuses UPDATE and DELETE on
``audit_log`` (triggers of migration 0001), an insert over an existing id (SQLite's ``INSERT OR
REPLACE``) and TRUNCATE (migration 0011), so entries written before the enumeration keep their
old spelling (``resident_view``, ``resident_search``); ``AuditAction.of`` reads both.

The hash chain: each entry's ``chain`` is ``sha256(previous chain + digest)``, the digest being
the SHA-256 of the entry's canonical JSON (time, operator, action, resident, call, details). The
database computes it in the INSERT from the last entry (PostgreSQL: under a transaction-scoped
advisory lock, so concurrent writers queue; SQLite has one writer), so a rewritten, reordered or
removed entry breaks every link after it: ``verify_chain`` (``cti-registry audit verify``) finds
the first broken one and gives the head, to be noted elsewhere to detect a cut tail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, literal, select, text
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
    BOOKING_LATER_DOSES = "booking.later_doses"  # later doses followed a moved/cancelled one
    CONFIG_CHANGE = "config.change"  # an admin saved a new version of a campaign setting

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


CHAIN_LOCK = 0x617564_6974  # the advisory lock that queues writers of the chain (PostgreSQL)


def entry_digest(
    at: dt.datetime,
    operator_id: int | None,
    action: str,
    resident_id: int | None,
    call_linkedid: str | None,
    details: dict[str, Any],
) -> str:
    """The SHA-256 (hex) of an entry's canonical JSON."""
    fields = [
        as_utc(at).isoformat(timespec="microseconds"),
        operator_id,
        action,
        resident_id,
        call_linkedid,
        details,
    ]
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def link(previous: str | None, digest: str) -> str:
    return hashlib.sha256(((previous or "") + digest).encode("ascii")).hexdigest()


@dataclasses.dataclass(frozen=True)
class ChainReport:
    entries: int  # entries read
    unchained: int  # entries written before the chain began (a prefix)
    broken_at: int | None  # id of the first entry whose link does not hold
    head: str | None  # the last entry's chain: note it elsewhere to detect a cut tail

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def verify_chain(session: AsyncSession, *, batch: int = 5000) -> ChainReport:
    """Walk the log in id order and check every link."""
    previous: str | None = None
    entries = unchained = 0
    after = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)
            )
        ).all()
        if not rows:
            return ChainReport(entries, unchained, None, previous)
        for r in rows:
            entries += 1
            after = r.id
            if r.chain is None and previous is None:
                unchained += 1  # older than the chain
                continue
            digest = entry_digest(
                r.at, r.operator_id, r.action, r.resident_id, r.call_linkedid, dict(r.details)
            )
            if r.chain != link(previous, digest):
                return ChainReport(entries, unchained, r.id, previous)
            previous = r.chain


@dataclasses.dataclass(frozen=True)
class Entry:
    """One entry to append (``audit_many``)."""

    action: AuditAction
    operator_id: int | None
    resident_id: int | None = None
    call_linkedid: str | None = None
    details: dict[str, Any] | None = None


def _checked(entry: Entry) -> dict[str, Any]:
    if not isinstance(entry.action, AuditAction):
        raise InvalidInput("action", f"action must be an AuditAction; got {entry.action!r}")
    payload = dict(entry.details or {})
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as err:
        raise InvalidInput("details", f"details must be JSON-serializable: {err}") from err
    return payload


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
    await audit_many(session, [Entry(action, operator_id, resident_id, call_linkedid, details)])


async def audit_many(session: AsyncSession, entries: list[Entry]) -> None:
    """Append entries in this order (in the caller's transaction; the caller commits): the
    first linked by the database to the last entry (as ``audit`` does), the others to it here,
    all in one more insert."""
    if not entries:
        return
    payloads = [_checked(e) for e in entries]
    at = utcnow()
    digests = [
        entry_digest(at, e.operator_id, e.action.value, e.resident_id, e.call_linkedid, p)
        for e, p in zip(entries, payloads, strict=True)
    ]
    last = select(AuditEntry.chain).order_by(AuditEntry.id.desc()).limit(1).scalar_subquery()
    linked = func.coalesce(last, "").concat(literal(digests[0]))
    if session.get_bind().dialect.name == "postgresql":
        await session.flush()  # the rows this transaction changes are locked before the chain
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
        chain: Any = func.encode(func.sha256(func.convert_to(linked, "UTF8")), "hex")
    else:
        chain = func.cti_sha256(linked)
    first, *rest = entries
    stmt = insert(AuditEntry).values(
        at=at,
        action=first.action.value,
        operator_id=first.operator_id,
        resident_id=first.resident_id,
        call_linkedid=first.call_linkedid,
        details=payloads[0],
        chain=chain,
    )
    if not rest:
        await session.execute(stmt)
        log.debug("audit %s operator=%s call=%s", first.action, first.operator_id,
                  first.call_linkedid)  # fmt: skip
        return
    previous = await session.scalar(stmt.returning(AuditEntry.chain))
    rows = []
    for e, p, digest in zip(rest, payloads[1:], digests[1:], strict=True):
        previous = link(previous, digest)  # the writer holds the chain since the first insert
        rows.append(
            {
                "at": at,
                "action": e.action.value,
                "operator_id": e.operator_id,
                "resident_id": e.resident_id,
                "call_linkedid": e.call_linkedid,
                "details": p,
                "chain": previous,
            }
        )
    if rows:
        table: Any = AuditEntry.__table__  # Core: no ORM bookkeeping for plain rows
        await session.execute(insert(table), rows)
    for e in entries:
        log.debug("audit %s operator=%s call=%s", e.action, e.operator_id, e.call_linkedid)


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
