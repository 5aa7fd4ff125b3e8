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
  An id stored before for another scan (another venue, another barcode) is refused
  (``ScanIdReused``), never answered with that scan's result.
- Two desks scanning one barcode at once: a booking is checked in by one conditional ``UPDATE
  ... WHERE checked_in_at IS NULL``; the desk that updates no row answers ``already_checked_in``.
- The scan's time (``scanned_at``, when the page queued it, within ``MAX_LATE`` of now) decides
  the slot window and is the check-in time: a scan queued offline counts when it was made.
- Every scan is audited (``checkin.scan``) with the operator, the desk and the outcome.
- ``check_in_many`` answers several scans (of any desks and venues) in one transaction, as if
  one after the other, in a fixed number of round trips: the server gathers the scans that
  arrive while it is writing the previous ones (``cti_server.web.checkin_queue``).

The caller commits. A scan id is not looked up before answering (a resend is rare): storing
finds one stored before (or by a resend in flight), and then the session is rolled back (the
caller's earlier writes in it too) and the stored answer returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, Entry, audit, audit_many
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
from registry.normalize.names import mask_name
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


class ScanIdReused(Conflict):
    """A scan id stored before for another scan (at another venue, or of another barcode): a
    resend is the same scan; anything else would be answered with another scan's result."""

    error_id = "scan_id_reused"


def clean_barcode(raw: str) -> str:
    """A scanned code as digits: full-width folded, spaces and dashes dropped."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if ch not in " -\t\r\n")


@dataclasses.dataclass(frozen=True)
class Scan:
    """One scan as a desk sent it (``check_in_many`` answers several at once)."""

    scan_id: str
    barcode: str
    venue_id: int
    desk: str
    operator_id: int | None
    scanned_at: dt.datetime | None = None  # when the page queued it
    now: dt.datetime | None = None  # when it arrived (default: the clock)


def check_scan(scan_id: str, desk: str, raw: str) -> None:
    """``InvalidInput`` naming the field of a scan that cannot be answered."""
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


_STORED = select(
    CheckinScan.scan_id, CheckinScan.result, CheckinScan.venue_id, CheckinScan.barcode
).where(CheckinScan.scan_id.in_(bindparam("scan_ids", expanding=True)))


async def stored_scans(session: AsyncSession, scans: Iterable[Scan]) -> dict[str, CheckinResult]:
    """The answers given before to these scans' ids, marked ``replayed`` (one query).
    ``ScanIdReused`` when an id was stored for another scan: another venue's, or another
    barcode (as cleaned: a resend may be typed with other spaces or widths)."""
    by_id = {sc.scan_id: sc for sc in scans}
    if not by_id:
        return {}
    rows = (await session.execute(_STORED, {"scan_ids": sorted(by_id)})).all()
    for sid, _res, venue_id, barcode in rows:
        sc = by_id[sid]
        if venue_id != sc.venue_id or clean_barcode(barcode) != clean_barcode(sc.barcode):
            raise ScanIdReused(
                f"scan id {sid!r} was used before for another scan; send this one with a new id",
                details={"field": "scan_id"},
            )
    return {sid: dataclasses.replace(result_of(res), replayed=True) for sid, res, _v, _b in rows}


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
    scan = Scan(scan_id, barcode, venue_id, desk, operator_id, scanned_at, now)
    return (await check_in_many(session, [scan], rules=rules))[0]


async def check_in_many(
    session: AsyncSession, scans: Sequence[Scan], *, rules: CheckinRules
) -> list[CheckinResult]:
    """Answer several scans in the caller's transaction, in order, as if one after the other
    (the answers in the same order): one query for the residents and bookings of every
    barcode, one conditional ``UPDATE`` for the bookings to check in, one insert of the scans
    and one of their audit entries.

    Two scans of one barcode here: the first checks in, the next is ``already_checked_in``.
    One scan id twice here: the later one gets the first's answer, ``replayed``. A booking
    another transaction checked in meanwhile: ``already_checked_in`` (its time and desk). A
    scan id stored before (a resend: rare, so not looked up first) is found when the scans
    are stored: the session is rolled back and the scans answered again, the stored ones
    replayed."""
    for sc in scans:
        check_scan(sc.scan_id, sc.desk, sc.barcode)
    return await _answer(session, scans, rules, {})


async def _answer(
    session: AsyncSession,
    scans: Sequence[Scan],
    rules: CheckinRules,
    earlier: dict[str, CheckinResult],
) -> list[CheckinResult]:
    results: list[CheckinResult | None] = [earlier.get(sc.scan_id) for sc in scans]
    first_of: dict[str, int] = {}
    fresh: list[int] = []
    for i, sc in enumerate(scans):
        if results[i] is None and sc.scan_id not in first_of:
            first_of[sc.scan_id] = i
            fresh.append(i)
    if fresh:
        try:
            await _decide_and_keep(session, scans, fresh, results, rules)
        except ScanSentTwice:
            # sent before, or again while its first request was still in flight: that answer
            await session.rollback()
            stored = await stored_scans(session, (scans[i] for i in fresh))
            if not stored:
                raise
            return await _answer(session, scans, rules, {**earlier, **stored})
    out: list[CheckinResult] = []
    for i, sc in enumerate(scans):
        r = results[i]
        if r is None:  # the same scan id earlier in this batch: its answer, replayed
            r = dataclasses.replace(out[first_of[sc.scan_id]], replayed=True)
        out.append(r)
    return out


class _Booked(NamedTuple):
    """An active booking of the scanned resident, as ``_choose`` reads it."""

    id: int
    slot_id: int
    venue_id: int
    name: str  # the venue's
    starts_at: dt.datetime
    ends_at: dt.datetime
    checked_in_at: dt.datetime | None
    checked_in_desk: str | None


def _valid_code(code: str) -> bool:
    return (
        code.isascii()
        and code.isdigit()
        and len(code) == SERIAL_DIGITS + 1
        and is_valid_barcode(code)
    )


async def _decide_and_keep(
    session: AsyncSession,
    scans: Sequence[Scan],
    fresh: list[int],
    results: list[CheckinResult | None],
    rules: CheckinRules,
) -> None:
    """Answer ``scans[i]`` for each ``i`` of ``fresh`` into ``results[i]`` and store them."""
    bases: dict[int, CheckinResult] = {}
    for i in fresh:
        sc = scans[i]
        at = scan_time(sc.scanned_at, sc.now or utcnow())
        code = clean_barcode(sc.barcode)
        base = CheckinResult(scan_id=sc.scan_id, outcome="", scanned_at=at, barcode=code)
        if _valid_code(code):
            bases[i] = base
        else:
            results[i] = dataclasses.replace(base, outcome="mistyped_barcode")
    # the residents and their mobility needs, then their active bookings: two round trips
    found: dict[str, Any] = {}
    active: dict[int, list[Any]] = {}
    if bases:
        codes = sorted({b.barcode for b in bases.values()})
        for row in (await session.execute(_RESIDENTS, {"codes": codes})).all():
            found.setdefault(row.code, row)
    if found:
        rids = sorted({row.rid for row in found.values()})
        for row in (await session.execute(_ACTIVE_BOOKINGS, {"rids": rids})).all():
            active.setdefault(row.rid, []).append(row)
    marks: dict[int, tuple[dt.datetime, str, int | None]] = {}  # booking -> at, desk, by
    for i, base in bases.items():
        sc = scans[i]
        desk = sc.desk.strip()
        first = found.get(base.barcode)
        if first is None:
            results[i] = dataclasses.replace(base, outcome="unknown_barcode")
            continue
        needs = support_of(first.m_any, first.m_wheel, first.m_comp)
        base = dataclasses.replace(
            base,
            resident_id=first.rid,
            name=mask_name(first.rname),
            mobility=needs,
            mobility_label=support_label(needs),
        )
        booked = []
        for r in active.get(first.rid, ()):
            b = _Booked(r.id, r.slot_id, r.venue_id, r.name, r.starts_at, r.ends_at,
                        r.checked_in_at, r.checked_in_desk)  # fmt: skip
            if b.id in marks:  # checked in by an earlier scan of this batch
                b = b._replace(checked_in_at=marks[b.id][0], checked_in_desk=marks[b.id][1])
            booked.append(b)
        result, mark = _choose(base, booked, sc.venue_id, rules)
        if mark and result.booking_id is not None:
            marks[result.booking_id] = (result.scanned_at, desk, sc.operator_id)
            result = dataclasses.replace(
                result, checked_in_at=result.scanned_at, checked_in_desk=desk
            )
        elif result.outcome == "no_booking" and rules.walk_ins:
            slots = await walk_in_slots(session, sc.venue_id, result.scanned_at, rules)
            result = dataclasses.replace(result, walk_in_slots=slots)
        results[i] = result
    won = await _mark(session, marks)
    lost = set(marks) - won
    if lost:  # another desk (another transaction) was first: when and where
        now_in = await session.execute(
            select(Booking.id, Booking.checked_in_at, Booking.checked_in_desk).where(
                Booking.id.in_(sorted(lost))
            )
        )
        real = {b: (opt_utc(t), d or "") for b, t, d in now_in.all()}
        for i in fresh:
            r = results[i]
            told = r is not None and r.outcome in ("checked_in", "already_checked_in")
            if told and r is not None and r.booking_id in lost:
                first_at, first_desk = real[r.booking_id]
                results[i] = dataclasses.replace(
                    r,
                    outcome="already_checked_in",
                    checked_in_at=first_at,
                    checked_in_desk=first_desk,
                )
    done = [(scans[i], r) for i in fresh if (r := results[i]) is not None]
    await _keep(session, done)
    for i in fresh:  # noted once stored: a scan rolled back changed nothing
        r = results[i]
        if r is not None and r.outcome == "checked_in" and r.booking_id in won:
            note(session, CheckinsChanged(r.venue_id or 0, r.slot_id or 0))


def _mobility(flag: Any) -> Any:
    """EXISTS an open or arranged mobility request of the resident (with ``flag`` set)."""
    cond = [MobilityRequest.resident_id == Resident.id,
            MobilityRequest.status.in_(("open", "arranged"))]  # fmt: skip
    if flag is not None:
        cond.append(flag.is_(True))
    return select(MobilityRequest.id).where(*cond).exists()


def _residents() -> Any:
    """The residents of the ``codes`` with their mobility needs (built once: a scan only binds
    its barcodes)."""
    return (
        select(
            Resident.barcode.label("code"),
            Resident.id.label("rid"),
            Resident.name.label("rname"),
            _mobility(None).label("m_any"),
            _mobility(MobilityRequest.wheelchair).label("m_wheel"),
            _mobility(MobilityRequest.companion).label("m_comp"),
        )
        .where(Resident.barcode.in_(bindparam("codes", expanding=True)))
        .order_by(Resident.barcode)
    )


def _active_bookings() -> Any:
    """The active bookings of the residents ``rids``, each resident's in slot order.

    A query of its own, filtered on ``bookings.resident_id`` itself: joined to the residents in
    one statement, PostgreSQL planned it from the row estimates of a freshly loaded table (a
    few rows) as a scan of every active booking joined to its slot and venue, 9 ms a batch
    instead of 0.1 ms, until the table was analyzed; the second round trip costs less."""
    return (
        select(
            Booking.resident_id.label("rid"),
            Booking.id,
            Booking.slot_id,
            Slot.venue_id,
            Venue.name,
            Slot.starts_at,
            Slot.ends_at,
            Booking.checked_in_at,
            Booking.checked_in_desk,
        )
        .select_from(Booking)
        .outerjoin(Slot, Slot.id == Booking.slot_id)
        .outerjoin(Venue, Venue.id == Slot.venue_id)
        .where(
            Booking.resident_id.in_(bindparam("rids", expanding=True)),
            Booking.status == "booked",
        )
        .order_by(Booking.resident_id, Slot.starts_at, Booking.id)
    )


_RESIDENTS = _residents()
_ACTIVE_BOOKINGS = _active_bookings()


def _with_booking(base: CheckinResult, row: _Booked, outcome: str) -> CheckinResult:
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


def _choose(
    base: CheckinResult, rows: list[_Booked], venue_id: int, rules: CheckinRules
) -> tuple[CheckinResult, bool]:
    """The answer to a scan of a resident with these active bookings, and whether its booking
    is to be checked in (``checked_in``, if no other desk is first)."""
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
            return _with_booking(base, r, "checked_in"), True
    if here:
        done = [r for r in here if r.checked_in_at is not None]
        if done:
            return _with_booking(base, done[0], "already_checked_in"), False
        return _with_booking(base, here[0], "wrong_slot"), False
    if todays:
        return _with_booking(base, todays[0], "wrong_venue"), False
    if rows:
        upcoming = [r for r in rows if as_utc(r.starts_at) >= at]
        return _with_booking(base, (upcoming or rows)[0 if upcoming else -1], "wrong_day"), False
    return dataclasses.replace(base, outcome="no_booking"), False


_CHECKED_IN_AT = Booking.__table__.c.checked_in_at
_MARK_ONE = (
    update(Booking)
    .where(Booking.id == bindparam("m_booking"), Booking.checked_in_at.is_(None))
    .values(
        checked_in_at=bindparam("m_at", type_=_CHECKED_IN_AT.type),
        checked_in_desk=bindparam("m_desk"),
        checked_in_by=bindparam("m_by"),
    )
    .returning(Booking.id)
)


async def _mark(
    session: AsyncSession, marks: dict[int, tuple[dt.datetime, str, int | None]]
) -> set[int]:
    """Check these bookings in, those no other desk checked in first (one conditional
    ``UPDATE``); the ids it did check in."""
    if not marks:
        return set()
    if len(marks) == 1:
        ((booking_id, (at, desk, by)),) = marks.items()
        params = {"m_booking": booking_id, "m_at": at, "m_desk": desk, "m_by": by}
        done = await session.scalar(_MARK_ONE, params)
        return set() if done is None else {done}

    def each(k: int, typ: Any) -> Any:
        return case({b: literal(m[k], typ) for b, m in marks.items()}, value=Booking.id)

    stmt = (
        update(Booking)
        .where(Booking.id.in_(sorted(marks)), Booking.checked_in_at.is_(None))
        .values(
            checked_in_at=each(0, _CHECKED_IN_AT.type),
            checked_in_desk=each(1, Booking.__table__.c.checked_in_desk.type),
            checked_in_by=each(2, Booking.__table__.c.checked_in_by.type),
        )
        .returning(Booking.id)
    )
    return set((await session.scalars(stmt)).all())


async def walk_in_slots(
    session: AsyncSession, venue_id: int, at: dt.datetime, rules: CheckinRules
) -> tuple[WalkInSlot, ...]:
    """Today's slots at the venue that a resident walking in now can be checked in to: not
    ended, opening for check-in by now (``early_minutes`` before the start), a seat left. A
    later slot would be a booking for later, and its check-in would answer ``wrong_slot``."""
    _, hi = day_bounds(at.astimezone(ZoneInfo(rules.tz)).date(), rules.tz)
    opens_by = at + dt.timedelta(minutes=rules.early_minutes)
    rows = await session.execute(
        select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.capacity - Slot.booked)
        .join(Venue, Venue.id == Slot.venue_id)
        .where(
            Slot.venue_id == venue_id,
            Venue.active.is_(True),
            Slot.ends_at > at,
            Slot.starts_at <= opens_by,
            Slot.starts_at < hi,
            Slot.booked < Slot.capacity,
        )
        .order_by(Slot.starts_at)
        .limit(6)
    )
    return tuple(WalkInSlot(i, as_utc(s), as_utc(e), int(left)) for i, s, e, left in rows.all())


async def _keep(session: AsyncSession, done: list[tuple[Scan, CheckinResult]]) -> None:
    """Store the answers under their scan ids (``ScanSentTwice`` when one is there already)
    and audit each, with its operator, desk and outcome."""
    if not done:
        return
    received = utcnow()
    table: Any = CheckinScan.__table__  # Core: no ORM bookkeeping for plain rows
    try:
        await session.execute(
            insert(table),
            [
                {
                    "scan_id": r.scan_id,
                    "venue_id": sc.venue_id,
                    "desk": sc.desk.strip(),
                    "operator_id": sc.operator_id,
                    "barcode": r.barcode[:64],
                    "outcome": r.outcome,
                    "resident_id": r.resident_id,
                    "booking_id": r.booking_id,
                    "scanned_at": r.scanned_at,
                    "received_at": received,
                    "result": r.to_dict(),
                }
                for sc, r in done
            ],
        )
    except IntegrityError as err:
        raise ScanSentTwice(
            "this scan is being recorded by another request", details={"field": "scan_id"}
        ) from err
    await audit_many(
        session,
        [
            Entry(
                AuditAction.CHECKIN_SCAN,
                operator_id=sc.operator_id,
                resident_id=r.resident_id,
                details={
                    "scan_id": r.scan_id,
                    "venue_id": sc.venue_id,
                    "desk": sc.desk.strip(),
                    "outcome": r.outcome,
                    "booking_id": r.booking_id,
                },
            )
            for sc, r in done
        ],
    )
    for sc, r in done:
        log.info("scan %s at venue %s desk %s: %s", r.scan_id, sc.venue_id, sc.desk.strip(),
                 r.outcome)  # fmt: skip


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

    check_scan(scan_id, desk, barcode)
    scan = Scan(scan_id, barcode, venue_id, desk, operator_id)
    earlier = (await stored_scans(session, [scan])).get(scan_id)
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
