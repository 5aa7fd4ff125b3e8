"""Connected WebSocket clients and who gets what.

Each client has a send queue bounded in messages and in bytes, drained by its own writer task;
a message offered while the writer has nothing to do is written at once instead
(``cti_server.web.eager``: no turn of the event loop before a pop leaves; what cannot be
written without waiting goes on in a task the writer waits for first). Messages offered with
``at_once=False`` (an operator's state, sent by ``send_later_to_extension``) always go through
the writer, after the callback that offered them: a write to a socket is a system call that
costs about as much as handling an AMI event, and the pop of an ``AgentCalled`` must not wait
behind the state messages of the events read before it in the same chunk. A client's messages
keep their order: a message offered while some wait is queued behind them. A message that does not
fit (a slow or vanished client, or one that asks for more than it reads) drops the client: its
socket is closed, never an unbounded backlog. A message is encoded once and the same text is
queued to every recipient. A text that cannot be sent (not encodable as UTF-8) is refused where
it is offered and the client keeps its writer; a writer that fails for any reason drops its
client, so that no client counts as connected without a writer. An account holds at most
``per_account`` sockets: a new one closes its oldest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import WSCloseCode, web

from cti_server import protocol
from cti_server.metrics import Metrics
from cti_server.web import eager
from cti_server.web.tokens import Principal

log = logging.getLogger(__name__)

SEND_TIMEOUT = 5.0
CLOSE_TIMEOUT = 1.0  # at shutdown, for a client's answer to our close frame
SHUTDOWN_REASON = b"server shutdown: reconnect"
QUEUE_BYTES = 1 << 20  # what one client may have waiting to be sent
PER_ACCOUNT = 8  # sockets one account may hold (desktop clients, wallboards of a kiosk)
TOO_MANY_SOCKETS = 4429


def size_of(text: str) -> int | None:
    """The UTF-8 size of ``text``; ``None`` when it cannot be sent (a lone surrogate)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


class Client:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        who: Principal,
        queue_size: int,
        queue_bytes: int = QUEUE_BYTES,
    ) -> None:
        self.ws = ws
        self.who = who
        # texts to send, or the rest of a send started at once (a task), with their sizes
        self.queue: asyncio.Queue[tuple[str | asyncio.Task[None], int]] = asyncio.Queue(
            maxsize=queue_size
        )
        self._busy = False  # the writer is sending
        self.queue_bytes = queue_bytes
        self.queued_bytes = 0
        self.watch: tuple[int, str] | None = None  # (venue_id, ISO day)
        self.dropped = False
        self._writer: asyncio.Task[None] | None = None
        self.on_drop: Callable[[Client], None] | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._drain(), name=f"ws-writer-{self.who.id}")

    @property
    def writing(self) -> bool:
        """The writer runs (a connected client that is told nothing would lose its pops)."""
        return self._writer is not None and not self._writer.done()

    def offer(self, text: str, size: int | None = None, *, at_once: bool = True) -> bool:
        if self.dropped:
            return False
        size = size_of(text) if size is None else size
        if size is None:
            log.error("refused a message to operator %s: not encodable as UTF-8", self.who.id)
            return False
        if at_once and not self._busy and self.queue.empty() and self.writing:
            return self._send_now(text)
        if self.queued_bytes + size > self.queue_bytes:
            self.drop("send queue full (bytes)")
            return False
        try:
            self.queue.put_nowait((text, size))
        except asyncio.QueueFull:
            self.drop("send queue full")
            return False
        self.queued_bytes += size
        return True

    def _send_now(self, text: str) -> bool:
        """Write ``text`` now; what has to wait (flow control) goes on in a task that the
        writer waits for before anything queued after it."""
        try:
            rest = eager.start(self.ws.send_str(text))
        except Exception as err:  # the socket is gone: as when the writer fails
            self.drop(f"send failed: {err!r}")
            return False
        if rest is not None:
            self.queue.put_nowait((rest, 0))  # the queue is empty: it fits
        return True

    def drop(
        self, why: str, code: int = WSCloseCode.TRY_AGAIN_LATER, reason: bytes = b"too slow"
    ) -> None:
        if self.dropped:
            return
        self.dropped = True
        log.warning("dropping ws client of operator %s: %s", self.who.id, why)
        if self.on_drop:
            self.on_drop(self)
        if self._writer and self._writer is not asyncio.current_task():
            self._writer.cancel()
        self._discard()
        asyncio.get_running_loop().create_task(self._close(code, reason))

    def _discard(self) -> None:
        """Free what will never be sent (a send started at once and waiting is cancelled)."""
        while not self.queue.empty():
            item, _ = self.queue.get_nowait()
            if isinstance(item, asyncio.Task):
                item.cancel()
        self.queued_bytes = 0

    async def _close(self, code: int, reason: bytes) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, message=reason), 2.0)

    async def _drain(self) -> None:
        try:
            while True:
                item, size = await self.queue.get()
                self.queued_bytes -= size
                self._busy = True
                async with asyncio.timeout(SEND_TIMEOUT):  # no task per message (wait_for)
                    await (self.ws.send_str(item) if isinstance(item, str) else item)
                self._busy = False
        except asyncio.CancelledError:
            raise
        except Exception as err:  # never a silent death: the client goes, and reconnects
            self.drop(f"send failed: {err!r}")

    async def stop(self) -> None:
        if self._writer:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        self._discard()


