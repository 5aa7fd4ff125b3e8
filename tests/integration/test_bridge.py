"""AmiBridge over real TCP against the test AMI server: login, resync, events, reconnect, actions.

The panoramisk defects have their own file, test_panoramisk_defects.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cti_server.ami.bridge import AmiBridge, AmiSettings
from cti_server.ami.errors import AmiActionError, AmiNotConnected
from cti_server.domain import events as ev
from tests.integration.ami_server import FakeAmi, Recorder, after_login, block


def fast_settings(server: FakeAmi, **kw: object) -> AmiSettings:
    base: dict[str, object] = dict(
        host="127.0.0.1", port=server.port, username="cti", secret="s3cret",
        ping_interval=30.0, ping_timeout=0.2, reconnect_min=0.01, reconnect_max=0.05,
        connect_timeout=1.0, action_timeout=0.5, resync_timeout=1.0,
    )  # fmt: skip
    base.update(kw)
    return AmiSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
async def bridge(ami: FakeAmi, rec: Recorder) -> AsyncIterator[AmiBridge]:
    b = AmiBridge(fast_settings(ami), rec.on_event, on_state=rec.on_state)
    await b.start()
    yield b
    await b.close()


async def test_login_then_resync_snapshot_in_order(
    bridge: AmiBridge, ami: FakeAmi, rec: Recorder
) -> None:
    await rec.wait_for(ev.ResyncCompleted)
    assert bridge.connected
    assert bridge.state == "connected"
    assert bridge.last_error == ""
    assert ami.names()[:4] == ["Login", "CoreShowChannels", "QueueStatus", "QueueSummary"]
    names = rec.names()
    assert names[0] == "ResyncStarted"
    assert names[-1] == "ResyncCompleted"
    assert names.index("PbxBooted") < names.index("ChannelSeen")  # FullyBooted after ResyncStarted
    assert len(rec.of(ev.ChannelSeen)) == 8
    assert {m.interface for m in rec.of(ev.MemberState)} == {
        f"Local/{x}@operators/n" for x in ("1001", "1002", "1003")
    }
    # the caller still waiting (ringing 1002/1003) comes out of the snapshot: it can still pop
    (entry,) = rec.of(ev.QueueEntrySeen)
    assert (entry.number, entry.queue, entry.position) == ("09012345678", "vaccine", 1)
    waiting = [c for c in rec.of(ev.ChannelSeen) if c.number == "09012345678"]
    assert waiting
    assert all(c.linkedid for c in waiting)
    assert rec.states == ["connected"]


async def test_resync_items_interleaved_with_live_events(ami: FakeAmi, rec: Recorder) -> None:
    ami.interleave = [
        block(
            "Event: QueueMemberPause",
            "Queue: vaccine",
            "Interface: Local/1003@operators/n",
            "MemberName: Operator 1003",
            "Paused: 1",
            "PausedReason: 休憩",
        )
    ]
    b = AmiBridge(fast_settings(ami), rec.on_event)
    await b.start()
    try:
        await rec.wait_for(ev.ResyncCompleted)
    finally:
        await b.close()
    names = rec.names()
    # the live event flows, in stream order, right after the first CoreShowChannel item
    assert names.index("MemberPaused") == names.index("ChannelSeen") + 1
    assert rec.of(ev.MemberPaused)[0].reason == "休憩"
    assert len(rec.of(ev.ChannelSeen)) == 8


async def test_recorded_call_flows_through(
    bridge: AmiBridge, ami: FakeAmi, rec: Recorder, ami_fixtures: Path
) -> None:
    await rec.wait_for(ev.ResyncCompleted)
    session = await ami.session(0)
    await session.send(after_login((ami_fixtures / "01-answered.ami").read_bytes()))
    await rec.wait_for(ev.CallCompleted)
    (queued,) = rec.of(ev.CallQueued)
    assert (queued.linkedid, queued.number, queued.withheld) == (
        "1795734260.0",
        "0773621234",
        False,
    )
    assert rec.of(ev.AgentRinging)[0].interface == "Local/1001@operators/n"
    assert rec.of(ev.CallAnswered)[0].hold_seconds == 1.0
    assert rec.of(ev.CallCompleted)[0].talk_seconds == 5.0


async def test_read_scope_wraps_the_events_of_each_read(ami: FakeAmi, ami_fixtures: Path) -> None:
    """``read_scope`` is entered around each TCP read's events (and the held ones released at
    login): the events come one by one as without it, grouped by read."""
    reads: list[list[str]] = []
    rec = Recorder()

    @contextlib.contextmanager
    def read_scope() -> Iterator[None]:
        reads.append([])
        yield
        reads[-1].append("end")

    def on_event(e: ev.DomainEvent) -> None:
        reads[-1].append(type(e).__name__)
        rec.on_event(e)

    b = AmiBridge(fast_settings(ami), on_event, read_scope=read_scope)
    await b.start()
    try:
        await rec.wait_for(ev.ResyncCompleted)
        before = len(reads)
        stream = after_login((ami_fixtures / "01-answered.ami").read_bytes())
        half = stream.index(b"Event: AgentConnect")
        await (await ami.session(0)).send(stream, split_at=[half])
        await rec.wait_for(ev.CallCompleted)
    finally:
        await b.close()
    live = [r for r in reads[before:] if r != ["end"]]
    assert len(live) == 2, live
    assert all(r[-1] == "end" for r in live)
    assert "AgentRinging" in live[0]
    assert {"CallAnswered", "CallCompleted"} <= set(live[1])
    assert [n for r in live for n in r if n != "end"] == rec.names()[
        -sum(len(r) - 1 for r in live) :
    ]


async def test_reconnects_after_drop_and_resyncs(
    bridge: AmiBridge, ami: FakeAmi, rec: Recorder
) -> None:
    await rec.wait_for(ev.ResyncCompleted)
    (await ami.session(0)).drop()
    await rec.wait_for(ev.ConnectionLost)
    await rec.wait_for(ev.ResyncCompleted, 2)
    await ami.session(1)
    names = rec.names()
    lost = names.index("ConnectionLost")
    assert names[lost + 1] == "ResyncStarted"
    assert rec.states == ["connected", "disconnected", "connected"]
    assert bridge.connected
    assert bridge.sessions == 2


async def test_asterisk_restart_detected(
    bridge: AmiBridge, ami: FakeAmi, rec: Recorder, ami_fixtures: Path
) -> None:
    stream = after_login((ami_fixtures / "10-restart.ami").read_bytes())
    first_session = stream[: stream.index(b"Asterisk Call Manager/")]  # up to Shutdown
    await rec.wait_for(ev.ResyncCompleted)
    await (await ami.session(0)).send(first_session)  # Shutdown: the bridge drops the socket
    await rec.wait_for(ev.ResyncCompleted, 2)
    names = rec.names()
    shut = names.index("PbxShutdown")
    assert rec.of(ev.PbxShutdown)[0].restart is True
    assert names[shut : shut + 4] == ["PbxShutdown", "ConnectionLost", "ResyncStarted", "PbxBooted"]
    assert len(ami.sessions) == 2


async def test_connect_refused_then_backoff(rec: Recorder) -> None:
    server = await FakeAmi().start()
    port = server.port
    await server.close()  # nothing listens there any more
    b = AmiBridge(
        AmiSettings(port=port, secret="x", reconnect_min=0.01, reconnect_max=0.02),
        rec.on_event,
        on_state=rec.on_state,
    )
    await b.start()
    try:
        await rec.wait_until(lambda: rec.states)
        assert b.state == "disconnected"
        assert "cannot connect" in b.last_error
        assert not b.connected
    finally:
        await b.close()
    assert rec.events == []  # never connected: no ConnectionLost


async def test_no_banner_is_a_connect_timeout(rec: Recorder) -> None:
    writers: list[asyncio.StreamWriter] = []

    async def silent(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        writers.append(w)  # says nothing, not even the banner

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    b = AmiBridge(
        AmiSettings(port=port, secret="x", connect_timeout=0.05),
        rec.on_event,
        on_state=rec.on_state,
    )
    await b.start()
    try:
        await rec.wait_until(lambda: rec.states)
        assert "TimeoutError" in b.last_error
    finally:
        await b.close()
        for w in writers:
            w.close()
        server.close()
        await server.wait_closed()


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    b = AmiBridge(
        AmiSettings(reconnect_min=1.0, reconnect_max=30.0),
        lambda e: None,
        translator=lambda m, at: [],
        rng=random.Random(7),
    )
    for failures, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (10, 30.0), (99, 30.0)]:
        delays = [b._backoff(failures) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered


async def test_queue_pause_sends_the_action(bridge: AmiBridge, ami: FakeAmi, rec: Recorder) -> None:
    await rec.wait_for(ev.ResyncCompleted)
    await bridge.queue_pause("Local/1001@operators/n", True, reason="休憩", queue="vaccine")
    (sent,) = [a for a in ami.actions if a["Action"] == "QueuePause"]
    assert sent["Interface"] == "Local/1001@operators/n"
    assert (sent["Paused"], sent["Reason"], sent["Queue"]) == ("true", "休憩", "vaccine")
    await bridge.queue_pause("Local/1001@operators/n", False)
    assert ami.actions[-1]["Paused"] == "false"
    assert "Queue" not in ami.actions[-1]


async def test_queue_pause_error_response(bridge: AmiBridge, ami: FakeAmi, rec: Recorder) -> None:
    ami.handlers["queuepause"] = lambda s, a: block(
        "Response: Error", f"ActionID: {a['ActionID']}", "Message: Interface not found"
    )
    await rec.wait_for(ev.ResyncCompleted)
    with pytest.raises(AmiActionError, match="Interface not found"):
        await bridge.queue_pause("Local/9999@operators/n", True)
    with pytest.raises(ValueError, match="line break"):
        await bridge.queue_pause("Local/1001@operators/n", True, reason="x\r\nAction: Originate")
    assert bridge.connected


async def test_queue_pause_unanswered_times_out(
    bridge: AmiBridge, ami: FakeAmi, rec: Recorder
) -> None:
    ami.handlers["queuepause"] = lambda s, a: None
    await rec.wait_for(ev.ResyncCompleted)
    with pytest.raises(AmiActionError, match="no answer"):
        await bridge.queue_pause("Local/1001@operators/n", True)


async def test_queue_pause_when_not_connected(rec: Recorder) -> None:
    b = AmiBridge(AmiSettings(secret="x"), rec.on_event)
    with pytest.raises(AmiNotConnected):
        await b.queue_pause("Local/1001@operators/n", True)
    await b.close()
    assert b.state == "closed"


async def test_call_ringing_through_a_reconnect_still_pops(ami: FakeAmi) -> None:
    """The caller waiting (ringing 1002) when the link drops is rebuilt by the resync snapshot,
    so the tracker knows whom it rings and the pop can go out again."""
    from cti_server.domain.tracker import Tracker

    tracker, rec = Tracker(), Recorder()

    def on_event(e: ev.DomainEvent) -> None:
        tracker.apply(e)
        rec.on_event(e)

    b = AmiBridge(fast_settings(ami), on_event)
    await b.start()
    try:
        await rec.wait_for(ev.ResyncCompleted)
        (await ami.session(0)).drop()
        await rec.wait_for(ev.ResyncCompleted, 2)
    finally:
        await b.close()
    (call,) = [c for c in tracker.calls.values() if "Local/1002@operators/n" in c.ringing]
    assert call.caller.raw_number == "09012345678"


async def test_unexpected_error_keeps_the_bridge_alive(ami: FakeAmi, rec: Recorder) -> None:
    """A bug inside a session (here: a username with a line break, refused by serialize) is
    logged and retried with backoff; the task does not die and nothing is injected."""
    b = AmiBridge(
        fast_settings(ami, username="cti\r\nAction: Originate"), rec.on_event, on_state=rec.on_state
    )
    await b.start()
    try:
        await rec.wait_until(lambda: rec.states)
        assert b.state == "disconnected"
        assert "line break" in b.last_error
        assert b._task is not None
        assert not b._task.done()
    finally:
        await b.close()
    assert "Originate" not in ami.names()
