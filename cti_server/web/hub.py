"""Connected WebSocket clients and who gets what.

Each client has a bounded send queue drained by its own writer task; a message that does not fit
(a slow or vanished client) drops the client: its socket is closed, never an unbounded backlog.
A message is encoded once and the same text is queued to every recipient.
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
from cti_server.web.tokens import Principal

log = logging.getLogger(__name__)

SEND_TIMEOUT = 5.0
CLOSE_TIMEOUT = 1.0  # at shutdown, for a client's answer to our close frame
SHUTDOWN_REASON = b"server shutdown: reconnect"


class Client:
    def __init__(self, ws: web.WebSocketResponse, who: Principal, queue_size: int) -> None:
        self.ws = ws
        self.who = who
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.watch: tuple[int, str] | None = None  # (venue_id, ISO day)
        self.dropped = False
        self._writer: asyncio.Task[None] | None = None
        self.on_drop: Callable[[Client], None] | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._drain(), name=f"ws-writer-{self.who.id}")

    def offer(self, text: str) -> bool:
        if self.dropped:
            return False
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.drop("send queue full")
            return False
        return True

    def drop(self, why: str) -> None:
        if self.dropped:
            return
        self.dropped = True
        log.warning("dropping ws client of operator %s: %s", self.who.id, why)
        if self.on_drop:
            self.on_drop(self)
        if self._writer:
            self._writer.cancel()
        asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow"), 2.0
            )

    async def _drain(self) -> None:
        try:
            while True:
                text = await self.queue.get()
                await asyncio.wait_for(self.ws.send_str(text), SEND_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except (TimeoutError, ConnectionError, RuntimeError) as err:
            self.drop(f"send failed: {err!r}")

    async def stop(self) -> None:
        if self._writer:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


class Hub:
    """The connected clients, by extension. ``on_presence`` (if set) is called when a client
    comes or goes; ``operator_name`` says who is logged in on an extension."""

    def __init__(
        self,
        queue_size: int,
        metrics: Metrics | None = None,
        *,
        on_presence: Callable[[], None] | None = None,
    ) -> None:
        self.queue_size = queue_size
        self.metrics = metrics
        self.clients: set[Client] = set()
        self._by_ext: dict[str, set[Client]] = {}
        self.drops = 0
        self.sent = 0
        self.on_presence = on_presence

    def add(self, ws: web.WebSocketResponse, who: Principal) -> Client:
        client = Client(ws, who, self.queue_size)
        client.on_drop = self._dropped
        self.clients.add(client)
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
        self.clients.discard(client)
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

    def _send(self, clients: Iterable[Client], msg: Any) -> int:
        text = protocol.encode(msg)
        n = sum(1 for c in list(clients) if c.offer(text))
        self.sent += n
        return n

    def send_to_extension(self, extension: str, msg: Any) -> int:
        return self._send(self._by_ext.get(extension, ()), msg)

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
