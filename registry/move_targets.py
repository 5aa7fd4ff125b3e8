"""Where a booking a reconfiguration takes away can go (``registry.reconfigure``): a slot of an
active venue with a free seat, a free transport seat if the booking holds one, wheelchair
access if the resident needs it, and starting late enough to tell the resident and bring them.

- A booking needs a transport seat when it holds one (``Booking.transport``: what
  ``registry.bookings.change_booking`` carries over), and wheelchair access when the resident
  has an open or arranged mobility request asking for it (as the assignment decides,
  ``registry.assign.load``).
- "Late enough" is the slot's pickup lead time (``SlotSupport.pickup_minutes``, 45 minutes for
  a slot without support, as ``registry.assign.support.slot_support`` says): the least notice
  the campaign gives a resident before a slot, whether or not they ride.

Reads only; an ``Opening`` counts down the seats a plan hands out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.assign.support import PICKUP_MINUTES
from registry.models import Booking, MobilityRequest, Slot, SlotSupport, Venue
from registry.views import as_utc


@dataclasses.dataclass(frozen=True)
class Need:
    transport: bool = False
    wheelchair: bool = False


@dataclasses.dataclass
class Opening:
    """A slot a booking can move to, with the seats not yet handed out."""

    slot_id: int
    venue_id: int
    starts_at: dt.datetime
    free: int
    transport_free: int
    wheelchair: bool

    def takes(self, need: Need) -> bool:
        return (
            self.free > 0
            and (self.transport_free > 0 or not need.transport)
            and (self.wheelchair or not need.wheelchair)
        )

    def take(self, need: Need) -> None:
        self.free -= 1
        self.transport_free -= need.transport


async def openings(
    session: AsyncSession, *, exclude: Collection[int], now: dt.datetime, only: int | None = None
) -> list[Opening]:
    """Slots of active venues (not ``exclude``; only ``only`` if given) with a free seat that
    start after their pickup lead time from ``now``."""
    stmt = (
        select(Slot.id, Slot.venue_id, Slot.starts_at, Slot.capacity - Slot.booked,
               SlotSupport.transport_seats - SlotSupport.transport_booked,
               SlotSupport.wheelchair, SlotSupport.pickup_minutes)
        .join(Venue, Venue.id == Slot.venue_id)
        .outerjoin(SlotSupport, SlotSupport.slot_id == Slot.id)
        .where(Venue.active.is_(True), Slot.starts_at > now, Slot.booked < Slot.capacity,
               Slot.id.not_in(exclude))
        .order_by(Slot.id)
    )  # fmt: skip
    if only is not None:
        stmt = stmt.where(Slot.id == only)
    out = []
    for slot_id, venue_id, starts, free, rides, wheel, lead in (await session.execute(stmt)).all():
        notice = dt.timedelta(minutes=PICKUP_MINUTES if lead is None else lead)
        if as_utc(starts) - notice > now:  # SQLite has no interval arithmetic
            out.append(Opening(slot_id, venue_id, as_utc(starts), free, max(0, rides or 0),
                               bool(wheel)))  # fmt: skip
    return out


async def needs(session: AsyncSession, booking_ids: Iterable[int]) -> dict[int, Need]:
    """What each booking needs of the slot it moves to."""
    rows = (
        await session.execute(
            select(Booking.id, Booking.resident_id, Booking.transport).where(
                Booking.id.in_(list(booking_ids))
            )
        )
    ).all()
    wheel = set(
        await session.scalars(
            select(MobilityRequest.resident_id).where(
                MobilityRequest.resident_id.in_([r.resident_id for r in rows]),
                MobilityRequest.status.in_(("open", "arranged")),
                MobilityRequest.wheelchair.is_(True),
            )
        )
    )
    return {r.id: Need(bool(r.transport), r.resident_id in wheel) for r in rows}


def nearest(
    choices: list[Opening], need: Need, venue_id: int, starts_at: dt.datetime
) -> Opening | None:
    """The opening that takes ``need`` nearest in time to ``starts_at``, the same venue first;
    its seats are counted as handed out."""
    best = min(
        (o for o in choices if o.takes(need)),
        key=lambda o: (o.venue_id != venue_id, abs((o.starts_at - starts_at).total_seconds())),
        default=None,
    )
    if best is not None:
        best.take(need)
    return best
