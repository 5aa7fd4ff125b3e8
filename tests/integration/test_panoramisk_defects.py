"""The panoramisk 1.4 defects of DOMAIN.md, each shown twice over real TCP.

``test_plain_*`` runs the scenario against plain panoramisk and asserts the defect is there (if
one starts failing, upstream fixed it: the workaround may go). ``test_bridge_*`` runs the same
scenario through AmiBridge and asserts the right behaviour: it fails without the workaround.
Defect 6 (``save_stream`` crashes) and 8 (``panoramisk.testing``) are avoided by never using them,
which ``test_no_forbidden_panoramisk_use`` checks on the source tree. This file must never import
``panoramisk.testing`` either: it would switch the line terminator for the whole test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import panoramisk.utils
import pytest
from panoramisk import Manager
from panoramisk.message import Message

from cti_server.ami.bridge import AmiBridge
from cti_server.ami.errors import AmiActionLost, AmiAuthError
from cti_server.domain import events as ev
from tests.integration.ami_server import FakeAmi, Recorder, block
from tests.integration.test_bridge import fast_settings

KANJI_EVENT = block(
    "Event: NewCallerid", "Channel: Local/0773620000@from-trunk-00000000;1",
    "CallerIDNum: 0773621234", "CallerIDName: 山田太郎", "Uniqueid: 1795734260.0",
    "Linkedid: 1795734260.0", "ChanVariable: CALLERID(pres)=allowed_not_screened",
)  # fmt: skip
SPLIT_IN_KANJI = KANJI_EVENT.index("山".encode()) + 1  # inside the 3 bytes of 山
JOIN_ONE_CHANVAR = block(
    "Event: QueueCallerJoin", "Channel: Local/0773620000@from-trunk-00000000;2",
    "CallerIDNum: 0773621234", "CallerIDName: <unknown>", "Uniqueid: 1795734260.1",
    "Linkedid: 1795734260.0", "ChanVariable: CALLERID(pres)=prohib", "Queue: vaccine",
    "Position: 1", "Count: 1",
)  # fmt: skip


@contextlib.asynccontextmanager
async def run_bridge(ami: FakeAmi, rec: Recorder, **kw: Any) -> AsyncIterator[AmiBridge]:
    b = AmiBridge(fast_settings(ami, **kw), rec.on_event, on_state=rec.on_state)
    await b.start()
    try:
        yield b
    finally:
        await b.close()


@contextlib.asynccontextmanager
async def plain_manager(ami: FakeAmi, **kw: Any) -> AsyncIterator[tuple[Manager, asyncio.Event]]:
    """A plain panoramisk Manager, built inside the running loop (as the PyPI release needs)."""
    logged_in = asyncio.Event()
    config: dict[str, Any] = dict(
        host="127.0.0.1", port=ami.port, username="cti", secret="s3cret", ping_delay=1000,
        ping_interval=1000, reconnect_timeout=0, loop=asyncio.get_running_loop(),
        on_login=lambda _m: logged_in.set(),
    )  # fmt: skip
    config.update(kw)
    m = Manager(**config)
    m.connect()
    try:
        yield m, logged_in
    finally:
        await ami.close()  # nothing to reconnect to any more ...
        m.connect = lambda *a, **k: None  # ... and stop its reconnect loop (see defect 5)
        m.close()
        await asyncio.sleep(0.05)  # let an already scheduled reconnect fail on the closed port
        m.close()


def count(ami: FakeAmi, action: str) -> int:
    return sum(1 for a in ami.actions if a.get("Action") == action)


# -- 1. a kanji split across two TCP reads ---------------------------------------------------


async def test_plain_loses_kanji_split_across_reads(ami: FakeAmi) -> None:
    """Defect 1: each read is decoded alone with errors ignored: 山 is lost."""
    names: list[str] = []
    got = asyncio.Event()

    def on_cid(_m: Manager, e: Message) -> None:
        names.append(e["CallerIDName"])
        got.set()

    async with plain_manager(ami) as (m, logged_in):
        m.register_event("NewCallerid", on_cid)
        await asyncio.wait_for(logged_in.wait(), 3)
        await (await ami.session(0)).send(KANJI_EVENT, split_at=[SPLIT_IN_KANJI])
        await asyncio.wait_for(got.wait(), 3)
    assert names != ["山田太郎"]
    assert names == ["田太郎"]


async def test_bridge_keeps_kanji_split_across_reads(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 1: bytes are buffered and only whole lines decoded (frames.FrameParser)."""
    async with run_bridge(ami, rec):
        await rec.wait_for(ev.ResyncCompleted)
        await (await ami.session(0)).send(KANJI_EVENT, split_at=[SPLIT_IN_KANJI])
        await rec.wait_for(ev.CallerIdentified)
    assert [e.name for e in rec.of(ev.CallerIdentified)] == ["山田太郎"]


# -- 2. actions unanswered at a disconnect ----------------------------------------------------


