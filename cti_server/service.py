"""The call pipeline: domain events in, the tracker's changes out to the board, records and pops.

``CallService.on_event`` is what the bridge calls for every domain event (synchronously, in
order): the tracker (the one model of a live call) applies it, and what changed goes to every
listener in turn: the popper first (the pop is the hot path), the board (``listeners``), then
the call recorder. Inside ``reading()`` (the bridge's scope around one AMI read) only the popper
hears at once; the others hear when the read is handled, in the same order. Call records
are merged per Linkedid and written by ``CallRecorder``'s own task, so a slow database never
delays a pop. At start and after every completed AMI resync, records left ``ongoing`` by calls
that are no longer live are closed (``CallRecorder.close_stale``); after a resync that followed
a gap in the PBX link, the calls that began and ended inside it are rebuilt from the PBX's queue
log when that is configured (``recover_gap``: ``gap_recovery.GapRecovery.recover``); then
``on_records_closed`` (the board's reload) follows.

``PopDelivery`` takes pops to the operators' sockets (through ``PopSink``, the hub's
``send_to_extension``) and, with a bus, to the other instances: pops published by others reach
our clients (each pop once) and are remembered for a reconnecting operator.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.domain import events as ev
from cti_server.domain.changes import Change, LinkChanged
from cti_server.domain.resync import ResyncReport
from cti_server.domain.tracker import Tracker
from cti_server.popper import Popper
from cti_server.recorder import CallRecorder

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = 3.0  # seconds: the same pop from two bridges arrives within this


class PopSink(Protocol):
    """Where pops go on this instance (``cti_server.web.hub.Hub``)."""

    def send_to_extension(self, extension: str, msg: Any) -> int: ...

    def send_to_all(self, msg: Any) -> int: ...


class Bridge(Protocol):
    """The PBX link: ``cti_server.ami.bridge.AmiBridge``, or a fake in tests."""

    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def queue_pause(
        self, interface: str, paused: bool, reason: str = "", queue: str = ""
    ) -> None: ...


class CallMetrics(Protocol):
    """What the pipeline counts (``cti_server.metrics.Metrics``)."""

    def event(self, kind: str) -> None: ...

    def inc(self, name: str, by: float = 1.0) -> None: ...

    def count_changes(self, changes: Iterable[Change]) -> None: ...


class ChangeListener(Protocol):
    def on_changes(self, changes: list[Change]) -> None: ...


Publish = Callable[[str, dict[str, Any]], None]
RecoverGap = Callable[[dt.datetime, dt.datetime], Awaitable[int]]  # lost_at, back_at -> calls


class PopDelivery:
    """Pops to this instance's sockets and to the bus; pops from the bus to our sockets."""

    def __init__(self, sink: PopSink, metrics: CallMetrics, publish: Publish | None = None):
        self._sink = sink
        self._metrics = metrics
        self._publish = publish
        self._remote: dict[str, dict[str, protocol.ScreenPop]] = {}  # ext -> linkedid -> pop
        self._seen: collections.OrderedDict[tuple[str, str, str], float] = collections.OrderedDict()

    def _first_time(self, ext: str, pop: protocol.ScreenPop) -> bool:
        """False for the same pop seen moments ago (our own copy, or another bridge's)."""
        what = (
            f"{pop.call.state}/{pop.call.extension}/{pop.lookup_error}/{len(pop.households)}"
            f"/{pop.uncertain}"
        )
        key = (ext, pop.call.linkedid, what)
        now = time.monotonic()
        last = self._seen.pop(key, None)
        self._seen[key] = now
        while len(self._seen) > 20_000:
            self._seen.popitem(last=False)
        return last is None or now - last > DUPLICATE_WINDOW

    def send(self, ext: str, pop: protocol.ScreenPop) -> None:
        self._first_time(ext, pop)
        self._metrics.inc("cti_pops_sent_total", self._sink.send_to_extension(ext, pop))
        if self._publish is not None:
            self._publish("pop", {"ext": ext, "pop": protocol.to_dict(pop)})

    def broadcast(self, msg: Any) -> None:
        """A message for every client of this instance (the PBX link state)."""
        self._sink.send_to_all(msg)

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
            self._metrics.inc("cti_pops_sent_total", self._sink.send_to_extension(ext, pop))

    def remote_pops(self, ext: str) -> list[protocol.ScreenPop]:
        return list(self._remote.get(ext, {}).values())