class Hub:
    """The connected clients, by extension. ``on_presence`` (if set) is called when a client
    comes or goes; ``operator_name`` says who is logged in on an extension."""

    def __init__(
        self,
        queue_size: int,
        metrics: Metrics | None = None,
        *,
        on_presence: Callable[[], None] | None = None,
        queue_bytes: int = QUEUE_BYTES,
        per_account: int = PER_ACCOUNT,
    ) -> None:
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        self.per_account = per_account
        self.metrics = metrics
        self.clients: dict[Client, None] = {}  # insertion-ordered set
        self._by_ext: dict[str, set[Client]] = {}
        self.drops = 0
        self.sent = 0
        self.on_presence = on_presence
        self._last_msg: Any = None  # messages are frozen: the same object, the same text
        self._last_text = ""
        self._last_size = 0

    def add(self, ws: web.WebSocketResponse, who: Principal) -> Client:
        mine = [c for c in self.clients if c.who.id == who.id]  # oldest first (insertion order)
        for old in mine[: max(0, len(mine) - self.per_account + 1)]:
            old.drop("too many sockets for one account", TOO_MANY_SOCKETS, b"too_many_sockets")
        client = Client(ws, who, self.queue_size, self.queue_bytes)
        client.on_drop = self._dropped
        self.clients[client] = None
        if who.extension:
            self._by_ext.setdefault(who.extension, set()).add(client)
        client.start()
        self._presence()
        return client

    def _dropped(self, client: Client) -> None:
        self.drops += 1
        if self.metrics is not None:
            self.metrics.ws_dropped.inc()
        self.remove(client)

    def remove(self, client: Client) -> None:
        if client not in self.clients:
            return
        self.clients.pop(client, None)
        ext = client.who.extension
        if ext and ext in self._by_ext:
            self._by_ext[ext].discard(client)
            if not self._by_ext[ext]:
                del self._by_ext[ext]
        self._presence()

    def _presence(self) -> None:
        if self.on_presence is not None:
            try:
                self.on_presence()
            except Exception:
                log.exception("presence listener failed")

    def operator_name(self, extension: str) -> str | None:
        """The display name (else user name) of an operator logged in on ``extension``."""
        clients = self._by_ext.get(extension, ())
        best = min(clients, key=lambda c: (c.who.role != "operator", c.who.id), default=None)
        return None if best is None else (best.who.display_name or best.who.username)

    def operator_id(self, extension: str) -> int | None:
        """The account of the operator logged in on ``extension`` (the same choice as
        ``operator_name``); ``None`` when nobody is."""
        clients = self._by_ext.get(extension, ())
        best = min(clients, key=lambda c: (c.who.role != "operator", c.who.id), default=None)
        return None if best is None else best.who.id

    def _send(self, clients: Iterable[Client], msg: Any, at_once: bool = True) -> int:
        if msg is self._last_msg:  # the same pop to each extension it rings: encoded once
            text, size = self._last_text, self._last_size
        else:
            text = protocol.encode(msg)
            measured = size_of(text)
            if measured is None:
                log.error("refused a %s message: not encodable as UTF-8", type(msg).__name__)
                return 0
            size = measured
            if not isinstance(msg, dict | list):  # a mutable message is never reused
                self._last_msg, self._last_text, self._last_size = msg, text, size
        n = sum(1 for c in list(clients) if c.offer(text, size, at_once=at_once))
        self.sent += n
        return n

    def send_to_extension(self, extension: str, msg: Any) -> int:
        return self._send(self._by_ext.get(extension, ()), msg)

    def send_later_to_extension(self, extension: str, msg: Any) -> int:
        """As ``send_to_extension``, through the clients' writers (not written at once)."""
        return self._send(self._by_ext.get(extension, ()), msg, at_once=False)

    def send_to_all(self, msg: Any) -> int:
        return self._send(self.clients, msg)

    def send_to_watchers(self, venue_id: int, day: str, msg: Any) -> int:
        return self._send((c for c in self.clients if c.watch == (venue_id, day)), msg)

    def has_extension(self, extension: str) -> bool:
        return extension in self._by_ext

    async def close_all(self) -> None:
        """Close every socket with 1001 (going away) and a reason, all at once, waiting at most
        ``CLOSE_TIMEOUT`` for the clients' answers."""
        clients = list(self.clients)
        self.clients.clear()
        self._by_ext.clear()

        async def close(client: Client) -> None:
            await client.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    client.ws.close(code=WSCloseCode.GOING_AWAY, message=SHUTDOWN_REASON),
                    CLOSE_TIMEOUT,
                )

        await asyncio.gather(*(close(c) for c in clients))
