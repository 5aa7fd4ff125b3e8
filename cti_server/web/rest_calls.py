"""Call disposition and notes, the resident the operator confirmed, the wrap-up codes, and the
operator's live call (for a client that reconnects)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from cti_server import protocol
from cti_server.dispositions import split_codes
from cti_server.web.auth import STAFF, principal
from cti_server.web.board_app import BOARD
from cti_server.web.errors import BadRequest, Forbidden
from cti_server.web.keys import SERVICE, SESSIONS
from cti_server.web.payloads import answer
from cti_server.web.rest_config import CAMPAIGN
from cti_server.web.tokens import Principal
from cti_server.web.validate import json_body, read_as
from registry.calls import get_call, link_resident, set_disposition
from registry.errors import NotFound
from registry.worklist_feeds import from_call

CALLBACK_CODE = "callback"  # the wrap-up code that asks for a callback


def _linkedid(request: web.Request) -> str:
    linkedid = request.match_info["linkedid"]
    if not 0 < len(linkedid) <= 64:
        raise BadRequest("linkedid", "1 to 64 characters")
    return linkedid


async def _codes(request: web.Request, req: protocol.DispositionRequest) -> str:
    """The wrap-up codes of a request (``codes``, or ``disposition`` text), checked against
    the configured list and stored joined by commas."""
    if req.codes is not None:
        field = "codes"
        codes = [c for c in req.codes if c]
    elif req.disposition is not None:
        field = "disposition"
        codes = split_codes(req.disposition)
    else:
        raise BadRequest("disposition", "required")
    if not codes:
        raise BadRequest(field, "choose at least one")
    known = {d.code for d in await request.app[CAMPAIGN].dispositions()}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise BadRequest("codes", f"unknown code {unknown[0]!r}")
    return ",".join(dict.fromkeys(codes))


async def owns_call(
    request: web.Request, session: AsyncSession, who: Principal, linkedid: str
) -> bool:
    """Is ``linkedid`` a call of this operator: live on their extension, or recorded as
    answered by them or at their extension?"""
    live = request.app[SERVICE].current_pops(who.extension) if who.extension else []
    if any(p.call.linkedid == linkedid for p in live):
        return True
    try:
        call = await get_call(session, linkedid)
    except NotFound:
        return False
    return call.operator_id == who.id or (bool(who.extension) and call.extension == who.extension)


async def put_disposition(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    linkedid = _linkedid(request)
    req = read_as(protocol.DispositionRequest, await json_body(request))
    disposition = await _codes(request, req)
    async with request.app[SESSIONS]() as session:
        await set_disposition(
            session, linkedid, disposition=disposition, notes=req.notes, operator_id=who.id
        )
        codes = tuple(split_codes(disposition))
        if CALLBACK_CODE in codes:  # 折り返し: the caller goes on the callback worklist
            await from_call(session, linkedid, "callback_requested", operator_id=who.id,
                            note=req.notes)  # fmt: skip
        await session.commit()
    if CALLBACK_CODE in codes:
        request.app[BOARD].bookings_changed()  # the board's worklist size and age
    return answer(protocol.Disposition(linkedid, disposition, req.notes, codes))


async def link_call_resident(request: web.Request) -> web.Response:
    """POST /api/calls/{linkedid}/resident: the operator of the call confirmed who called."""
    who = principal(request, *STAFF)
    linkedid = _linkedid(request)
    req = read_as(protocol.CallResidentRequest, await json_body(request))
    async with request.app[SESSIONS]() as session:
        if not await owns_call(request, session, who, linkedid):
            raise Forbidden("only the operator of the call can link it to a resident")
        await link_resident(session, linkedid, req.resident_id, operator_id=who.id)
        await session.commit()
    return answer(protocol.CallResident(linkedid, req.resident_id))


async def list_dispositions(request: web.Request) -> web.Response:
    """GET /api/dispositions: the wrap-up codes with their Japanese and English labels."""
    principal(request, *STAFF)
    items = await request.app[CAMPAIGN].dispositions()
    codes = tuple(protocol.WrapUpCode(d.code, d.label_ja, d.label_en) for d in items)
    return answer(protocol.WrapUpCodes(codes))


async def current_call(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    pops = request.app[SERVICE].current_pops(who.extension) if who.extension else []
    return answer(protocol.CurrentCalls(calls=tuple(pops)))
