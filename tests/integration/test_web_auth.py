"""Login, tokens, roles and the brute-force slowdown, over real HTTP."""

from __future__ import annotations

import pytest

from cti_server.web.app import create_app
from cti_server.web.errors import Unauthorized
from cti_server.web.tokens import Principal, TokenSigner
from registry.db import session_factory
from registry.operators import create_operator
from tests.integration.web_helpers import FakeBridge, auth, make_settings, token


async def _client(aiohttp_client, engine, db_url, **kw):
    app = create_app(
        make_settings(db_url, **kw), engine=engine, bridge=FakeBridge(), load_name_index=False
    )
    return app, await aiohttp_client(app)


async def _operator(engine, username="operator1", role="operator", ext="1001"):
    async with session_factory(engine)() as s:
        op = await create_operator(s, username, "correct horse 1", role=role, extension=ext)
        await s.commit()
    return op


async def test_login_gives_a_token_that_opens_the_api(engine, db_url, aiohttp_client):
    _, client = await _client(aiohttp_client, engine, db_url)
    op = await _operator(engine)
    resp = await client.post(
        "/api/login", json={"username": "operator1", "password": "correct horse 1"}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["operator"] == {
        "id": op.id,
        "username": "operator1",
        "display_name": "",
        "role": "operator",
        "extension": "1001",
    }
    resp = await client.get("/api/calls/current", headers=auth(body["token"]))
    assert resp.status == 200
    assert await resp.json() == {"calls": []}


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer v1.e30.AAAA", "Basic x"])
async def test_api_refuses_missing_or_bad_tokens(engine, db_url, aiohttp_client, header):
    _, client = await _client(aiohttp_client, engine, db_url)
    headers = {"Authorization": header} if header else {}
    resp = await client.get("/api/calls/current", headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"] == "unauthorized"


async def test_wrong_password_then_the_address_must_wait(engine, db_url, aiohttp_client):
    _, client = await _client(aiohttp_client, engine, db_url, login_delay_seconds=30.0)
    await _operator(engine)
    resp = await client.post("/api/login", json={"username": "operator1", "password": "nope"})
    assert resp.status == 401
    assert (await resp.json())["error"] == "auth_failed"
    # even the right password is refused until the wait is over
    resp = await client.post(
        "/api/login", json={"username": "operator1", "password": "correct horse 1"}
    )
    assert resp.status == 429
    body = await resp.json()
    assert body["error"] == "too_many_attempts"
    assert body["details"]["retry_after"] > 0
    assert int(resp.headers["Retry-After"]) >= 1


async def test_login_wait_doubles_and_is_capped():
    from cti_server.web.limiter import MemoryLimiter

    lim = MemoryLimiter(0.5, 4.0, 60.0)
    waits = [await lim.failed("10.0.0.1", now=0.0) for _ in range(6)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    await lim.check("10.0.0.2", now=0.0)  # another address is not slowed
    await lim.check("10.0.0.1", now=4.0)  # the last wait is over


async def test_repeated_failures_lock_the_account(engine, db_url, aiohttp_client):
    _, client = await _client(aiohttp_client, engine, db_url)
    await _operator(engine)
    statuses = []
    for _ in range(8):
        resp = await client.post("/api/login", json={"username": "operator1", "password": "x"})
        statuses.append((resp.status, (await resp.json())["error"]))
    assert statuses[0] == (401, "auth_failed")
    assert statuses[-1] == (423, "account_locked")


async def test_login_validation_names_the_field(engine, db_url, aiohttp_client):
    _, client = await _client(aiohttp_client, engine, db_url)
    resp = await client.post("/api/login", json={"username": "a"})
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "password"
    resp = await client.post("/api/login", data=b"{not json")
    assert (await resp.json())["details"]["field"] == "body"


@pytest.mark.parametrize(
    ("role", "status"), [("operator", 403), ("kiosk", 403), ("supervisor", 201), ("admin", 201)]
)
async def test_roles_guard_venue_changes(engine, db_url, aiohttp_client, role, status):
    app, client = await _client(aiohttp_client, engine, db_url)
    resp = await client.post(
        "/api/venues", json={"name": f"会場 {role}"}, headers=auth(await token(app, 1, role=role))
    )
    assert resp.status == status


async def test_kiosk_cannot_read_residents(engine, db_url, aiohttp_client):
    app, client = await _client(aiohttp_client, engine, db_url)
    resp = await client.get("/api/residents/1", headers=auth(await token(app, 1, role="kiosk")))
    assert resp.status == 403
    assert (await resp.json())["error"] == "forbidden"


def test_tokens_hold_across_instances_sharing_the_secret():
    who = Principal(7, "sv", "supervisor", None, "SV")
    a, b = TokenSigner(["s" * 32], 60), TokenSigner(["s" * 32], 60)
    assert b.verify(a.issue(who)) == who
    with pytest.raises(Unauthorized):
        TokenSigner(["t" * 32], 60).verify(a.issue(who))
    with pytest.raises(Unauthorized, match="expired"):
        b.verify(a.issue(who, now=0.0))


def test_a_token_verified_before_still_expires(monkeypatch):
    """A token is decoded once and remembered; it still expires at its ``exp``, and a
    tampered copy is refused."""
    import time

    who = Principal(7, "desk", "reception", None, "受付", venue_id=3)
    signer = TokenSigner(["s" * 32], 60)
    tok = signer.issue(who, now=time.time())
    assert signer.verify(tok) == who
    assert signer.verify(tok) == who
    with pytest.raises(Unauthorized):
        signer.verify(tok[:-2] + ("A" if tok[-2] != "A" else "B") + tok[-1])
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(tok)
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(tok)


async def test_websocket_needs_a_token(engine, db_url, aiohttp_client):
    app, client = await _client(aiohttp_client, engine, db_url)
    resp = await client.get("/ws")
    assert resp.status == 401
    ws = await client.ws_connect(f"/ws?token={await token(app, 3, role='kiosk', ext=None)}")
    assert (await ws.receive_json(timeout=5))["type"] == "hello"
    await ws.close()
