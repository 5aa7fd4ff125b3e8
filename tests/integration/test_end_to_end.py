"""End to end over real TCP: PbxSimulator (AMI) -> AmiBridge -> server -> operator WebSocket.

Also: two server instances on one database (no duplicate call records; with Redis, a pop
computed by the instance that holds the PBX link reaches an operator on the other), and
/healthz following the PBX link.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from cti_server import protocol
from cti_server.sim.server import PbxSimulator
from cti_server.web.app import create_app
from cti_server.web.keys import BRIDGE, SERVICE
from registry.db import session_factory
from registry.models import CallRecord
from tests.integration.web_helpers import (
    add_household,
    auth,
    make_settings,
    receive_pop,
    receive_type,
    token,
)

LANDLINE = "+81773621234"


@contextlib.asynccontextmanager
async def simulator(**kw):
    sim = PbxSimulator(username="cti", secret="cti-secret", speed=kw.pop("speed", 4.0), **kw)
    port = await sim.start("127.0.0.1", 0)
    try:
        yield sim, port
    finally:
        await sim.stop()


@contextlib.asynccontextmanager
async def server(engine, db_url, port: int | None, *, keys: dict | None = None, **kw):
    """The real app on a test server, its PBX at ``port``; ``keys``: app keys set before start."""
    settings = make_settings(
        db_url,
        ami_enabled=port is not None,
        ami_host="127.0.0.1",
        ami_port=port or 5038,
        ami_user="cti",
        ami_secret="cti-secret",
        **kw,
    )
    app = create_app(settings, engine=engine, load_name_index=False)
    for key, value in (keys or {}).items():
        app[key] = value
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield app, client
    finally:
        await client.close()


async def until(predicate, what: str, limit: float = 10.0) -> None:
    """Wait for a condition the system reaches on its own (not a timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _operators(app, client, exts):
    sockets = {}
    for i, ext in enumerate(exts, start=1):
        ws = await client.ws_connect("/ws", headers=auth(await token(app, i, ext=ext)))
        await receive_type(ws, protocol.Hello)
        sockets[ext] = ws
    return sockets


async def _first_pop(sockets):
    """(extension, pop) of the first socket that gets a ScreenPop (with the lookup done)."""
    tasks = {asyncio.ensure_future(receive_pop(ws, 10)): ext for ext, ws in sockets.items()}
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    task = done.pop()
    return tasks[task], task.result()


async def _quiet(ws) -> None:
    """Nothing but our own Pong is waiting on this socket."""
    await ws.send_str(protocol.encode(protocol.Ping(nonce="q")))
    msg = protocol.decode(await ws.receive_str(timeout=5))
    assert isinstance(msg, protocol.Pong), msg


async def test_simulated_call_pops_the_household_at_the_ringing_operator(engine, db_url):
    residents = await add_household(engine, LANDLINE)
    async with simulator(agents=2) as (sim, port), server(engine, db_url, port) as (app, client):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        sockets = await _operators(app, client, ["1001", "1002"])
        plan = sim.place_call("0773621234", "ヤマダ", talk=2.0, ring=2.0)
        ext, pop = await _first_pop(sockets)
        assert pop.call.linkedid == plan.linkedid
        assert (pop.call.state, pop.call.extension) == ("ringing", ext)
        assert pop.caller.e164 == LANDLINE
        assert [m.resident_id for h in pop.households for m in h.members] == residents
        other = next(e for e in sockets if e != ext)
        await _quiet(sockets[other])
        upd = await receive_pop(sockets[ext], 10, state="answered")
        assert upd.call.state == "answered"
        end = await receive_pop(sockets[ext], 20, state="ended")
        assert (end.call.state, end.call.outcome) == ("ended", "answered")
        for ws in sockets.values():
            await ws.close()


async def test_withheld_simulated_call_shows_no_number(engine, db_url):
    await add_household(engine, LANDLINE)
    async with simulator(agents=1) as (sim, port), server(engine, db_url, port) as (app, client):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        sockets = await _operators(app, client, ["1001"])
        sim.place_call("anonymous", "Anonymous", talk=1.0)
        pop = await receive_type(sockets["1001"], protocol.ScreenPop, 10)
        assert pop.caller.status == "withheld"
        assert (pop.caller.e164, pop.caller.display, pop.households) == (None, "", ())
        await sockets["1001"].close()


async def test_healthz_follows_the_pbx_link(engine, db_url):
    async with simulator(agents=1) as (sim, port), server(engine, db_url, port) as (app, client):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        assert (await client.get("/healthz")).status == 200
        await sim.stop()
        await until(lambda: not app[BRIDGE].connected, "AMI loss")
        resp = await client.get("/healthz", headers=auth(await token(app, 3, role="admin")))
        assert resp.status == 503
        assert (await resp.json())["ami"]["connected"] is False


async def test_two_instances_one_database_no_duplicate_records(engine, db_url):
    await add_household(engine, LANDLINE)
    async with (
        simulator(agents=2, speed=8.0) as (sim, port),
        server(engine, db_url, port, server_id="a") as (app_a, _),
        server(engine, db_url, port, server_id="b") as (app_b, _),
    ):
        await until(lambda: app_a[BRIDGE].connected and app_b[BRIDGE].connected, "logins")
        plans = [sim.place_call(n, talk=1.0) for n in ("0773621234", "09012345678", "")]
        await sim.wait_idle()
        for app in (app_a, app_b):
            await until(lambda app=app: not app[SERVICE].tracker.calls, "calls to end")
            await app[SERVICE].recorder.flush()
        async with session_factory(engine)() as s:
            rows = (await s.scalars(select(CallRecord))).all()
            assert await s.scalar(select(func.count()).select_from(CallRecord)) == 3
        assert sorted(r.linkedid for r in rows) == sorted(p.linkedid for p in plans)
        assert all(r.ended_at is not None and r.outcome != "ongoing" for r in rows)


async def test_pop_reaches_an_operator_on_the_other_instance_via_redis(engine, db_url):
    redis = pytest.importorskip("redis.asyncio")
    probe = redis.from_url("redis://127.0.0.1:6379")
    try:
        await asyncio.wait_for(probe.ping(), 2)
    except (OSError, TimeoutError, redis.ConnectionError):
        pytest.skip("no Redis at 127.0.0.1:6379")
    finally:
        await probe.aclose()
    await add_household(engine, LANDLINE)
    bus = {"redis_url": "redis://127.0.0.1:6379/0"}
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port, server_id="with-pbx", **bus) as (app_a, _),
        server(engine, db_url, None, server_id="web-only", **bus) as (app_b, client_b),
    ):
        await until(lambda: app_a[BRIDGE].connected, "AMI login")
        sockets = await _operators(app_b, client_b, ["1001"])
        plan = sim.place_call("0773621234", talk=1.0)
        pop = await receive_pop(sockets["1001"], 10)
        assert pop.call.linkedid == plan.linkedid
        assert pop.households
        assert app_b[SERVICE].tracker.calls == {}  # computed by the other instance
        await sockets["1001"].close()


