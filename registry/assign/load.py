"""The assignment's input, read from the ledger in a few set queries.

- **Who**: active residents whose latest intent (``registry.intents``: newest ``recorded_at``,
  then highest id) says they want the vaccination and who hold no active first-dose booking;
  with ``move_assigned`` also those whose first-dose booking was made by an assignment (channel
  ``assigned``) in a slot that has not started: their assigned bookings are ``held`` and their
  seats count as free (the commit cancels the ones that change).
  They need transport when that intent says they need mobility support or they have an open or
  arranged mobility request; a wheelchair when such a request says so. The days they said they
  cannot come come along.
- **Where**: slots of active venues starting after ``after`` (and before ``until`` if given), with
  their free seats (capacity - booked) and their ``slot_support`` (transport seats, wheelchair).
- **How far**: ``venue_distances`` (venue, district, metres). A resident's district is read from
  their address (or their household's): the prefecture and city are skipped and the longest
  district name the rest begins with wins (``字`` optional on either side).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.assign.solver import OpenSlot, Person
from registry.models import (
    Booking,
    Household,
    Intent,
    MobilityRequest,
    Resident,
    Slot,
    SlotSupport,
    UnavailableDay,
    Venue,
    VenueDistance,
)
from registry.views import as_utc

LOCAL_TZ = ZoneInfo("Asia/Tokyo")
_PREFECTURE_END = "都道府県"
_CITY_END = "市郡"


@dataclass(frozen=True, slots=True)
class Held:
    """An assigned booking that may move (``move_assigned``)."""

    booking_id: int
    slot_id: int
    dose: int
    transport: bool


@dataclass(frozen=True)
class Input:
    people: list[Person]
    slots: list[OpenSlot]
    distances: dict[tuple[int, str], int]
    venues: dict[int, str]  # id -> name
    no_district: int  # residents whose address names no known district
    held: dict[int, list[Held]] = field(default_factory=dict)  # resident id -> bookings


class Districts:
    """Reads a district out of an address: the longest known name at the start of the rest."""

    def __init__(self, names: set[str]) -> None:
        self.by_key: dict[str, str] = {}
        for name in sorted(names):
            self.by_key.setdefault(name.removeprefix("字"), name)
        self.longest = max((len(k) for k in self.by_key), default=0)

    def of(self, address: str) -> str | None:
        rest = address.strip()
        head = rest[:4]
        for end in _PREFECTURE_END:
            if end in head:
                rest = rest[rest.index(end) + 1 :]
                break
        for end in _CITY_END:
            k = rest.find(end, 0, 8)
            if k >= 0:
                rest = rest[k + 1 :]
                break
        rest = rest.removeprefix("字")
        for n in range(min(self.longest, len(rest)), 0, -1):
            hit = self.by_key.get(rest[:n])
            if hit is not None:
                return hit
        return None


def latest_intents() -> Select[Any]:
    """(resident_id, wants_vaccination, needs_mobility) of each resident's latest intent."""
    ranked = select(
        Intent.resident_id,
        Intent.wants_vaccination,
        Intent.needs_mobility,
        func.row_number()
        .over(
            partition_by=Intent.resident_id, order_by=(Intent.recorded_at.desc(), Intent.id.desc())
        )
        .label("rank"),
    ).subquery()
    return select(ranked.c.resident_id, ranked.c.wants_vaccination, ranked.c.needs_mobility).where(
        ranked.c.rank == 1
    )


def movable_bookings(after: dt.datetime) -> Select[Any]:
    """Active bookings made by an assignment in slots starting after ``after``."""
    return cast(
        "Select[Any]",
        select(Booking.id, Booking.resident_id, Booking.slot_id, Booking.dose, Booking.transport)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.channel == "assigned", Booking.status == "booked", Slot.starts_at > after)
        .order_by(Booking.id),
    )


