"""The residents' page (``/r/``): a resident identifies with the postcard number and birth date,
answers the postcard's questions (an intent, channel ``web``), sees what was received, sees their
booking (date, time, venue) and asks for a change (a contact request for the call center). An
answer of "no" from a resident who holds a booking still to come asks the call center to cancel
it (``contact_requests.cancel_asked``): the seat is not given up without a word with them.

Server-rendered HTML (aiohttp-jinja2), Japanese by default, English with ``?lang=en``; it works
without JavaScript (one small script checks the postcard number's check digit as it is typed).
Guards (``resident_guard``): a signed session cookie, a CSRF token in every form, a per-address
limit on posts, the per-number lockout of ``registry.resident_access``, the same answer for an
unknown number and a wrong birth date, security headers on every page. Every answer is audited
with the client's address.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import zoneinfo
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from cti_server.web import resident_forms as forms
from cti_server.web.keys import SESSIONS, SETTINGS, TRUSTED
from cti_server.web.limiter import client_address
from cti_server.web.resident_guard import (
    COOKIE,
    RequestLimit,
    Session,
    SessionCodec,
    build_request_limit,
    is_https,
    secure_headers,
    set_session,
)
from cti_server.web.resident_text import lang_of, notes_text, slot_text, stamp_text, texts
from cti_server.web.rest_config import CAMPAIGN
from registry import campaign_config as cc
from registry import contact_requests, resident_access
from registry.errors import InvalidInput, NotFound
from registry.intents import record_intent
from registry.models import utcnow
from registry.venues import list_venues

HERE = Path(__file__).resolve().parent
LIMIT: web.AppKey[RequestLimit] = web.AppKey("resident_post_limit")
CODEC = web.AppKey("resident_session_codec", SessionCodec)
FILES = "resident_files"


def add_resident_routes(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.cleanup_ctx.append(_resident_context)
    r = app.router
    r.add_get("/r/", identify_page)
    r.add_post("/r/", identify)
    r.add_get("/r/me", home_page)
    r.add_get("/r/answer", answer_page)
    r.add_post("/r/answer", answer)
    r.add_post("/r/change", change)
    r.add_get("/r/done/{what}", done_page)
    r.add_post("/r/logout", logout)
    r.add_static("/r/files/", HERE / "resident_static", append_version=True, name=FILES)


async def _resident_context(app: web.Application) -> AsyncIterator[None]:
    s = app[SETTINGS]
    app[CODEC] = SessionCodec(s.secret_keys[0] if s.secret_keys else "")
    app[LIMIT] = build_request_limit(
        s.redis_url, s.resident_posts_per_ip, s.resident_window_seconds
    )
    yield
    await app[LIMIT].close()


# --------------------------------------------------------------------------- helpers


def _lang(request: web.Request) -> str:
    return lang_of(request.query.get("lang"))


def _url(path: str, lang: str) -> str:
    return f"{path}?lang=en" if lang == "en" else path


def _session(request: web.Request) -> Session | None:
    return request.app[CODEC].decode(request.cookies.get(COOKIE))


async def _ended(request: web.Request, session: Session) -> bool:
    """The resident ended this identified session (終了する) before its cookie expired."""
    if session.resident_id is None:
        return False
    async with request.app[SESSIONS]() as db:
        return await resident_access.session_ended(db, session.sid)


def _render(
    request: web.Request, name: str, ctx: Mapping[str, Any], session: Session | None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    lang = _lang(request)
    codec = request.app[CODEC]
    fresh = session is None
    session = session or codec.fresh()
    context = {
        "t": texts(lang), "lang": lang, "url": lambda p: _url(p, lang),
        "other_lang": "ja" if lang == "en" else "en", "path": request.path,
        "csrf": codec.csrf(session), "errors": {}, "values": {},
        "slot": lambda a, b: slot_text(a, b, _zone(request), lang),
        "stamp": lambda a: stamp_text(a, _zone(request), lang),
        "notes": lambda n: notes_text(n, lang),
        "static": lambda f: str(request.app.router[FILES].url_for(filename=f)), **ctx,
    }  # fmt: skip
    response = aiohttp_jinja2.render_template(name, request, context, status=status)
    if fresh:
        set_session(response, codec.encode(session), secure=_https(request))
    return _secured(response)


def _secured(response: web.StreamResponse) -> web.Response:
    secure_headers(response)
    assert isinstance(response, web.Response)
    return response


def _https(request: web.Request) -> bool:
    return is_https(request, request.app[TRUSTED])


def _redirect(request: web.Request, path: str, session: Session | None = None) -> web.Response:
    response = web.Response(status=303, headers={"Location": _url(path, _lang(request))})
    if session is not None:
        set_session(response, request.app[CODEC].encode(session), secure=_https(request))
    return _secured(response)


async def _guard(request: web.Request) -> tuple[Mapping[str, Any], Session] | web.Response:
    """The posted form and its session, or the page to answer instead (expired, too busy)."""
    form = await request.post()
    session = _session(request)
    if session is None or not request.app[CODEC].csrf_ok(session, str(form.get("csrf", ""))):
        return _render(request, "message.html", {"message": "err_expired"}, None, status=403)
    if await _ended(request, session):
        return _render(request, "message.html", {"message": "err_expired"}, None, status=403)
    address = client_address(request, request.app[TRUSTED])
    if not await request.app[LIMIT].hit(address):
        return _render(request, "message.html", {"message": "err_busy"}, session, status=429)
    return form, session


def _zone(request: web.Request) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)


# --------------------------------------------------------------------------- identify


async def identify_page(request: web.Request) -> web.Response:
    return _render(request, "identify.html", {}, _session(request))


async def identify(request: web.Request) -> web.Response:
    guarded = await _guard(request)
    if isinstance(guarded, web.Response):
        return guarded
    form, session = guarded
    values = {k: str(form.get(k, "")) for k in ("barcode", "birth")}
    today = dt.datetime.now(_zone(request)).date()
    data, errors = forms.read_identify(form, today)
    if data is None:
        return _render(request, "identify.html", {"errors": errors, "values": values}, session,
                       status=422)  # fmt: skip
    source = client_address(request, request.app[TRUSTED])
    async with request.app[SESSIONS]() as db:
        found = await resident_access.identify(db, data.barcode, data.birth, source, utcnow())
        await db.commit()
    if found.resident_id is None:
        key, status = ("err_locked", 429) if found.locked_until else ("err_not_matched", 422)
        ctx: dict[str, Any] = {"errors": {"form": key}, "values": values}
        if found.locked_until:  # say for how long
            left = (found.locked_until - utcnow()).total_seconds()
            t = dict(texts(_lang(request)))
            t[key] = t["err_locked_for"].format(minutes=max(1, math.ceil(left / 60)))
            ctx["t"] = t
        return _render(request, "identify.html", ctx, session, status=status)
    # a new session id once identified: a session id planted before cannot be reused
    return _redirect(request, "/r/me", request.app[CODEC].fresh(found.resident_id))


# --------------------------------------------------------------------------- the resident's pages


async def _resident(request: web.Request) -> tuple[Session, int] | None:
    session = _session(request)
    if session is None or session.resident_id is None or await _ended(request, session):
        return None
    return session, session.resident_id


async def home_page(request: web.Request) -> web.Response:
    who = await _resident(request)
    if who is None:
        return _redirect(request, "/r/")
    return await _home(request, who[0], who[1], {}, {}, 200)


async def _home(
    request: web.Request, session: Session, resident_id: int, errors: forms.Errors,
    values: Mapping[str, str], status: int,
) -> web.Response:  # fmt: skip
    source = client_address(request, request.app[TRUSTED])
    async with request.app[SESSIONS]() as db:
        record = await resident_access.own_record(db, resident_id, source)
        await db.commit()
    ctx = {"record": record, "errors": errors, "values": values}
    return _render(request, "home.html", ctx, session, status=status)


async def _venues(request: web.Request) -> list[tuple[int, str]]:
    async with request.app[SESSIONS]() as db:
        return [(v.venue_id, v.name) for v in await list_venues(db, active_only=True)]


async def _asks_mobility(request: web.Request) -> bool:
    """Whether the intent asks about mobility support (campaign setting ``intent_questions``)."""
    campaign = request.app.get(CAMPAIGN)
    if campaign is None:
        return True
    return bool((await campaign.get(cc.INTENT_QUESTIONS)).value.get("needs_mobility", True))


async def answer_page(request: web.Request) -> web.Response:
    who = await _resident(request)
    if who is None:
        return _redirect(request, "/r/")
    ctx = {"venues": await _venues(request), "nonce": secrets.token_urlsafe(16),
           "asks_mobility": await _asks_mobility(request)}  # fmt: skip
    return _render(request, "answer.html", ctx, who[0])


async def answer(request: web.Request) -> web.Response:
    guarded = await _guard(request)
    if isinstance(guarded, web.Response):
        return guarded
    form, session = guarded
    if session.resident_id is None:
        return _redirect(request, "/r/")
    venues = await _venues(request)
    asks = await _asks_mobility(request)
    data, errors = forms.read_answer(form, venues, asks_mobility=asks)
    nonce = str(form.get("nonce", ""))[:40] or secrets.token_urlsafe(16)
    if data is None:
        values = {k: str(form.get(k, "")) for k in
                  ("wants_vaccination", "mobility", "time_of_day", "venue", "note")}  # fmt: skip
        ctx = {"venues": venues, "nonce": nonce, "errors": errors, "values": values,
               "asks_mobility": asks}  # fmt: skip
        return _render(request, "answer.html", ctx, session, status=422)
    source = client_address(request, request.app[TRUSTED])
    async with request.app[SESSIONS]() as db:
        await record_intent(
            db, resident_id=session.resident_id, wants_vaccination=data.wants_vaccination,
            needs_mobility=data.needs_mobility, channel="web", notes=data.notes,
            client_key=f"web:{session.sid}:{nonce}"[:64], source=source,
        )  # fmt: skip
        if data.wants_vaccination is False:  # a seat held for someone who will not come
            await contact_requests.cancel_asked(db, session.resident_id, source=source)
        await db.commit()
    return _redirect(request, "/r/done/answer")


async def change(request: web.Request) -> web.Response:
    guarded = await _guard(request)
    if isinstance(guarded, web.Response):
        return guarded
    form, session = guarded
    if session.resident_id is None:
        return _redirect(request, "/r/")
    data, errors = forms.read_change(form)
    if data is None:
        values = {k: str(form.get(k, "")) for k in ("kind", "note")}
        return await _home(request, session, session.resident_id, errors, values, 422)
    source = client_address(request, request.app[TRUSTED])
    async with request.app[SESSIONS]() as db:
        try:
            await contact_requests.add(
                db, resident_id=session.resident_id, kind=data.kind, note=data.note,
                booking_id=data.booking_id, channel="web", source=source,
            )  # fmt: skip
        except (InvalidInput, NotFound):
            await db.rollback()
            return await _home(request, session, session.resident_id, {"kind": "err_kind"},
                               {}, 422)  # fmt: skip
        await db.commit()
    return _redirect(request, "/r/done/change")


async def done_page(request: web.Request) -> web.Response:
    who = await _resident(request)
    what = request.match_info["what"]
    if who is None or what not in ("answer", "change"):
        return _redirect(request, "/r/")
    source = client_address(request, request.app[TRUSTED])
    async with request.app[SESSIONS]() as db:
        record = await resident_access.own_record(db, who[1], source)
        await db.commit()
    ctx = {"record": record, "what": what}
    return _render(request, "done.html", ctx, who[0])


async def logout(request: web.Request) -> web.Response:
    guarded = await _guard(request)
    if isinstance(guarded, web.Response):
        return guarded
    _form, session = guarded
    if session.resident_id is not None:  # a copy of the cookie must not open the page again
        expires = dt.datetime.fromtimestamp(session.expires, dt.UTC)
        async with request.app[SESSIONS]() as db:
            await resident_access.end_session(db, session.sid, expires, utcnow())
            await db.commit()
    return _render(request, "message.html", {"message": "logged_out", "plain": True}, None)
