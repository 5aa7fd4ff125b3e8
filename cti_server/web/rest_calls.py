"""Call disposition and notes; the operator's live call (for a client that reconnects)."""

from __future__ import annotations

from aiohttp import web

from cti_server import protocol
from cti_server.web.auth import STAFF, principal
from cti_server.web.errors import BadRequest
from cti_server.web.keys import SERVICE, SESSIONS
from cti_server.web.payloads import answer
from cti_server.web.validate import json_body, read_as
from registry.calls import set_disposition


async def put_disposition(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    linkedid = request.match_info["linkedid"]
    if not 0 < len(linkedid) <= 64:
        raise BadRequest("linkedid", "1 to 64 characters")
    req = read_as(protocol.DispositionRequest, await json_body(request))
    async with request.app[SESSIONS]() as session:
        await set_disposition(
            session, linkedid, disposition=req.disposition, notes=req.notes, operator_id=who.id
        )
        await session.commit()
    return answer(protocol.Disposition(linkedid, req.disposition, req.notes))


async def current_call(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    pops = request.app[SERVICE].current_pops(who.extension) if who.extension else []
    return answer(protocol.CurrentCalls(calls=tuple(pops)))
