"""A venue's day as its reception sees it: the tally per slot, the no-shows, the day's list.

- ``tally``: per slot of the day (local day in ``tz``): booked (active bookings), checked in,
  not yet (booked, not checked in, the slot not ended), no-show (booked, not checked in, the slot
  ended at ``now``). Walk-ins are bookings too (channel ``walk_in``), so they count as booked.
- ``no_shows``: the bookings whose slot has ended without a check-in (for the callback worklist).
- ``day_list``: every active booking of a venue's day with its resident and check-in, for the
  venue's records (the web layer writes it as CSV and audits the download).

Read-only; plain async functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.checkins import day_bounds
from registry.models import Booking, Resident, Slot, Venue, utcnow
from registry.normalize.names import mask_name
from registry.views import View, as_utc, opt_utc


@dataclasses.dataclass(frozen=True)
class SlotTally(View):
    venue_id: int
    venue: str
    slot_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked: int
    checked_in: int
    not_yet: int
    no_show: int


@dataclasses.dataclass(frozen=True)
class NoShow(View):
    booking_id: int
    resident_id: int
    slot_id: int
    venue_id: int
    venue_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class DayEntry(View):
    booking_id: int
    slot_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    person_no: str
    name: str
    name_kana: str
    birth_date: dt.date | None
    channel: str
    checked_in_at: dt.datetime | None
    checked_in_desk: str
    state: str  # checked_in / not_yet / no_show


def _day_slots(day: dt.date, tz: str, venue_id: int | None) -> Any:
    lo, hi = day_bounds(day, tz)
    stmt = (
        select(Slot.id, Slot.venue_id, Venue.name, Slot.starts_at, Slot.ends_at, Slot.capacity)
        .join(Venue, Venue.id == Slot.venue_id)
        .where(Slot.starts_at >= lo, Slot.starts_at < hi)
        .order_by(Venue.name, Slot.starts_at, Slot.id)
    )
    if venue_id is not None:
        stmt = stmt.where(Slot.venue_id == venue_id)
    return stmt


async def tally(
    session: AsyncSession,
    *,
    day: dt.date,
    tz: str = "Asia/Tokyo",
    venue_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[SlotTally]:
    """Every slot of the day (of one venue, or of all), by venue name then start."""
    at = now or utcnow()
    slots = (await session.execute(_day_slots(day, tz, venue_id))).all()
    if not slots:
        return []
    ids = [s.id for s in slots]
    rows = await session.execute(
        select(Booking.slot_id, Booking.checked_in_at).where(
            Booking.slot_id.in_(ids), Booking.status == "booked"
        )
    )
    booked: dict[int, int] = {}
    came: dict[int, int] = {}
    for slot_id, checked_in_at in rows.all():
        booked[slot_id] = booked.get(slot_id, 0) + 1
        if checked_in_at is not None:
            came[slot_id] = came.get(slot_id, 0) + 1
    out = []
    for s in slots:
        b, c = booked.get(s.id, 0), came.get(s.id, 0)
        ended = as_utc(s.ends_at) <= at
        out.append(
            SlotTally(
                venue_id=s.venue_id,
                venue=s.name,
                slot_id=s.id,
                starts_at=as_utc(s.starts_at),
                ends_at=as_utc(s.ends_at),
                capacity=s.capacity,
                booked=b,
                checked_in=c,
                not_yet=0 if ended else b - c,
                no_show=b - c if ended else 0,
            )
        )
    return out


async def no_shows(
    session: AsyncSession,
    *,
    day: dt.date,
    venue_id: int | None = None,
    tz: str = "Asia/Tokyo",
    now: dt.datetime | None = None,
) -> list[NoShow]:
    """Active bookings of the day whose slot ended by ``now`` without a check-in, in booking
    order (slot start, then booking id)."""
    at = now or utcnow()
    lo, hi = day_bounds(day, tz)
    stmt = (
        select(
            Booking.id,
            Booking.resident_id,
            Booking.slot_id,
            Slot.venue_id,
            Venue.name,
            Slot.starts_at,
            Slot.ends_at,
        )
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Venue, Venue.id == Slot.venue_id)
        .where(
            Booking.status == "booked",
            Booking.checked_in_at.is_(None),
            Slot.starts_at >= lo,
            Slot.starts_at < hi,
            Slot.ends_at <= at,
        )
        .order_by(Slot.starts_at, Booking.id)
    )
    if venue_id is not None:
        stmt = stmt.where(Slot.venue_id == venue_id)
    rows = await session.execute(stmt)
    return [NoShow(i, r, s, v, n, as_utc(st), as_utc(en)) for i, r, s, v, n, st, en in rows.all()]


async def day_list(
    session: AsyncSession,
    *,
    day: dt.date,
    venue_id: int,
    tz: str = "Asia/Tokyo",
    now: dt.datetime | None = None,
) -> list[DayEntry]:
    """Every active booking of the venue's day, by slot start then name kana."""
    at = now or utcnow()
    lo, hi = day_bounds(day, tz)
    rows = await session.execute(
        select(
            Booking.id,
            Booking.slot_id,
            Slot.starts_at,
            Slot.ends_at,
            Resident.person_no,
            Resident.name,
            Resident.name_kana,
            Resident.birth_date,
            Booking.channel,
            Booking.checked_in_at,
            Booking.checked_in_desk,
        )
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Resident, Resident.id == Booking.resident_id)
        .where(
            Booking.status == "booked",
            Slot.venue_id == venue_id,
            Slot.starts_at >= lo,
            Slot.starts_at < hi,
        )
        .order_by(Slot.starts_at, Resident.kana_key, Booking.id)
    )
    out = []
    for r in rows.all():
        came = opt_utc(r.checked_in_at)
        ended = as_utc(r.ends_at) <= at
        state = "checked_in" if came else ("no_show" if ended else "not_yet")
        out.append(
            DayEntry(
                booking_id=r.id,
                slot_id=r.slot_id,
                starts_at=as_utc(r.starts_at),
                ends_at=as_utc(r.ends_at),
                person_no=r.person_no,
                name=r.name,
                name_kana=r.name_kana,
                birth_date=r.birth_date,
                channel=r.channel,
                checked_in_at=came,
                checked_in_desk=r.checked_in_desk or "",
                state=state,
            )
        )
    return out


