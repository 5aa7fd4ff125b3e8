"""The PBX simulator over real TCP: AMI actions, generated calls checked against the recorded
Asterisk streams (key order per event type) and, through frames -> translate -> Tracker, against
the intended outcomes; restart, drops, malformed frames and split writes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from cti_server.ami.frames import FrameParser, Message, iter_file
from cti_server.ami.translate import StreamTranslator
from cti_server.domain.agents import MemberStatus, extension_of
from cti_server.domain.calls import Outcome
from cti_server.domain.tracker import Tracker
from cti_server.sim.server import PbxSimulator

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
WAIT = 5.0


class Client:
    """A minimal AMI client for tests: raw TCP + FrameParser."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.parser = FrameParser()
        self.msgs: list[Message] = []
        self.eof = False

    @classmethod
    async def open(cls, port: int) -> Client:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        c = cls(r, w)
        OPEN.append(c)
        return c

    def send(self, **fields: str) -> None:
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode() + b"\r\n")

    async def until(self, pred: Callable[[Message], bool]) -> Message:
        async with asyncio.timeout(WAIT):
            while True:
                for m in self.msgs:
                    if pred(m):
                        return m
                data = await self.reader.read(65536)
                if not data:
                    self.eof = True
                    raise EOFError
                self.msgs += self.parser.feed(data)

    async def drain_until_eof(self) -> None:
        async with asyncio.timeout(WAIT):
            while data := await self.reader.read(65536):
                self.msgs += self.parser.feed(data)
        self.eof = True

    async def login(self, secret: str = "cti") -> Message:
        self.send(Action="Login", Username="cti", Secret=secret, ActionID="a-login")
        return await self.until(lambda m: m.get("ActionID") == "a-login")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


OPEN: list[Client] = []


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    s = PbxSimulator(speed=200.0, agents=3)
    await s.start("127.0.0.1", 0)
    yield s
    await s.stop()
    while OPEN:
        await OPEN.pop().close()


async def connect(sim: PbxSimulator) -> Client:
    port = sim._server.sockets[0].getsockname()[1] if sim._server else 0
    c = await Client.open(port)
    assert (await c.login())["Response"] == "Success"
    return c


def replay(msgs: list[Message]) -> Tracker:
    t, st = Tracker(), StreamTranslator()
    for i, m in enumerate(msgs):
        for e in st.translate(m, T0 + dt.timedelta(milliseconds=i)):
            t.apply(e)
    return t


async def test_login_banner_and_fully_booted(sim: PbxSimulator) -> None:
    c = await connect(sim)
    assert c.msgs[0] == {"Banner": "Asterisk Call Manager/11.0.0"}
    assert c.msgs[1] == {"Response": "Success", "ActionID": "a-login",
                         "Message": "Authentication accepted"}  # fmt: skip
    await c.until(lambda m: m.get("Event") == "FullyBooted")
    c.send(Action="Ping", ActionID="p1")
    assert (await c.until(lambda m: m.get("ActionID") == "p1"))["Ping"] == "Pong"
    c.send(Action="Frobnicate", ActionID="x1")
    bad = await c.until(lambda m: m.get("ActionID") == "x1")
    assert (bad["Response"], bad["Message"]) == ("Error", "Invalid/unknown command")
    c.send(Action="Logoff", ActionID="bye")
    await c.drain_until_eof()
    assert c.msgs[-1]["Response"] == "Goodbye"


async def test_wrong_secret_is_refused_and_closed(sim: PbxSimulator) -> None:
    port = sim._server.sockets[0].getsockname()[1] if sim._server else 0
    c = await Client.open(port)
    resp = await c.login(secret="wrong")
    assert (resp["Response"], resp["Message"]) == ("Error", "Authentication failed")
    await c.drain_until_eof()
    assert c.eof


def fixture_key_orders(folder: Path) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = {}
    for f in folder.glob("*.ami"):
        for m in iter_file(f):
            if "Event" in m:
                out.setdefault(m["Event"], set()).add(tuple(m))
    return out


async def test_generated_calls_match_recordings_and_outcomes(
    sim: PbxSimulator, ami_fixtures: Path
) -> None:
    c = await connect(sim)
    plans = [
        sim.place_call("0773621234", talk=5),
    ]
    await sim.wait_idle()
    plans += [
        sim.place_call("0773629876", patience=12, no_answer=("1001", "1002", "1003")),
    ]
    await sim.wait_idle()
    plans += [
        sim.place_call("09012345678", no_answer=("1002",), talk=3),
        sim.place_call("anonymous", talk=2),
        sim.place_call("", talk=2),
    ]
    await sim.wait_idle()
    c.send(Action="Ping", ActionID="end")
    await c.until(lambda m: m.get("ActionID") == "end")
    recorded = fixture_key_orders(ami_fixtures)
    emitted = {m["Event"] for m in c.msgs if "Event" in m}
    assert {"Newchannel", "NewCallerid", "QueueCallerJoin", "AgentCalled", "AgentConnect",
            "AgentRingNoAnswer", "QueueCallerAbandon", "QueueCallerLeave", "AgentComplete",
            "Hangup", "QueueMemberStatus", "FullyBooted"} <= emitted  # fmt: skip
    for m in c.msgs:
        if "Event" in m:
            assert tuple(m) in recorded[m["Event"]], m["Event"]
    t = replay(c.msgs)
    answered, abandoned, next_one, withheld, empty = (t.call(p.linkedid) for p in plans)
    assert answered is not None
    assert answered.outcome is Outcome.ANSWERED
    assert answered.caller.number == "0773621234"
    assert abandoned is not None
    assert abandoned.outcome is Outcome.ABANDONED
    # rrmemory: 1001 took the first call, so 1002 rings first, then 1003 until the caller quits
    assert [extension_of(i) for i in abandoned.rung] == ["1002", "1003"]
    assert [extension_of(i) for i in abandoned.no_answer] == ["1002"]
    assert next_one is not None
    assert next_one.outcome is Outcome.ANSWERED
    assert withheld is not None
    assert withheld.caller.withheld
    assert withheld.caller.number == ""
    assert empty is not None
    assert empty.caller.raw_number == "<unknown>"
    assert not empty.caller.withheld
    assert empty.outcome is Outcome.ANSWERED
    assert t.calls == {}


