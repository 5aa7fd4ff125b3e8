"""Bookings and mobility-support requests. ``Idempotency-Key`` makes a resent POST harmless."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from cti_server.web.auth import STAFF, principal
from cti_server.web.errors import BadRequest
from cti_server.web.keys import SESSIONS
from cti_server.web.slots import publish_changes
from cti_server.web.validate import (
    idempotency_key,
    json_body,
    opt_bool,
    opt_int,
    opt_str,
    path_int,
    req_int,
    req_str,
)
from registry import bookings, mobility
from registry.changes import taken

CHANNELS = ("phone", "web", "paper", "assigned")
MOBILITY_STATUSES = ("open", "arranged", "done", "cancelled")


def _call(body: dict[str, Any]) -> str | None:
    return opt_str(body, "call", max_len=64) or None


async def create_booking(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    body = await json_body(request)
    resident_id = req_int(body, "resident_id")
    slot_id = req_int(body, "slot_id")
    channel = opt_str(body, "channel", "phone", max_len=16)
    if channel not in CHANNELS:
        raise BadRequest("channel", f"must be one of {', '.join(CHANNELS)}")
    dose = opt_int(body, "dose") or 1
    call = _call(body)
    async with request.app[SESSIONS]() as session:
        booking = await bookings.book_slot(
            session,
            resident_id=resident_id,
            slot_id=slot_id,
            channel=channel,
            operator_id=who.id,
            call_linkedid=call,
            dose=dose,
            client_key=idempotency_key(request),
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(booking.to_dict(), status=201)


async def change_booking(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    booking_id = path_int(request, "booking_id")
    body = await json_body(request)
    slot_id = req_int(body, "slot_id")
    call = _call(body)
    async with request.app[SESSIONS]() as session:
        booking = await bookings.change_booking(
            session, booking_id, slot_id, operator_id=who.id, call_linkedid=call
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(booking.to_dict())


async def cancel_booking(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    booking_id = path_int(request, "booking_id")
    call = request.query.get("call", "").strip()[:64] or None
    async with request.app[SESSIONS]() as session:
        booking = await bookings.cancel_booking(
            session, booking_id, operator_id=who.id, call_linkedid=call
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(booking.to_dict())


async def create_mobility(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    body = await json_body(request)
    resident_id = req_int(body, "resident_id")
    call = _call(body)
    async with request.app[SESSIONS]() as session:
        view = await mobility.create_mobility_request(
            session,
            resident_id=resident_id,
            booking_id=opt_int(body, "booking_id"),
            pickup_address=req_str(body, "pickup_address", max_len=500),
            wheelchair=bool(opt_bool(body, "wheelchair", False)),
            companion=bool(opt_bool(body, "companion", False)),
            notes=opt_str(body, "notes", max_len=2000),
            operator_id=who.id,
            call_linkedid=call,
            client_key=idempotency_key(request),
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(view.to_dict(), status=201)


async def update_mobility(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    request_id = path_int(request, "request_id")
    body = await json_body(request)
    changes: dict[str, Any] = {}
    if "pickup_address" in body:
        changes["pickup_address"] = req_str(body, "pickup_address", max_len=500)
    for name in ("wheelchair", "companion"):
        if name in body:
            changes[name] = opt_bool(body, name)
    if "notes" in body:
        changes["notes"] = opt_str(body, "notes", max_len=2000)
    if "booking_id" in body:
        changes["booking_id"] = opt_int(body, "booking_id")
    if "status" in body:
        status = req_str(body, "status", max_len=16)
        if status not in MOBILITY_STATUSES:
            raise BadRequest("status", f"must be one of {', '.join(MOBILITY_STATUSES)}")
        changes["status"] = status
    if not changes:
        raise BadRequest("body", "nothing to change")
    async with request.app[SESSIONS]() as session:
        view = await mobility.update_mobility_request(
            session, request_id, operator_id=who.id, call_linkedid=_call(body), **changes
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return web.json_response(view.to_dict())
