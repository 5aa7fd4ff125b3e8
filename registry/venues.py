"""Venues and their time slots; capacity changes that never fall below what is booked.

Slot times are stored in UTC; ``list_slots`` picks a calendar day in a time zone (Asia/Tokyo).
``create_slots`` lays out a day's slots in one call (start, end, slot length, capacity);
``delete_slot`` removes a slot no booking ever referred to. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.changes import SlotRemoved, SlotsChanged, VenueChanged, note
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Booking, Slot, Venue
from registry.views import SlotView, VenueInfo, as_utc, aware_utc

log = logging.getLogger(__name__)

MAX_CAPACITY = 100_000
MAX_SLOTS_PER_DAY = 288  # every 5 minutes for 24 hours


def venue_info(v: Venue) -> VenueInfo:
    return VenueInfo(venue_id=v.id, name=v.name, address=v.address, active=v.active)


def slot_view(s: Slot) -> SlotView:
    return SlotView(
        slot_id=s.id,
        venue_id=s.venue_id,
        starts_at=as_utc(s.starts_at),
        ends_at=as_utc(s.ends_at),
        capacity=s.capacity,
        booked=s.booked,
    )


def _check_name(name: str) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise InvalidInput("name", "a venue needs a name")
    return name


def _check_capacity(capacity: int) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise InvalidInput("capacity", "capacity must be a whole number")
    if not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidInput("capacity", f"capacity must be between 0 and {MAX_CAPACITY}")
    return capacity


async def _venue(session: AsyncSession, venue_id: int) -> Venue:
    v = await session.get(Venue, venue_id, populate_existing=True)
    if v is None:
        raise NotFound(f"venue {venue_id} not found", details={"venue_id": venue_id})
    return v


async def list_venues(session: AsyncSession, *, active_only: bool = True) -> list[VenueInfo]:
    stmt = select(Venue).order_by(Venue.name)
    if active_only:
        stmt = stmt.where(Venue.active.is_(True))
    return [venue_info(v) for v in (await session.scalars(stmt)).all()]


async def create_venue(session: AsyncSession, name: str, address: str = "") -> VenueInfo:
    name = _check_name(name)
    if await session.scalar(select(Venue.id).where(Venue.name == name)) is not None:
        raise Conflict(f"a venue named {name!r} exists", details={"field": "name"})
    try:
        vid = await session.scalar(
            insert(Venue)
            .values(name=name, address=address.strip(), active=True)
            .returning(Venue.id)
        )
    except IntegrityError as err:  # a concurrent create with the same name; caller rolls back
        raise Conflict(f"a venue named {name!r} exists", details={"field": "name"}) from err
    assert vid is not None
    log.info("venue %s created", vid)
    note(session, VenueChanged(vid))
    return venue_info(await _venue(session, vid))


async def update_venue(
    session: AsyncSession,
    venue_id: int,
    *,
    name: str | None = None,
    address: str | None = None,
    active: bool | None = None,
) -> VenueInfo:
    v = await _venue(session, venue_id)
    values: dict[str, object] = {}
    if name is not None and _check_name(name) != v.name:
        name = _check_name(name)
        if await session.scalar(select(Venue.id).where(Venue.name == name)) is not None:
            raise Conflict(f"a venue named {name!r} exists", details={"field": "name"})
        values["name"] = name
    if address is not None:
        values["address"] = address.strip()
    if active is not None:
        values["active"] = bool(active)
    if values:
        await session.execute(update(Venue).where(Venue.id == venue_id).values(**values))
        log.info("venue %s updated: %s", venue_id, ", ".join(sorted(values)))
        note(session, VenueChanged(venue_id))
    return venue_info(await _venue(session, venue_id))


async def get_slot(session: AsyncSession, slot_id: int) -> SlotView:
    s = await session.get(Slot, slot_id, populate_existing=True)
    if s is None:
        raise NotFound(f"slot {slot_id} not found", details={"slot_id": slot_id})
    return slot_view(s)


async def create_slot(
    session: AsyncSession,
    venue_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
) -> SlotView:
    start = aware_utc("starts_at", starts_at)
    end = aware_utc("ends_at", ends_at)
    if end <= start:
        raise InvalidInput("ends_at", "a slot must end after it starts")
    _check_capacity(capacity)
    await _venue(session, venue_id)
    sid = await session.scalar(
        insert(Slot)
        .values(venue_id=venue_id, starts_at=start, ends_at=end, capacity=capacity, booked=0)
        .returning(Slot.id)
    )
    assert sid is not None
    log.info("slot %s created at venue %s (capacity %d)", sid, venue_id, capacity)
    note(session, SlotsChanged((sid,)))
    return await get_slot(session, sid)


async def set_slot_capacity(session: AsyncSession, slot_id: int, capacity: int) -> SlotView:
    """Set the capacity; refused (InvalidInput on "capacity") below the seats already booked.

    One conditional UPDATE, so a booking racing with the change is never squeezed out.
    """
    _check_capacity(capacity)
    changed = await session.scalar(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked <= capacity)
        .values(capacity=capacity)
        .returning(Slot.id)
    )
    if changed is None:
        current = await get_slot(session, slot_id)  # NotFound if there is no such slot
        raise InvalidInput(
            "capacity",
            f"capacity {capacity} is below the {current.booked} seats already booked",
            details={"booked": current.booked},
        )
    log.info("slot %s capacity set to %d", slot_id, capacity)
    note(session, SlotsChanged((slot_id,)))
    return await get_slot(session, slot_id)


async def list_slots(
    session: AsyncSession, venue_id: int, day: dt.date, tz: str = "Asia/Tokyo"
) -> list[SlotView]:
    """The venue's slots starting on ``day`` (a calendar day in ``tz``), by start time."""
    await _venue(session, venue_id)
    zone = _zone(tz)
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    rows = await session.scalars(
        select(Slot)
        .where(Slot.venue_id == venue_id, Slot.starts_at >= start, Slot.starts_at < end)
        .order_by(Slot.starts_at, Slot.id)
        .execution_options(populate_existing=True)
    )
    return [slot_view(s) for s in rows.all()]


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidInput("tz", f"unknown time zone {tz!r}") from err


