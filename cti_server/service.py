"""Glue between the PBX bridge, the tracker, the popper, the call records, the board and the bus.

``CallService.on_event`` is what the bridge calls for every domain event (synchronously, in
order): the tracker applies it and its changes go to the supervisor board (``board_service``, set
by ``board_app.board_context``), then the popper routes the pop. Call records are merged per
Linkedid and written by ``CallRecorder``'s own task, so a slow database never delays a pop. At
start and after every completed AMI resync, records left ``ongoing`` by calls that are no longer
live are closed (``CallRecorder.close_stale``). With a bus, pops computed here are published for
clients connected to other instances, pops published by others reach our clients (each pop
once), and slot changes made on other instances refresh our board's bookings fill.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.caller_lookup import LedgerLookup
from cti_server.config import Settings
from cti_server.domain.tracker import Tracker
from cti_server.popper import Popper
from cti_server.recorder import CallRecorder
from cti_server.web.hub import Hub
from cti_server.web.metrics import Metrics

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = 3.0  # seconds: the same pop from two bridges arrives within this


def live_board(tracker: Any, settings: Settings) -> dict[str, Any]:
    """Board schema: ``{"at", "queues": [{name, waiting, longest_wait, logged_in, available,
    ringing, in_call, paused, unavailable}], "members": [{queue, interface, name, extension,
    status, paused_reason, since}], "live_calls"}``. Day figures come from calls_between."""
    now = dt.datetime.now(dt.UTC)
    queues = []
    for name in tracker.queue_names:
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
        self.lookup = LedgerLookup(sessions)
        self.popper = Popper(
            settings,
            self.lookup,
            self._send,
            self.recorder.put,
            on_lookup_time=metrics.lookup_seconds.observe,
        )
        self.tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
        self.board_service: Any = None  # cti_server.web.board.BoardService, while it runs
        # also handed every non-empty list of tracker changes (the operators' own states)
        self.change_listeners: list[Callable[[list[Any]], None]] = []
        self._bus: Any = None
        self._remote: dict[str, dict[str, protocol.ScreenPop]] = {}  # ext -> linkedid -> pop
        self._seen: collections.OrderedDict[tuple[str, str, str], float] = collections.OrderedDict()
        self._last_resync = self.tracker.last_resync
        self._tasks: set[asyncio.Task[None]] = set()
        self.ami_state = "connecting"

    # ----------------------------------------------------------------- in from the bridge

    def on_event(self, event: Any) -> None:
        events: Iterable[Any] = event if isinstance(event, list | tuple) else (event,)
        for e in events:
            self.metrics.event(type(e).__name__)
            try:
                changes = self.tracker.apply(e)
            except Exception:
                log.exception("tracker failed on %s", type(e).__name__)
                changes = []
            if changes and self.board_service is not None:
                self.board_service.on_changes(changes)
            for listener in self.change_listeners if changes else ():
                listener(changes)
            try:
                self.popper.on_event(e)
            except Exception:
                log.exception("popper failed on %s", type(e).__name__)
            if self.tracker.last_resync is not self._last_resync:
                self._last_resync = self.tracker.last_resync
                self._resynced(e.at)

    def _resynced(self, at: dt.datetime) -> None:
        """A resync completed: the tracker holds every live call of the PBX."""
        live = self.tracker.calls
        self.popper.end_vanished(live, at)
        for call in live.values():  # rang or was answered while the link was down: pop now
            self.popper.adopt(call)
        self._spawn(self.close_stale(), "close-stale-records")

    async def close_stale(self) -> None:
        """Close records left ongoing by calls no longer live, then let the board reread them."""
        try:
            n = await self.recorder.close_stale(self._is_live)
            if n:
                await self.recorder.flush()
        except Exception:
            log.exception("could not close stale call records")
            return
        if n and self.board_service is not None:
            await self.board_service.reload_calls()

    def _is_live(self, linkedid: str) -> bool:
        return linkedid in self.tracker.calls or self.popper.knows(linkedid)

    def on_state(self, state: str) -> None:
        """The bridge's state: connecting / connected / disconnected / auth_failed / closed."""
        if state != self.ami_state:
            log.info("AMI %s", state)
        self.ami_state = state

    def board(self) -> dict[str, Any] | None:
        """The supervisor board: the board service's, else live queues and members only."""
        try:
            if self.board_service is not None:
                return dict(self.board_service.snapshot())
            return live_board(self.tracker, self.settings)
        except Exception:
            log.exception("building the board failed")
            return None

    # ----------------------------------------------------------------- the bus

    @property
    def bus(self) -> Any:
        """``cti_server.bus.Bus`` when ``redis_url`` is set (attached by the app), else None."""
        return self._bus

    @bus.setter
    def bus(self, bus: Any) -> None:
        self._bus = bus
        if bus is not None:
            bus.listen("slots", self.on_bus_slots)

    def on_bus_slots(self, data: dict[str, Any]) -> None:
        """Another instance changed slots or bookings: our board rereads the fill."""
        if self.board_service is not None:
            self.board_service.bookings_changed()

    # ----------------------------------------------------------------- pops out

    def _first_time(self, ext: str, pop: protocol.ScreenPop) -> bool:
        """False for the same pop seen moments ago (our own copy, or another bridge's)."""
        what = f"{pop.call.state}/{pop.call.extension}/{pop.lookup_error}/{len(pop.households)}"
        key = (ext, pop.call.linkedid, what)
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
        """Start the recorder and close the records a previous run left ongoing (nothing is
        live yet: the bridge starts after us and its resync brings back what still is)."""
        self.recorder.start()
        await self.load_extensions()
        await self.close_stale()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.popper.close()
        await self.recorder.close()