async def test_plain_resends_pending_action_after_reconnect(ami: FakeAmi) -> None:
    """Defect 2: a QueuePause unanswered at the drop is sent again on the next connection."""
    ami.handlers["queuepause"] = lambda s, a: None  # never answered
    async with plain_manager(ami) as (m, logged_in):
        await asyncio.wait_for(logged_in.wait(), 3)
        m.send_action(
            {"Action": "QueuePause", "Interface": "Local/1001@operators/n", "Paused": "true"}
        )
        await ami.wait_until(lambda: count(ami, "QueuePause") == 1)
        ami.sessions[0].drop()
        await ami.wait_until(lambda: count(ami, "QueuePause") == 2)  # a duplicate
        assert [a.get("Action") for a in ami.sessions[1].actions][-1] == "QueuePause"


async def test_bridge_fails_pending_action_at_disconnect(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 2: the pending QueuePause fails with AmiActionLost and is never re-sent."""
    ami.handlers["queuepause"] = lambda s, a: None
    async with run_bridge(ami, rec, action_timeout=5.0) as bridge:
        await rec.wait_for(ev.ResyncCompleted)
        pause = asyncio.create_task(bridge.queue_pause("Local/1001@operators/n", True))
        await ami.wait_until(lambda: count(ami, "QueuePause") == 1)
        ami.sessions[0].drop()
        with pytest.raises(AmiActionLost, match="not re-sent"):
            await pause
        await rec.wait_for(ev.ResyncCompleted, 2)  # reconnected, logged in, resynced
    assert count(ami, "QueuePause") == 1
    assert "QueuePause" not in [a.get("Action") for a in ami.sessions[1].actions]


# -- 3. an exception in an event callback -----------------------------------------------------


async def test_plain_callback_exception_kills_connection(ami: FakeAmi) -> None:
    """Defect 3: the exception escapes data_received: the rest of the read is dropped and the
    transport is closed (panoramisk then reconnects)."""
    seen: list[str] = []

    def boom(_m: Manager, e: Message) -> None:
        seen.append(e["Uniqueid"])
        if len(seen) == 1:
            raise RuntimeError("bug in a handler")

    async with plain_manager(ami) as (m, logged_in):
        m.register_event("NewCallerid", boom)
        await asyncio.wait_for(logged_in.wait(), 3)
        second = KANJI_EVENT.replace(b"1795734260.0", b"1795734261.0")
        await ami.sessions[0].send(KANJI_EVENT + second)  # one write, one read
        await ami.wait_until(lambda: len(ami.sessions) == 2)  # connection killed, reconnected
    assert seen == ["1795734260.0"]  # the second event of that read never arrived


async def test_bridge_survives_callback_exception(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 3: callbacks are wrapped (log.exception) and the read goes on."""
    seen: list[ev.CallerIdentified] = []

    def boom(e: object) -> None:
        rec.on_event(e)
        if isinstance(e, ev.CallerIdentified):
            seen.append(e)
            raise RuntimeError("bug in a handler")

    b = AmiBridge(fast_settings(ami), boom, on_state=rec.on_state)
    await b.start()
    try:
        await rec.wait_for(ev.ResyncCompleted)
        second = KANJI_EVENT.replace(b"1795734260.0", b"1795734261.0")
        await ami.sessions[0].send(KANJI_EVENT + second)
        await rec.wait_for(ev.CallerIdentified, 2)
        await b.queue_pause("Local/1001@operators/n", True)  # the connection still works
    finally:
        await b.close()
    assert [e.linkedid for e in seen] == ["1795734260.0", "1795734261.0"]
    assert len(ami.sessions) == 1
    assert not rec.of(ev.ConnectionLost)


# -- 4. keep-alive ping never checked ---------------------------------------------------------


async def test_plain_ignores_unanswered_pings(ami: FakeAmi) -> None:
    """Defect 4: pings go unanswered and panoramisk still believes it is connected."""
    ami.ping_reply = False
    async with plain_manager(ami, ping_delay=0, ping_interval=0) as (m, logged_in):
        await asyncio.wait_for(logged_in.wait(), 3)
        await ami.wait_until(lambda: count(ami, "Ping") >= 5)
        assert m._connected
        assert len(ami.sessions) == 1


async def test_bridge_declares_dead_on_ping_timeout(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 4: no Pong within ping_timeout: connection closed, ConnectionLost, reconnect."""
    ami.ping_reply = False
    async with run_bridge(ami, rec, ping_interval=0.05, ping_timeout=0.1) as bridge:
        await rec.wait_for(ev.ConnectionLost)
        await ami.session(1)
        assert "Ping" in rec.of(ev.ConnectionLost)[0].reason
        await rec.wait_for(ev.ResyncCompleted, 2)
        assert bridge.sessions == 2
    assert count(ami, "Ping") >= 1


# -- 5. close() and a pending reconnect -------------------------------------------------------


async def test_plain_close_does_not_cancel_reconnect(ami: FakeAmi) -> None:
    """Defect 5: after close() during the reconnect delay, panoramisk connects again anyway."""
    async with plain_manager(ami, reconnect_timeout=0) as (m, logged_in):
        await asyncio.wait_for(logged_in.wait(), 3)
        m.on_disconnect = lambda mgr, exc: mgr.close()  # close as soon as the drop is seen
        ami.sessions[0].drop()
        await ami.wait_until(lambda: len(ami.sessions) == 2)  # it came back regardless


async def test_bridge_close_cancels_pending_reconnect(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 5: close() during the backoff sleep ends the task; no task is left behind."""
    async with run_bridge(ami, rec, reconnect_min=0.2, reconnect_max=0.2) as bridge:
        await rec.wait_for(ev.ResyncCompleted)
        ami.sessions[0].drop()
        await rec.wait_for(ev.ConnectionLost)  # now sleeping before the reconnect
        await bridge.close()
        assert bridge.state == "closed"
    left = [t for t in asyncio.all_tasks() if t.get_name().startswith("ami-")]
    assert left == []
    assert len(ami.sessions) == 1


# -- 7. getdict() with a single ChanVariable --------------------------------------------------


def test_plain_getdict_fails_on_single_chanvariable() -> None:
    """Defect 7: one ChanVariable header is a str, and getdict() raises TypeError."""
    msg = Message.from_line(JOIN_ONE_CHANVAR.decode().strip())
    with pytest.raises(TypeError):
        msg.getdict("ChanVariable")


async def test_bridge_reads_single_chanvariable(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 7: ChanVariable is parsed by frames.py, never by getdict(): withheld is seen."""
    async with run_bridge(ami, rec):
        await rec.wait_for(ev.ResyncCompleted)
        await ami.sessions[0].send(JOIN_ONE_CHANVAR)
        await rec.wait_for(ev.CallQueued)
    (queued,) = rec.of(ev.CallQueued)
    assert (queued.presentation, queued.withheld) == ("prohib", True)


# -- 8. panoramisk.testing switches the line terminator ---------------------------------------


FORBIDDEN_IMPORT = re.compile(
    r"^\s*(import panoramisk\.testing|from panoramisk\.testing import"
    r"|from panoramisk import.*testing)",
    re.M,
)


def test_no_forbidden_panoramisk_use() -> None:
    """Defects 6 and 8: nothing imports panoramisk.testing nor uses save_stream, and only
    cti_server/ami imports panoramisk at all."""
    root = Path(__file__).resolve().parents[2]
    for path in [
        *root.glob("cti_server/**/*.py"),
        *root.glob("registry/**/*.py"),
        *root.glob("desktop_client/**/*.py"),
    ]:
        text = path.read_text(encoding="utf-8")
        assert not FORBIDDEN_IMPORT.search(text), path
        assert not re.search(r"save_stream\s*=|\.save_stream\b", text), path
        if "cti_server/ami" not in path.as_posix():
            assert not re.search(r"^\s*(import|from) panoramisk", text, re.M), path


async def test_bridge_does_not_depend_on_panoramisk_eol(
    ami: FakeAmi, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 8: what panoramisk.testing.Manager() does to the process (utils.EOL = LF) breaks
    panoramisk's own serialization, not ours: the bridge still logs in and acts."""
    monkeypatch.setattr(panoramisk.utils, "EOL", "\n")
    from panoramisk.actions import Action

    assert "\r\n" not in str(Action({"Action": "Ping"}))  # what plain panoramisk would send
    async with run_bridge(ami, rec) as bridge:
        await rec.wait_for(ev.ResyncCompleted)
        await bridge.queue_pause("Local/1001@operators/n", True)
    assert count(ami, "QueuePause") == 1


# -- 9. a wrong secret ------------------------------------------------------------------------


async def test_plain_wrong_secret_reconnects_forever(ami: FakeAmi) -> None:
    """Defect 9: no error is raised; panoramisk just connects and logs in again and again."""
    async with plain_manager(ami, secret="wrong") as (m, logged_in):
        await ami.wait_until(lambda: len(ami.sessions) >= 3)
        assert not m.authenticated
        assert not logged_in.is_set()


async def test_bridge_wrong_secret_is_auth_failed(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 9: AmiAuthError, state auth_failed, last_error says why; no retry when
    ``auth_retry`` is None."""
    async with run_bridge(ami, rec, secret="wrong", auth_retry=None) as bridge:
        await rec.wait_until(lambda: "auth_failed" in rec.states)
        assert bridge._task is not None
        await asyncio.wait_for(bridge._task, 1)  # the session task has ended: no retry loop
        assert bridge.state == "auth_failed"
        assert "Authentication failed" in bridge.last_error
        assert not bridge.connected
    assert len(ami.sessions) == 1
    assert rec.events == []


async def test_bridge_wrong_secret_with_auth_retry(ami: FakeAmi, rec: Recorder) -> None:
    """Defect 9, retry: with auth_retry set it retries at that pace, staying auth_failed."""
    async with run_bridge(ami, rec, secret="wrong", auth_retry=0.01) as bridge:
        await ami.wait_until(lambda: len(ami.sessions) >= 3)
        assert bridge.state == "auth_failed"
    assert rec.states.count("auth_failed") == 1
    assert issubclass(AmiAuthError, Exception)
