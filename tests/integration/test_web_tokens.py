"""Revocable tokens over real HTTP and WebSockets: log-out, disable, delete, key rotation, kiosk
tokens and the 4401 close codes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError
from sqlalchemy import delete

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.keys import SESSIONS, SIGNER
from cti_server.web.tokens import AccountStates, Principal, TokenSigner, kiosk_token
from registry.db import session_factory
from registry.models import Operator
from registry.operators import create_operator, revoke_tokens, update_operator
from tests.integration.web_helpers import (
    SECRET,
    FakeBridge,
    auth,
    make_settings,
    receive_type,
)

PASSWORD = "correct horse 1"


async def _app(aiohttp_client, engine, db_url, **kw):
    kw.setdefault("revocation_check_seconds", 0.05)
    app = create_app(
        make_settings(db_url, **kw), engine=engine, bridge=FakeBridge(), load_name_index=False
    )
    return app, await aiohttp_client(app)


async def _account(engine, username="operator1", role="operator", extensions=("1001",)):
    async with session_factory(engine)() as s:
        op = await create_operator(s, username, PASSWORD, role=role, extensions=extensions)
        await s.commit()
    return op


async def _login(client, username="operator1", **extra):
    resp = await client.post(
        "/api/login", json={"username": username, "password": PASSWORD, **extra}
    )
    return resp.status, await resp.json()


async def _closed(ws):
    msg = await ws.receive(timeout=5)
    while msg.type == WSMsgType.TEXT:
        msg = await ws.receive(timeout=5)
    assert msg.type == WSMsgType.CLOSE, msg
    return msg.data, msg.extra


async def test_logout_revokes_the_token_and_closes_its_sockets(engine, db_url, aiohttp_client):
    _, client = await _app(aiohttp_client, engine, db_url)
    await _account(engine)
    _, body = await _login(client)
    headers = auth(body["token"])
    ws = await client.ws_connect("/ws", headers=headers)
    await receive_type(ws, protocol.Hello)
    assert (await client.post("/api/logout", headers=headers)).status == 204
    assert await _closed(ws) == (4401, "token_revoked")
    resp = await client.get("/api/calls/current", headers=headers)
    assert resp.status == 401
    assert (await resp.json())["details"]["reason"] == "token_revoked"
    status, again = await _login(client)  # a new log-in works
    assert status == 200
    assert (await client.get("/api/calls/current", headers=auth(again["token"]))).status == 200


@pytest.mark.parametrize("read", ["generation", "current"])
async def test_a_read_begun_before_a_logout_does_not_cache_the_old_generation(engine, read):
    """The socket sweep reads generations while a log-out commits: what it read before the
    log-out may be answered, but must not be cached over the log-out's forget()."""
    op = await _account(engine)
    real = session_factory(engine)
    read_done, go_on = asyncio.Event(), asyncio.Event()

    @contextlib.asynccontextmanager
    async def slow_sessions():
        async with real() as session:
            yield session
        read_done.set()  # the old generation is read; hold it until the log-out has happened
        await go_on.wait()

    states = AccountStates(slow_sessions, ttl=60.0)  # type: ignore[arg-type]
    pending = asyncio.ensure_future(
        states.generation(op.id) if read == "generation" else states.current([op.id])
    )
    await read_done.wait()
    async with real() as s:
        new_gen = await revoke_tokens(s, op.id)
        await s.commit()
    states.forget(op.id)
    go_on.set()
    await pending
    states.sessions = real  # type: ignore[assignment]
    assert await states.generation(op.id) == new_gen


