"""The board over the real server: who may subscribe, pushes on change (coalesced), bookings
fill after a booking, and pause / unpause reaching the simulated PBX and coming back."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from aiohttp.test_utils import TestClient, TestServer

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.board_app import BOARD
from cti_server.web.keys import BRIDGE, SERVICE, SIGNER
from cti_server.web.tokens import Principal
from registry.db import session_factory
from registry.venues import create_slot, create_venue
from tests.integration.test_end_to_end import simulator, until
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    answered,
    auth,
    incoming,
    make_settings,
    new_linkedid,
    receive,
    receive_type,
    ringing,
    token,
)


async def _serve(engine, db_url, bridge=None, **kw):
    app = create_app(make_settings(db_url, **kw), engine=engine, bridge=bridge,
                     load_name_index=False)  # fmt: skip
    client = TestClient(TestServer(app))
    await client.start_server()
    return app, client


async def _board_socket(app, client, role="supervisor", op_id=7):
    ws = await client.ws_connect("/ws", headers=auth(await token(app, op_id, role=role, ext=None)))
    await receive_type(ws, protocol.Hello)
    await ws.send_str(protocol.encode(protocol.SubscribeBoard()))
    return ws


async def _quiet(ws) -> None:
    await ws.send_str(protocol.encode(protocol.Ping(nonce="q")))
    msg = await receive(ws)
    assert isinstance(msg, protocol.Pong), msg


async def test_operator_cannot_subscribe_or_pause(engine, db_url):
    app, client = await _serve(engine, db_url, FakeBridge())
    try:
        ws = await _board_socket(app, client, role="operator")
        err = await receive_type(ws, protocol.ErrorMessage)
        assert err.error == "forbidden"
        await ws.send_str(protocol.encode(protocol.PauseAgent("Local/1001@operators/n", True)))
        assert (await receive_type(ws, protocol.ErrorMessage)).error == "forbidden"
        app[SERVICE].on_event(incoming(new_linkedid(), "0773621234"))
        await _quiet(ws)  # no BoardUpdate ever reached the operator
        assert app[BRIDGE].paused == []
        await ws.close()
    finally:
        await client.close()


async def test_kiosk_watches_but_cannot_pause(engine, db_url):
    app, client = await _serve(engine, db_url, FakeBridge())
    try:
        ws = await _board_socket(app, client, role="kiosk")
        first = await receive_type(ws, protocol.BoardUpdate)
        assert first.board.queues == ()
        assert "service_level" in first.board.definitions
        await ws.send_str(protocol.encode(protocol.PauseAgent("Local/1001@operators/n", True)))
        assert (await receive_type(ws, protocol.ErrorMessage)).error == "forbidden"
        assert len(app[BOARD].subscribers) == 1
        await ws.close()
        await until(lambda: not app[BOARD].subscribers, "a closed socket leaves the board")
    finally:
        await client.close()


async def test_a_burst_of_events_is_one_coalesced_update(engine, db_url):
    app, client = await _serve(engine, db_url, FakeBridge())
    try:
        ws = await _board_socket(app, client)
        await receive_type(ws, protocol.BoardUpdate)
        service = app[SERVICE]
        lids = [new_linkedid() for _ in range(20)]
        for lid in lids:  # all in one go, no await between: one update must carry them all
            service.on_event(incoming(lid, "0773621234"))
        service.on_event(ringing(lids[0], "1001"))
        service.on_event(answered(lids[0], "1001"))
        upd = await receive_type(ws, protocol.BoardUpdate)
        (q,) = upd.board.queues
        assert (q.waiting, q.in_call, q.today.offered) == (19, 1, 20)
        assert q.today.answered == 1
        assert [c.position for c in q.callers] == list(range(1, 20))
        await _quiet(ws)
        await ws.close()
    finally:
        await client.close()


async def test_a_booking_updates_the_fill(engine, db_url):
    (resident, _) = await add_household(engine, "+81773621234")
    op_id = await add_operator(engine, "op1", "operator", "1001")
    # tomorrow at 10:00 in Tokyo: a slot of today could have started when the suite runs late
    day = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    day += dt.timedelta(days=1)
    starts = dt.datetime.combine(day, dt.time(10, 0), dt.timezone(dt.timedelta(hours=9)))
    async with session_factory(engine)() as s:
        venue = await create_venue(s, "中総合会館")
        slot = await create_slot(s, venue.venue_id, starts, starts + dt.timedelta(minutes=30), 4)
        await s.commit()
    app, client = await _serve(engine, db_url, FakeBridge())
    try:
        ws = await _board_socket(app, client)
        first = await receive_type(ws, protocol.BoardUpdate)
        fill = {(b.venue, b.day): (b.booked, b.capacity) for b in first.board.bookings}
        assert fill[("中総合会館", day.isoformat())] == (0, 4)
        resp = await client.post(
            "/api/bookings", json={"resident_id": resident, "slot_id": slot.slot_id},
            headers=auth(await token(app, op_id)),
        )  # fmt: skip
        assert resp.status == 201, await resp.text()
        upd = await receive_type(ws, protocol.BoardUpdate)
        for _ in range(5):  # other pushes (agents, the worklist) may come first
            if upd.board.bookings[0].booked == 1:
                break
            upd = await receive_type(ws, protocol.BoardUpdate)
        assert upd.board.bookings[0].booked == 1
        await ws.close()
    finally:
        await client.close()


async def _until_agent(ws, ext, state):
    while True:
        upd = await receive_type(ws, protocol.BoardUpdate, 10)
        agents = [a for a in upd.board.agents if a.extension == ext]
        if agents and agents[0].state == state:
            return agents[0]


async def test_pause_and_unpause_reach_the_simulated_pbx(engine, db_url):
    async with simulator(agents=2) as (sim, port):
        app, client = await _serve(
            engine, db_url, None, ami_enabled=True, ami_host="127.0.0.1", ami_port=port,
            ami_user="cti", ami_secret="cti-secret",
        )  # fmt: skip
        try:
            await until(lambda: app[BRIDGE].connected, "AMI login")
            ws = await _board_socket(app, client)
            await _until_agent(ws, "1001", "available")
            iface = "Local/1001@operators/n"
            await ws.send_str(protocol.encode(protocol.PauseAgent(iface, True, "休憩")))
            agent = await _until_agent(ws, "1001", "paused")
            assert agent.paused_reason == "休憩"
            assert sim.members[0].paused
            assert sim.members[0].reason == "休憩"
            await ws.send_str(protocol.encode(protocol.PauseAgent(iface, False)))
            agent = await _until_agent(ws, "1001", "available")
            assert not sim.members[0].paused
            await ws.send_str(protocol.encode(protocol.PauseAgent("Local/9999@operators/n", True)))
            err = await receive_type(ws, protocol.ErrorMessage, 10)
            assert err.error == "pause_failed"
            assert app[BOARD].subscribers
            await ws.close()
        finally:
            await client.close()


async def test_pause_goes_to_the_bridge_and_refusals_come_back(engine, db_url):
    bridge = FakeBridge()
    app, client = await _serve(engine, db_url, bridge)
    try:
        ws = await _board_socket(app, client, role="admin")
        await receive_type(ws, protocol.BoardUpdate)
        iface = "Local/1002@operators/n"
        await ws.send_str(protocol.encode(protocol.PauseAgent(iface, True, "研修", "vaccine")))
        await ws.send_str(protocol.encode(protocol.PauseAgent(iface, True, "二行\n目")))
        assert (await receive_type(ws, protocol.ErrorMessage)).error == "bad_message"
        assert bridge.paused == [(iface, True, "研修", "vaccine")]
        bridge.connected = False
        await ws.send_str(protocol.encode(protocol.PauseAgent(iface, False)))
        assert (await receive_type(ws, protocol.ErrorMessage)).error == "ami_unavailable"
        await ws.close()
    finally:
        await client.close()


async def test_the_service_hands_tracker_changes_to_the_board(engine, db_url):
    app, client = await _serve(engine, db_url, FakeBridge())
    try:
        service = app[SERVICE]
        assert "apply" not in vars(service.tracker)  # no wrapping: an explicit hook
        ws = await _board_socket(app, client)
        await receive_type(ws, protocol.BoardUpdate)
        service.on_event(incoming(new_linkedid(), "0773621234"))
        upd = await receive_type(ws, protocol.BoardUpdate)
        assert upd.board.queues[0].waiting == 1
        await ws.close()
    finally:
        await client.close()


async def _waiting(ws, count: int) -> tuple[str, protocol.BoardUpdate]:
    """The first board update with ``count`` callers waiting, and its text."""
    while True:
        msg = await ws.receive_str(timeout=5)
        upd = protocol.decode(msg)
        queues = upd.board.queues if isinstance(upd, protocol.BoardUpdate) else ()
        if queues and queues[0].waiting == count:
            return msg, upd


async def test_waiting_callers_are_listed_and_a_withheld_number_never_shown(engine, db_url):
    """A supervisor sees the waiting callers' numbers; a kiosk (a wallboard on a TV, with a
    token that does not expire) only their last four digits; nobody a withheld number."""
    app, client = await _serve(engine, db_url, FakeBridge())
    try:
        sv = await _board_socket(app, client, role="supervisor", op_id=7)
        kiosk = await _board_socket(app, client, role="kiosk", op_id=8)
        for ws in (sv, kiosk):
            await receive_type(ws, protocol.BoardUpdate)
        service = app[SERVICE]
        service.on_event(incoming(new_linkedid(), "0773621234"))
        service.on_event(incoming(new_linkedid(), "09012345678", withheld=True))
        service.on_event(incoming(new_linkedid(), "anonymous", name="Anonymous"))
        service.on_event(incoming(new_linkedid(), "<unknown>"))
        service.on_event(incoming(new_linkedid(), "+819087654321"))
        seen = {}
        for name, ws in (("supervisor", sv), ("kiosk", kiosk)):
            msg, upd = await _waiting(ws, 5)
            assert "9012345678" not in msg  # the withheld caller's number is nowhere in the text
            seen[name] = [
                (c.position, c.caller_status, c.number) for c in upd.board.queues[0].callers
            ]
        assert seen["supervisor"] == [
            (1, "number", "0773-62-1234"),
            (2, "withheld", ""),
            (3, "withheld", ""),
            (4, "unavailable", ""),
            (5, "number", "090-8765-4321"),
        ]
        assert seen["kiosk"] == [
            (1, "number", "****-**-1234"),
            (2, "withheld", ""),
            (3, "withheld", ""),
            (4, "unavailable", ""),
            (5, "number", "***-****-4321"),
        ]
        assert "8765" not in msg  # the kiosk's text (the last one read)
        assert "0773" not in msg
        for ws in (sv, kiosk):
            await ws.close()
    finally:
        await client.close()


async def test_agents_are_named_after_the_operator_logged_in_on_the_extension(engine, db_url):
    app, client = await _serve(engine, db_url, FakeBridge())
    try:
        ws = await _board_socket(app, client)
        await receive_type(ws, protocol.BoardUpdate)
        lid = new_linkedid()
        app[SERVICE].on_event([*incoming(lid, "0773621234"), ringing(lid, "1001")])
        agent = await _until_agent(ws, "1001", "ringing")
        assert (agent.name, agent.logged_in) == ("Operator 1001", False)  # the PBX member name
        op = await client.ws_connect("/ws", headers=auth(await token(app, 42, ext="1001")))
        while True:
            upd = await receive_type(ws, protocol.BoardUpdate)
            (agent,) = [a for a in upd.board.agents if a.extension == "1001"]
            if agent.logged_in:
                break
        assert (agent.name, agent.member_name) == ("Operator 42", "Operator 1001")
        await op.close()
        while agent.logged_in:  # logged out: back to the member name
            upd = await receive_type(ws, protocol.BoardUpdate)
            (agent,) = [a for a in upd.board.agents if a.extension == "1001"]
        assert agent.name == "Operator 1001"
        await ws.close()
    finally:
        await client.close()


async def test_a_bad_query_token_closes_the_socket_with_a_reason(engine, db_url):
    from aiohttp import WSMsgType

    app, client = await _serve(engine, db_url, FakeBridge(), token_ttl_seconds=1)
    try:
        expired = app[SIGNER].issue(Principal(9, "sv", "supervisor", None, "SV"), now=0.0)
        for tok in (expired, "v1.x.y"):
            ws = await client.ws_connect(f"/ws?token={tok}")
            msg = await ws.receive(timeout=5)
            assert msg.type is WSMsgType.CLOSE
            assert (msg.data, msg.extra) == (4401, "token_invalid")
        resp = await client.get("/ws", headers=auth("v1.x.y"))
        assert resp.status == 401  # a Bearer header still gets its 401 before the upgrade
    finally:
        await client.close()


async def test_slot_changes_on_another_instance_refresh_the_fill(engine, db_url):
    import uuid

    redis = pytest.importorskip("redis.asyncio")
    probe = redis.from_url("redis://127.0.0.1:6379")
    try:
        await asyncio.wait_for(probe.ping(), 2)
    except (OSError, TimeoutError, redis.ConnectionError):
        pytest.skip("no Redis at 127.0.0.1:6379")
    finally:
        await probe.aclose()
    # tomorrow at 10:00 in Tokyo: a slot of today could have started when the suite runs late
    day = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    day += dt.timedelta(days=1)
    starts = dt.datetime.combine(day, dt.time(10, 0), dt.timezone(dt.timedelta(hours=9)))
    async with session_factory(engine)() as s:
        venue = await create_venue(s, "中総合会館")
        slot = await create_slot(s, venue.venue_id, starts, starts + dt.timedelta(minutes=30), 4)
        await s.commit()
    bus = {"redis_url": "redis://127.0.0.1:6379/0"}
    app_a, client_a = await _serve(engine, db_url, FakeBridge(), server_id=f"a-{uuid.uuid4()}",
                                   **bus)  # fmt: skip
    app_b, client_b = await _serve(engine, db_url, FakeBridge(), server_id=f"b-{uuid.uuid4()}",
                                   **bus)  # fmt: skip
    try:
        ws = await _board_socket(app_b, client_b)
        first = await receive_type(ws, protocol.BoardUpdate)
        assert [(b.booked, b.capacity) for b in first.board.bookings] == [(0, 4)]
        resp = await client_a.patch(
            f"/api/slots/{slot.slot_id}",
            json={"capacity": 6},
            headers=auth(await token(app_a, 9, role="supervisor", ext=None)),
        )
        assert resp.status == 200, await resp.text()
        while True:  # B's board follows a change made through A
            upd = await receive_type(ws, protocol.BoardUpdate, 5)
            if upd.board.bookings[0].capacity == 6:
                break
        await ws.close()
    finally:
        await client_b.close()
        await client_a.close()


def test_the_bus_hands_other_instances_messages_to_its_handler():
    from cti_server.bus import Bus

    seen = []
    bus = Bus("redis://unused", "me", lambda kind, data: seen.append((kind, data.get("venue_id"))))
    bus.dispatch({"kind": "slots", "from": "other", "venue_id": 3})
    bus.dispatch({"kind": "slots", "from": "me", "venue_id": 4})  # our own: ignored
    bus.dispatch({"kind": "pop", "from": "other"})
    assert seen == [("slots", 3), ("pop", None)]
