"""Read-only figures of what is stored, for the supervisor board: booked / capacity per venue
and local day, the count of open mobility-support requests, and the residents by the channel of
their latest intent answer. (Today's call records come from ``calls.calls_between``.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.models import Intent, MobilityRequest, Resident, Slot, Venue
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
