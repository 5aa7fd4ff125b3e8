"""Campaign settings an admin edits from the client: read them (staff), their history, save a new
version (admins; 409 when the version loaded is no longer the current one). A save drops this
instance's cached copy, tells every connected client (``ConfigChanged``: they read that key again)
and tells the other instances over the bus, which do the same for theirs."""

from __future__ import annotations

from aiohttp import web

from cti_server import protocol
from cti_server.campaign import CampaignSettings
from cti_server.web.auth import STAFF, principal
from cti_server.web.errors import BadRequest
from cti_server.web.keys import BUS, HUB, SESSIONS
from cti_server.web.payloads import answer, wire_time
from cti_server.web.validate import json_body, read_as
from registry import campaign_config as cc

CAMPAIGN: web.AppKey[CampaignSettings] = web.AppKey("campaign")


def _entry(v: cc.ConfigVersion) -> protocol.ConfigEntry:
    at = None if v.created_at is None else wire_time(v.created_at)
    return protocol.ConfigEntry(v.key, v.version, v.value, v.created_by, at, v.created_by_name)


def _key(request: web.Request) -> str:
    key = request.match_info["key"]
    if key not in cc.KEYS:
        raise BadRequest("key", f"one of {', '.join(cc.KEYS)}")
    return key


async def list_config(request: web.Request) -> web.Response:
    """GET /api/config: every key's current version and value."""
    principal(request, *STAFF)
    entries = await request.app[CAMPAIGN].all()
    return answer(protocol.ConfigList(tuple(_entry(v) for v in entries)))


async def config_history(request: web.Request) -> web.Response:
    """GET /api/config/{key}/history: the saved versions, newest first."""
    principal(request, *STAFF)
    key = _key(request)
    async with request.app[SESSIONS]() as session:
        versions = await cc.history(session, key)
    return answer(protocol.ConfigHistory(key, tuple(_entry(v) for v in versions)))


async def put_config(request: web.Request) -> web.Response:
    """PUT /api/config/{key} {version, value}: save a new version (admins)."""
    who = principal(request, "admin")
    key = _key(request)
    req = read_as(protocol.ConfigPutRequest, await json_body(request))
    async with request.app[SESSIONS]() as session:
        saved = await cc.put(session, key, req.value, version=req.version, operator_id=who.id)
        await session.commit()
    request.app[CAMPAIGN].invalidate(key)
    request.app[HUB].send_to_all(protocol.ConfigChanged(key, saved.version))
    bus = request.app[BUS]
    if bus is not None:
        bus.publish("config", {"key": key, "version": saved.version})
    return answer(_entry(saved))


def add_config_routes(app: web.Application, campaign: CampaignSettings) -> None:
    app[CAMPAIGN] = campaign
    r = app.router
    r.add_get("/api/config", list_config)
    r.add_get("/api/config/{key}/history", config_history)
    r.add_put("/api/config/{key}", put_config)
