"""Resident search and detail, the postcard number (はがき番号) and intents taken by phone.

Every view is written to the audit log (operator and call): a search as ``resident.search``
(the resident too when a postcard number names exactly one), a card as ``resident.view``; a
recorded intent is audited by the registry (``intent.record``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from cti_server import protocol
from cti_server.pop_view import candidate_of
from cti_server.web.auth import STAFF, principal
from cti_server.web.board_app import BOARD
from cti_server.web.errors import ApiError, BadRequest
from cti_server.web.keys import NAME_INDEX, SESSIONS, SETTINGS
from cti_server.web.once import account_key, made_once
from cti_server.web.payloads import answer, of_view
from cti_server.web.rest_calls import owns_call
from cti_server.web.tokens import Principal
from cti_server.web.validate import (
    int_text,
    json_body,
    path_int,
    query_str,
    read_as,
)
from registry.audit import AuditAction, audit
from registry.find.search import NameIndex, SearchQuery, search_residents, with_ledger_ids
from registry.views import IntentView

MAX_LIMIT = 50


class IndexNotReady(ApiError):
    status = 503
    error_id = "index_loading"


def _call_of(request: web.Request) -> str | None:
    return query_str(request, "call", max_len=64) or None


async def audited_call(
    request: web.Request, session: AsyncSession, who: Principal
) -> tuple[str | None, dict[str, bool]]:
    """The ``call=`` of a view, if it is a call of this operator; otherwise no call, and the
    entry says that one was claimed (the string itself is not kept: anyone can type one)."""
    call = _call_of(request)
    if call is None or await owns_call(request, session, who, call):
        return call, {}
    return None, {"claimed_call_refused": True}


async def search(request: web.Request) -> web.Response:
    who = principal(request, *STAFF)
    q = request.query
    if "barcode" in q:
        return await _by_barcode(request, who)
    fields = {k: query_str(request, k) for k in ("name", "birth", "address", "phone")}
    if not any(fields.values()):
        raise BadRequest("name", "give at least one of name, birth, address, phone")
    limit = int_text(q.get("limit", "10"), "limit", 1, MAX_LIMIT)
    loading = request.app[NAME_INDEX]
    if not loading.done():
        raise IndexNotReady("the name index is still loading; retry in a few seconds")
    index: NameIndex = loading.result()
    found = await search_residents(index, SearchQuery(**fields), limit)
    matches = found.matches
    today = dt.datetime.now(zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)).date()
    async with request.app[SESSIONS]() as session:
        matches = await with_ledger_ids(session, matches)
        call, claimed = await audited_call(request, session, who)
        await audit(
            session,
            AuditAction.RESIDENT_SEARCH,
            operator_id=who.id,
            call_linkedid=call,
            details={
                "fields": sorted(k for k, v in fields.items() if v),
                "results": [m.resident_id for m in matches],
                **claimed,
            },
        )
        await session.commit()
    return answer(
        protocol.SearchResults(
            results=tuple(candidate_of(m, today) for m in matches), tied_beyond=found.tied_beyond
        )
    )


async def detail(request: web.Request) -> web.Response:
    from registry.residents import resident_detail

    who = principal(request, *STAFF)
    resident_id = path_int(request, "resident_id")
    _call_of(request)  # a bad call= is a 400 before anything is read
    async with request.app[SESSIONS]() as session:
        view = await resident_detail(session, resident_id)
        call, claimed = await audited_call(request, session, who)
        await audit(
            session,
            AuditAction.RESIDENT_VIEW,
            operator_id=who.id,
            resident_id=resident_id,
            call_linkedid=call,
            details=claimed,
        )
        await session.commit()
    return answer(of_view(protocol.ResidentDetail, view))


async def _by_barcode(request: web.Request, who: Principal) -> web.Response:
    """GET /api/residents/search?barcode=: the one resident of a postcard number."""
    from registry.errors import NotFound
    from registry.residents import resident_by_barcode

    code = query_str(request, "barcode", max_len=40)
    _call_of(request)
    today = dt.datetime.now(zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)).date()
    async with request.app[SESSIONS]() as session:
        try:
            match = await resident_by_barcode(session, code)
        except NotFound:
            match = None
        call, claimed = await audited_call(request, session, who)
        found = [match.resident_id] if match else []
        await audit(
            session,
            AuditAction.RESIDENT_SEARCH,
            operator_id=who.id,
            resident_id=match.resident_id if match else None,
            call_linkedid=call,
            details={"fields": ["barcode"], "results": found, **claimed},
        )
        await session.commit()
    results = (candidate_of(match, today),) if match else ()
    return answer(protocol.SearchResults(results=results))


async def record_intent(request: web.Request) -> web.Response:
    """POST /api/residents/{id}/intents: an intent (意向確認) answered on the phone."""
    from registry import intents

    who = principal(request, *STAFF)
    resident_id = path_int(request, "resident_id")
    req = read_as(protocol.IntentRequest, await json_body(request))
    key = account_key(request, who)

    async def make(session: AsyncSession) -> IntentView:
        return await intents.record_intent(
            session,
            resident_id=resident_id,
            channel="phone",
            notes=req.notes,
            operator_id=who.id,
            call_linkedid=req.call or None,
            client_key=key,
            wants_vaccination=req.wants_vaccination,
            needs_mobility=req.needs_mobility,
        )

    view, _ = await made_once(request, key, make)
    request.app[BOARD].bookings_changed()  # the board's intents by channel
    return answer(of_view(protocol.Intent, view), status=201)