@dataclasses.dataclass(frozen=True)
class DeskCandidate(View):
    """A resident the desk's search found: enough to confirm who it is, and the barcode to
    check them in with (the page scans it as if read from the postcard)."""

    resident_id: int
    name: str  # masked
    birth_date: dt.date | None
    barcode: str
    booked_here_at: dt.datetime | None  # today's slot at this venue, if any


MAX_DESK_RESULTS = 10


async def desk_search(
    session: AsyncSession,
    *,
    name: str,
    birth: dt.date,
    venue_id: int,
    day: dt.date,
    tz: str = "Asia/Tokyo",
) -> list[DeskCandidate]:
    """Residents born on ``birth`` whose name (kanji, variants folded, or kana) starts with or
    contains ``name``; with their slot here today, by kana."""
    from registry.normalize.names import kana_key, name_key

    nk, kk = name_key(name), kana_key(name)
    if not nk and not kk:
        return []
    rows = (
        await session.execute(
            select(Resident.id, Resident.name, Resident.birth_date, Resident.barcode)
            .where(
                Resident.birth_date == birth,
                Resident.name_key.contains(nk, autoescape=True)
                | Resident.kana_key.contains(kk, autoescape=True),
            )
            .order_by(Resident.kana_key, Resident.id)
            .limit(MAX_DESK_RESULTS)
        )
    ).all()
    lo, hi = day_bounds(day, tz)
    ids = [r.id for r in rows]
    booked = await session.execute(
        select(Booking.resident_id, Slot.starts_at)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.resident_id.in_(ids), Booking.status == "booked", Slot.venue_id == venue_id,
            Slot.starts_at >= lo, Slot.starts_at < hi,
        )
    )  # fmt: skip
    slot_of = {rid: as_utc(at) for rid, at in booked.all()}
    return [
        DeskCandidate(r.id, mask_name(r.name), r.birth_date, r.barcode, slot_of.get(r.id))
        for r in rows
    ]


async def venue_name(session: AsyncSession, venue_id: int) -> str:
    """The venue's name; ``NotFound`` naming ``venue_id``."""
    from registry.errors import NotFound

    name = await session.scalar(select(Venue.name).where(Venue.id == venue_id))
    if name is None:
        raise NotFound(f"venue {venue_id} not found", details={"field": "venue_id"})
    return str(name)