def waiting_residents(movable_after: dt.datetime | None = None) -> Select[Any]:
    """Residents who want the vaccination and hold no active first-dose booking (with
    ``movable_after``: none but one an assignment made in a slot starting after it)."""
    latest = latest_intents().subquery()
    booked = exists().where(
        Booking.resident_id == Resident.id, Booking.dose == 1, Booking.status == "booked"
    )
    if movable_after is not None:
        movable = movable_bookings(movable_after).with_only_columns(Booking.id)
        booked = booked.where(Booking.id.not_in(movable.scalar_subquery()))
    return (
        select(
            Resident.id,
            Resident.household_id,
            Resident.birth_date,
            Resident.address,
            Household.address.label("household_address"),
            latest.c.needs_mobility,
        )
        .join(latest, latest.c.resident_id == Resident.id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .where(
            latest.c.wants_vaccination.is_(True),
            Resident.status == "active",
            ~booked,
        )
        .order_by(Resident.id)
    )


async def _help_needed(session: AsyncSession) -> tuple[set[int], set[int]]:
    """Residents with an open or arranged mobility request, and those of them needing a
    wheelchair."""
    rows = await session.execute(
        select(MobilityRequest.resident_id, MobilityRequest.wheelchair).where(
            MobilityRequest.status.in_(("open", "arranged"))
        )
    )
    transport: set[int] = set()
    wheelchair: set[int] = set()
    for rid, wheel in rows.all():
        transport.add(rid)
        if wheel:
            wheelchair.add(rid)
    return transport, wheelchair


async def _away_days(session: AsyncSession) -> dict[int, frozenset[dt.date]]:
    days: dict[int, set[dt.date]] = defaultdict(set)
    for rid, day in (
        await session.execute(select(UnavailableDay.resident_id, UnavailableDay.day))
    ).all():
        days[rid].add(day)
    return {rid: frozenset(d) for rid, d in days.items()}


async def load_slots(
    session: AsyncSession,
    after: dt.datetime,
    until: dt.datetime | None = None,
    slot_id: int | None = None,
) -> list[OpenSlot]:
    """Slots of active venues starting after ``after`` (before ``until``; only ``slot_id``),
    by id."""
    stmt = (
        select(
            Slot.id,
            Slot.venue_id,
            Slot.starts_at,
            Slot.capacity,
            Slot.booked,
            SlotSupport.transport_seats,
            SlotSupport.transport_booked,
            SlotSupport.wheelchair,
        )
        .join(Venue, Venue.id == Slot.venue_id)
        .outerjoin(SlotSupport, SlotSupport.slot_id == Slot.id)
        .where(Venue.active.is_(True), Slot.starts_at > after)
        .order_by(Slot.id)
    )
    if until is not None:
        stmt = stmt.where(Slot.starts_at < until)
    if slot_id is not None:
        stmt = stmt.where(Slot.id == slot_id)
    out = []
    for sid, vid, start, cap, booked, seats, taken, wheel in (await session.execute(stmt)).all():
        start = as_utc(start)
        out.append(
            OpenSlot(
                slot_id=sid,
                venue_id=vid,
                starts_at=start,
                day=start.astimezone(LOCAL_TZ).date(),
                free=max(0, cap - booked),
                transport_free=max(0, (seats or 0) - (taken or 0)),
                wheelchair=bool(wheel),
            )
        )
    return out


async def load_distances(session: AsyncSession) -> dict[tuple[int, str], int]:
    rows = await session.execute(
        select(VenueDistance.venue_id, VenueDistance.district, VenueDistance.distance_m)
    )
    return {(v, d): m for v, d, m in rows.all()}


async def _held(session: AsyncSession, after: dt.datetime) -> dict[int, list[Held]]:
    held: dict[int, list[Held]] = defaultdict(list)
    for bid, rid, sid, dose, rides in (await session.execute(movable_bookings(after))).all():
        held[rid].append(Held(bid, sid, dose, bool(rides)))
    return dict(held)


def _release(slots: list[OpenSlot], held: dict[int, list[Held]]) -> list[OpenSlot]:
    """The slots with the held bookings' seats free again."""
    seats: dict[int, int] = defaultdict(int)
    rides: dict[int, int] = defaultdict(int)
    for bookings in held.values():
        for h in bookings:
            seats[h.slot_id] += 1
            rides[h.slot_id] += h.transport
    return [
        replace(
            s, free=s.free + seats[s.slot_id], transport_free=s.transport_free + rides[s.slot_id]
        )
        if s.slot_id in seats
        else s
        for s in slots
    ]


async def load_input(
    session: AsyncSession,
    *,
    after: dt.datetime,
    until: dt.datetime | None = None,
    move_assigned: bool = False,
    resident_id: int | None = None,
    slot_id: int | None = None,
) -> Input:
    """Everything the solver needs, as of now (the caller's transaction); with
    ``resident_id`` only that resident among the people (for one resident's offers), with
    ``slot_id`` only that slot (for the next resident waiting for it)."""
    distances = await load_distances(session)
    districts = Districts({d for _, d in distances})
    transport, wheelchair = await _help_needed(session)
    away = await _away_days(session)
    people: list[Person] = []
    no_district = 0
    held = await _held(session, after) if move_assigned else {}
    who = waiting_residents(after if move_assigned else None)
    if resident_id is not None:
        who = who.where(Resident.id == resident_id)
    for rid, hid, birth, address, hh_address, mobility in (await session.execute(who)).all():
        district = districts.of(address or hh_address or "")
        no_district += district is None
        people.append(
            Person(
                resident_id=rid,
                household_id=hid,
                birth_date=birth,
                district=district,
                transport=bool(mobility) or rid in transport,
                wheelchair=rid in wheelchair,
                unavailable=away.get(rid, frozenset()),
            )
        )
    slots = await load_slots(session, after, until, slot_id)
    if held:
        waiting = {p.resident_id for p in people}
        held = {rid: h for rid, h in held.items() if rid in waiting}  # want it still
        slots = _release(slots, held)
    venues = {
        vid: name for vid, name in (await session.execute(select(Venue.id, Venue.name))).all()
    }
    return Input(people, slots, distances, venues, no_district, held)
