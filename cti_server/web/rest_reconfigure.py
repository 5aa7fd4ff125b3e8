"""Reconfiguration without code (supervisors and admins): a dry run of a capacity cut, a closed
slot or venue, or a moved day (``/api/reconfigure/preview``), then the change
(``/api/reconfigure/apply``), pushed live to open booking forms and the board."""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web

from cti_server import protocol
from cti_server.web.auth import MANAGERS, principal
from cti_server.web.keys import SESSIONS, SETTINGS
from cti_server.web.payloads import answer, wire_time
from cti_server.web.slots import publish_changes
from cti_server.web.validate import json_body, read_as
from registry import reconfigure as rc
from registry.changes import taken

log = logging.getLogger(__name__)


def _change(req: protocol.ReconfigureRequest) -> rc.Change:
    day = dt.date.fromisoformat(req.day) if req.day else None
    to_day = dt.date.fromisoformat(req.to_day) if req.to_day else None
    return rc.Change(req.kind, req.slot_id, req.venue_id, req.capacity, day, to_day)


def _plan(p: rc.Plan) -> protocol.ReconfigurePlan:
    return protocol.ReconfigurePlan(
        p.kind,
        p.slot_ids,
        tuple(
            protocol.AffectedBooking(
                a.booking_id,
                a.resident_id,
                a.resident_name,
                a.slot_id,
                wire_time(a.starts_at),
                wire_time(a.booked_at),
                a.conflict,
                a.proposed_slot_id,
            )
            for a in p.affected
        ),
    )


async def preview(request: web.Request) -> web.Response:
    principal(request, *MANAGERS)
    req = read_as(protocol.ReconfigureRequest, await json_body(request))
    async with request.app[SESSIONS]() as session:
        plan = await rc.preview(session, _change(req), tz=request.app[SETTINGS].timezone)
    return answer(_plan(plan))


async def apply(request: web.Request) -> web.Response:
    who = principal(request, *MANAGERS)
    req = read_as(protocol.ReconfigureRequest, await json_body(request))
    change = _change(req)
    async with request.app[SESSIONS]() as session:
        done = await rc.apply(
            session, change, action=req.action, tz=request.app[SETTINGS].timezone,
            target_slot_id=req.target_slot_id, operator_id=who.id,
        )  # fmt: skip
        await session.commit()
    for booking_id, slot_id in done.moved:
        log.info("booking %s moved to slot %s (operator %s)", booking_id, slot_id, who.id)
    log.info("reconfigure %s by operator %s: %d affected, %d moved, %d on the worklist",
             change.key(), who.id, len(done.plan.affected), len(done.moved),
             len(done.queued))  # fmt: skip
    await publish_changes(request.app, taken(session))
    moved = tuple(protocol.MovedBooking(b, s) for b, s in done.moved)
    return answer(protocol.ReconfigureApplied(_plan(done.plan), moved, done.queued))


def add_reconfigure_routes(app: web.Application) -> None:
    app.router.add_post("/api/reconfigure/preview", preview)
    app.router.add_post("/api/reconfigure/apply", apply)
