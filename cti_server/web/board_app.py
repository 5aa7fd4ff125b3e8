"""The web glue of the supervisor board (``cti_server.board.BoardService``, built by
``cti_server.bootstrap``): its cleanup context (start, close), the board messages of a socket,
and the wallboard page and files. The bookings fill follows registry writes through
``cti_server.web.slots.publish_changes``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.board import BoardService

STATIC = Path(__file__).resolve().parent / "static"

BOARD = web.AppKey("board", BoardService)


async def board_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: after the call service (its tracker), before the bridge."""
    board = app[BOARD]
    await board.start()
    yield
    await board.close()


def add_board_routes(app: web.Application) -> None:
    """The wallboard page and its files (at app creation)."""
    app.router.add_get("/wallboard", wallboard_page)
    app.router.add_static("/wallboard-files/", STATIC, append_version=True)


async def wallboard_page(request: web.Request) -> web.FileResponse:
    """The read-only TV wallboard; it connects to /ws with the ``?token=`` of its URL."""
    headers = {
        "Cache-Control": "no-cache",
        "Referrer-Policy": "no-referrer",
    }  # the token in its URL
    return web.FileResponse(STATIC / "wallboard.html", headers=headers)


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