@pytest.mark.parametrize("change", ["disable", "delete", "password", "logout_everywhere"])
async def test_account_changes_revoke_tokens_on_another_instance(
    engine, db_url, aiohttp_client, change
):
    """Two instances on one database: the change is made outside the instance that holds the
    socket (the CLI writes the database); it refuses the token and closes the socket."""
    _, client = await _app(aiohttp_client, engine, db_url, revocation_cache_seconds=0.01)
    op = await _account(engine)
    _, body = await _login(client)
    headers = auth(body["token"])
    ws = await client.ws_connect("/ws", headers=headers)
    await receive_type(ws, protocol.Hello)
    async with session_factory(engine)() as s:
        if change == "disable":
            await update_operator(s, op.id, active=False)
        elif change == "delete":
            await s.execute(delete(Operator).where(Operator.id == op.id))
        elif change == "password":
            await update_operator(s, op.id, password="another horse 2")
        else:
            await revoke_tokens(s, op.id)
        await s.commit()
    assert await _closed(ws) == (4401, "token_revoked")
    resp = await client.get("/api/residents/search?name=x", headers=headers)
    assert resp.status == 401
    assert (await resp.json())["details"]["reason"] == "token_revoked"
    resp = await client.post("/api/venues", json={"name": "会場"}, headers=headers)
    assert resp.status == 401
    resp = await client.get("/api/residents/1", headers=headers)  # no card is read
    assert resp.status == 401
    resp = await client.post("/api/residents/1/intents", json={}, headers=headers)
    assert resp.status == 401


async def test_bad_or_expired_tokens_close_the_socket_with_4401(engine, db_url, aiohttp_client):
    app, client = await _app(aiohttp_client, engine, db_url)
    op = await _account(engine)
    ws = await client.ws_connect("/ws?token=nonsense")
    assert await _closed(ws) == (4401, "token_invalid")
    expired = app[SIGNER].issue(Principal(op.id, "operator1", "operator", "1001"), now=0.0)
    ws = await client.ws_connect(f"/ws?token={expired}")
    assert await _closed(ws) == (4401, "token_invalid")
    ws = await client.ws_connect("/ws")
    assert await _closed(ws) == (4401, "token_invalid")
    with pytest.raises(WSServerHandshakeError) as info:  # a bearer header: 401 before the upgrade
        await client.ws_connect("/ws", headers=auth(expired))
    assert info.value.status == 401
    resp = await client.get("/api/calls/current", headers=auth(expired))
    assert (resp.status, (await resp.json())["details"]["reason"]) == (401, "token_invalid")


async def test_key_rotation_accepts_old_keys_and_signs_with_the_first(
    engine, db_url, aiohttp_client
):
    new_key, old_key = "new-key-0123456789abcdef", SECRET
    op = await _account(engine)
    old_token = TokenSigner([old_key], 3600).issue(Principal(op.id, "operator1", "operator", None))
    _, client = await _app(
        aiohttp_client, engine, db_url, secret_key=new_key, old_secret_keys=old_key
    )
    assert (await client.get("/api/calls/current", headers=auth(old_token))).status == 200
    _, body = await _login(client)
    TokenSigner([new_key], 3600).verify(body["token"])  # signed with the first key
    with pytest.raises(Exception, match="unknown key"):
        TokenSigner([old_key], 3600).verify(body["token"])
    dropped = TokenSigner([new_key], 3600)  # the old key retired: its tokens stop working
    with pytest.raises(Exception, match="unknown key"):
        dropped.verify(old_token)


async def test_kiosk_token_never_expires_and_is_revoked_by_logout_everywhere(
    engine, db_url, aiohttp_client
):
    app, client = await _app(aiohttp_client, engine, db_url, token_ttl_seconds=60)
    kiosk = await _account(engine, "wallboard1", role="kiosk", extensions=())
    tok = await kiosk_token(app[SESSIONS], app[SIGNER], "wallboard1")
    old = dataclasses.replace(app[SIGNER].verify(tok))
    assert old.role == "kiosk"
    far_future = app[SIGNER].issue(old, now=0.0)  # issued in 1970: a staff token would be dead
    ws = await client.ws_connect(f"/ws?token={far_future}")
    hello = await receive_type(ws, protocol.Hello)
    assert hello.operator.username == "wallboard1"
    async with session_factory(engine)() as s:
        await revoke_tokens(s, kiosk.id)
        await s.commit()
    assert await _closed(ws) == (4401, "token_revoked")
    ws = await client.ws_connect(f"/ws?token={tok}")
    assert await _closed(ws) == (4401, "token_revoked")
    fresh = await kiosk_token(app[SESSIONS], app[SIGNER], "wallboard1")
    ws = await client.ws_connect(f"/ws?token={fresh}")
    assert (await receive_type(ws, protocol.Hello)).operator.role == "kiosk"
    await ws.close()


