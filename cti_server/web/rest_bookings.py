"""Bookings and mobility-support requests. ``Idempotency-Key`` makes a resent POST harmless.

A move or a cancel takes the later doses the assignment gave along (``registry.assign.
later_doses``); the answer is the booking with what became of them (``BookingChanged``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from cti_server import protocol
from cti_server.web.auth import STAFF, principal
from cti_server.web.errors import BadRequest
from cti_server.web.keys import SESSIONS
from cti_server.web.once import account_key, made_once
from cti_server.web.payloads import answer, of_view
from cti_server.web.slots import publish_changes
from cti_server.web.validate import (
    json_body,
    path_int,
    query_str,
    read_as,
)
from registry import bookings, mobility
from registry.assign import later_doses
from registry.changes import taken
from registry.views import BookingView, MobilityView

log = logging.getLogger(__name__)


async def create_booking(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    req = read_as(protocol.BookingRequest, await json_body(request))
    key = account_key(request, who)

    async def make(session: AsyncSession) -> BookingView:
        return await bookings.book_slot(
            session,
            resident_id=req.resident_id,
            slot_id=req.slot_id,
            channel=req.channel,
            operator_id=who.id,
            call_linkedid=req.call,
            dose=req.dose,
            client_key=key,
            at=dt.datetime.now(dt.UTC),
        )

    booking, changes = await made_once(request, key, make)
    await publish_changes(request.app, changes)
    return answer(of_view(protocol.Booking, booking), status=201)


def _changed(done: later_doses.Followed) -> protocol.BookingChanged:
    """A moved or cancelled booking with its later doses on the wire."""
    data = done.booking.to_dict()
    data["later"] = [d.to_dict() for d in done.later]
    return protocol.from_dict(protocol.BookingChanged, data)


async def change_booking(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    booking_id = path_int(request, "booking_id")
    req = read_as(protocol.BookingChange, await json_body(request))
    async with request.app[SESSIONS]() as session:
        done = await later_doses.reschedule(
            session,
            booking_id,
            req.slot_id,
            operator_id=who.id,
            call_linkedid=req.call,
            at=dt.datetime.now(dt.UTC),
        )
        await session.commit()
    later = [d.booking.booking_id for d in done.later if d.outcome == "moved"]
    log.info("booking %s moved to slot %s (operator %s; later doses moved with it: %s)",
             booking_id, done.booking.slot_id, who.id, later)  # fmt: skip
    await publish_changes(request.app, taken(session))
    return answer(_changed(done))


async def cancel_booking(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    booking_id = path_int(request, "booking_id")
    call = query_str(request, "call", max_len=64) or None
    async with request.app[SESSIONS]() as session:
        done = await later_doses.cancel(session, booking_id, operator_id=who.id, call_linkedid=call)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(_changed(done))


async def create_mobility(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    req = read_as(protocol.MobilityRequestBody, await json_body(request))
    key = account_key(request, who)

    async def make(session: AsyncSession) -> MobilityView:
        return await mobility.create_mobility_request(
            session,
            resident_id=req.resident_id,
            booking_id=req.booking_id,
            pickup_address=req.pickup_address,
            wheelchair=req.wheelchair,
            companion=req.companion,
            options=req.options,
            notes=req.notes,
            operator_id=who.id,
            call_linkedid=req.call,
            client_key=key,
        )

    view, changes = await made_once(request, key, make)
    await publish_changes(request.app, changes)
    return answer(of_view(protocol.MobilityRequest, view), status=201)


async def update_mobility(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    request_id = path_int(request, "request_id")
    body = await json_body(request)
    req = read_as(protocol.MobilityChange, body)
    changes: dict[str, Any] = {
        name: value
        for name, value in dataclasses.asdict(req).items()
        if value is not None and name != "call"
    }
    if "booking_id" in body and body["booking_id"] is None:
        changes["booking_id"] = None  # untie from the booking
    if not changes:
        raise BadRequest("body", "nothing to change")
    async with request.app[SESSIONS]() as session:
        view = await mobility.update_mobility_request(
            session, request_id, operator_id=who.id, call_linkedid=req.call, **changes
        )
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(of_view(protocol.MobilityRequest, view))
