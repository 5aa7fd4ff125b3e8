"""What the assignment knows about places: the venue distance table and each slot's support
(transport seats, wheelchair access, pickup lead time). The caller commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.changes import SlotsChanged, note
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Slot, SlotSupport, VenueDistance
from registry.views import View

MAX_SEATS = 1000
PICKUP_MINUTES = 45  # the pickup lead time of a slot without a slot_support row


@dataclasses.dataclass(frozen=True)
class SupportView(View):
    slot_id: int
    transport_seats: int
    transport_booked: int
    wheelchair: bool
    pickup_minutes: int


async def set_distances(
    session: AsyncSession, rows: Iterable[tuple[int, str, int]], *, replace: bool = True
) -> int:
    """Load (venue id, district, metres) rows; ``replace`` empties the table first."""
    table = [(v, d.strip(), m) for v, d, m in rows]
    for v, d, m in table:
        if not d or len(d) > 64 or m < 0:
            raise InvalidInput("district", f"bad distance row: venue {v}, {d!r}, {m} m")
    if replace:
        await session.execute(delete(VenueDistance))
    else:
        for v, d, _ in table:
            await session.execute(
                delete(VenueDistance).where(
                    VenueDistance.venue_id == v, VenueDistance.district == d
                )
            )
    if table:
        try:
            await session.execute(
                insert(VenueDistance),
                [{"venue_id": v, "district": d, "distance_m": m} for v, d, m in table],
            )
        except IntegrityError as err:
            raise InvalidInput("venue", "a venue does not exist or a row is repeated") from err
    return len(table)


def _support_view(s: SlotSupport) -> SupportView:
    return SupportView(s.slot_id, s.transport_seats, s.transport_booked, s.wheelchair,
                       s.pickup_minutes)  # fmt: skip


async def slot_support(session: AsyncSession, slot_id: int) -> SupportView:
    s = await session.get(SlotSupport, slot_id, populate_existing=True)
    if s is None:
        if await session.scalar(select(Slot.id).where(Slot.id == slot_id)) is None:
            raise NotFound(f"slot {slot_id} not found", details={"slot_id": slot_id})
        return SupportView(slot_id, 0, 0, False, PICKUP_MINUTES)
    return _support_view(s)


async def set_slot_support(
    session: AsyncSession,
    slot_id: int,
    *,
    transport_seats: int | None = None,
    wheelchair: bool | None = None,
    pickup_minutes: int | None = None,
) -> SupportView:
    """Change what a slot offers; transport seats never fall below those taken."""
    current = await slot_support(session, slot_id)
    seats = current.transport_seats if transport_seats is None else transport_seats
    if not 0 <= seats <= MAX_SEATS:
        raise InvalidInput("transport_seats", f"transport seats must be from 0 to {MAX_SEATS}")
    if seats < current.transport_booked:
        raise Conflict(
            f"{current.transport_booked} transport seats are taken; cannot lower to {seats}",
            details={"field": "transport_seats", "taken": current.transport_booked},
        )
    minutes = current.pickup_minutes if pickup_minutes is None else pickup_minutes
    if not 0 <= minutes <= 24 * 60:
        raise InvalidInput("pickup_minutes", "pickup minutes must be from 0 to 1440")
    values = {
        "transport_seats": seats,
        "wheelchair": current.wheelchair if wheelchair is None else wheelchair,
        "pickup_minutes": minutes,
    }
    done = await session.execute(
        update(SlotSupport).where(SlotSupport.slot_id == slot_id).values(**values)
    )
    if not getattr(done, "rowcount", 0):
        await session.execute(insert(SlotSupport).values(slot_id=slot_id, **values))
    note(session, SlotsChanged((slot_id,)))
    return await slot_support(session, slot_id)
