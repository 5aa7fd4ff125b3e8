"""The callback worklist over REST: list (with the board's summary), take the next item or a
chosen one, give it back, record the outcome, dial its number (click-to-dial), and, for
supervisors, reprioritise. Claims are atomic in the database; every step is audited there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.callbacks import Callbacks, DialFailed
from cti_server.web.auth import MANAGERS, STAFF, principal
from cti_server.web.board_app import BOARD
from cti_server.web.errors import ApiError, BadRequest
from cti_server.web.keys import SESSIONS
from cti_server.web.payloads import answer, wire_time
from cti_server.web.rest_config import CAMPAIGN
from cti_server.web.validate import json_body, path_int, read_as
from registry import worklist
from registry.worklist import AttemptView, WorkItemView, WorklistSummary

CALLBACKS: web.AppKey[Callbacks] = web.AppKey("callbacks")
MAX_LIMIT = 500


class DialUnavailable(ApiError):
    status = 503
    error_id = "dial_failed"


def _opt(value: dt.datetime | None) -> str | None:
    return None if value is None else wire_time(value)


def _attempt(a: AttemptView) -> protocol.WorkAttempt:
    return protocol.WorkAttempt(wire_time(a.at), a.operator_id, a.outcome,
                                _opt(a.call_later_at), a.call_linkedid, a.note)  # fmt: skip


def work_item(v: WorkItemView) -> protocol.WorkItem:
    return protocol.WorkItem(
        item_id=v.item_id, reason=v.reason, resident_id=v.resident_id,
        resident_name=v.resident_name, phone=v.phone, detail=dict(v.detail),
        proposed_slot_id=v.proposed_slot_id, priority=v.priority, attempts=v.attempts,
        next_attempt_at=_opt(v.next_attempt_at), state=v.state, outcome=v.outcome,
        claimed_by=v.claimed_by, claim_until=_opt(v.claim_until),
        created_at=wire_time(v.created_at), history=tuple(_attempt(a) for a in v.history),
    )  # fmt: skip


def work_summary(s: WorklistSummary) -> protocol.WorklistSummary:
    return protocol.WorklistSummary(s.open, s.due, s.claimed, _opt(s.oldest_created_at))


async def list_items(request: web.Request) -> web.Response:
    """GET /api/worklist?state=open&due=1&limit=100."""
    principal(request, *STAFF)
    state = request.query.get("state", "open")
    if state not in protocol.WORK_STATES:
        raise BadRequest("state", f"one of {', '.join(protocol.WORK_STATES)}")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError as err:
        raise BadRequest("limit", "a whole number") from err
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("limit", f"from 1 to {MAX_LIMIT}")
    due = request.query.get("due", "0") == "1"
    async with request.app[SESSIONS]() as session:
        items = await worklist.list_items(session, state=state, due_only=due, limit=limit)
        summary = await worklist.summary(session)
    page = protocol.WorklistPage(tuple(work_item(i) for i in items), work_summary(summary))
    return answer(page)


async def claim_next(request: web.Request) -> web.Response:
    """POST /api/worklist/claim: take the first due item (``item`` null when none is due)."""
    who = principal(request, *STAFF)
    policy = await request.app[CAMPAIGN].retry_policy()
    async with request.app[SESSIONS]() as session:
        item = await worklist.claim_next(session, who.id, policy)
        await session.commit()
    request.app[BOARD].bookings_changed()  # the board's worklist size and age
    return answer(protocol.WorkClaimed(None if item is None else work_item(item)))


async def claim(request: web.Request) -> web.Response:
    """POST /api/worklist/{item_id}/claim: take this item (409 if another operator holds it)."""
    who = principal(request, *STAFF)
    policy = await request.app[CAMPAIGN].retry_policy()
    async with request.app[SESSIONS]() as session:
        item = await worklist.claim(session, path_int(request, "item_id"), who.id, policy)
        await session.commit()
    request.app[BOARD].bookings_changed()  # the board's worklist size and age
    return answer(work_item(item))


async def release(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    async with request.app[SESSIONS]() as session:
        item = await worklist.release(session, path_int(request, "item_id"), who.id)
        await session.commit()
    request.app[BOARD].bookings_changed()  # the board's worklist size and age
    return answer(work_item(item))


def _later(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise BadRequest("call_later_at", "a time with its offset")
    return value


async def record_outcome(request: web.Request) -> web.Response:
    """POST /api/worklist/{item_id}/outcome {outcome, call_later_at?, call_linkedid?, note}."""
    who = principal(request, *STAFF)
    req = read_as(protocol.WorkOutcomeRequest, await json_body(request))
    policy = await request.app[CAMPAIGN].retry_policy()
    async with request.app[SESSIONS]() as session:
        item = await worklist.record_outcome(
            session, path_int(request, "item_id"), who.id, req.outcome, policy,
            call_later_at=_later(req.call_later_at), call_linkedid=req.call_linkedid,
            note=req.note,
        )  # fmt: skip
        await session.commit()
    request.app[BOARD].bookings_changed()  # the board's worklist size and age
    return answer(work_item(item))


async def reprioritise(request: web.Request) -> web.Response:
    """PATCH /api/worklist/{item_id} {priority} (supervisors)."""
    who = principal(request, *MANAGERS)
    req = read_as(protocol.WorkPriorityChange, await json_body(request))
    async with request.app[SESSIONS]() as session:
        item = await worklist.reprioritise(
            session, path_int(request, "item_id"), req.priority, operator_id=who.id
        )
        await session.commit()
    request.app[BOARD].bookings_changed()  # the board's worklist size and age
    return answer(work_item(item))


async def dial(request: web.Request) -> web.Response:
    """POST /api/worklist/{item_id}/dial: ring the operator's extension, then the number."""
    who = principal(request, *STAFF)
    if not who.extension:
        raise BadRequest("extension", "log in at an extension to place calls")
    name = who.display_name or who.username
    try:
        done = await request.app[CALLBACKS].dial(
            path_int(request, "item_id"), who.id, who.extension, name
        )
    except DialFailed as err:
        raise DialUnavailable(str(err)) from err
    return answer(protocol.DialStarted(done.linkedid, done.number, work_item(done.item)))


async def _callbacks_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[CALLBACKS].close()


def add_worklist_routes(app: web.Application, callbacks: Callbacks) -> None:
    app[CALLBACKS] = callbacks
    app.cleanup_ctx.append(_callbacks_ctx)
    r = app.router
    r.add_get("/api/worklist", list_items)
    r.add_post("/api/worklist/claim", claim_next)
    r.add_post("/api/worklist/{item_id}/claim", claim)
    r.add_post("/api/worklist/{item_id}/release", release)
    r.add_post("/api/worklist/{item_id}/outcome", record_outcome)
    r.add_post("/api/worklist/{item_id}/dial", dial)
    r.add_patch("/api/worklist/{item_id}", reprioritise)


__all__: list[Any] = ["CALLBACKS", "add_worklist_routes", "work_item", "work_summary"]