def day_layout(
    day: dt.date, start: dt.time, end: dt.time, minutes: int, tz: str = "Asia/Tokyo"
) -> list[tuple[dt.datetime, dt.datetime]]:
    """(starts_at, ends_at) of back-to-back slots of ``minutes`` from ``start`` until ``end``
    (wall-clock times of ``day`` in ``tz``); a last piece shorter than ``minutes`` is left out."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 720:
        raise InvalidInput("minutes", "the slot length must be from 5 to 720 minutes")
    zone = _zone(tz)
    first = dt.datetime.combine(day, start, zone)
    last = dt.datetime.combine(day, end, zone)
    if last <= first:
        raise InvalidInput("end", "the end time must be after the start time")
    step = dt.timedelta(minutes=minutes)
    out: list[tuple[dt.datetime, dt.datetime]] = []
    at = first
    while at + step <= last:
        out.append((at, at + step))
        at += step
    if not out:
        raise InvalidInput("minutes", f"no {minutes}-minute slot fits between start and end")
    if len(out) > MAX_SLOTS_PER_DAY:
        raise InvalidInput("minutes", f"more than {MAX_SLOTS_PER_DAY} slots in one day")
    return out


async def create_slots(
    session: AsyncSession,
    venue_id: int,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    minutes: int,
    capacity: int,
    tz: str = "Asia/Tokyo",
) -> tuple[list[SlotView], list[SlotView]]:
    """Add a day's slots in bulk: (created, skipped). A slot already starting at the same time
    at this venue is skipped (returned in ``skipped``), so running it twice adds nothing."""
    layout = day_layout(day, start, end, minutes, tz)
    _check_capacity(capacity)
    await _venue(session, venue_id)
    existing = {s.starts_at: s for s in await list_slots(session, venue_id, day, tz)}
    rows = [
        {
            "venue_id": venue_id,
            "starts_at": a.astimezone(dt.UTC),
            "ends_at": b.astimezone(dt.UTC),
            "capacity": capacity,
            "booked": 0,
        }
        for a, b in layout
        if a.astimezone(dt.UTC) not in existing
    ]
    created: list[SlotView] = []
    if rows:
        ids = (
            await session.scalars(
                insert(Slot).returning(Slot.id, sort_by_parameter_order=True), rows
            )
        ).all()
        created = [await get_slot(session, sid) for sid in ids]
        created.sort(key=lambda v: v.starts_at)
    skipped = [
        existing[a.astimezone(dt.UTC)] for a, _ in layout if a.astimezone(dt.UTC) in existing
    ]
    log.info("venue %s: %d slots created, %d skipped", venue_id, len(created), len(skipped))
    if created:
        note(session, SlotsChanged(tuple(v.slot_id for v in created)))
    return created, skipped


async def delete_slot(session: AsyncSession, slot_id: int) -> SlotView:
    """Remove a slot that no booking (active or cancelled) refers to; Conflict otherwise.

    One conditional DELETE, so a booking racing with it either lands first (and the delete is
    refused) or finds no slot.
    """
    current = await get_slot(session, slot_id)  # NotFound if there is no such slot
    used = exists().where(Booking.slot_id == slot_id)
    gone = await session.scalar(
        delete(Slot).where(Slot.id == slot_id, Slot.booked == 0, ~used).returning(Slot.id)
    )
    if gone is None:
        current = await get_slot(session, slot_id)
        raise Conflict(
            f"slot {slot_id} has bookings ({current.booked} active); lower its capacity instead",
            details={"slot_id": slot_id, "booked": current.booked},
        )
    log.info("slot %s deleted at venue %s", slot_id, current.venue_id)
    note(session, SlotRemoved(slot_id, current.venue_id, current.starts_at, current.ends_at))
    return current