async def test_resync_lists_and_queue_pause(sim: PbxSimulator) -> None:
    c = await connect(sim)
    plan = sim.place_call("0773621234", patience=10_000, no_answer=("1001", "1002", "1003"))
    await c.until(lambda m: m.get("Event") == "AgentCalled")
    for action, aid in (("CoreShowChannels", "r1"), ("QueueStatus", "r2"), ("QueueSummary", "r3")):
        c.send(Action=action, ActionID=aid)
    done = await c.until(lambda m: m.get("Event") == "QueueSummaryComplete")
    for aid in ("r1", "r2", "r3"):
        items = [m for m in c.msgs if m.get("ActionID") == aid]
        assert items[0]["EventList"] == "start"
        assert items[-1]["EventList"] == "Complete"
        assert int(items[-1]["ListItems"]) == len(items) - 2
    assert done["ActionID"] == "r3"
    c.send(Action="QueuePause", Interface="Local/1003@operators/n", Paused="true",
           Reason="休憩", ActionID="pz")  # fmt: skip
    await c.until(lambda m: m.get("Event") == "QueueMemberPause")
    fresh = replay(
        [c.msgs[0], *c.msgs[c.msgs.index(next(m for m in c.msgs if m.get("ActionID") == "r1")) :]]
    )
    call = fresh.calls[plan.linkedid]
    assert call.caller.number == "0773621234"
    assert call.ringing  # rebuilt from the snapshot alone: still ringing, so it pops again
    m1003 = fresh.members[("vaccine", "Local/1003@operators/n")]
    assert (m1003.status, m1003.paused_reason) == (MemberStatus.PAUSED, "休憩")


async def test_restart_shutdown_then_fully_booted(sim: PbxSimulator) -> None:
    c = await connect(sim)
    sim.place_call("0773621234", talk=10_000)
    await c.until(lambda m: m.get("Event") == "AgentConnect")
    sim.restart()
    await c.drain_until_eof()
    assert c.msgs[-1] == {"Event": "Shutdown", "Privilege": "system,all", "Shutdown": "Cleanly",
                          "Restart": "True"}  # fmt: skip
    c2 = await connect(sim)
    booted = await c2.until(lambda m: m.get("Event") == "FullyBooted")
    assert booted["Uptime"] == "0"
    t = replay(c.msgs + c2.msgs)
    assert t.calls == {}
    assert t.members == {}


async def test_drop_inject_and_split_writes(sim: PbxSimulator) -> None:
    c = await connect(sim)
    sim.split_writes = 1  # every byte its own write: kanji are split across reads
    sim.inject(b"this line has no colon\r\nEvent: Garbage\r\n\r\n")
    sim.place_call("0773621234", talk=1)
    await sim.wait_idle()
    called = await c.until(lambda m: m.get("Event") == "AgentCalled")
    assert called["MemberName"] == "Operator 1001 (鈴木)"
    assert c.parser.malformed == 1
    sim.drop_connections()
    await c.drain_until_eof()
    assert c.eof


async def test_a_caller_pressing_1_asks_for_a_callback(
    sim: PbxSimulator, ami_fixtures: Path
) -> None:
    c = await connect(sim)
    sim.members[0].paused = sim.members[1].paused = sim.members[2].paused = True  # nobody free
    pressed = sim.place_call("0773621234", callback_after=10)
    waited = sim.place_call("09012345678", callback_after=20, callback_reason="timeout")
    await sim.wait_idle()
    c.send(Action="Ping", ActionID="end")
    await c.until(lambda m: m.get("ActionID") == "end")
    asks = [m for m in c.msgs if m.get("Event") == "UserEvent"]
    assert [(m["Linkedid"], m["UserEvent"], m["Queue"], m["Reason"]) for m in asks] == [
        (pressed.linkedid, "CtiCallback", "vaccine", "key"),
        (waited.linkedid, "CtiCallback", "vaccine", "timeout"),
    ]
    # Asterisk's layout: the channel snapshot of the recorded events, then the name and body
    (join_keys,) = {tuple(k for k in keys if k not in ("Queue", "Position", "Count"))
                    for keys in fixture_key_orders(ami_fixtures)["QueueCallerJoin"]}  # fmt: skip
    assert tuple(asks[0]) == (*join_keys, "UserEvent", "Queue", "Reason")
    assert asks[0]["Privilege"] == "user,all"
    assert asks[0]["Context"] == "queue-callback"
    assert not [m for m in c.msgs if m.get("Event") == "QueueCallerAbandon"]
    assert (sim.callbacks, sim.abandoned) == (2, 0)
    t = replay(c.msgs)
    for plan, reason in ((pressed, "key"), (waited, "timeout")):
        call = t.call(plan.linkedid)
        assert call is not None
        assert (call.outcome, call.callback) == (Outcome.NO_AGENT, reason)
    assert t.calls == {}
