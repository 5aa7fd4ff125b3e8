"""Glue between the PBX bridge, the popper, the call records, the bus and the WebSocket hub.

``CallService.on_event`` is what the bridge calls for every domain event (synchronously, in
order). Call records are merged per Linkedid and written by ``CallRecorder``'s own task, so a slow
database never delays a pop. With a bus, pops computed here are published for clients connected
to other instances, and pops published by others reach our clients (each pop once).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.config import Settings
from cti_server.popper import Popper
from cti_server.web.hub import Hub
from cti_server.web.metrics import Metrics
from registry.matching import HouseholdMatch

log = logging.getLogger(__name__)

LOOKUP_CONCURRENCY = 4  # below the engine's pool size (5), leaving one for the recorder
LOOKUP_CACHE_SECONDS = 30.0  # a caller who rings again soon pops without a database round trip
BOARD_INTERVAL = 0.5  # seconds between board updates at most
DUPLICATE_WINDOW = 3.0  # seconds: the same pop from two bridges arrives within this


def live_board(tracker: Any, settings: Settings) -> dict[str, Any]:
    """Board schema: ``{"at", "queues": [{name, waiting, longest_wait, logged_in, available,
    ringing, in_call, paused, unavailable}], "members": [{queue, interface, name, extension,
    status, paused_reason, since}], "live_calls"}``. Day figures come from calls_between."""
    now = dt.datetime.now(dt.UTC)
    queues = []
    for name in tracker.queue_names():
        q = tracker.queue_view(name)
        queues.append(
            {
                "name": name,
                "waiting": q.calls_waiting,
                "longest_wait": q.longest_wait(now),
                "logged_in": q.logged_in,
                "available": q.available,
                "ringing": q.ringing,
                "in_call": q.in_call,
                "paused": q.paused,
                "unavailable": q.unavailable,
            }
        )
    members = [
        {
            "queue": m.queue,
            "interface": m.interface,
            "name": m.name,
            "extension": settings.extension_of(m.interface, m.name),
            "status": str(m.status),
            "paused_reason": m.paused_reason,
            "since": m.since.isoformat(),
        }
        for m in tracker.members.values()
    ]
    return {
        "at": now.isoformat(),
        "queues": queues,
        "members": members,
        "live_calls": len(tracker.calls),
        "pbx_connected": bool(tracker.connected),
    }


class CallRecorder:
    """Merges record fields per Linkedid and upserts them in batches from one task."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], metrics: Metrics) -> None:
        self._sessions = sessions
        self._metrics = metrics
        self._pending: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.extensions: dict[str, int] = {}  # extension -> operator id

    def put(self, linkedid: str, fields: dict[str, Any]) -> None:
        merged = self._pending.setdefault(linkedid, {})
        merged.update({k: v for k, v in fields.items() if v is not None or k not in merged})
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="call-recorder")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, collections.OrderedDict()
            try:
                await self._write(batch)
            except Exception:
                self._metrics.inc("cti_call_record_errors_total")
                log.exception("writing %d call records failed; retrying once", len(batch))
                await asyncio.sleep(0.5)
                try:
                    await self._write(batch)
                except Exception:
                    log.exception("dropped %d call record updates", len(batch))
            if not self._pending:
                self._idle.set()

    async def _write(self, batch: dict[str, dict[str, Any]]) -> None:
        from registry.calls import upsert_call

        async with self._sessions() as session:
            for linkedid, fields in batch.items():
                ext = fields.get("extension")
                if ext and "operator_id" not in fields and ext in self.extensions:
                    fields = {**fields, "operator_id": self.extensions[ext]}
                await upsert_call(session, linkedid, **fields)
            await session.commit()
        self._metrics.inc("cti_call_records_written_total", len(batch))

    async def flush(self) -> None:
        """Wait until everything put so far is written (tests, shutdown)."""
        await self._idle.wait()

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.flush(), 5.0)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class CallService:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        hub: Hub,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.hub = hub
        self.metrics = metrics
        self.recorder = CallRecorder(sessions, metrics)
        self.popper = Popper(
            settings,
            self._lookup,
            self._send,
            self.recorder.put,
            on_lookup_time=metrics.lookup_seconds.observe,
        )
        self.bus: Any = None  # cti_server.bus.Bus when CTI_REDIS_URL is set
        from cti_server.domain.tracker import Tracker

        self.tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
        self._board_task: asyncio.Task[None] | None = None
        self._remote: dict[str, dict[str, protocol.ScreenPop]] = {}  # ext -> linkedid -> pop
        self._seen: collections.OrderedDict[tuple[str, str, str], float] = collections.OrderedDict()
        self.ami_state = "connecting"
        self._lookup_slots = asyncio.Semaphore(LOOKUP_CONCURRENCY)
        self._lookup_cache: dict[str, tuple[float, list[HouseholdMatch]]] = {}

    async def _lookup(self, e164: str) -> list[HouseholdMatch]:
        """Ledger lookup, at most LOOKUP_CONCURRENCY at once: more would overflow the pool, and
        on SQLite every overflow connection is opened (and its pragmas run) anew."""
        from registry.lookup import lookup_by_number

        hit = self._lookup_cache.get(e164)
        if hit is not None and time.monotonic() - hit[0] < LOOKUP_CACHE_SECONDS:
            return hit[1]
        async with self._lookup_slots, self.sessions() as session:
            result = await lookup_by_number(session, e164)
        if len(self._lookup_cache) >= 10_000:
            self._lookup_cache.clear()
        self._lookup_cache[e164] = (time.monotonic(), result)
        return result

    # ----------------------------------------------------------------- in from the bridge

    def on_event(self, event: Any) -> None:
        events: Iterable[Any] = event if isinstance(event, list | tuple) else (event,)
        for e in events:
            self.metrics.event(type(e).__name__)
            try:
                if self.tracker.apply(e) and self._board_task is None:
                    self._board_task = asyncio.ensure_future(self._push_board())
            except Exception:
                log.exception("tracker failed on %s", type(e).__name__)
            try:
                self.popper.on_event(e)
            except Exception:
                log.exception("popper failed on %s", type(e).__name__)

    def on_state(self, state: str) -> None:
        """The bridge's state: connecting / connected / disconnected / auth_failed / closed."""
        if state != self.ami_state:
            log.info("AMI %s", state)
        self.ami_state = state

    def board(self) -> dict[str, Any] | None:
        """Live queue and member figures for the supervisor board (see cti_server.board)."""
        try:
            return live_board(self.tracker, self.settings)
        except Exception:
            log.exception("building the board failed")
            return None

    async def _push_board(self) -> None:
        """At most one BoardUpdate per BOARD_INTERVAL, and only when someone watches."""
        try:
            await asyncio.sleep(BOARD_INTERVAL)
            if any(c.board for c in self.hub.clients):
                board = self.board()
                if board is not None:
                    self.hub.send_to_board(protocol.BoardUpdate(board=board))
        finally:
            self._board_task = None

    # ----------------------------------------------------------------- pops out

    def _first_time(self, ext: str, pop: protocol.ScreenPop) -> bool:
        """False for the same pop seen moments ago (our own copy, or another bridge's)."""
        key = (ext, pop.call.linkedid, f"{pop.call.state}/{pop.call.extension}")
        now = time.monotonic()
        last = self._seen.pop(key, None)
        self._seen[key] = now
        while len(self._seen) > 20_000:
            self._seen.popitem(last=False)
        return last is None or now - last > DUPLICATE_WINDOW

    def _send(self, ext: str, pop: protocol.ScreenPop) -> None:
        self._first_time(ext, pop)
        n = self.hub.send_to_extension(ext, pop)
        self.metrics.inc("cti_pops_sent_total", n)
        if self.bus is not None:
            self.bus.publish("pop", {"ext": ext, "pop": protocol.to_dict(pop)})

    def on_bus_pop(self, ext: str, data: dict[str, Any]) -> None:
        try:
            pop = protocol.from_dict(protocol.ScreenPop, data)
        except protocol.ProtocolError as err:
            log.warning("bad pop on the bus: %s", err)
            return
        calls = self._remote.setdefault(ext, {})
        if pop.call.state in ("ringing", "answered") and pop.call.extension == ext:
            calls[pop.call.linkedid] = pop
        else:
            calls.pop(pop.call.linkedid, None)
        if not calls:
            self._remote.pop(ext, None)
        if self._first_time(ext, pop):
            self.metrics.inc("cti_pops_sent_total", self.hub.send_to_extension(ext, pop))

    def current_pops(self, ext: str) -> list[protocol.ScreenPop]:
        pops = {p.call.linkedid: p for p in self._remote.get(ext, {}).values()}
        pops.update({p.call.linkedid: p for p in self.popper.current_pops(ext)})
        return list(pops.values())

    # ----------------------------------------------------------------- life

    async def load_extensions(self) -> None:
        try:
            from registry.operators import list_operators

            async with self.sessions() as session:
                ops = await list_operators(session)
        except Exception as err:  # the registry may be unreachable at start: pops still work
            log.warning("could not load operator extensions: %r", err)
            return
        self.recorder.extensions = {o.extension: o.id for o in ops if o.extension and o.active}

    async def start(self) -> None:
        self.recorder.start()
        await self.load_extensions()

    async def close(self) -> None:
        if self._board_task is not None:
            self._board_task.cancel()
        await self.popper.close()
        await self.recorder.close()
