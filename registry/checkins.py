"""Check-in at a venue's reception: a scanned barcode against today's bookings.

``check_in`` answers every scan with one outcome (``OUTCOMES``): ``checked_in`` (the masked
name, the slot and the mobility support to prepare), or a warning that needs a person:
``wrong_venue`` (where they should be), ``wrong_slot`` (today here, but not now: when),
``wrong_day`` (when), ``no_booking`` (with the slots that still have room, when walk-ins are
allowed), ``already_checked_in`` (when, at which desk), ``unknown_barcode`` (a valid check digit
but no such resident) and ``mistyped_barcode`` (the Damm check digit is wrong).

- Idempotent per scan: the page names each scan (``scan_id``); the first answer is stored in
  ``checkin_scans`` and a resend gets it back (``replayed``), whatever happened meanwhile. Two
  resends at once: the unique ``scan_id`` refuses the second, which then returns the first.
- Two desks scanning one barcode at once: a booking is checked in by one conditional ``UPDATE
  ... WHERE checked_in_at IS NULL``; the desk that updates no row answers ``already_checked_in``.
- The scan's time (``scanned_at``, when the page queued it, within ``MAX_LATE`` of now) decides
  the slot window and is the check-in time: a scan queued offline counts when it was made.
- Every scan is audited (``checkin.scan``) with the operator, the desk and the outcome.

The caller commits. A resend that loses the race on ``scan_id`` rolls the session back and
returns the first request's answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.changes import CheckinsChanged, note
from registry.errors import Conflict, InvalidInput
from registry.mobility import support_label, support_of
from registry.models import (
    Booking,
    CheckinScan,
    MobilityRequest,
    Resident,
    Slot,
    Venue,
    utcnow,
)
from registry.normalize.barcode import SERIAL_DIGITS, is_valid_barcode
from registry.views import View, as_utc, opt_utc

log = logging.getLogger(__name__)

OUTCOMES = (
    "checked_in",
    "already_checked_in",
    "wrong_venue",
    "wrong_slot",
    "wrong_day",
    "no_booking",
    "unknown_barcode",
    "mistyped_barcode",
)
MAX_SCAN_ID = 64
MAX_DESK = 64
MAX_LATE = dt.timedelta(hours=12)  # a queued scan older than this counts as made now
MAX_AHEAD = dt.timedelta(minutes=5)  # a page clock this far ahead is not believed


@dataclasses.dataclass(frozen=True)
class CheckinRules:
    """The venue day's rules: the local zone, how early before a slot and how late after its
    end a resident is let in, and whether a resident without a booking may walk in."""

    tz: str = "Asia/Tokyo"
    early_minutes: int = 60
    late_minutes: int = 30
    walk_ins: bool = True


@dataclasses.dataclass(frozen=True)
class WalkInSlot(View):
    slot_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    remaining: int


@dataclasses.dataclass(frozen=True)
class CheckinResult(View):
    scan_id: str
    outcome: str
    scanned_at: dt.datetime
    barcode: str
    resident_id: int | None = None
    name: str = ""  # masked: 髙橋 一●
    booking_id: int | None = None
    slot_id: int | None = None
    venue_id: int | None = None  # the booking's venue (for wrong_venue: where they should be)
    venue_name: str = ""
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    mobility: tuple[str, ...] = ()  # pickup / wheelchair / companion
    mobility_label: str = ""  # 送迎あり・車いす
    checked_in_at: dt.datetime | None = None
    checked_in_desk: str = ""
    walk_in_slots: tuple[WalkInSlot, ...] = ()
    replayed: bool = False


class ScanSentTwice(Conflict):
    """The same scan id was being stored by another request at the same moment."""

    error_id = "scan_sent_twice"


def mask_name(name: str) -> str:
    """The family name and the given name's first character: ``髙橋 一郎`` -> ``髙橋 一●``."""
    name = " ".join(name.replace("\u3000", " ").split())
    if " " in name:
        family, given = name.split(" ", 1)
        given = given.replace(" ", "")
        return f"{family} {given[:1]}{'●' * max(len(given) - 1, 1)}" if given else family
    return name[:1] + "●" * max(len(name) - 1, 1) if name else ""