async def test_kiosk_token_only_for_kiosk_accounts(engine, db_url, aiohttp_client):
    app, _ = await _app(aiohttp_client, engine, db_url)
    await _account(engine)
    with pytest.raises(ValueError, match="not a kiosk"):
        await kiosk_token(app[SESSIONS], app[SIGNER], "operator1")


def test_cti_server_prints_a_wallboard_url(tmp_path):
    import asyncio
    import os
    import subprocess
    import sys
    from urllib.parse import parse_qs, urlsplit

    from registry.db import create_engine, migrate

    db_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"

    async def prepare():
        engine = create_engine(db_url)
        await migrate(engine)
        await _account(engine, "wallboard1", role="kiosk", extensions=())
        await engine.dispose()

    asyncio.run(prepare())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTI_")}
    env.update(CTI_DATABASE_URL=db_url, CTI_SECRET_KEY=SECRET, CTI_PUBLIC_URL="https://cti.example")
    done = subprocess.run(
        [sys.executable, "-m", "cti_server", "--kiosk-token", "wallboard1"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    url = urlsplit(done.stdout.strip())
    assert (url.scheme, url.netloc, url.path) == ("https", "cti.example", "/wallboard")
    who = TokenSigner([SECRET], 60).verify(parse_qs(url.query)["token"][0])
    assert (who.username, who.role) == ("wallboard1", "kiosk")
    done = subprocess.run(
        [sys.executable, "-m", "cti_server", "--kiosk-token", "nobody"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, "not found" in done.stderr) == (1, True)


async def test_login_is_bound_to_an_allowed_extension(engine, db_url, aiohttp_client):
    _, client = await _app(aiohttp_client, engine, db_url)
    await _account(engine, extensions=("1001", "1003"))
    status, body = await _login(client, extension="1002")
    assert (status, body["error"]) == (403, "extension_not_allowed")
    assert body["details"]["allowed"] == ["1001", "1003"]
    status, body = await _login(client)  # nothing typed: the default
    assert (status, body["operator"]["extension"]) == (200, "1001")
    status, body = await _login(client, extension="1003")
    assert (status, body["operator"]["extension"]) == (200, "1003")
    ws = await client.ws_connect("/ws", headers=auth(body["token"]))
    assert (await receive_type(ws, protocol.Hello)).operator.extension == "1003"
    await ws.close()


@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
async def test_only_a_kiosk_token_is_taken_from_the_url(engine, db_url, aiohttp_client, role):
    _, client = await _app(aiohttp_client, engine, db_url)
    await _account(engine, "someone", role=role)
    status, body = await _login(client, "someone")
    assert status == 200
    ws = await client.ws_connect(f"/ws?token={body['token']}")
    assert await _closed(ws) == (4401, "query_token_kiosk_only")
    ws = await client.ws_connect("/ws", headers=auth(body["token"]))  # the header is fine
    assert (await receive_type(ws, protocol.Hello)).operator.role == role
    await ws.close()


async def test_the_wallboard_page_sends_no_referrer(engine, db_url, aiohttp_client):
    _, client = await _app(aiohttp_client, engine, db_url)
    resp = await client.get("/wallboard?token=abc")
    assert resp.status == 200
    assert resp.headers["Referrer-Policy"] == "no-referrer"
