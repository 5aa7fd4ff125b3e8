"""Designated appointments over REST: the supervisors' dry run and commit of an assignment, and
the call center's changes: "cannot come that day", the slots a resident could take instead, and
the next resident waiting for a freed seat (reschedule and cancel are the bookings' own routes).

A commit writes in one transaction and publishes the slots' new fill; a plan that changed since
the dry run (``expect``) or a ledger that changed under it answers 409. The next waiting
resident's name is a view of their record: audited (resident.view).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.web.auth import MANAGERS, STAFF, principal
from cti_server.web.errors import BadRequest
from cti_server.web.keys import ENGINE, SESSIONS, SETTINGS
from cti_server.web.payloads import answer, of_view
from cti_server.web.rest_postcards import MAX_PRINT, _paper
from cti_server.web.slots import publish_changes
from cti_server.web.validate import json_body, path_int, read_as
from registry.assign.changes import cannot_come, next_waiting, suggest_slots
from registry.assign.run import run_assignment
from registry.assign.solver import DEFAULT_BANDS, Rules, parse_bands
from registry.audit import AuditAction, audit
from registry.changes import taken


def _rules(request: web.Request, req: protocol.AssignmentRequest) -> Rules:
    tz = zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)
    try:
        bands = parse_bands(req.bands) if req.bands else DEFAULT_BANDS
    except ValueError as err:
        raise BadRequest("bands", str(err)) from err
    if req.second_dose_days is not None and req.second_dose_days > 365:
        raise BadRequest("second_dose_days", "at most 365")
    as_of = dt.date.fromisoformat(req.as_of) if req.as_of else dt.datetime.now(tz).date()
    return Rules(as_of=as_of, bands=bands, prefer=req.prefer,  # type: ignore[arg-type]
                 second_dose_days=req.second_dose_days)  # fmt: skip


def _until(req: protocol.AssignmentRequest) -> dt.datetime | None:
    if not req.until:
        return None
    until = dt.datetime.fromisoformat(req.until)
    if until.tzinfo is None:
        raise BadRequest("until", "give the offset (e.g. +09:00 or Z)")
    return until


async def _run(request: web.Request, *, commit: bool) -> web.Response:
    who = principal(request, *MANAGERS)
    req = read_as(protocol.AssignmentRequest, await json_body(request))
    rules = _rules(request, req)
    async with request.app[SESSIONS]() as session:
        report = await run_assignment(
            session,
            rules,
            commit=commit,
            expect=req.expect if commit else None,
            operator_id=who.id,
            until=_until(req),
            move_assigned=req.move_assigned,
        )
        if commit:
            await session.commit()
    if commit:
        await publish_changes(request.app, taken(session))
    return answer(of_view(protocol.AssignmentReport, report))


async def plan_assignment(request: web.Request) -> web.Response:
    return await _run(request, commit=False)


async def commit_assignment(request: web.Request) -> web.Response:
    return await _run(request, commit=True)


def _offers(views: Any) -> tuple[protocol.SlotOffer, ...]:
    return tuple(of_view(protocol.SlotOffer, v) for v in views)


async def booking_cannot_come(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    booking_id = path_int(request, "booking_id")
    req = read_as(protocol.CannotComeRequest, await json_body(request))
    async with request.app[SESSIONS]() as session:
        told = await cannot_come(session, booking_id, operator_id=who.id, call_linkedid=req.call)
        await session.commit()
    await publish_changes(request.app, taken(session))
    return answer(
        protocol.CannotCome(
            booking=of_view(protocol.Booking, told.booking),
            day=told.day.isoformat(),
            cancelled=told.cancelled,
            suggestions=_offers(told.suggestions),
        )
    )


async def slot_offers(request: web.Request) -> web.Response:
    principal(request, *STAFF)
    resident_id = path_int(request, "resident_id")
    async with request.app[SESSIONS]() as session:
        offers = await suggest_slots(session, resident_id, limit=20)
    return answer(protocol.SlotOffers(offers=_offers(offers)))


async def slot_next_waiting(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    slot_id = path_int(request, "slot_id")
    tz = zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)
    call = request.query.get("call", "").strip()[:64] or None
    async with request.app[SESSIONS]() as session:
        found = await next_waiting(session, slot_id, as_of=dt.datetime.now(tz).date())
        if found is not None:
            await audit(session, AuditAction.RESIDENT_VIEW, operator_id=who.id,
                        resident_id=found.resident_id, call_linkedid=call,
                        details={"via": "next_waiting", "slot_id": slot_id})  # fmt: skip
            await session.commit()
    resident = None
    if found is not None:
        resident = protocol.from_dict(protocol.WaitingResident, found.to_dict())
    return answer(protocol.NextWaiting(slot_id=slot_id, resident=resident))


async def print_notices(request: web.Request) -> web.Response:
    """POST /api/assignments/notices {day?, layout}: the notices as a PDF download."""
    _paper()
    from registry.paper.notices import Notice, NoticeSettings, notice_kind, notices
    from registry.paper.printing import LAYOUTS, pdf_bytes

    who = principal(request, *MANAGERS)
    req = read_as(protocol.NoticePrintRequest, await json_body(request))
    layout = next(x for x in LAYOUTS if x == req.layout)  # read_as checked the choice
    day = dt.date.fromisoformat(req.day) if req.day else None
    settings = request.app[SETTINGS]
    kind = notice_kind(NoticeSettings(settings.call_center_number, settings.call_center_hours))
    cards: list[Notice] = []
    async for _rid, card in notices(request.app[ENGINE], day=day):
        if len(cards) == MAX_PRINT:
            raise BadRequest("day", f"more than {MAX_PRINT} notices: use `cti-registry notices` "
                             "for larger runs")  # fmt: skip
        cards.append(card)
    pdf = await asyncio.to_thread(pdf_bytes, cards, layout=layout, kind=kind)
    async with request.app[SESSIONS]() as session:
        await audit(session, AuditAction.NOTICE_PRINT, operator_id=who.id,
                    details={"day": req.day, "layout": layout, "notices": len(cards)})  # fmt: skip
        await session.commit()
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="notices.pdf"'},
    )


def add_assignment_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/assignments/notices", print_notices)
    r.add_post("/api/assignments/plan", plan_assignment)
    r.add_post("/api/assignments/commit", commit_assignment)
    r.add_post("/api/bookings/{booking_id}/cannot-come", booking_cannot_come)
    r.add_get("/api/residents/{resident_id}/slot-offers", slot_offers)
    r.add_get("/api/slots/{slot_id}/next-waiting", slot_next_waiting)
