"""Read-only figures of what is stored, for the supervisor board: booked / capacity per venue
and local day, the count of open mobility-support requests, the residents by the channel of
their latest intent answer, and the designated appointments (assigned per venue and local day,
to assign, cannot assign). (Today's call records come from ``calls.calls_between``.)

Each is one or two aggregate queries, whatever the size of the ledger (``bench/bench_assign.py``
prints their times after an assignment of 300,000 residents)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.assign.load import latest_intents
from registry.audit import AuditAction
from registry.models import AuditEntry, Booking, Intent, MobilityRequest, Resident, Slot, Venue
from registry.views import as_utc


@dataclasses.dataclass(frozen=True)
class VenueDayFill:
    venue_id: int
    venue: str
    day: dt.date  # local day
    capacity: int
    booked: int


async def bookings_fill(
    session: AsyncSession, first_day: dt.date, days: int, tz: str
) -> list[VenueDayFill]:
    """Booked / capacity per active venue and local day, ``days`` days from ``first_day``,
    by day then venue name."""
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(first_day, dt.time(), zone).astimezone(dt.UTC)
    hi = dt.datetime.combine(first_day + dt.timedelta(days=days), dt.time(), zone)
    rows = await session.execute(
        select(Venue.id, Venue.name, Slot.starts_at, Slot.capacity, Slot.booked)
        .join(Slot, Slot.venue_id == Venue.id)
        .where(Venue.active.is_(True), Slot.starts_at >= lo, Slot.starts_at < hi.astimezone(dt.UTC))
        .order_by(Venue.name, Slot.starts_at)
    )
    fill: dict[tuple[int, dt.date], VenueDayFill] = {}
    for venue_id, name, starts_at, capacity, booked in rows.all():
        day = as_utc(starts_at).astimezone(zone).date()
        old = fill.get((venue_id, day)) or VenueDayFill(venue_id, name, day, 0, 0)
        fill[(venue_id, day)] = dataclasses.replace(
            old, capacity=old.capacity + capacity, booked=old.booked + booked
        )
    return sorted(fill.values(), key=lambda r: (r.day, r.venue))


@dataclasses.dataclass(frozen=True)
class IntentChannels:
    """Residents of the ledger by the channel of their latest intent answer."""

    postcard: int = 0  # channel postcard_ocr: a returned postcard, scanned or AI-OCR
    web: int = 0
    phone: int = 0
    none_yet: int = 0  # no answer recorded yet


async def intents_by_channel(session: AsyncSession) -> IntentChannels:
    """Each resident counted once, by the channel of their newest answer (a phone answer after
    a postcard counts as phone); the rest of the ledger as ``none_yet``."""
    ranked = select(
        Intent.channel,
        func.row_number()
        .over(
            partition_by=Intent.resident_id,
            order_by=(Intent.recorded_at.desc(), Intent.id.desc()),
        )
        .label("n"),
    ).subquery()
    rows = await session.execute(
        select(ranked.c.channel, func.count()).where(ranked.c.n == 1).group_by(ranked.c.channel)
    )
    by = {str(channel): int(n) for channel, n in rows.all()}
    residents = int(await session.scalar(select(func.count()).select_from(Resident)) or 0)
    return IntentChannels(
        postcard=by.get("postcard_ocr", 0),
        web=by.get("web", 0),
        phone=by.get("phone", 0),
        none_yet=max(0, residents - sum(by.values())),
    )


async def open_mobility_requests(session: AsyncSession) -> int:
    """Mobility-support requests not yet arranged (status ``open``)."""
    n = await session.scalar(
        select(func.count()).select_from(MobilityRequest).where(MobilityRequest.status == "open")
    )
    return int(n or 0)


@dataclasses.dataclass(frozen=True)
class AssignedDay:
    """A venue's local day with designated appointments: active bookings an assignment run made
    (channel ``assigned``, any dose), all active bookings and the capacity of its slots."""

    venue_id: int
    venue: str
    day: dt.date  # local day
    assigned: int
    booked: int
    capacity: int


async def assigned_by_day(session: AsyncSession, first_day: dt.date, tz: str) -> list[AssignedDay]:
    """Venue-days from ``first_day`` on with at least one active assigned booking, by day then
    venue name. One query grouped by slot (a few thousand rows at most), summed per local day."""
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(first_day, dt.time(), zone).astimezone(dt.UTC)
    assigned = and_(
        Booking.slot_id == Slot.id, Booking.channel == "assigned", Booking.status == "booked"
    )
    rows = await session.execute(
        select(Venue.id, Venue.name, Slot.starts_at, Slot.capacity, Slot.booked,
               func.count(Booking.id))
        .join(Slot, Slot.venue_id == Venue.id)
        .outerjoin(Booking, assigned)
        .where(Slot.starts_at >= lo)
        .group_by(Slot.id, Venue.id, Venue.name, Slot.starts_at, Slot.capacity, Slot.booked)
    )  # fmt: skip
    days: dict[tuple[int, dt.date], AssignedDay] = {}
    for venue_id, name, starts_at, capacity, booked, n in rows.all():
        day = as_utc(starts_at).astimezone(zone).date()
        old = days.get((venue_id, day)) or AssignedDay(venue_id, name, day, 0, 0, 0)
        days[(venue_id, day)] = dataclasses.replace(
            old,
            assigned=old.assigned + int(n),
            booked=old.booked + booked,
            capacity=old.capacity + capacity,
        )
    return sorted((d for d in days.values() if d.assigned), key=lambda r: (r.day, r.venue))


@dataclasses.dataclass(frozen=True)
class AssignmentStatus:
    """Who still waits for a designated appointment.

    - ``to_assign``: active residents whose latest intent wants the vaccination and who hold no
      active first-dose booking (the candidates of the next run, as ``load.waiting_residents``
      selects them);
    - ``cannot_assign``: of the residents the last committed run had to place, those it could
      not (``not_assigned`` of its ``assignment.commit`` audit entry), at most ``to_assign`` (a
      resident booked since then no longer waits); 0 before any committed run;
    - ``reasons``: that run's unplaced residents by the first missing thing
      (``solver.REASONS``), as the run counted them;
    - ``last_run_at``: when that run was committed (None: never)."""

    to_assign: int = 0
    cannot_assign: int = 0
    reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    last_run_at: dt.datetime | None = None


async def assignment_status(session: AsyncSession) -> AssignmentStatus:
    """Two queries: the count of residents waiting, and the newest committed run's entry (by
    the ``(action, id)`` index of the audit log)."""
    latest = latest_intents().subquery()
    booked = exists().where(
        Booking.resident_id == Resident.id, Booking.dose == 1, Booking.status == "booked"
    )
    to_assign = int(
        await session.scalar(
            select(func.count())
            .select_from(latest)
            .join(Resident, Resident.id == latest.c.resident_id)
            .where(latest.c.wants_vaccination.is_(True), Resident.status == "active", ~booked)
        )
        or 0
    )
    last = (
        await session.execute(
            select(AuditEntry.at, AuditEntry.details)
            .where(AuditEntry.action == AuditAction.ASSIGNMENT_COMMIT.value)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    ).first()
    if last is None:
        return AssignmentStatus(to_assign=to_assign)
    at, details = last
    details = details or {}
    reasons = {str(k): int(v) for k, v in (details.get("reasons") or {}).items()}
    return AssignmentStatus(
        to_assign=to_assign,
        cannot_assign=min(to_assign, int(details.get("not_assigned") or 0)),
        reasons=reasons,
        last_run_at=as_utc(at),
    )
