"""Abuse of the WebSocket: memory held for a client is bounded in bytes, a client's message in
size, an account's sockets in number; a ping that cannot be echoed and JSON nested too deep are
answered with ``bad_message`` and the socket (and its writer) goes on."""

from __future__ import annotations

import asyncio

from aiohttp import WSMsgType

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.hub import TOO_MANY_SOCKETS
from cti_server.web.keys import HUB
from cti_server.web.ws import WRITER_LIMIT
from tests.integration.web_helpers import FakeBridge, auth, make_settings, receive_type, token


async def _app(aiohttp_client, engine, db_url, **kw):
    app = create_app(
        make_settings(db_url, **kw), engine=engine, bridge=FakeBridge(), load_name_index=False
    )
    return app, await aiohttp_client(app)


async def _connect(client, app, op_id=1):
    ws = await client.ws_connect("/ws", headers=auth(await token(app, op_id, ext="1001")))
    await receive_type(ws, protocol.Hello)
    return ws


async def _closed(ws):
    msg = await ws.receive(timeout=5)
    while msg.type == WSMsgType.TEXT:
        msg = await ws.receive(timeout=5)
    return msg


async def _alive(ws, nonce="still-there"):
    await ws.send_str(protocol.encode(protocol.Ping(nonce=nonce)))
    pong = await receive_type(ws, protocol.Pong)
    assert pong.nonce == nonce


async def test_the_send_queue_is_bounded_in_bytes(engine, db_url, aiohttp_client):
    app, client = await _app(
        aiohttp_client, engine, db_url, ws_queue_size=100_000, ws_queue_bytes=64 * 1024
    )
    await _connect(client, app)
    (c,) = app[HUB].clients
    transport = c.ws._req.transport  # what the server holds for this socket beside its queue
    big = protocol.encode(protocol.Pong(nonce="x" * 4000))
    held = offered = 0
    # A client that reads none of it: a message is written at once while the socket takes it
    # (into the kernel's buffers), then the transport pauses and the rest waits in the queue.
    for n in range(100_000):  # up to 400 MB
        if not c.offer(big):
            break
        offered += 1
        held = max(held, c.queued_bytes + transport.get_write_buffer_size())
        if n % 16 == 0:
            await asyncio.sleep(0)
    assert c.dropped
    assert offered < 100_000
    # the queue's bound, and the transport's: its high-water mark and the writer's limit
    assert held <= 64 * 1024 + 2 * WRITER_LIMIT + len(big)
    assert c.queued_bytes == 0  # what it would never be sent is let go
    assert c not in app[HUB].clients


async def test_a_big_message_closes_the_socket(engine, db_url, aiohttp_client):
    app, client = await _app(aiohttp_client, engine, db_url)
    ws = await _connect(client, app)
    await ws.send_str(protocol.encode(protocol.Ping(nonce="x" * 60_000)))
    msg = await _closed(ws)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert ws.close_code == 1009  # message too big


async def test_a_long_nonce_is_not_echoed(engine, db_url, aiohttp_client):
    app, client = await _app(aiohttp_client, engine, db_url)
    ws = await _connect(client, app)
    await ws.send_str(protocol.encode(protocol.Ping(nonce="x" * 1000)))
    error = await receive_type(ws, protocol.ErrorMessage)
    assert error.error == "bad_message"
    assert "nonce" in error.message
    await _alive(ws)


async def test_an_account_holds_a_bounded_number_of_sockets(engine, db_url, aiohttp_client):
    app, client = await _app(aiohttp_client, engine, db_url, ws_sockets_per_account=2)
    first = await _connect(client, app)
    second = await _connect(client, app)
    third = await _connect(client, app)
    await _closed(first)
    assert first.close_code == TOO_MANY_SOCKETS
    assert len([c for c in app[HUB].clients if c.who.id == 1]) == 2
    await _alive(second)
    await _alive(third)
    other = await _connect(client, app, op_id=2)  # another account is not affected
    await _alive(other)


async def test_a_ping_with_a_lone_surrogate_leaves_the_writer_alive(engine, db_url, aiohttp_client):
    app, client = await _app(aiohttp_client, engine, db_url)
    ws = await _connect(client, app)
    await ws.send_str('{"type":"ping","nonce":"\\ud800"}')
    error = await receive_type(ws, protocol.ErrorMessage)
    assert error.error == "bad_message"
    await _alive(ws)
    (c,) = app[HUB].clients
    assert c.writing


async def test_deep_nesting_is_a_bad_message_not_a_500(engine, db_url, aiohttp_client):
    app, client = await _app(aiohttp_client, engine, db_url)
    ws = await _connect(client, app)
    await ws.send_str("[" * 2000 + "]" * 2000)
    error = await receive_type(ws, protocol.ErrorMessage)
    assert error.error == "bad_message"
    await _alive(ws)
    await ws.send_str('{"type":"ping","nonce":' + "[" * 1500 + "]" * 1500 + "}")
    assert (await receive_type(ws, protocol.ErrorMessage)).error == "bad_message"
    await _alive(ws)


async def test_a_client_that_offers_compression_gets_plain_frames(engine, db_url, aiohttp_client):
    """No permessage-deflate: every message would be compressed on the event loop, on the path
    from a PBX event to the pop, for nothing on a LAN (the desktop client never asks)."""
    app, client = await _app(aiohttp_client, engine, db_url)
    tok = await token(app, 1, ext="1001")
    ws = await client.ws_connect("/ws", headers=auth(tok), compress=15)
    await receive_type(ws, protocol.Hello)
    assert ws.compress == 0
    await _alive(ws)
    await ws.close()
