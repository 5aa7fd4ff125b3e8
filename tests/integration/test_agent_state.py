"""The operator's own state against the PBX simulator: after-call work pauses them in the queue
(so the next call waits instead of ringing them) until 完了 or its timer; their own 休止; and a
supervisor's pause told to them at once, with the supervisor's name."""

from __future__ import annotations

import datetime as dt

import pytest

from cti_server import protocol
from cti_server.agent_state import AgentStates
from cti_server.domain.tracker import Tracker
from cti_server.web.keys import BRIDGE
from tests.integration.test_end_to_end import server, simulator, until
from tests.integration.web_helpers import (
    FakeBridge,
    answered,
    auth,
    incoming,
    make_settings,
    new_linkedid,
    receive_pop,
    receive_type,
    ringing,
    token,
)

IFACE = "Local/1001@operators/n"


async def _operator(app, client, ext="1001"):
    ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext=ext)))
    hello = await receive_type(ws, protocol.Hello)
    return ws, hello


async def _until_state(ws, state, limit=10.0):
    while True:
        msg = await receive_type(ws, protocol.AgentStatus, limit)
        if msg.state == state:
            return msg


async def test_after_call_work_holds_the_next_call_until_done(engine, db_url):
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port, after_call_seconds=0) as (app, client),
    ):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        ws, _ = await _operator(app, client)
        await _until_state(ws, "available")
        first = sim.place_call("0773621234", talk=1.0, ring=0.5)
        await _until_state(ws, "in_call")
        acw = await _until_state(ws, "after_call")
        assert (acw.reason, acw.by, acw.until, acw.after_call_seconds) == ("後処理", "after_call",
                                                                          None, 0)  # fmt: skip
        assert sim.members[0].paused
        assert sim.members[0].reason == "後処理"

        second = sim.place_call("0773629999", talk=1.0, ring=0.5)
        tried = sim.found_nobody
        await until(lambda: sim.found_nobody >= tried + 3, "the queue to try three times")
        assert [f.plan.linkedid for f in sim.waiting] == [second.linkedid]  # not rung
        assert second.linkedid != first.linkedid

        await ws.send_str(protocol.encode(protocol.SetAgentState("available")))  # 完了
        done = await _until_state(ws, "available")
        assert done.by == "self"
        pop = await receive_pop(ws, 10, state="ringing")
        assert pop.call.linkedid == second.linkedid
        await ws.close()


async def test_timed_after_call_work_ends_by_itself(engine, db_url):
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port, after_call_seconds=1) as (app, client),
    ):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        ws, _ = await _operator(app, client)
        sim.place_call("0773621234", talk=0.5, ring=0.5)
        acw = await _until_state(ws, "after_call")
        start, end = (dt.datetime.fromisoformat(x) for x in (acw.since, acw.until))
        assert end - start == dt.timedelta(seconds=1)
        back = await _until_state(ws, "available")
        assert back.by == "after_call"
        await until(lambda: not sim.members[0].paused, "the unpause at the PBX")
        await ws.close()


async def test_own_pause_and_a_supervisors_pause_are_told(engine, db_url):
    async with (
        simulator(agents=2) as (sim, port),
        server(engine, db_url, port, queues=(("vaccine", "ワクチン予約"),)) as (app, client),
    ):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        ws, hello = await _operator(app, client)
        assert hello.queue_names == {"vaccine": "ワクチン予約"}
        await _until_state(ws, "available")
        await ws.send_str(protocol.encode(protocol.SetAgentState("paused", "休憩")))
        mine = await _until_state(ws, "paused")
        assert (mine.reason, mine.by) == ("休憩", "self")
        assert (sim.members[0].paused, sim.members[0].reason) == (True, "休憩")
        await ws.send_str(protocol.encode(protocol.SetAgentState("paused", "")))
        assert (await receive_type(ws, protocol.ErrorMessage)).error == "bad_message"
        await ws.send_str(protocol.encode(protocol.SetAgentState("available")))
        await _until_state(ws, "available")

        sv_token = await token(app, 9, role="supervisor", ext=None, username="sato")
        sv = await client.ws_connect("/ws", headers=auth(sv_token))
        await receive_type(sv, protocol.Hello)
        await sv.send_str(protocol.encode(protocol.SubscribeBoard()))
        await sv.send_str(protocol.encode(protocol.PauseAgent(IFACE, True, "研修")))
        told = await _until_state(ws, "paused")
        assert (told.reason, told.by, told.by_name) == ("研修", "supervisor", "Operator 9")
        await sv.send_str(protocol.encode(protocol.PauseAgent(IFACE, False)))
        back = await _until_state(ws, "available")
        assert (back.by, back.by_name) == ("supervisor", "Operator 9")
        await sv.close()
        await ws.close()


async def test_an_operator_in_no_queue_is_told_so(engine, db_url):
    async with (
        simulator(agents=1) as (_sim, port),
        server(engine, db_url, port) as (app, client),
    ):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        ws, _ = await _operator(app, client, ext="1009")
        first = await receive_type(ws, protocol.AgentStatus)
        assert first.state == "logged_out"
        await ws.send_str(protocol.encode(protocol.SetAgentState("paused", "休憩")))
        assert (await receive_type(ws, protocol.ErrorMessage)).error == "not_in_queue"
        await ws.close()


@pytest.mark.parametrize("console", [True, False])
async def test_after_call_work_only_with_a_connected_console(console):
    """The pause is sent at the answer, for an extension whose operator is logged in only."""
    bridge, sent = FakeBridge(), []
    tracker = Tracker()
    states = AgentStates(make_settings(), tracker, lambda ext, msg: sent.append(msg),
                         lambda: bridge, connected=lambda ext: console)  # fmt: skip
    lid = new_linkedid()
    for e in [*incoming(lid, "0773621234"), ringing(lid, "1001"), answered(lid, "1001")]:
        states.on_changes(tracker.apply(e))
    await until(lambda: not states._tasks, "the pause request")
    assert bridge.paused == ([(IFACE, True, "後処理", "")] if console else [])
    assert [m.state for m in sent] == ["ringing", "in_call"]
    await states.close()
