"""Faults seen against a real Asterisk, replayed end to end over real TCP: the PBX simulator
(AMI) -> AmiBridge -> server -> /healthz, the tracker, the records and operator sockets."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from cti_server import protocol
from cti_server.ami.frames import parse_bytes
from cti_server.ami.translate import translate
from cti_server.caller_id import identify
from cti_server.domain.tracker import Tracker
from cti_server.web.keys import BRIDGE, SERVICE
from registry.calls import get_call
from registry.db import session_factory
from tests.integration.ami_server import block
from tests.integration.test_end_to_end import server, simulator, until
from tests.integration.web_helpers import add_household, auth, receive_pop, receive_type, token

LANDLINE = "+81773621234"


async def healthz_status(client, want: int, limit: float = 10.0) -> None:
    """Wait until /healthz answers ``want`` (a state the server reaches on its own)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while (await client.get("/healthz")).status != want:
        if loop.time() > deadline:
            pytest.fail(f"/healthz never answered {want}")
        await asyncio.sleep(0.05)


async def test_restart_before_app_queue_is_loaded_resyncs_after_fully_booted(engine, db_url):
    """Asterisk accepts the login before app_queue is loaded: QueueStatus is refused. The resync
    is not reported complete (/healthz 503), and the agents come back after FullyBooted."""
    async with simulator(agents=3) as (sim, port), server(engine, db_url, port) as (app, client):
        tracker = app[SERVICE].tracker
        await until(lambda: len(tracker.members) == 3, "the agents from the first resync")
        await healthz_status(client, 200)
        sim.restart(booting=True)
        await until(lambda: app[BRIDGE].sessions >= 2, "the login after the restart")
        await until(lambda: "queuesummary" in sim.refused, "the refused resync lists")
        await healthz_status(client, 503)
        staff = auth(await token(app, 1, ext="1001"))  # the details need a token
        body = await (await client.get("/healthz", headers=staff)).json()
        assert body["ami"]["connected"] is True
        assert body["ami"]["status"] == "resync_incomplete"
        assert "QueueStatus" in body["ami"]["error"]
        sim.finish_boot()
        await until(lambda: len(tracker.members) == 3, "the agents after FullyBooted")
        await healthz_status(client, 200)
        assert tracker.last_resync is not None
        assert tracker.last_resync.members == 3


async def next_of(ws, cls: type, limit: float = 10.0):
    """The next message of type ``cls``, failing after ``limit`` seconds whatever else comes."""
    async with asyncio.timeout(limit):
        return await receive_type(ws, cls, limit)


async def next_pop(ws, limit: float = 15.0, *, state: str | None = None):
    """The next complete pop (in ``state``), failing after ``limit`` seconds."""
    async with asyncio.timeout(limit):
        return await receive_pop(ws, limit, state=state)


async def test_operators_learn_that_the_pbx_link_is_down(engine, db_url):
    """Only the supervisors' board knew: now every operator gets the link state (in Hello and
    when it changes), and the ringing pop is re-sent marked uncertain while the link is down."""
    await add_household(engine, LANDLINE)
    async with simulator(agents=1) as (sim, port), server(engine, db_url, port) as (app, client):
        await until(lambda: app[SERVICE].tracker.connected, "the PBX link")
        ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext="1001")))
        hello = await receive_type(ws, protocol.Hello)
        assert (hello.pbx_link, hello.pbx_down_since) == ("up", None)
        plan = sim.place_call("0773621234", talk=30.0, ring=30.0)
        pop = await receive_pop(ws, 10)
        assert (pop.call.linkedid, pop.call.state, pop.uncertain) == (
            plan.linkedid,
            "ringing",
            False,
        )
        await sim.stop()  # Asterisk dies with the call ringing
        link = await next_of(ws, protocol.PbxLink)
        assert link.state == "down"
        assert link.since is not None
        again = await next_of(ws, protocol.ScreenPop)
        assert (again.call.linkedid, again.call.state, again.uncertain) == (
            plan.linkedid, "ringing", True,
        )  # fmt: skip
        # an operator connecting now is told at once, and gets its call back marked uncertain
        await ws.close()
        ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext="1001")))
        hello = await receive_type(ws, protocol.Hello)
        assert hello.pbx_link == "down"
        assert hello.pbx_down_since == link.since
        back = await next_of(ws, protocol.ScreenPop)
        assert back.uncertain is True
        await ws.close()


