"""Venues and slots with remaining capacity; changes are for supervisors and admins.

Besides one slot at a time, a day's slots are laid out in one request
(``POST /api/venues/{id}/slots/bulk``), and a slot nobody ever booked can be deleted.
Every change tells the watchers (``SlotsChanged``); the board refreshes its bookings fill through
its response hook on /api/venues and /api/slots writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from aiohttp import web

from cti_server import protocol
from cti_server.web.auth import MANAGERS, principal
from cti_server.web.errors import BadRequest
from cti_server.web.keys import SESSIONS, SETTINGS
from cti_server.web.payloads import answer, slot_info, venue
from cti_server.web.slots import publish_changes
from cti_server.web.validate import (
    json_body,
    path_int,
    read_as,
    req_day,
)
from registry.changes import taken


async def list_venues(request: web.Request) -> web.Response:
    from registry import venues

    who = principal(request)
    active_only = who.role not in MANAGERS or request.query.get("all") != "1"
    async with request.app[SESSIONS]() as session:
        items = await venues.list_venues(session, active_only=active_only)
    return answer(protocol.VenueList(venues=tuple(venue(v) for v in items)))


async def create_venue(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    req = read_as(protocol.VenueRequest, await json_body(request))
    async with request.app[SESSIONS]() as session:
        v = await venues.create_venue(session, req.name, req.address)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(venue(v), status=201)


async def update_venue(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    venue_id = path_int(request, "venue_id")
    req = read_as(protocol.VenueChange, await json_body(request))
    async with request.app[SESSIONS]() as session:
        v = await venues.update_venue(
            session, venue_id, name=req.name, address=req.address, active=req.active
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(venue(v))


async def list_slots(request: web.Request) -> web.Response:
    from registry import venues

    principal(request)
    venue_id = path_int(request, "venue_id")
    day = req_day(request.query, "day")
    tz = request.app[SETTINGS].timezone
    async with request.app[SESSIONS]() as session:
        slots = await venues.list_slots(session, venue_id, day, tz)
    return answer(protocol.SlotList(slots=tuple(slot_info(s) for s in slots)))


async def create_slot(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    venue_id = path_int(request, "venue_id")
    req = read_as(protocol.SlotRequest, await json_body(request))
    zone = zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)
    starts = _aware(req.starts_at, zone)
    ends = _aware(req.ends_at, zone)
    async with request.app[SESSIONS]() as session:
        slot = await venues.create_slot(session, venue_id, starts, ends, req.capacity)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(slot_info(slot), status=201)


async def update_slot(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    slot_id = path_int(request, "slot_id")
    req = read_as(protocol.CapacityChange, await json_body(request))
    async with request.app[SESSIONS]() as session:
        slot = await venues.set_slot_capacity(session, slot_id, req.capacity)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(slot_info(slot))


def _aware(text: str, zone: dt.tzinfo) -> dt.datetime:
    """An ISO-8601 time (checked by ``read_as``); without an offset it is in ``zone``."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _wall_time(text: str, name: str) -> dt.time:
    try:
        value = dt.time.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(name, "expected a time HH:MM") from err
    if value.tzinfo is not None:
        raise BadRequest(name, "a wall-clock time without a zone, HH:MM")
    return value


async def create_slots_bulk(request: web.Request) -> web.Response:
    """A day's slots: {day, start "09:00", end "12:00", minutes 30, capacity} -> created/skipped."""
    from registry import venues

    principal(request, *MANAGERS)
    venue_id = path_int(request, "venue_id")
    req = read_as(protocol.SlotsLayout, await json_body(request))
    start, end = _wall_time(req.start, "start"), _wall_time(req.end, "end")
    day = dt.date.fromisoformat(req.day)
    tz = request.app[SETTINGS].timezone
    async with request.app[SESSIONS]() as session:
        created, skipped = await venues.create_slots(
            session, venue_id, day, start, end, req.minutes, req.capacity, tz
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    laid_out = protocol.SlotsLaidOut(
        created=tuple(slot_info(s) for s in created),
        skipped=tuple(slot_info(s) for s in skipped),
    )
    return answer(laid_out, status=201 if created else 200)


async def delete_slot(request: web.Request) -> web.Response:
    """Delete a slot no booking ever referred to (409 ``conflict`` otherwise)."""
    from registry import venues

    principal(request, *MANAGERS)
    slot_id = path_int(request, "slot_id")
    async with request.app[SESSIONS]() as session:
        slot = await venues.delete_slot(session, slot_id)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(protocol.DeletedSlot(**dataclasses.asdict(slot_info(slot)), deleted=True))
