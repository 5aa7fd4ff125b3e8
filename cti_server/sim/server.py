"""``PbxSimulator``: an asyncio TCP server speaking Asterisk AMI like the recorded Asterisk 22.

Actions: Login (a wrong secret gets ``Response: Error`` / ``Authentication failed`` and the
connection is closed, as Asterisk does), Ping, Events, CoreShowChannels, QueueStatus,
QueueSummary (list responses with ``EventList``, ActionID on every item), QueuePause, QueueAdd,
QueueRemove, Logoff; anything else is ``Invalid/unknown command``. QueuePause emits
``QueueMemberPause`` only, as the recorded Asterisk 22 does (no QueueMemberStatus).

Time is simulated: ``speed`` simulated seconds pass per real second (tests use 1000).
With ``queue_log`` (a path) it appends Asterisk's queue_log lines of its calls there.
Controls for tests: ``drop_connections()``, ``restart()``, ``inject(raw)``, ``split_writes``;
``booting = True`` (or ``restart(booting=True)``) is an Asterisk that accepts logins before its
modules are loaded, as a real one does right after a restart: no ``FullyBooted`` at login and the
queue actions are ``Invalid/unknown command`` until ``finish_boot()`` (which sends
``FullyBooted`` to every logged-in connection).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Sequence
from typing import Any

from cti_server.ami.frames import FrameParser
from cti_server.sim.actions import handle_action
from cti_server.sim.callflow import CallFlow, CallPlan
from cti_server.sim.originate import DialPlan
from cti_server.sim.queue_log import QueueLog
from cti_server.sim.wire import Channel, Member, Pairs, encode

log = logging.getLogger(__name__)
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
NAMES = ["鈴木", "田中", "佐藤", "高橋", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]


class Session:
    def __init__(self, sim: PbxSimulator, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:  # fmt: skip
        self.sim, self.reader, self.writer = sim, reader, writer
        self.authed = False
        self.events = True
        self.out: asyncio.Queue[bytes | None] = asyncio.Queue()

    def send(self, pairs: Pairs) -> None:
        self.out.put_nowait(encode(pairs))

    def send_raw(self, data: bytes) -> None:
        self.out.put_nowait(data)

    def close(self) -> None:
        self.out.put_nowait(None)

    async def writer_loop(self) -> None:
        try:
            while (data := await self.out.get()) is not None:
                step = self.sim.split_writes
                if not step:
                    self.writer.write(data)
                    await self.writer.drain()
                    continue
                for i in range(0, len(data), step):
                    self.writer.write(data[i : i + step])
                    await self.writer.drain()
                    await asyncio.sleep(0)
        except (ConnectionError, OSError):
            pass
        finally:
            self.writer.close()


class PbxSimulator:
    def __init__(self, *, username: str = "cti", secret: str = "cti", agents: int = 3,
                 queue: str = "vaccine", did: str = "0773620000", speed: float = 1.0,
                 ring_timeout: float = 8.0, retry: float = 1.0, seed: int = 1,
                 queue_log: str | os.PathLike[str] | None = None) -> None:  # fmt: skip
        self.username, self.secret = username, secret
        self.queue_name, self.did, self.speed = queue, did, speed
        self.ring_timeout, self.retry = ring_timeout, retry
        self.split_writes: int = 0  # >0: write every message in pieces of this many bytes
        self.rng = random.Random(seed)
        self.sessions: set[Session] = set()
        self.channels: dict[str, Channel] = {}
        self.calls: set[asyncio.Task[None]] = set()
        self.waiting: list[CallFlow] = []
        self.completed = self.abandoned = self.callbacks = 0
        self.found_nobody = 0  # times the caller at the head of the queue found no free member
        self.dial_plans: dict[str, DialPlan] = {}  # Originate: how a dialled number behaves
        self.unanswered_extensions: set[str] = set()  # Originate: operators who do not pick up
        self.booting = False  # logins accepted, app_queue not loaded yet (see finish_boot)
        self.refused: list[str] = []  # actions answered "Invalid/unknown command", in order
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._boot(agents)
        self.queue_log = QueueLog(queue_log, self.epoch) if queue_log is not None else None
        self.log_queue("NONE", "NONE", "NONE", "QUEUESTART", "")

    def _boot(self, agents: int) -> None:
        self._t0 = time.monotonic()
        self._epoch0 = int(time.time())
        self._uid = 0
        self._local = 0
        self._rr = 0
        self.members: list[Member] = [
            Member(
                self.queue_name,
                f"Operator {1001 + i} ({NAMES[i % len(NAMES)]})",
                f"Local/{1001 + i}@operators/n",
                login_time=self._epoch0,
            )
            for i in range(agents)
        ]

    # ---- server --------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for t in list(self.calls):
            t.cancel()
        self.drop_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.gather(*self.calls, return_exceptions=True)
        if self._tasks:  # connection handlers end once their sockets are aborted
            await asyncio.wait(list(self._tasks), timeout=2)
        if self.queue_log is not None:
            self.queue_log.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        me = asyncio.current_task()
        if me is not None:
            self._tasks.add(me)
            me.add_done_callback(self._tasks.discard)
        s = Session(self, reader, writer)
        self.sessions.add(s)
        wtask = asyncio.create_task(s.writer_loop())
        s.send_raw(BANNER)
        parser = FrameParser()
        try:
            while data := await reader.read(65536):
                for msg in parser.feed(data):
                    if handle_action(self, s, msg) == "close":
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            self.sessions.discard(s)
            s.close()
            await asyncio.gather(wtask, return_exceptions=True)

    # ---- controls -----------------------------------------------------------------------
    def drop_connections(self) -> None:
        """Abruptly close every AMI connection (the calls go on)."""
        for s in list(self.sessions):
            s.writer.transport.abort()
        self.sessions.clear()

    def restart(self, *, booting: bool = False) -> None:
        """Like ``core restart now``: calls torn down, ``Shutdown``, sockets closed; the next
        login gets ``FullyBooted`` with ``Uptime: 0`` and fresh state (with ``booting``, only
        after ``finish_boot()``)."""
        for t in list(self.calls):
            t.cancel()
        self.calls.clear()
        self.waiting.clear()
        for ch in list(self.channels.values()):
            self.hangup(ch, 16, "Normal Clearing")
        self.emit([("Event", "Shutdown"), ("Privilege", "system,all"), ("Shutdown", "Cleanly"),
                   ("Restart", "True")])  # fmt: skip
        for s in list(self.sessions):
            s.close()
        self.sessions.clear()
        self._boot(len(self.members))
        self.booting = booting
        self.log_queue("NONE", "NONE", "NONE", "QUEUESTART", "")

    def finish_boot(self) -> None:
        """Modules loaded: queue actions work and ``FullyBooted`` goes to every connection."""
        self.booting = False
        for s in self.sessions:
            if s.authed and s.events:
                s.send([("Event", "FullyBooted"), ("Privilege", "system,all"),
                        ("Uptime", str(int(self.now()))), ("LastReload", str(int(self.now()))),
                        ("Status", "Fully Booted")])  # fmt: skip

    def inject(self, raw: bytes) -> None:
        """Send raw bytes (malformed frames ...) to every logged-in connection."""
        for s in self.sessions:
            if s.authed:
                s.send_raw(raw)

    # ---- calls --------------------------------------------------------------------------
    def place_call(self, number: str, name: str = "", *, talk: float = 5.0,
                   patience: float = 60.0, ring: float = 1.0, no_answer: Sequence[str] = (),
                   answer: asyncio.Event | None = None,
                   hangup: asyncio.Event | None = None, callback_after: float | None = None,
                   callback_reason: str = "key") -> CallPlan:  # fmt: skip
        """Start a call now; ``number`` "anonymous" is withheld, "" / "<unknown>" is no caller
        ID. ``answer``: the member answers when it is set (at most ``ring`` seconds), so a
        test rings exactly as long as it needs; ``hangup``: the caller hangs up when it is set
        (at most ``talk`` seconds after the answer); ``callback_after``: the caller, still
        waiting then, asks to be called back (``callback_reason`` "key": pressed 1, "timeout":
        the queue's wait limit). The returned plan gets its ``linkedid`` at once."""
        plan = CallPlan(number, name, talk, patience, ring, answer=answer,
                        no_answer=tuple(no_answer), hangup=hangup, callback_after=callback_after,
                        callback_reason=callback_reason)  # fmt: skip
        flow = CallFlow(self, plan)
        flow.start()
        task = asyncio.create_task(flow.run())
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)
        return plan

    async def wait_idle(self) -> None:
        while self.calls:
            await asyncio.gather(*list(self.calls), return_exceptions=True)

    async def run_traffic(self, rate_per_s: float, duration: float, numbers: Sequence[str],
                          callback_share: float = 0.0) -> int:  # fmt: skip
        """Poisson arrivals at ``rate_per_s`` (simulated) for ``duration`` simulated seconds;
        mixed answers, no-answers and abandons; ``callback_share`` of the callers press 1 for a
        callback if they are still waiting a while later. Returns the number of calls placed."""
        placed, end = 0, self.now() + duration
        while True:
            await self.sleep(self.rng.expovariate(rate_per_s))
            if self.now() >= end:
                return placed
            exts = [m.extension for m in self.members if self.rng.random() < 0.1]
            number, talk = self.rng.choice(list(numbers)), self.rng.uniform(3, 30)
            patience, ring = self.rng.uniform(3, 40), self.rng.uniform(1, 3)
            press = None
            if callback_share > 0 and self.rng.random() < callback_share:
                press, patience = self.rng.uniform(5, 20), 120.0
            self.place_call(number, talk=talk, patience=patience, ring=ring, no_answer=exts,
                            callback_after=press)  # fmt: skip
            placed += 1

    # ---- helpers for CallFlow and actions -------------------------------------------------
    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    def epoch(self) -> int:
        return self._epoch0 + int(self.now())

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(max(0.0, sim_seconds) / self.speed)

    def log_queue(self, callid: str, queue: str, agent: str, event: str, *data: object) -> None:
        """A queue_log line (when the simulator writes one)."""
        if self.queue_log is not None:
            self.queue_log.write(callid, queue, agent, event, *data)

    def emit(self, pairs: Pairs) -> None:
        data = encode(pairs)
        for s in self.sessions:
            if s.authed and s.events:
                s.send_raw(data)

    def next_local(self) -> int:
        n = self._local
        self._local += 1
        return n

    def new_channel(self, name: str, context: str, exten: str, linkedid: str = "") -> Channel:
        uid = f"{self.epoch()}.{self._uid}"
        self._uid += 1
        ch = Channel(name, uid, linkedid or uid, context, exten, self.now())
        self.channels[uid] = ch
        return ch

    def hangup(self, ch: Channel, cause: int, text: str) -> None:
        self.channels.pop(ch.uniqueid, None)
        self.emit([("Event", "Hangup"), ("Privilege", "call,all"), *ch.snapshot(),
                   ("Cause", str(cause)), ("Cause-txt", text)])  # fmt: skip

    def operator_unanswered(self, channel: str) -> bool:
        """Whether the operator phone ``Local/<ext>@...`` of an Originate lets it ring out."""
        return channel[len("Local/") :].split("@", 1)[0] in self.unanswered_extensions

    def join(self, flow: CallFlow) -> int:
        self.waiting.append(flow)
        return len(self.waiting)

    def leave(self, flow: CallFlow) -> None:
        if flow in self.waiting:
            self.waiting.remove(flow)

    def waiting_count(self) -> int:
        return len(self.waiting)

    def position_of(self, flow: CallFlow) -> int:
        return self.waiting.index(flow) + 1 if flow in self.waiting else 0

    def pick_member(self, flow: CallFlow) -> Member | None:
        """rrmemory among free members, for the caller at the head of the queue only."""
        if not self.waiting or self.waiting[0] is not flow:
            return None
        free = [m for m in self.members if not (m.paused or m.busy or m.in_call)]
        if not free:
            self.found_nobody += 1
            return None
        n = len(self.members)
        for i in range(n):
            m = self.members[(self._rr + i) % n]
            if m in free:
                self._rr = (self._rr + i + 1) % n
                return m
        return None
