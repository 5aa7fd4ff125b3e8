"""What the supervisor board reads from the database: today's call records, bookings fill per
venue and day, and the count of open mobility-support requests. Read-only queries."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cti_server.domain.figures import CallRecord
from cti_server.web.board_figures import record_from_view
from registry.calls import calls_between
from registry.models import MobilityRequest, Slot, Venue
from registry.views import as_utc


async def load_day_records(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> list[CallRecord]:
    """The call records that entered a queue in ``[start, end)``."""
    views = await calls_between(session, start, end)
    return [r for v in views if (r := record_from_view(v)) is not None]


async def bookings_fill(
    session: AsyncSession, first_day: dt.date, days: int, tz: str
) -> list[dict[str, Any]]:
    """Booked / capacity per active venue and local day, ``days`` days from ``first_day``."""
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(first_day, dt.time(), zone).astimezone(dt.UTC)
    hi = dt.datetime.combine(first_day + dt.timedelta(days=days), dt.time(), zone)
    rows = await session.execute(
        select(Venue.id, Venue.name, Slot.starts_at, Slot.capacity, Slot.booked)
        .join(Slot, Slot.venue_id == Venue.id)
        .where(Venue.active.is_(True), Slot.starts_at >= lo, Slot.starts_at < hi.astimezone(dt.UTC))
        .order_by(Venue.name, Slot.starts_at)
    )
    fill: dict[tuple[int, str], dict[str, Any]] = {}
    for venue_id, name, starts_at, capacity, booked in rows.all():
        day = as_utc(starts_at).astimezone(zone).date().isoformat()
        row = fill.setdefault(
            (venue_id, day),
            {"venue_id": venue_id, "venue": name, "day": day, "capacity": 0, "booked": 0},
        )
        row["capacity"] += capacity
        row["booked"] += booked
    return sorted(fill.values(), key=lambda r: (r["day"], r["venue"]))


async def open_mobility_requests(session: AsyncSession) -> int:
    n = await session.scalar(
        select(func.count()).select_from(MobilityRequest).where(MobilityRequest.status == "open")
    )
    return int(n or 0)
