"""A tiny AMI server for integration tests: real TCP on 127.0.0.1, port 0, in the test's loop.

It sends the banner, answers ``Login`` (a wrong secret gets ``Response: Error`` /
``Message: Authentication failed`` and the socket is closed, as Asterisk does), ``Ping`` (unless
``ping_reply`` is False: then it stays silent), the list actions ``CoreShowChannels``,
``QueueStatus`` and ``QueueSummary`` (items replayed from the recorded ``09-resync.ami``, with the
client's ActionID), and any other action with ``Response: Success`` unless a handler in
``handlers`` says otherwise (a handler returning None leaves the action unanswered).
Tests push raw bytes (e.g. recorded fixture streams) with ``AmiSession.send``, split where they
want, and drop connections with ``AmiSession.drop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import Callable, Sequence

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
END = b"\r\n\r\n"
LIST_ACTIONS = {
    "coreshowchannels": b"CoreShowChannelsComplete",
    "queuestatus": b"QueueStatusComplete",
    "queuesummary": b"QueueSummaryComplete",
}

Handler = Callable[["AmiSession", dict[str, str]], bytes | None]


def block(*lines: str) -> bytes:
    """One AMI message from header lines, with its blank-line terminator."""
    return ("\r\n".join(lines)).encode() + END


def after_login(stream: bytes) -> bytes:
    """A recorded stream without its banner and Login response: what follows our own login."""
    start = stream.index(b"Message: Authentication accepted\r\n")
    return stream[stream.index(END, start) + len(END) :]


def resync_items(stream: bytes, action: str) -> list[bytes]:
    """The list items (not the start response nor the Complete event) of ``action`` in 09."""
    marker = f"ActionID: a-resync-{action.lower()}-".encode()
    items = []
    for part in stream.split(END):
        if marker in part and part.startswith(b"Event: ") and b"EventList: Complete" not in part:
            items.append(part + END)
    return items


class AmiSession:
    """One client connection as the server sees it."""

    def __init__(self, server: FakeAmi, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.actions: list[dict[str, str]] = []
        self.logged_in = False

    async def send(self, data: bytes, *, split_at: Sequence[int] = ()) -> None:
        """Write ``data``; with ``split_at`` in several writes, letting the client read each."""
        bounds = [0, *split_at, len(data)]
        for lo, hi in itertools.pairwise(bounds):
            self.writer.write(data[lo:hi])
            await self.writer.drain()
            if hi < len(data):
                await asyncio.sleep(0.01)  # let the client's read return this piece alone

    def drop(self) -> None:
        """Close the connection abruptly, answering nothing more."""
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

    async def serve(self) -> None:
        self.writer.write(BANNER)
        buf = b""
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    return
                buf += data
                while END in buf:
                    raw, buf = buf.split(END, 1)
                    action = dict(
                        line.split(": ", 1) for line in raw.decode().split("\r\n") if ": " in line
                    )
                    self.actions.append(action)
                    self.server.notify()
                    await self.answer(action)
                    self.server.notify()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self.drop()
            self.server.notify()

    async def answer(self, action: dict[str, str]) -> None:
        name = action.get("Action", "").lower()
        aid = action.get("ActionID", "")
        srv = self.server
        if name in srv.handlers:
            reply = srv.handlers[name](self, action)
            if reply is not None:
                await self.send(reply)
        elif name == "login":
            if action.get("Username") == srv.username and action.get("Secret") == srv.secret:
                self.logged_in = True
                out = block(
                    "Response: Success", f"ActionID: {aid}", "Message: Authentication accepted"
                )
                if srv.fully_booted:
                    out += block(
                        "Event: FullyBooted",
                        "Privilege: system,all",
                        "Uptime: 0",
                        "LastReload: 0",
                        "Status: Fully Booted",
                    )
                await self.send(out)
            else:
                await self.send(
                    block("Response: Error", f"ActionID: {aid}", "Message: Authentication failed")
                )
                self.drop()
        elif name == "ping":
            if srv.ping_reply:
                await self.send(
                    block(
                        "Response: Success",
                        f"ActionID: {aid}",
                        "Ping: Pong",
                        "Timestamp: 1795734340.000000",
                    )
                )
        elif name in LIST_ACTIONS:
            await self.send(self.list_reply(name, aid))
        else:
            await self.send(block("Response: Success", f"ActionID: {aid}", "Message: OK"))

    def list_reply(self, name: str, aid: str) -> bytes:
        items = resync_items(self.server.resync, name) if self.server.resync else []
        items = [re.sub(rb"ActionID: [^\r]*", f"ActionID: {aid}".encode(), i) for i in items]
        out = block(
            "Response: Success", f"ActionID: {aid}", "EventList: start", "Message: list will follow"
        )
        for n, item in enumerate(items):
            out += item
            if n == 0:
                out += b"".join(self.server.interleave)  # ordinary events amid the items
        out += (
            b"Event: "
            + LIST_ACTIONS[name]
            + b"\r\n"
            + block(f"ActionID: {aid}", "EventList: Complete", f"ListItems: {len(items)}")
        )
        return out


class FakeAmi:
    """The server: ``await start()``, then ``port``; ``sessions`` in connection order."""

    def __init__(
        self,
        *,
        username: str = "cti",
        secret: str = "s3cret",
        resync: bytes = b"",
        ping_reply: bool = True,
        fully_booted: bool = True,
    ) -> None:
        self.username = username
        self.secret = secret
        self.resync = resync
        self.ping_reply = ping_reply
        self.fully_booted = fully_booted
        self.interleave: list[bytes] = []
        self.handlers: dict[str, Handler] = {}
        self.sessions: list[AmiSession] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def actions(self) -> list[dict[str, str]]:
        return [a for s in self.sessions for a in s.actions]

    def names(self) -> list[str]:
        return [a.get("Action", "") for a in self.actions]

    async def start(self) -> FakeAmi:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AmiSession(self, reader, writer)
        self.sessions.append(session)
        self.notify()
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await session.serve()
        finally:
            self._tasks.discard(task)

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, pred: Callable[[], object], within: float = 3.0) -> None:
        """Wait (on the server's own changes) until ``pred()`` is true."""
        async with asyncio.timeout(within):
            while not pred():
                await self._changed.wait()

    async def session(self, n: int, within: float = 3.0) -> AmiSession:
        """The ``n``-th (0-based) session, once it has logged in."""
        await self.wait_until(lambda: len(self.sessions) > n and self.sessions[n].logged_in, within)
        return self.sessions[n]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for s in self.sessions:
            s.drop()
        for t in list(self._tasks):
            t.cancel()
        if self._server is not None:
            await self._server.wait_closed()


class Recorder:
    """Collects what a bridge emits (``on_event`` / ``on_state``) and waits on it."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self.states: list[str] = []
        self._changed = asyncio.Event()

    def on_event(self, ev: object) -> None:
        self.events.append(ev)
        self._poke()

    def on_state(self, state: str) -> None:
        self.states.append(state)
        self._poke()

    def _poke(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def of(self, cls: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, cls)]

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]

    async def wait_until(self, pred: Callable[[], object], within: float = 3.0) -> None:
        async with asyncio.timeout(within):
            while not pred():
                await self._changed.wait()

    async def wait_for(self, cls: type, count: int = 1, within: float = 3.0) -> None:
        await self.wait_until(lambda: len(self.of(cls)) >= count, within)
