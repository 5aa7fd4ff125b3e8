"""Call disposition and notes, the resident the operator confirmed, the wrap-up codes, and the
operator's live call (for a client that reconnects)."""

from __future__ import annotations

from aiohttp import web

from cti_server import protocol
from cti_server.dispositions import parse_dispositions, split_codes
from cti_server.web.auth import STAFF, principal
from cti_server.web.errors import BadRequest, Forbidden
from cti_server.web.keys import SERVICE, SESSIONS, SETTINGS
from cti_server.web.validate import json_body, opt_str, req_int, req_str
from registry.calls import get_call, link_resident, set_disposition
from registry.errors import NotFound


def _linkedid(request: web.Request) -> str:
    linkedid = request.match_info["linkedid"]
    if not 0 < len(linkedid) <= 64:
        raise BadRequest("linkedid", "1 to 64 characters")
    return linkedid


def _codes(request: web.Request, body: dict[str, object]) -> str:
    """The wrap-up codes of a body (``codes`` list, or ``disposition`` text), checked against
    the configured list and stored joined by commas."""
    raw = body.get("codes")
    if raw is None:
        codes = split_codes(req_str(body, "disposition", max_len=64))
    elif isinstance(raw, list) and all(isinstance(c, str) for c in raw):
        codes = [str(c).strip() for c in raw if str(c).strip()]
    else:
        raise BadRequest("codes", "expected a list of codes")
    known = {d.code for d in parse_dispositions(request.app[SETTINGS].dispositions)}
    if not codes:
        raise BadRequest("codes" if raw is not None else "disposition", "choose at least one")
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise BadRequest("codes", f"unknown code {unknown[0]!r}")
    return ",".join(dict.fromkeys(codes))


async def put_disposition(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    linkedid = _linkedid(request)
    body = await json_body(request)
    disposition = _codes(request, body)
    notes = opt_str(body, "notes", max_len=4000)
    async with request.app[SESSIONS]() as session:
        await set_disposition(
            session, linkedid, disposition=disposition, notes=notes, operator_id=who.id
        )
        await session.commit()
    return web.json_response(
        {
            "linkedid": linkedid,
            "disposition": disposition,
            "codes": split_codes(disposition),
            "notes": notes,
        }
    )


async def link_call_resident(request: web.Request) -> web.Response:
    """POST /api/calls/{linkedid}/resident: the operator of the call confirmed who called."""
    who = principal(request, *STAFF)
    linkedid = _linkedid(request)
    resident_id = req_int(await json_body(request), "resident_id")
    live = request.app[SERVICE].current_pops(who.extension) if who.extension else []
    mine = any(p.call.linkedid == linkedid for p in live)
    async with request.app[SESSIONS]() as session:
        if not mine:
            try:
                call = await get_call(session, linkedid)
            except NotFound:
                call = None
            mine = call is not None and (
                call.operator_id == who.id
                or (bool(who.extension) and call.extension == who.extension)
            )
        if not mine:
            raise Forbidden("only the operator of the call can link it to a resident")
        await link_resident(session, linkedid, resident_id, operator_id=who.id)
        await session.commit()
    return web.json_response({"linkedid": linkedid, "matched_resident_id": resident_id})


async def list_dispositions(request: web.Request) -> web.Response:
    """GET /api/dispositions: the wrap-up codes with their Japanese and English labels."""
    principal(request, *STAFF)
    items = parse_dispositions(request.app[SETTINGS].dispositions)
    return web.json_response(
        {"dispositions": [{"code": d.code, "ja": d.label_ja, "en": d.label_en} for d in items]}
    )


async def current_call(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    pops = request.app[SERVICE].current_pops(who.extension) if who.extension else []
    return web.json_response({"calls": [protocol.to_dict(p) for p in pops]})
