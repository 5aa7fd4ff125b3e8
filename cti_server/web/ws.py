"""The WebSocket endpoint: one authenticated socket per client, messages from cti_server.protocol.

On connect: ``Hello``, then the live call(s) of the operator's extension (a reconnecting client
gets its call back) and their own ``AgentStatus``. Client messages: ``Ping``, ``WatchSlots``,
``SetAgentState`` (an operator's own state), ``SubscribeBoard`` /
``UnsubscribeBoard`` (supervisor, admin, kiosk) and ``PauseAgent`` (supervisor, admin).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from aiohttp import WSMsgType, web

from cti_server import protocol
from cti_server.web.agent_app import on_agent_message, on_connect
from cti_server.web.auth import MANAGERS, Principal, authenticate_request
from cti_server.web.board_app import BOARD, on_board_message
from cti_server.web.hub import Client
from cti_server.web.keys import BRIDGE, HUB, SERVICE, SETTINGS

log = logging.getLogger(__name__)

BOARD_ROLES = (*MANAGERS, "kiosk")
# Board (issue #5): these go to the board service (board_app.on_board_message) when it runs.
BOARD_MESSAGES = (protocol.SubscribeBoard, protocol.UnsubscribeBoard, protocol.PauseAgent)


async def ws_handler(request: web.Request) -> web.StreamResponse:
    who = authenticate_request(request, allow_query=True)  # 401 before the upgrade
    settings = request.app[SETTINGS]
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_seconds, max_msg_size=64 * 1024)
    await ws.prepare(request)
    hub = request.app[HUB]
    client = hub.add(ws, who)
    log.info("ws: operator %s connected (extension %s)", who.id, who.extension)
    try:
        client.offer(
            protocol.encode(
                protocol.Hello(
                    protocol_version=protocol.PROTOCOL_VERSION,
                    server_id=settings.server_id,
                    operator=who.info(),
                    server_time=dt.datetime.now(dt.UTC).isoformat(),
                    queue_names=dict(settings.queues),
                )
            )
        )
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
        _error(client, "bad_message", str(err))
        return
    if isinstance(msg, protocol.Ping):
        client.offer(protocol.encode(protocol.Pong(nonce=msg.nonce)))
    elif isinstance(msg, protocol.WatchSlots):
        _watch(request, client, msg)
    elif isinstance(msg, protocol.SetAgentState):
        await on_agent_message(request.app, client, who, msg)
    elif isinstance(msg, BOARD_MESSAGES) and request.app.get(BOARD) is not None:
        if isinstance(msg, protocol.PauseAgent) and who.role in MANAGERS:
            await on_agent_message(request.app, client, who, msg)  # the operator learns who
        await on_board_message(request, client, who, msg)  # supervisor board (Board, issue #5)
    elif isinstance(msg, protocol.SubscribeBoard | protocol.UnsubscribeBoard):
        if who.role not in BOARD_ROLES:
            _error(client, "forbidden", "the board is for supervisors")
            return
        client.board = isinstance(msg, protocol.SubscribeBoard)
        if client.board:
            board = request.app[SERVICE].board()
            if board is not None:
                client.offer(protocol.encode(protocol.BoardUpdate(board=board)))
    elif isinstance(msg, protocol.PauseAgent):
        await _pause(request, client, who, msg)
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


async def _pause(
    request: web.Request, client: Client, who: Principal, msg: protocol.PauseAgent
) -> None:
    if who.role not in MANAGERS:
        _error(client, "forbidden", "pausing agents is for supervisors")
        return
    bridge = request.app.get(BRIDGE)
    if bridge is None or not getattr(bridge, "connected", False):
        _error(client, "ami_unavailable", "the PBX is not connected")
        return
    try:
        await asyncio.wait_for(
            bridge.queue_pause(msg.interface, msg.paused, msg.reason, msg.queue), 5.0
        )
    except Exception as err:
        log.warning("pause of %s by operator %s failed: %r", msg.interface, who.id, err)
        _error(client, "pause_failed", str(err) or type(err).__name__)
        return
    log.info("operator %s %s %s", who.id, "paused" if msg.paused else "unpaused", msg.interface)