class CallService:
    def __init__(
        self,
        tracker: Tracker,
        recorder: CallRecorder,
        popper: Popper,
        delivery: PopDelivery,
        metrics: CallMetrics,
        sessions: async_sessionmaker[AsyncSession],
        *,
        listeners: Sequence[ChangeListener] = (),
        on_records_closed: Callable[[], Awaitable[None]] | None = None,
        recover_gap: RecoverGap | None = None,
    ) -> None:
        self.tracker = tracker
        self.recorder = recorder
        self.popper = popper
        self.delivery = delivery
        self.metrics = metrics
        self.sessions = sessions
        self._listeners: tuple[ChangeListener, ...] = (popper, *listeners, recorder)
        self._on_records_closed = on_records_closed
        self.recover_gap = recover_gap  # None: no queue log to rebuild a gap's calls from
        self._last_resync = tracker.last_resync
        self._later: list[list[Change]] | None = None  # changes to tell, inside reading()
        self._tasks: set[asyncio.Task[None]] = set()
        self.ami_state = "connecting"
        self.bridge: Bridge | None = None  # set by bootstrap; None: no PBX configured
        self.link_down_since: dt.datetime | None = None  # the PBX link went down then
        self._started_at = utc_now()

    # ----------------------------------------------------------------- in from the bridge

    def on_event(self, event: ev.DomainEvent | Iterable[ev.DomainEvent]) -> None:
        """Apply events in order. For each, the popper hears of its changes at once (a pop is
        written before anything else is done); the other listeners hear of them in the same
        order once every event given is applied, or, inside ``reading()``, once the read is
        handled."""
        events = event if isinstance(event, list | tuple) else (event,)
        later = self._later if self._later is not None else []
        for e in events:
            self.metrics.event(type(e).__name__)
            try:
                changes = self.tracker.apply(e)
            except Exception:
                log.exception("tracker failed on %s", type(e).__name__)
                continue
            if changes:
                self._tell(changes, self._listeners[:1])
                later.append(changes)
            if self.tracker.last_resync is not self._last_resync:
                self._last_resync = report = self.tracker.last_resync
                self._spawn(self.close_stale(report), "close-stale-records")
        if later is not self._later:
            self._tell_later(later)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Around the events of one AMI read (``AmiBridge(read_scope=...)``): the board, agent
        states, callbacks and records hear of its changes when the read is handled, so the pop
        of its last event (an ``AgentCalled`` behind the caller's own channel events) waits
        for none of their work."""
        if self._later is not None:  # nested: the outer read tells them
            yield
            return
        self._later = []
        try:
            yield
        finally:
            later, self._later = self._later, None
            self._tell_later(later)

    def _tell_later(self, later: list[list[Change]]) -> None:
        for changes in later:
            self.metrics.count_changes(changes)
            self._tell(changes, self._listeners[1:])
            for ch in changes:
                if isinstance(ch, LinkChanged):
                    self._link_changed(ch)

    @staticmethod
    def _tell(changes: list[Change], listeners: Sequence[ChangeListener]) -> None:
        for listener in listeners:
            try:
                listener.on_changes(changes)
            except Exception:
                log.exception("%s failed on the tracker's changes", type(listener).__name__)

    def link(self) -> tuple[str, dt.datetime | None]:
        """The PBX link for clients: ("up", None), ("down", since) or ("off", None) when this
        server has no PBX link at all."""
        if self.bridge is None:
            return "off", None
        if self.link_down_since is not None:
            return "down", self.link_down_since
        if not self.bridge.connected:
            return "down", self._started_at
        return "up", None

    def _link_changed(self, ch: LinkChanged) -> None:
        """Every client learns the link state; the live pops are re-sent, marked uncertain while
        the link is down (and certain again once it is back)."""
        if ch.connected:
            self.link_down_since = None
        elif self.link_down_since is None:
            self.link_down_since = utc_now()
        state, since = self.link()
        if state == "down":
            log.warning("PBX link down (%s): operators are told", ch.reason)
        else:
            log.info("PBX link up again")
        self.delivery.broadcast(
            protocol.PbxLink(
                state=state, since=since.isoformat() if since else None, reason=ch.reason
            )
        )
        self.popper.set_uncertain(state == "down")

    async def close_stale(self, resync: ResyncReport | None = None) -> None:
        """Close records left ongoing by calls no longer live; after a ``resync`` that followed
        a gap, rebuild the gap's calls (``recover_gap``); then tell ``on_records_closed``."""
        try:
            n = await self.recorder.close_stale(self.knows)
            if n:
                await self.recorder.flush()
        except Exception:
            log.exception("could not close stale call records")
            return
        gap = (resync.lost_at, resync.back_at) if resync is not None else (None, None)
        if self.recover_gap is not None and gap[0] is not None and gap[1] is not None:
            try:
                n += await self.recover_gap(gap[0], gap[1])
            except Exception:
                log.exception("could not rebuild the calls of the PBX link gap from queue_log")
        if n and self._on_records_closed is not None:
            await self._on_records_closed()

    def knows(self, linkedid: str) -> bool:
        """A live call, or one that ended recently (its last record fields may be pending)."""
        return self.tracker.call(linkedid) is not None

    def on_state(self, state: str) -> None:
        """The bridge's state: connecting / connected / disconnected / auth_failed / closed."""
        if state != self.ami_state:
            log.info("AMI %s", state)
        self.ami_state = state

    def current_pops(self, ext: str) -> list[protocol.ScreenPop]:
        self.popper.uncertain = self.link()[0] == "down"
        pops = {p.call.linkedid: p for p in self.delivery.remote_pops(ext)}
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

    async def settle(self) -> None:
        """Wait until the lookups and record writes started so far are done (tests)."""
        await self.popper.drain()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.recorder.flush()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
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


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