async def test_hello_says_off_without_a_pbx(engine, db_url):
    async with server(engine, db_url, None) as (app, client):
        ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext="1001")))
        hello = await receive_type(ws, protocol.Hello)
        assert hello.pbx_link == "off"
        await ws.close()


async def test_a_withheld_call_is_stored_with_presentation_prohibited(engine, db_url):
    """The caller's channel carries CALLERID(pres)=prohib (set by the dialplan, no NewCallerid
    for it): the record must say prohib, not the allowed_not_screened of the first leg."""
    async with simulator(agents=1) as (sim, port), server(engine, db_url, port) as (app, _):
        await until(lambda: app[SERVICE].tracker.connected, "the PBX link")
        plan = sim.place_call("anonymous", "Anonymous", talk=0.5)
        await sim.wait_idle()
        await until(lambda: not app[SERVICE].tracker.calls, "the call to end")
        await app[SERVICE].settle()
        async with session_factory(engine)() as s:
            rec = await get_call(s, plan.linkedid)
        assert (rec.caller_status, rec.caller_e164, rec.caller_raw) == ("withheld", "", "anonymous")
        assert rec.presentation.startswith("prohib")


def test_a_prohibited_presentation_is_not_overwritten_by_a_later_leg() -> None:
    """A real SIP trunk: the caller ID and CALLERID(pres)=prohib are on the caller's own
    Newchannel; the queue leg (a Local channel) then reports allowed_not_screened. The record
    kept the later value; it must keep prohib."""
    stream = block(
        "Event: Newchannel", "Channel: PJSIP/trunk-00000001", "ChannelState: 0",
        "CallerIDNum: anonymous", "CallerIDName: Anonymous", "Uniqueid: 1795800000.1",
        "Linkedid: 1795800000.1", "ChanVariable: CALLERID(pres)=prohib",
    ) + block(
        "Event: QueueCallerJoin", "Channel: Local/0773620000@from-trunk-00000001;2",
        "CallerIDNum: anonymous", "CallerIDName: Anonymous", "Uniqueid: 1795800000.3",
        "Linkedid: 1795800000.1", "ChanVariable: CALLERID(pres)=allowed_not_screened",
        "Queue: vaccine", "Position: 1", "Count: 1",
    )  # fmt: skip
    tracker = Tracker()
    at = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
    for msg in parse_bytes(stream):
        for event in translate(msg, at):
            tracker.apply(event)
    call = tracker.calls["1795800000.1"]
    record = dict(identify(call.caller, "0773").record)
    assert record["caller_status"] == "withheld"
    assert record["presentation"] == "prohib"


async def test_a_repeat_caller_is_flagged_in_the_pop(engine, db_url):
    """The same number called earlier today: the pop says how many times (the history was only
    in the resident record)."""
    await add_household(engine, LANDLINE)
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port, after_call_enabled=False) as (app, client),
    ):
        await until(lambda: app[SERVICE].tracker.connected, "the PBX link")
        ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext="1001")))
        await receive_type(ws, protocol.Hello)
        first = sim.place_call("0773621234", talk=0.2)
        pop = await next_pop(ws)
        assert (pop.call.linkedid, pop.repeat_calls) == (first.linkedid, 0)
        await next_pop(ws, state="ended")
        await app[SERVICE].settle()
        second = sim.place_call("0773621234", talk=0.2)
        pop = await next_pop(ws)
        assert (pop.call.linkedid, pop.repeat_calls) == (second.linkedid, 1)
        await ws.close()


