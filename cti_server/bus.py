"""Redis pub/sub between server instances (optional: only when ``redis_url`` is set).

Messages are JSON ``{"kind": ..., "from": server_id, ...}`` on one channel. ``publish`` is
synchronous and never blocks: messages go through a bounded queue to a publisher task, which
sends all those waiting in one pipeline (dropped with a warning when Redis cannot keep up). Our
own messages are ignored on receipt; every other message goes to the one
``on_message(kind, data)`` given at construction (``cti_server.bootstrap`` routes pops and slot
changes from there).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "cti:events"
WRITE_BATCH = 500  # messages per pipeline at most
Handler = Callable[[str, dict[str, Any]], None]


class Bus:
    def __init__(
        self, url: str, server_id: str, on_message: Handler, *, channel: str = CHANNEL
    ) -> None:
        self.url = url
        self.server_id = server_id
        self.channel = channel
        self._on_message = on_message
        self._out: asyncio.Queue[str] = asyncio.Queue(maxsize=10_000)
        self._tasks: list[asyncio.Task[None]] = []
        self._redis: Any = None
        self._pubsub: Any = None
        self.dropped = 0

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await asyncio.wait_for(self._pubsub.subscribe(self.channel), 5)
        self._tasks = [
            asyncio.create_task(self._read(), name="bus-reader"),
            asyncio.create_task(self._write(), name="bus-writer"),
        ]
        log.info("bus connected to %s as %s", self.url.split("@")[-1], self.server_id)

    def dispatch(self, data: dict[str, Any]) -> None:
        """Hand one received message (already decoded) to ``on_message``; ours are ignored."""
        if data.get("from") == self.server_id:
            return
        kind = str(data.pop("kind"))
        try:
            self._on_message(kind, data)
        except Exception:
            log.exception("bus message of kind %s failed", kind)

    def publish(self, kind: str, payload: dict[str, Any]) -> None:
        text = json.dumps({"kind": kind, "from": self.server_id, **payload}, ensure_ascii=False)
        try:
            self._out.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("bus queue full; dropped a %s message", kind)

    async def _write(self) -> None:
        """Hand the queued messages to Redis, all that wait in one pipeline (one round trip):
        one PUBLISH per round trip fell behind a busy PBX link, and the queue grew."""
        while True:
            batch = [await self._out.get()]
            while len(batch) < WRITE_BATCH and not self._out.empty():
                batch.append(self._out.get_nowait())
            try:
                pipe = self._redis.pipeline(transaction=False)
                for text in batch:
                    pipe.publish(self.channel, text)
                await asyncio.wait_for(pipe.execute(), 5)
            except Exception as err:
                log.warning("bus publish of %d message(s) failed: %r", len(batch), err)
            finally:
                for _ in batch:
                    self._out.task_done()

    async def _read(self) -> None:
        while True:
            try:
                msg = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning("bus read failed (%r); resubscribing in 1 s", err)
                await asyncio.sleep(1.0)
                with contextlib.suppress(Exception):
                    await self._pubsub.subscribe(self.channel)
                continue
            if msg is None or msg.get("type") != "message":
                continue
            try:
                self.dispatch(json.loads(msg["data"]))
            except Exception:
                log.exception("bad bus message")

    async def flush(self) -> None:
        """Wait until every message published so far has been handed to Redis."""
        await self._out.join()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
