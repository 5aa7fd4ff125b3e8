"""Venues and slots with remaining capacity; changes are for supervisors and admins.

Besides one slot at a time, a day's slots are laid out in one request
(``POST /api/venues/{id}/slots/bulk``), and a slot nobody ever booked can be deleted.
Every change tells the watchers (``SlotsChanged``); the board refreshes its bookings fill through
its response hook on /api/venues and /api/slots writes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from cti_server.web.auth import MANAGERS, principal
from cti_server.web.errors import BadRequest
from cti_server.web.keys import SESSIONS, SETTINGS
from cti_server.web.slots import publish_changes, slot_json
from cti_server.web.validate import (
    json_body,
    opt_bool,
    opt_str,
    path_int,
    req_datetime,
    req_day,
    req_int,
    req_str,
)
from registry.changes import taken


def _venue_json(v: object) -> dict[str, object]:
    return {
        "id": v.venue_id,
        "name": v.name,
        "address": v.address,  # type: ignore[attr-defined]
        "active": v.active,
    }  # type: ignore[attr-defined]


async def list_venues(request: web.Request) -> web.Response:
    from registry import venues

    who = principal(request)
    active_only = who.role not in MANAGERS or request.query.get("all") != "1"
    async with request.app[SESSIONS]() as session:
        items = await venues.list_venues(session, active_only=active_only)
    return web.json_response({"venues": [_venue_json(v) for v in items]})


async def create_venue(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    body = await json_body(request)
    name = req_str(body, "name", max_len=200)
    address = opt_str(body, "address", max_len=500)
    async with request.app[SESSIONS]() as session:
        v = await venues.create_venue(session, name, address)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(_venue_json(v), status=201)


async def update_venue(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    venue_id = path_int(request, "venue_id")
    body = await json_body(request)
    changes = {
        "name": req_str(body, "name", max_len=200) if "name" in body else None,
        "address": opt_str(body, "address", None, max_len=500),  # type: ignore[arg-type]
        "active": opt_bool(body, "active"),
    }
    async with request.app[SESSIONS]() as session:
        v = await venues.update_venue(session, venue_id, **changes)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(_venue_json(v))


async def list_slots(request: web.Request) -> web.Response:
    from registry import venues

    principal(request)
    venue_id = path_int(request, "venue_id")
    day = req_day(request.query, "day")
    tz = request.app[SETTINGS].timezone
    async with request.app[SESSIONS]() as session:
        slots = await venues.list_slots(session, venue_id, day, tz)
    return web.json_response({"slots": [slot_json(s, tz) for s in slots]})


async def create_slot(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    venue_id = path_int(request, "venue_id")
    body = await json_body(request)
    settings = request.app[SETTINGS]
    zone = zoneinfo.ZoneInfo(settings.timezone)
    starts = req_datetime(body, "starts_at", zone)
    ends = req_datetime(body, "ends_at", zone)
    capacity = req_int(body, "capacity", minimum=0)
    async with request.app[SESSIONS]() as session:
        slot = await venues.create_slot(session, venue_id, starts, ends, capacity)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(slot_json(slot, settings.timezone), status=201)


async def update_slot(request: web.Request) -> web.Response:
    from registry import venues

    principal(request, *MANAGERS)
    slot_id = path_int(request, "slot_id")
    body = await json_body(request)
    capacity = req_int(body, "capacity", minimum=0)
    async with request.app[SESSIONS]() as session:
        slot = await venues.set_slot_capacity(session, slot_id, capacity)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(slot_json(slot, request.app[SETTINGS].timezone))


def _wall_time(data: Mapping[str, Any], name: str) -> dt.time:
    text = req_str(data, name, max_len=8)
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
    body = await json_body(request)
    day = req_day(body, "day")
    start, end = _wall_time(body, "start"), _wall_time(body, "end")
    minutes = req_int(body, "minutes", minimum=5)
    capacity = req_int(body, "capacity", minimum=0)
    tz = request.app[SETTINGS].timezone
    async with request.app[SESSIONS]() as session:
        created, skipped = await venues.create_slots(
            session, venue_id, day, start, end, minutes, capacity, tz
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(
        {
            "created": [slot_json(s, tz) for s in created],
            "skipped": [slot_json(s, tz) for s in skipped],
        },
        status=201 if created else 200,
    )


async def delete_slot(request: web.Request) -> web.Response:
    """Delete a slot no booking ever referred to (409 ``conflict`` otherwise)."""
    from registry import venues

    principal(request, *MANAGERS)
    slot_id = path_int(request, "slot_id")
    tz = request.app[SETTINGS].timezone
    async with request.app[SESSIONS]() as session:
        slot = await venues.delete_slot(session, slot_id)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response({**slot_json(slot, tz), "deleted": True})
