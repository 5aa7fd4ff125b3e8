"""Read-only figures of what is stored, for the supervisor board: booked / capacity per venue
and local day, and the count of open mobility-support requests. (Today's call records come from
``calls.calls_between``.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.models import MobilityRequest, Slot, Venue
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


async def open_mobility_requests(session: AsyncSession) -> int:
    """Mobility-support requests not yet arranged (status ``open``)."""
    n = await session.scalar(
        select(func.count()).select_from(MobilityRequest).where(MobilityRequest.status == "open")
    )
    return int(n or 0)
