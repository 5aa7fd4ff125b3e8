"""The aiohttp application factory: routes, and every resource opened and closed in cleanup_ctx.

``create_app(settings, engine=None, bridge=None)`` takes what ``cti_server.bootstrap`` built
(``engine``: an existing engine, else one from ``settings.database_url``, migrated at start;
``bridge``: a PBX link object such as a test fake, else an ``AmiBridge`` when
``settings.ami_enabled``). The cleanup contexts only open and close: the database (migrate,
dispose), the revocation sweep and the login limiter, the hub's sockets, the call service, the
board, the bus, the name index and the bridge, in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_server import protocol
from cti_server.bootstrap import Server, bootstrap
from cti_server.callbacks import Callbacks
from cti_server.campaign import CampaignSettings
from cti_server.config import Settings
from cti_server.service import Bridge
from cti_server.web import auth, rest_bookings, rest_calls, rest_residents, rest_venues
from cti_server.web.agent_app import AGENT_STATES, agent_state_context
from cti_server.web.board_app import BOARD, add_board_routes, board_context
from cti_server.web.errors import error_middleware
from cti_server.web.keys import (
    ACCOUNTS,
    BRIDGE,
    BUS,
    ENGINE,
    HUB,
    LIMITER,
    LOOKUP,
    METRICS,
    NAME_INDEX,
    SERVICE,
    SESSIONS,
    SETTINGS,
    SIGNER,
    TRUSTED,
)
from cti_server.web.ledger import add_ledger_watch
from cti_server.web.openapi import document as openapi_document
from cti_server.web.resident_app import add_resident_routes
from cti_server.web.rest_assign import add_assignment_routes
from cti_server.web.rest_config import add_config_routes
from cti_server.web.rest_postcards import add_postcard_routes
from cti_server.web.rest_reception import add_reception_routes
from cti_server.web.rest_reconfigure import add_reconfigure_routes
from cti_server.web.rest_worklist import add_worklist_routes
from cti_server.web.ws import ws_handler

if TYPE_CHECKING:
    from registry.find.phone_index import PhoneIndex
    from registry.find.search import NameIndex

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    bridge: Bridge | None = None,
    load_name_index: bool = True,
) -> web.Application:
    return app_of(bootstrap(settings, engine=engine, bridge=bridge), load_name_index)


def app_of(server: Server, load_name_index: bool = True) -> web.Application:
    """The aiohttp application around what ``bootstrap`` built."""
    app = web.Application(
        middlewares=[error_middleware, auth.auth_middleware], client_max_size=256 * 1024
    )
    app[SETTINGS] = server.settings
    app[SIGNER] = server.signer
    app[ACCOUNTS] = server.accounts
    app[TRUSTED] = server.trusted
    app[LIMITER] = server.limiter
    app[METRICS] = server.metrics
    app[HUB] = server.hub
    app[ENGINE] = server.engine
    app[SESSIONS] = server.sessions
    app[SERVICE] = server.service
    app[LOOKUP] = server.lookup
    app[BOARD] = server.board
    app[AGENT_STATES] = server.agent_states
    app[BUS] = server.bus
    app[BRIDGE] = server.bridge
    app.on_shutdown.append(_going_away)
    app.cleanup_ctx.append(_database(server.own_engine))
    app.cleanup_ctx.append(auth.auth_ctx)  # the revocation sweep; closes the login limiter
    app.cleanup_ctx.append(_hub)
    add_ledger_watch(app)  # the database reachable or not, told to every client
    app.cleanup_ctx.append(_service)
    app.cleanup_ctx.append(board_context)
    app.cleanup_ctx.append(agent_state_context)  # operators' own states and after-call work
    app.cleanup_ctx.append(_bus)
    if load_name_index:
        app.cleanup_ctx.append(_name_index)
    app.cleanup_ctx.append(_bridge)
    add_routes(app)
    add_board_routes(app)  # the /wallboard page and its files
    add_postcard_routes(app)  # printing, scan upload and the review queue of postcards
    add_resident_routes(app)  # the residents' page /r/ (HTML, no token of ours)
    add_reception_routes(app)  # the venue reception page, check-ins, its tally and list
    add_assignment_routes(
        app
    )  # designated appointments: dry run, commit, the call center's changes
    if server.callbacks is not None:
        add_worklist_routes(app, server.callbacks)  # the callback worklist, click-to-dial
        app.cleanup_ctx.append(_worklist_sweeps(server.callbacks))
    add_reconfigure_routes(app)  # slot and venue changes: a dry run, then moves or callbacks
    # campaign settings an admin edits: wrap-up codes, the worklist's retry policy...
    add_config_routes(app, server.campaign or CampaignSettings(server.settings, server.sessions))
    return app


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/login", auth.login)
    r.add_post("/api/logout", auth.logout)
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
    r.add_post("/api/calls/{linkedid}/resident", rest_calls.link_call_resident)
    r.add_get("/api/dispositions", rest_calls.list_dispositions)
    r.add_get("/api/openapi.json", openapi)
    r.add_get("/ws", ws_handler)
    r.add_get("/healthz", healthz)
    r.add_get("/metrics", metrics_handler)


# --------------------------------------------------------------------------- contexts


def _database(own: bool) -> Any:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        from registry.db import migrate

        if own:
            await migrate(app[ENGINE])
        yield
        await app[LOOKUP].close()  # its held connection, once nothing looks up any more
        if own:
            await app[ENGINE].dispose()

    return ctx


async def _going_away(app: web.Application) -> None:
    """Shutdown, before the open requests are waited for: no more PBX events (so no more pops),
    and every socket closed with 1001 and a reason, so that clients reconnect to another
    instance at once instead of holding the shutdown until they time out."""
    hub = app[HUB]
    log.info("shutting down: closing the PBX link and %d client sockets", len(hub.clients))
    bridge = app[BRIDGE]
    if bridge is not None:
        await bridge.close()
    await hub.close_all()


def _worklist_sweeps(
    callbacks: Callbacks,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def sweeps(app: web.Application) -> AsyncIterator[None]:
        callbacks.start()  # today's no-shows and residents' web requests onto the worklist
        yield
        await callbacks.close()

    return sweeps


async def _hub(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[HUB].close_all()


async def _service(app: web.Application) -> AsyncIterator[None]:
    await app[SERVICE].start()
    yield
    await app[SERVICE].close()


async def _bus(app: web.Application) -> AsyncIterator[None]:
    bus = app[BUS]
    if bus is not None:
        await bus.start()
    yield
    if bus is not None:
        await bus.close()


async def _name_index(app: web.Application) -> AsyncIterator[None]:
    """Load the name index, then the phone index (the pops' lookup by number), in the
    background, then keep both fresh: a ledger import made with ``cti-registry`` while the
    server runs is seen within ``index_refresh_seconds``, at once when another instance says it
    saw it (the bus: ``ledger``); an instance that sees changes says so on the bus.

    Each index is saved as a snapshot in ``data_dir`` with the ledger stamp it was built at
    (``registry.find.snapshot``): a restart loads it in seconds when the ledger has not changed
    since, else builds from the database (searches answer 503 meanwhile) and saves a new one."""
    from registry.find.phone_index import PhoneIndex
    from registry.find.search import NameIndex

    lookup = app[LOOKUP]
    settings = app[SETTINGS]
    where = make_url(settings.database_url).render_as_string(hide_password=True)

    async def load() -> NameIndex:
        index = await _indexed(app, NameIndex, "name_index", where)
        # The index is millions of long-lived objects: keep the cyclic collector from scanning
        # them on every full collection (100+ ms pauses on the pop path, measured).
        gc.freeze()
        log.info("name index loaded")
        return index

    async def load_phones() -> None:
        """After the name index (searches answer 503 until it is there; pops meanwhile ask
        the database)."""
        with contextlib.suppress(Exception):
            await task
        try:
            lookup.index = await _indexed(app, PhoneIndex, "phone_index", where)
            gc.freeze()
        except Exception:
            log.exception("phone index not built; the next refresh will try again")

    async def refreshed(index: NameIndex) -> int:
        async with app[SESSIONS]() as session:
            changed = await index.refresh(session)
        phones = lookup.index
        if phones is None:
            lookup.index = await _indexed(app, PhoneIndex, "phone_index", where)
            return changed
        async with app[SESSIONS]() as session:
            return changed + await phones.refresh(session)

    async def refresh(task: asyncio.Task[NameIndex]) -> None:
        from registry.find import snapshot

        index = await task
        await phones_task
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lookup.changed.wait(), settings.index_refresh_seconds)
            told = lookup.changed.is_set()
            lookup.changed.clear()
            try:
                if not await refreshed(index):
                    continue
                lookup.forget()
                bus = app[BUS]
                if bus is not None and not told:
                    bus.publish("ledger", {})
                if settings.index_snapshots:  # the stamp, then a refresh past it: never stale
                    async with app[SESSIONS]() as session:
                        stamp = await snapshot.ledger_stamp(session)
                    await refreshed(index)
                    await _save(settings, "name_index", where, stamp, index)
                    if lookup.index is not None:
                        await _save(settings, "phone_index", where, stamp, lookup.index)
            except Exception:
                log.exception("index refresh failed; the next one will try again")

    task = asyncio.create_task(load(), name="name-index")
    app[NAME_INDEX] = task
    phones_task = asyncio.create_task(load_phones(), name="phone-index")
    keeper = asyncio.create_task(refresh(task), name="name-index-refresh")
    yield
    for t in (keeper, phones_task, task):
        t.cancel()
        with contextlib.suppress(BaseException):
            await t


_Index = TypeVar("_Index", "NameIndex", "PhoneIndex")


async def _indexed(app: web.Application, cls: type[_Index], kind: str, where: str) -> _Index:
    """``cls`` from its snapshot when that is current, else built from the database (and a
    snapshot saved, in a thread; the stamp is read before the build, so a change made during
    it makes the snapshot stale, never wrong)."""
    from registry.find import snapshot

    settings = app[SETTINGS]
    path = Path(settings.data_dir) / f"{kind}.snapshot"
    tag = f"{kind} {where}"
    t0 = time.perf_counter()
    async with app[SESSIONS]() as session:
        stamp = await snapshot.ledger_stamp(session)
    if settings.index_snapshots:
        index = await asyncio.to_thread(snapshot.load, path, tag, stamp, cls)
        if index is not None:
            log.info("%s loaded from its snapshot in %.1f s", kind, time.perf_counter() - t0)
            return index
    async with app[SESSIONS]() as session:
        # small batches: the loop serves pops between them while a large ledger loads
        index = await cls.load(session, batch=500)
    log.info("%s built from the database in %.1f s", kind, time.perf_counter() - t0)
    if settings.index_snapshots:
        await _save(settings, kind, where, stamp, index)
    return index


async def _save(settings: Settings, kind: str, where: str, stamp: str, index: Any) -> None:
    """Save the snapshot of an index (in a thread), saying so when it cannot be written."""
    from registry.find import snapshot

    path = Path(settings.data_dir) / f"{kind}.snapshot"
    try:
        await asyncio.to_thread(snapshot.save, path, f"{kind} {where}", stamp, index)
    except OSError as err:
        log.warning("could not save the %s snapshot in %s: %r", kind, path, err)


async def _bridge(app: web.Application) -> AsyncIterator[None]:
    bridge = app[BRIDGE]
    if bridge is not None:
        await bridge.start()
    yield
    if bridge is not None:
        await bridge.close()


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
        ami = protocol.AmiHealth(status="disabled", connected=False)
        ami_ok = True
    else:
        connected = bool(getattr(bridge, "connected", False))
        ami_ok = connected and bool(getattr(bridge, "synced", True))
        state = getattr(bridge, "health", getattr(bridge, "state", None))
        ami = protocol.AmiHealth(
            status=str(state or ("connected" if connected else "disconnected")),
            connected=connected,
            error=str(getattr(bridge, "last_error", "") or ""),
        )
    ok = db_ok and ami_ok
    status = 200 if ok else 503
    if not auth.authenticated(request):  # a stranger learns the status, nothing else
        return web.json_response({"status": "ok" if ok else "degraded"}, status=status)
    body = protocol.to_dict(
        protocol.Health(
            status="ok" if ok else "degraded",
            server_id=app[SETTINGS].server_id,
            ami=ami,
            database=protocol.DatabaseHealth(ok=db_ok, error=db_error),
            ws_clients=len(app[HUB].clients),
            indexes=_index_health(app),
        )
    )
    return web.json_response(body, status=status)


def _index_health(app: web.Application) -> protocol.IndexHealth:
    task = app.get(NAME_INDEX)
    if task is None:
        return protocol.IndexHealth(name="off", phone="off")
    if not task.done():
        name = "loading"
    else:
        name = "failed" if task.cancelled() or task.exception() is not None else "ready"
    lookup = app.get(LOOKUP)
    phone = "ready" if lookup is not None and lookup.index is not None else "loading"
    return protocol.IndexHealth(name=name, phone=phone)


async def metrics_handler(request: web.Request) -> web.Response:
    """Prometheus text exposition of this app's registry (``cti_server.metrics``)."""
    return web.Response(
        body=request.app[METRICS].render(),
        headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "X-Content-Type-Options": "nosniff"},
    )


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
