"""Resident search and detail. Every view is written to the audit log (operator and call)."""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo

from aiohttp import web

from cti_server import protocol
from cti_server.popper import candidate_of
from cti_server.web.auth import STAFF, principal
from cti_server.web.errors import ApiError, BadRequest
from cti_server.web.keys import NAME_INDEX, SESSIONS, SETTINGS
from cti_server.web.validate import path_int
from registry.audit import audit
from registry.search import SearchQuery, search_residents

MAX_LIMIT = 50


class IndexNotReady(ApiError):
    status = 503
    error_id = "index_loading"


def _call_of(request: web.Request) -> str | None:
    call = request.query.get("call", "").strip()
    if len(call) > 64:
        raise BadRequest("call", "longer than 64 characters")
    return call or None


async def search(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    q = request.query
    fields = {k: q.get(k, "").strip() for k in ("name", "birth", "address", "phone")}
    for key, value in fields.items():
        if len(value) > 200:
            raise BadRequest(key, "longer than 200 characters")
    if not any(fields.values()):
        raise BadRequest("name", "give at least one of name, birth, address, phone")
    try:
        limit = int(q.get("limit", "10"))
    except ValueError as err:
        raise BadRequest("limit", "expected an integer") from err
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("limit", f"must be from 1 to {MAX_LIMIT}")
    loading: asyncio.Task[object] = request.app[NAME_INDEX]
    if not loading.done():
        raise IndexNotReady("the name index is still loading; retry in a few seconds")
    matches = await search_residents(loading.result(), SearchQuery(**fields), limit)
    today = dt.datetime.now(zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)).date()
    async with request.app[SESSIONS]() as session:
        await audit(
            session,
            "resident_search",
            operator_id=who.id,
            call_linkedid=_call_of(request),
            details={
                "fields": sorted(k for k, v in fields.items() if v),
                "results": [m.resident_id for m in matches],
            },
        )
        await session.commit()
    return web.json_response(
        {"results": [protocol.to_dict(candidate_of(m, today)) for m in matches]}
    )


async def detail(request: web.Request) -> web.Response:
    from registry.residents import resident_detail

    from registry.audit import audit

    who = principal(request, *STAFF)
    resident_id = path_int(request, "resident_id")
    call = _call_of(request)
    async with request.app[SESSIONS]() as session:
        view = await resident_detail(session, resident_id)
        await audit(
            session,
            "resident_view",
            operator_id=who.id,
            resident_id=resident_id,
            call_linkedid=call,
        )
        await session.commit()
    return web.json_response(view.to_dict())