def test_a_call_that_vanished_during_an_outage_ends_at_the_loss_time() -> None:
    """The call was up when the link was lost and is gone from the resync: its end is when we
    lost sight of it (the PBX's last word), not when we came back."""
    from cti_server.domain import events as ev

    t0 = dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.UTC)
    tracker = Tracker()
    for event in (
        ev.ResyncStarted(t0),
        ev.PbxBooted(t0),
        ev.ResyncCompleted(t0),
        ev.CallQueued(
            "l-1", "l-1", "vaccine", 1, 1, "0773621234", "", "", False, t0 + dt.timedelta(seconds=1)
        ),
        ev.ConnectionLost("connection lost", t0 + dt.timedelta(seconds=5)),
        ev.ResyncStarted(t0 + dt.timedelta(seconds=65)),
        ev.PbxBooted(t0 + dt.timedelta(seconds=65)),
        ev.ResyncCompleted(t0 + dt.timedelta(seconds=66)),
    ):
        tracker.apply(event)
    call = tracker.call("l-1")
    assert call is not None
    assert not call.live
    assert call.ended_at == t0 + dt.timedelta(seconds=5)


async def test_entered_at_is_not_rewritten_by_a_later_resync(engine):
    """After a server crash the resync rebuilds a live call with an approximate entry time (the
    snapshot's Wait, in whole seconds): the stored entry time, from the PBX's own event, stays."""
    from registry.calls import upsert_call

    t0 = dt.datetime(2026, 12, 4, 0, 0, 0, 250000, tzinfo=dt.UTC)
    async with session_factory(engine)() as s:
        await upsert_call(s, "l-9", entered_at=t0, outcome="ongoing", queue="vaccine")
        await s.commit()
    async with session_factory(engine)() as s:  # the restarted server's record of the same call
        await upsert_call(s, "l-9", entered_at=t0 + dt.timedelta(seconds=1.75), outcome="ongoing")
        await s.commit()
    async with session_factory(engine)() as s:
        rec = await get_call(s, "l-9")
    assert rec.entered_at == t0


async def test_a_pop_rebuilt_after_a_server_restart_shows_the_real_wait(engine, db_url):
    """A server (re)started while a call rings: its pop comes from the resync, and its wait is
    the PBX's own (the queue entry's Wait), not 0 s."""
    await add_household(engine, LANDLINE)
    async with simulator(agents=1) as (sim, port):
        sim.place_call("0773621234", talk=30.0, ring=120.0)
        await until(
            lambda: any(c.name.startswith("Local/1001@") for c in sim.channels.values()),
            "the call to ring",
        )
        await asyncio.sleep(1.0)  # the caller waits on (4 simulated seconds per second)
        async with server(engine, db_url, port) as (app, client):
            await until(lambda: bool(app[SERVICE].tracker.calls), "the call from the resync")
            ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext="1001")))
            pop = await next_pop(ws)
            assert pop.call.state == "ringing"
            assert pop.call.wait_seconds >= 2.0, pop.call
            await ws.close()


async def test_a_call_answered_while_the_link_was_down_is_rebuilt_and_marked_recovered(
    engine, db_url
):
    """The PBX refuses the bridge for a while (as during a restart); a call comes in and is
    answered meanwhile. Once the bridge is back, the call pops at the answering operator and its
    record exists, marked recovered (its times are the snapshot's, not the events')."""
    await add_household(engine, LANDLINE)
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port, ami_auth_retry_seconds=0.2) as (app, client),
    ):
        await until(lambda: app[SERVICE].tracker.connected, "the PBX link")
        ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext="1001")))
        await receive_type(ws, protocol.Hello)
        good, sim.secret = sim.secret, "changed"
        sim.drop_connections()
        await until(lambda: app[BRIDGE].state == "auth_failed", "the refused login")
        plan = sim.place_call("0773621234", talk=60.0, ring=0.5)
        await until(lambda: any(m.in_call for m in sim.members), "the answer, unseen by us")
        sim.secret = good
        pop = await next_pop(ws, state="answered")
        assert (pop.call.linkedid, pop.call.extension) == (plan.linkedid, "1001")
        await app[SERVICE].settle()
        async with session_factory(engine)() as s:
            rec = await get_call(s, plan.linkedid)
        assert rec.recovered is True
        assert rec.extension == "1001"
        await ws.close()