def clean_barcode(raw: str) -> str:
    """A scanned code as digits: full-width folded, spaces and dashes dropped."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if ch not in " -\t\r\n")


def _check_scan(scan_id: str, desk: str, raw: str) -> None:
    if not isinstance(scan_id, str) or not 1 <= len(scan_id) <= MAX_SCAN_ID:
        raise InvalidInput("scan_id", f"scan_id must be 1 to {MAX_SCAN_ID} characters")
    if not isinstance(desk, str) or not 1 <= len(desk.strip()) <= MAX_DESK:
        raise InvalidInput("desk", f"desk must be 1 to {MAX_DESK} characters")
    if not isinstance(raw, str) or not 1 <= len(raw.strip()) <= 64:
        raise InvalidInput("barcode", "barcode must be 1 to 64 characters")


def scan_time(scanned_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When the scan counts: the page's time if believable, else ``now``."""
    if scanned_at is None or scanned_at.tzinfo is None:
        return now
    if now - MAX_LATE <= scanned_at <= now + MAX_AHEAD:
        return min(scanned_at.astimezone(dt.UTC), now)
    return now


def day_bounds(day: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    hi = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return lo, hi


async def stored_scan(session: AsyncSession, scan_id: str) -> CheckinResult | None:
    """The answer given to ``scan_id`` before, marked ``replayed``; None if never seen."""
    row = await session.scalar(select(CheckinScan.result).where(CheckinScan.scan_id == scan_id))
    if row is None:
        return None
    return dataclasses.replace(result_of(row), replayed=True)


def result_of(data: dict[str, Any]) -> CheckinResult:
    """A stored answer (``to_dict()`` of a ``CheckinResult``) as the value again."""
    d = dict(data)
    for key in ("scanned_at", "starts_at", "ends_at", "checked_in_at"):
        if d.get(key) is not None:
            d[key] = dt.datetime.fromisoformat(d[key])
    d["mobility"] = tuple(d.get("mobility", ()))
    d["walk_in_slots"] = tuple(
        WalkInSlot(
            s["slot_id"],
            dt.datetime.fromisoformat(s["starts_at"]),
            dt.datetime.fromisoformat(s["ends_at"]),
            s["remaining"],
        )
        for s in d.get("walk_in_slots", ())
    )
    return CheckinResult(**d)


async def check_in(
    session: AsyncSession,
    *,
    scan_id: str,
    barcode: str,
    venue_id: int,
    desk: str,
    operator_id: int | None,
    rules: CheckinRules,
    scanned_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CheckinResult:
    """Check the resident of ``barcode`` in at ``venue_id`` (see the module's docstring)."""
    _check_scan(scan_id, desk, barcode)
    earlier = await stored_scan(session, scan_id)
    if earlier is not None:
        return earlier
    at = scan_time(scanned_at, now or utcnow())
    code = clean_barcode(barcode)
    base = CheckinResult(scan_id=scan_id, outcome="", scanned_at=at, barcode=code)
    result = await _decide(session, base, venue_id, desk.strip(), operator_id, rules)
    try:
        await _keep(session, result, venue_id, desk.strip(), operator_id)
    except ScanSentTwice:
        # the same scan, resent while its first request was still in flight: that one's answer
        await session.rollback()
        first = await stored_scan(session, scan_id)
        if first is None:
            raise
        return first
    return result


async def _decide(
    session: AsyncSession,
    base: CheckinResult,
    venue_id: int,
    desk: str,
    operator_id: int | None,
    rules: CheckinRules,
) -> CheckinResult:
    code = base.barcode
    if not (code.isascii() and code.isdigit() and len(code) == SERIAL_DIGITS + 1):
        return dataclasses.replace(base, outcome="mistyped_barcode")
    if not is_valid_barcode(code):
        return dataclasses.replace(base, outcome="mistyped_barcode")
    # the resident and their active bookings in one round trip (no booking: one row of Nones)
    found = (await session.execute(_resident_bookings(code))).all()
    if not found:
        return dataclasses.replace(base, outcome="unknown_barcode")
    resident_id, name = found[0].rid, found[0].rname
    rows = [r for r in found if r.id is not None]
    needs = support_of(found[0].m_any, found[0].m_wheel, found[0].m_comp)
    base = dataclasses.replace(
        base,
        resident_id=resident_id,
        name=mask_name(name),
        mobility=needs,
        mobility_label=support_label(needs),
    )
    return await _against_bookings(session, base, rows, venue_id, desk, operator_id, rules)


def _mobility(flag: Any) -> Any:
    """EXISTS an open or arranged mobility request of the resident (with ``flag`` set)."""
    cond = [MobilityRequest.resident_id == Resident.id,
            MobilityRequest.status.in_(("open", "arranged"))]  # fmt: skip
    if flag is not None:
        cond.append(flag.is_(True))
    return select(MobilityRequest.id).where(*cond).exists()


def _resident_bookings(code: str) -> Any:
    booked = and_(Booking.resident_id == Resident.id, Booking.status == "booked")
    return (
        select(
            Resident.id.label("rid"),
            Resident.name.label("rname"),
            _mobility(None).label("m_any"),
            _mobility(MobilityRequest.wheelchair).label("m_wheel"),
            _mobility(MobilityRequest.companion).label("m_comp"),
            Booking.id,
            Booking.slot_id,
            Slot.venue_id,
            Venue.name,
            Slot.starts_at,
            Slot.ends_at,
            Booking.checked_in_at,
            Booking.checked_in_desk,
        )
        .select_from(Resident)
        .outerjoin(Booking, booked)
        .outerjoin(Slot, Slot.id == Booking.slot_id)
        .outerjoin(Venue, Venue.id == Slot.venue_id)
        .where(Resident.barcode == code)
        .order_by(Slot.starts_at, Booking.id)
    )


def _with_booking(base: CheckinResult, row: Any, outcome: str) -> CheckinResult:
    return dataclasses.replace(
        base,
        outcome=outcome,
        booking_id=row.id,
        slot_id=row.slot_id,
        venue_id=row.venue_id,
        venue_name=row.name,
        starts_at=as_utc(row.starts_at),
        ends_at=as_utc(row.ends_at),
        checked_in_at=opt_utc(row.checked_in_at),
        checked_in_desk=row.checked_in_desk or "",
    )


async def _against_bookings(
    session: AsyncSession,
    base: CheckinResult,
    rows: list[Any],
    venue_id: int,
    desk: str,
    operator_id: int | None,
    rules: CheckinRules,
) -> CheckinResult:
    at = base.scanned_at
    today = at.astimezone(ZoneInfo(rules.tz)).date()
    lo, hi = day_bounds(today, rules.tz)
    todays = [r for r in rows if lo <= as_utc(r.starts_at) < hi]
    here = [r for r in todays if r.venue_id == venue_id]
    early = dt.timedelta(minutes=rules.early_minutes)
    late = dt.timedelta(minutes=rules.late_minutes)
    for r in here:
        if r.checked_in_at is not None:
            continue
        if as_utc(r.starts_at) - early <= at <= as_utc(r.ends_at) + late:
            return await _mark(session, _with_booking(base, r, "checked_in"), desk, operator_id)
    if here:
        done = [r for r in here if r.checked_in_at is not None]
        if done:
            return _with_booking(base, done[0], "already_checked_in")
        return _with_booking(base, here[0], "wrong_slot")
    if todays:
        return _with_booking(base, todays[0], "wrong_venue")
    if rows:
        upcoming = [r for r in rows if as_utc(r.starts_at) >= at]
        return _with_booking(base, (upcoming or rows)[0 if upcoming else -1], "wrong_day")
    slots = await walk_in_slots(session, venue_id, at, rules) if rules.walk_ins else ()
    return dataclasses.replace(base, outcome="no_booking", walk_in_slots=slots)


async def _mark(
    session: AsyncSession, result: CheckinResult, desk: str, operator_id: int | None
) -> CheckinResult:
    """Check the booking in, unless another desk did first (then: already checked in)."""
    done = await session.scalar(
        update(Booking)
        .where(Booking.id == result.booking_id, Booking.checked_in_at.is_(None))
        .values(checked_in_at=result.scanned_at, checked_in_desk=desk, checked_in_by=operator_id)
        .returning(Booking.id)
    )
    if done is not None:
        note(session, CheckinsChanged(result.venue_id or 0))
        return dataclasses.replace(result, checked_in_at=result.scanned_at, checked_in_desk=desk)
    row = (
        await session.execute(
            select(Booking.checked_in_at, Booking.checked_in_desk)
            .where(Booking.id == result.booking_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    return dataclasses.replace(
        result,
        outcome="already_checked_in",
        checked_in_at=opt_utc(row.checked_in_at),
        checked_in_desk=row.checked_in_desk or "",
    )


async def walk_in_slots(
    session: AsyncSession, venue_id: int, at: dt.datetime, rules: CheckinRules
) -> tuple[WalkInSlot, ...]:
    """Today's slots at the venue that have not ended and have a seat left."""
    _, hi = day_bounds(at.astimezone(ZoneInfo(rules.tz)).date(), rules.tz)
    rows = await session.execute(
        select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.capacity - Slot.booked)
        .join(Venue, Venue.id == Slot.venue_id)
        .where(
            Slot.venue_id == venue_id,
            Venue.active.is_(True),
            Slot.ends_at > at,
            Slot.starts_at < hi,
            Slot.booked < Slot.capacity,
        )
        .order_by(Slot.starts_at)
        .limit(6)
    )
    return tuple(WalkInSlot(i, as_utc(s), as_utc(e), int(left)) for i, s, e, left in rows.all())


async def _keep(
    session: AsyncSession,
    result: CheckinResult,
    venue_id: int,
    desk: str,
    operator_id: int | None,
) -> None:
    """Store the answer under its scan id and audit it."""
    try:
        await session.execute(
            insert(CheckinScan).values(
                scan_id=result.scan_id,
                venue_id=venue_id,
                desk=desk,
                operator_id=operator_id,
                barcode=result.barcode[:64],
                outcome=result.outcome,
                resident_id=result.resident_id,
                booking_id=result.booking_id,
                scanned_at=result.scanned_at,
                received_at=utcnow(),
                result=result.to_dict(),
            )
        )
    except IntegrityError as err:
        raise ScanSentTwice(
            "this scan is being recorded by another request", details={"field": "scan_id"}
        ) from err
    await audit(
        session,
        AuditAction.CHECKIN_SCAN,
        operator_id=operator_id,
        resident_id=result.resident_id,
        details={
            "scan_id": result.scan_id,
            "venue_id": venue_id,
            "desk": desk,
            "outcome": result.outcome,
            "booking_id": result.booking_id,
        },
    )
    log.info("scan %s at venue %s desk %s: %s", result.scan_id, venue_id, desk, result.outcome)


async def scans_at(session: AsyncSession, venue_id: int) -> int:
    """How many scans a venue's reception has recorded (for checks and figures)."""
    n = await session.scalar(
        select(func.count()).select_from(CheckinScan).where(CheckinScan.venue_id == venue_id)
    )
    return int(n or 0)


async def walk_in(
    session: AsyncSession,
    *,
    scan_id: str,
    barcode: str,
    slot_id: int,
    venue_id: int,
    desk: str,
    operator_id: int | None,
    rules: CheckinRules,
    scanned_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CheckinResult:
    """Book a resident without a booking into ``slot_id`` (today, at this venue, not ended,
    a seat left: ``SlotFull`` otherwise) and check them in, under a new ``scan_id``.
    Refused (``InvalidInput`` naming the field) when walk-ins are off or the slot is not one
    of this venue's today. A resend with the same ``scan_id`` returns the first answer."""
    from registry.bookings import book_slot  # bookings imports nothing of this module

    _check_scan(scan_id, desk, barcode)
    earlier = await stored_scan(session, scan_id)
    if earlier is not None:
        return earlier
    if not rules.walk_ins:
        raise InvalidInput("slot_id", "walk-ins are not allowed at this venue")
    at = scan_time(scanned_at, now or utcnow())
    offered = {s.slot_id for s in await walk_in_slots(session, venue_id, at, rules)}
    if slot_id not in offered:
        raise InvalidInput("slot_id", "not a slot of this venue today with a seat left")
    code = clean_barcode(barcode)
    resident_id = await session.scalar(select(Resident.id).where(Resident.barcode == code))
    if resident_id is None or not is_valid_barcode(code):
        raise InvalidInput("barcode", "no resident has this barcode")
    booking = await book_slot(
        session,
        resident_id=resident_id,
        slot_id=slot_id,
        channel="walk_in",
        operator_id=operator_id,
        client_key=f"walk-in:{scan_id}"[:64],
    )
    await audit(
        session,
        AuditAction.CHECKIN_WALK_IN,
        operator_id=operator_id,
        resident_id=resident_id,
        details={
            "scan_id": scan_id,
            "venue_id": venue_id,
            "desk": desk.strip(),
            "booking_id": booking.booking_id,
        },
    )
    return await check_in(
        session,
        scan_id=scan_id,
        barcode=code,
        venue_id=venue_id,
        desk=desk,
        operator_id=operator_id,
        rules=rules,
        scanned_at=at,
        now=now,
    )