async def test_call_that_rang_while_the_pbx_link_was_down_still_pops(engine, db_url):
    """AgentCalled is lost while AMI is down; the resync after reconnecting rebuilds the ringing
    call (CoreShowChannels + QueueStatus) and the operator whose phone rings gets the pop."""
    residents = await add_household(engine, LANDLINE)
    async with simulator(agents=1) as (sim, port), server(engine, db_url, port) as (app, client):
        bridge = app[BRIDGE]
        await until(lambda: bridge.connected, "AMI login")
        sockets = await _operators(app, client, ["1001"])
        sessions = bridge.sessions
        sim.drop_connections()
        answer = asyncio.Event()  # the operator answers once the test has seen the pop
        plan = sim.place_call("0773621234", talk=1.0, ring=400.0, patience=800.0, answer=answer)
        await until(lambda: bridge.sessions > sessions and bridge.connected, "AMI relogin")
        pop = await receive_pop(sockets["1001"], 5)
        assert (pop.call.linkedid, pop.call.state) == (plan.linkedid, "ringing")
        assert pop.call.extension == "1001"
        assert pop.caller.e164 == LANDLINE
        assert [m.resident_id for h in pop.households for m in h.members] == residents
        answer.set()
        answered = await receive_pop(sockets["1001"], 15, state="answered")
        assert answered.call.linkedid == plan.linkedid
        await sockets["1001"].close()
