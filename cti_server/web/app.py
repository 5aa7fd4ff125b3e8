"""The aiohttp application factory: routes, and every resource opened and closed in cleanup_ctx.

``create_app(settings, engine=None, bridge=None)``: with no engine one is created from
``settings.database_url`` (and migrated); ``bridge`` is an object with ``connected``, ``start``,
``close`` and ``queue_pause`` (an ``AmiBridge`` or a fake), or a factory
``bridge(settings, on_event, on_state)``; ``None`` builds an ``AmiBridge`` when
``settings.ami_enabled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_server.config import Settings
from cti_server.service import CallService
from cti_server.web import auth, rest_bookings, rest_calls, rest_residents, rest_venues
from cti_server.web.agent_app import agent_state_context
from cti_server.web.board_app import add_board_routes, board_context
from cti_server.web.errors import error_middleware
from cti_server.web.hub import Hub
from cti_server.web.keys import (
    BRIDGE,
    ENGINE,
    HUB,
    LIMITER,
    METRICS,
    NAME_INDEX,
    SERVICE,
    SESSIONS,
    SETTINGS,
    SIGNER,
)
from cti_server.web.metrics import Metrics, metrics_handler
from cti_server.web.slots import deliver_slots
from cti_server.web.ws import ws_handler

log = logging.getLogger(__name__)

_NO_BRIDGE = object()


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    bridge: Any = None,
    load_name_index: bool = True,
) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[SIGNER] = auth.TokenSigner(settings.secret_key, settings.token_ttl_seconds)
    app[LIMITER] = auth.LoginLimiter(settings.login_delay_seconds, settings.login_delay_max_seconds)
    app[METRICS] = Metrics()
    app[HUB] = Hub(settings.ws_queue_size)
    app.cleanup_ctx.append(_database(engine))
    app.cleanup_ctx.append(_hub)
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(board_context)  # supervisor board (Board, issue #5): after the service
    app.cleanup_ctx.append(agent_state_context)  # operators' own states and after-call work
    app.cleanup_ctx.append(_bus)
    if load_name_index:
        app.cleanup_ctx.append(_name_index)
    app.cleanup_ctx.append(_bridge(bridge))
    add_routes(app)
    add_board_routes(app)  # /wallboard page + booking-change hook (Board, issue #5)
    return app


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/login", auth.login)
    r.add_get("/api/residents/search", rest_residents.search)
    r.add_get("/api/residents/{resident_id}", rest_residents.detail)
    r.add_post("/api/residents/{resident_id}/intents", rest_residents.record_intent)
    r.add_get("/api/venues", rest_venues.list_venues)
    r.add_post("/api/venues", rest_venues.create_venue)
    r.add_patch("/api/venues/{venue_id}", rest_venues.update_venue)
    r.add_get("/api/venues/{venue_id}/slots", rest_venues.list_slots)
    r.add_post("/api/venues/{venue_id}/slots", rest_venues.create_slot)
    r.add_post("/api/venues/{venue_id}/slots/bulk", rest_venues.create_slots_bulk)
    r.add_patch("/api/slots/{slot_id}", rest_venues.update_slot)
    r.add_delete("/api/slots/{slot_id}", rest_venues.delete_slot)
    r.add_post("/api/bookings", rest_bookings.create_booking)
    r.add_patch("/api/bookings/{booking_id}", rest_bookings.change_booking)
    r.add_delete("/api/bookings/{booking_id}", rest_bookings.cancel_booking)
    r.add_post("/api/mobility", rest_bookings.create_mobility)
    r.add_patch("/api/mobility/{request_id}", rest_bookings.update_mobility)
    r.add_put("/api/calls/{linkedid}/disposition", rest_calls.put_disposition)
    r.add_get("/api/calls/current", rest_calls.current_call)
    r.add_get("/api/openapi.json", openapi)
    r.add_get("/ws", ws_handler)
    r.add_get("/healthz", healthz)
    r.add_get("/metrics", metrics_handler)


# --------------------------------------------------------------------------- contexts


def _database(engine: AsyncEngine | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        from registry.db import create_engine, migrate, session_factory

        own = engine is None
        eng = create_engine(app[SETTINGS].database_url) if own else engine
        assert eng is not None
        if own:
            await migrate(eng)
        app[ENGINE] = eng
        app[SESSIONS] = session_factory(eng)
        yield
        if own:
            await eng.dispose()

    return ctx


async def _hub(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    m = app[METRICS]
    m.gauge("cti_ws_clients", lambda: len(hub.clients), "Connected WebSocket clients")
    m.gauge("cti_ws_dropped", lambda: hub.drops, "WebSocket clients dropped as too slow")
    yield
    await hub.close_all()


async def _service(app: web.Application) -> AsyncIterator[None]:
    service = CallService(app[SETTINGS], app[SESSIONS], app[HUB], app[METRICS])
    app[SERVICE] = service
    m = app[METRICS]
    m.gauge("cti_calls_live", lambda: len(service.popper.calls), "Calls in progress")
    m.gauge("cti_calls_seen", lambda: service.popper.new_calls, "Calls seen since start")
    await service.start()
    yield
    await service.close()


async def _bus(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.redis_url:
        yield
        return
    from cti_server.bus import Bus

    service = app[SERVICE]

    def on_message(kind: str, data: dict[str, Any]) -> None:
        if kind == "pop":
            service.on_bus_pop(str(data["ext"]), data["pop"])
        elif kind == "slots":
            deliver_slots(app, int(data["venue_id"]), str(data["day"]), data["slots"])

    bus = Bus(settings.redis_url, settings.server_id, on_message)
    await bus.start()
    service.bus = bus
    yield
    service.bus = None
    await bus.close()


async def _name_index(app: web.Application) -> AsyncIterator[None]:
    """Load the name index in the background, then keep it fresh (a ledger import made with
    ``cti-registry`` while the server runs is searchable within ``index_refresh_seconds``)."""
    from registry.find.search import NameIndex

    async def load() -> NameIndex:
        async with app[SESSIONS]() as session:
            # small batches: the loop serves pops between them while a large ledger loads
            index = await NameIndex.load(session, batch=500)
        # The index is millions of long-lived objects: keep the cyclic collector from scanning
        # them on every full collection (100+ ms pauses on the pop path, measured).
        gc.freeze()
        log.info("name index loaded")
        return index

    async def refresh(task: asyncio.Task[NameIndex]) -> None:
        index = await task
        while True:
            await asyncio.sleep(app[SETTINGS].index_refresh_seconds)
            try:
                async with app[SESSIONS]() as session:
                    await index.refresh(session)
            except Exception:
                log.exception("name index refresh failed; the next one will try again")

    task = asyncio.create_task(load(), name="name-index")
    app[NAME_INDEX] = task
    keeper = asyncio.create_task(refresh(task), name="name-index-refresh")
    yield
    for t in (keeper, task):
        t.cancel()
        with contextlib.suppress(BaseException):
            await t


def _bridge(bridge: Any) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, service = app[SETTINGS], app[SERVICE]
        obj = bridge
        if obj is None and settings.ami_enabled:
            obj = _ami_bridge(settings, service)
        elif callable(obj) and not hasattr(obj, "start"):
            obj = obj(settings, service.on_event, service.on_state)
        app[BRIDGE] = obj
        m = app[METRICS]
        m.gauge(
            "cti_ami_connected",
            lambda: float(bool(getattr(obj, "connected", False))),
            "1 when logged in to Asterisk AMI",
        )
        if obj is not None and hasattr(obj, "start"):
            await obj.start()
        yield
        if obj is not None and hasattr(obj, "close"):
            await obj.close()

    return ctx


def _ami_bridge(settings: Settings, service: CallService) -> Any:
    from cti_server.ami.bridge import AmiBridge
    from cti_server.ami.settings import AmiSettings

    ami = AmiSettings(
        host=settings.ami_host,
        port=settings.ami_port,
        username=settings.ami_user,
        secret=settings.ami_secret,
    )
    return AmiBridge(ami, service.on_event, on_state=service.on_state)


# --------------------------------------------------------------------------- plain routes


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    bridge = app.get(BRIDGE)
    db_ok, db_error = True, ""
    try:
        async with app[ENGINE].connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 3.0)
    except Exception as err:
        db_ok, db_error = False, type(err).__name__
    if bridge is None:
        ami = {"status": "disabled", "connected": False}
        ami_ok = True
    else:
        ami_ok = bool(getattr(bridge, "connected", False))
        ami = {
            "status": getattr(bridge, "state", "connected" if ami_ok else "disconnected"),
            "connected": ami_ok,
            "error": str(getattr(bridge, "last_error", "") or ""),
        }
    ok = db_ok and ami_ok
    body = {
        "status": "ok" if ok else "degraded",
        "server_id": app[SETTINGS].server_id,
        "ami": ami,
        "database": {"ok": db_ok, "error": db_error},
        "ws_clients": len(app[HUB].clients),
    }
    return web.json_response(body, status=200 if ok else 503)


_OPENAPI: dict[str, Any] | None = None


def openapi_document() -> dict[str, Any]:
    global _OPENAPI
    if _OPENAPI is None:
        text_ = resources.files("cti_server.web").joinpath("openapi.json").read_text("utf-8")
        _OPENAPI = json.loads(text_)
    return _OPENAPI


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
