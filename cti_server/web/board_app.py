"""The web glue of the supervisor board (``cti_server.board.BoardService``): its cleanup context,
the board messages of a socket, the wallboard page and files, and the hook that refreshes the
bookings fill after a booking-related write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.board import BoardService

STATIC = Path(__file__).resolve().parent / "static"
BOOKING_PATHS = ("/api/bookings", "/api/mobility", "/api/slots", "/api/venues")

BOARD = web.AppKey("board", BoardService)


async def board_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: after the call service (its tracker), before the bridge."""
    from cti_server.web.keys import BRIDGE, HUB, METRICS, SERVICE, SESSIONS, SETTINGS

    service, hub = app[SERVICE], app[HUB]
    board = BoardService(
        app[SETTINGS], app[SESSIONS], service.tracker, bridge=lambda: app.get(BRIDGE),
        operator_name=hub.operator_name, metrics=app[METRICS],
    )  # fmt: skip
    app[BOARD] = board
    service.board_service = board  # the service hands it every change of the tracker
    hub.on_presence = board.presence_changed
    await board.start()
    yield
    hub.on_presence = None
    service.board_service = None
    await board.close()


def add_board_routes(app: web.Application) -> None:
    """The wallboard page and its files, and the booking-change hook (at app creation)."""
    app.router.add_get("/wallboard", wallboard_page)
    app.router.add_static("/wallboard-files/", STATIC, append_version=True)
    app.on_response_prepare.append(_on_prepare)


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """A successful write to a booking-related route refreshes the board's bookings fill."""
    board = request.app.get(BOARD)
    write = request.method in ("POST", "PATCH", "PUT", "DELETE") and response.status < 400
    if board is not None and write and request.path.startswith(BOOKING_PATHS):
        board.bookings_changed()


async def wallboard_page(request: web.Request) -> web.FileResponse:
    """The read-only TV wallboard; it connects to /ws with the ``?token=`` of its URL."""
    return web.FileResponse(STATIC / "wallboard.html", headers={"Cache-Control": "no-cache"})


async def on_board_message(request: web.Request, client: Any, who: Any, msg: Any) -> None:
    """``SubscribeBoard`` / ``UnsubscribeBoard`` / ``PauseAgent`` from a socket (ws.py routes)."""
    board = request.app[BOARD]
    error = None
    if isinstance(msg, protocol.SubscribeBoard):
        error = board.subscribe(client, who.role)
    elif isinstance(msg, protocol.UnsubscribeBoard):
        board.unsubscribe(client)
    elif isinstance(msg, protocol.PauseAgent):
        error = await board.pause(who, msg)
    if error is not None:
        client.offer(protocol.encode(error))
