"""The WebSocket endpoint: one authenticated socket per client, messages from cti_server.protocol.

On connect: ``Hello``, then the live call(s) of the operator's extension (a reconnecting client
gets its call back) and their own ``AgentStatus``. Client messages: ``Ping``, ``WatchSlots``,
``SetAgentState`` (an operator's own state, ``agent_app.on_agent_message``), ``SubscribeBoard`` /
``UnsubscribeBoard`` (supervisor, admin, kiosk) and ``PauseAgent`` (supervisor, admin), the last
three handled by the board (``board_app.on_board_message``); a supervisor's ``PauseAgent`` is
also announced to the operators' states, so that the operator is told who paused them.

Authentication (``auth.socket_principal``): a request without a token, or with a bad Bearer
header, gets 401 before the upgrade. A bad ``?token=`` (a browser page such as the wallboard,
which cannot read an HTTP status from a failed WebSocket) is upgraded and closed at once with
code 4401 and the reason (``token_invalid``: malformed, badly signed or expired;
``token_revoked``), so that the page can say so instead of reconnecting for ever. Sockets of a
revoked account are closed the same way later (``auth.sweep``).

Abuse: a client's message is at most ``ws_max_message_bytes`` (the socket is closed with 1009
beyond), a ping's nonce at most ``MAX_NONCE`` characters, text with a lone surrogate or JSON
nested too deep is answered with ``bad_message``; the hub bounds what waits to be sent in bytes
and the sockets of one account.
"""

from __future__ import annotations

import datetime as dt
import logging

from aiohttp import WSMsgType, web

from cti_server import protocol
from cti_server.web.agent_app import on_agent_message, on_connect
from cti_server.web.auth import MANAGERS, socket_principal
from cti_server.web.board_app import BOARD, on_board_message
from cti_server.web.errors import BadRequest
from cti_server.web.hub import Client, size_of
from cti_server.web.keys import HUB, SERVICE, SETTINGS
from cti_server.web.ledger import LEDGER
from cti_server.web.tokens import Principal

log = logging.getLogger(__name__)

MAX_NONCE = 64
# Bytes written to a socket's transport between two checks for flow control (aiohttp's default
# is 256 KiB): with the transport's 64 KiB high-water mark, a client that reads nothing holds at
# most about 128 KiB there before messages wait in its byte-bounded send queue.
WRITER_LIMIT = 64 * 1024
# No permessage-deflate: the desktop client (QtWebSockets) never asks for it, messages are small
# and go over a LAN, and compressing each one (aiohttp does it on the event loop, for every
# socket a pop or board update goes to) was a large part of the time from a PBX event to the
# pop on sockets that did ask for it (browsers, aiohttp clients).
COMPRESS = False
BOARD_MESSAGES = (protocol.SubscribeBoard, protocol.UnsubscribeBoard, protocol.PauseAgent)


async def ws_handler(request: web.Request) -> web.StreamResponse:
    who = await socket_principal(request)  # 401, or 4401 right after the upgrade
    if isinstance(who, web.WebSocketResponse):
        return who
    settings = request.app[SETTINGS]
    ws = web.WebSocketResponse(
        heartbeat=settings.ws_heartbeat_seconds,
        max_msg_size=settings.ws_max_message_bytes,
        writer_limit=WRITER_LIMIT,
        compress=COMPRESS,
    )
    if not ws.can_prepare(request).ok:
        raise BadRequest("Upgrade", "a WebSocket handshake is needed here")
    await ws.prepare(request)
    hub = request.app[HUB]
    client = hub.add(ws, who)
    log.info("ws: operator %s connected (extension %s)", who.id, who.extension)
    link, down_since = request.app[SERVICE].link()
    try:
        client.offer(
            protocol.encode(
                protocol.Hello(
                    protocol_version=protocol.PROTOCOL_VERSION,
                    server_id=settings.server_id,
                    operator=who.info(),
                    server_time=dt.datetime.now(dt.UTC).isoformat(),
                    queue_names=dict(settings.queues),
                    pbx_link=link,
                    pbx_down_since=down_since.isoformat() if down_since else None,
                )
            )
        )
        request.app[LEDGER].greet(client)  # the ledger unreachable: say so at once
        on_connect(request.app, client, who)  # the operator's own state
        if who.extension:
            for pop in request.app[SERVICE].current_pops(who.extension):
                client.offer(protocol.encode(pop))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await _on_text(request, client, who, msg.data)
            elif msg.type == WSMsgType.ERROR:
                log.info("ws: operator %s socket error: %r", who.id, ws.exception())
    finally:
        request.app[BOARD].unsubscribe(client)
        hub.remove(client)
        await client.stop()
        log.info("ws: operator %s disconnected", who.id)
    return ws


def _error(client: Client, error: str, message: str) -> None:
    client.offer(protocol.encode(protocol.ErrorMessage(error=error, message=message)))


async def _on_text(request: web.Request, client: Client, who: Principal, text: str) -> None:
    try:
        msg = protocol.decode(text)
    except protocol.ProtocolError as err:
        _error(client, "bad_message", str(err)[:200])
        return
    if size_of(protocol.encode(msg)) is None:  # "\ud800" escaped in the JSON, say
        _error(client, "bad_message", "not valid Unicode text (a lone surrogate)")
        return
    if isinstance(msg, protocol.Ping):
        if len(msg.nonce) > MAX_NONCE:
            _error(client, "bad_message", f"nonce: at most {MAX_NONCE} characters")
            return
        client.offer(protocol.encode(protocol.Pong(nonce=msg.nonce)))
    elif isinstance(msg, protocol.WatchSlots):
        _watch(request, client, msg)
    elif isinstance(msg, protocol.SetAgentState):
        await on_agent_message(request.app, client, who, msg)
    elif isinstance(msg, BOARD_MESSAGES):
        if isinstance(msg, protocol.PauseAgent) and who.role in MANAGERS:
            await on_agent_message(request.app, client, who, msg)  # the operator learns who
        await on_board_message(request, client, who, msg)
    else:
        _error(client, "bad_message", f"{msg.type} is not for the server")


def _watch(request: web.Request, client: Client, msg: protocol.WatchSlots) -> None:
    if msg.venue_id == 0:
        client.watch = None
        return
    try:
        dt.date.fromisoformat(msg.day)
    except ValueError:
        _error(client, "bad_message", "day: expected YYYY-MM-DD")
        return
    client.watch = (msg.venue_id, msg.day)
