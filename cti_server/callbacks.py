"""The callback worklist's application service: click-to-dial and the abandoned-call feeder.

- ``dial(item_id, operator_id, extension, name)``: the operator holding a worklist item calls its
  number. The tracker is told first (``OutboundDialled``: the one model of the call, so the
  resident's card pops on the operator's client as for a ringing call, and the call is recorded),
  then the PBX bridge is asked to ``originate``: the operator's phone (``dial_channel``) rings,
  then the outbound route (``dial_context``) calls the resident with ``dial_caller_id``.
- As a tracker listener it puts on the worklist, once per call: callers who asked to be called
  back from the queue (the dialplan's ``CtiCallback`` user event: ``callback_requested``,
  ``source_ref`` ``call:<linkedid>:callback``), and callers who gave up in the queue
  (``abandoned``, unless they had asked for a callback); the calls rebuilt from the queue
  log after a gap in the PBX link come here too (``gap_recovery``). Only callers with a
  number one can call (a withheld caller is counted and logged, without a number). When the
  ledger cannot take an item it is kept in memory and tried again every ``RETRY_SECONDS``
  (lost only if the server stops first, which is logged).

Imports the domain, the registry and the settings; the tracker and the bridge come in as
callables (``cti_server.bootstrap`` wires them).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server.config import Settings
from cti_server.domain import events as ev
from cti_server.domain.calls import Call, CallState, Outcome
from cti_server.domain.changes import CallChanged, Change
from registry import worklist
from registry.audit import AuditAction, audit
from registry.errors import Conflict, InvalidInput
from registry.worklist_feeds import from_venues_and_web

log = logging.getLogger(__name__)


class Originator(Protocol):
    """What click-to-dial needs of the PBX link (``cti_server.ami.bridge.AmiBridge``)."""

    @property
    def connected(self) -> bool: ...

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        caller_id: str,
        channel_id: str,
        ring_seconds: float = 30.0,
    ) -> None: ...


RETRY_SECONDS = 5.0  # a feed the ledger refused is tried again this often
MAX_PENDING = 10_000


@dataclass(frozen=True)
class _Feed:
    """A worklist item a feeder makes: once per ``source_ref``."""

    reason: str
    source_ref: str
    number: str
    detail: dict[str, Any]


class DialFailed(Exception):
    """The PBX could not be asked to place the call (not connected, refused, no answer)."""


@dataclass(frozen=True)
class Dialled:
    linkedid: str  # the call's key, as for an incoming call
    number: str  # what the outbound route was asked to dial
    item: worklist.WorkItemView


def dial_string(e164: str, prefix: str = "") -> str:
    """The digits the outbound route dials: a Japanese number nationally (0...), else 010...,
    after the configured ``prefix`` (an outside-line digit, say)."""
    if e164.startswith("+81"):
        return prefix + "0" + e164[3:]
    if e164.startswith("+"):
        return prefix + "010" + e164[1:]
    return prefix + e164


class Callbacks:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        on_event: Callable[[ev.DomainEvent], None],
        bridge: Callable[[], object | None],
        on_worklist: Callable[[], None] = lambda: None,
        count: Callable[[str], Any] = lambda name: None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self._on_event = on_event
        self._bridge = bridge
        self.on_worklist = on_worklist  # the board rereads the worklist's size and age
        self.count = count  # a metrics counter by name (cti_server.metrics.Metrics.inc)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.pending: dict[str, _Feed] = {}  # by source_ref: items the ledger did not take yet
        self.retry_seconds = RETRY_SECONDS
        self._retry: asyncio.Task[None] | None = None

    # ---- click-to-dial --------------------------------------------------------------------
    def _originator(self) -> Originator:
        bridge = self._bridge()
        if bridge is None or not hasattr(bridge, "originate"):
            raise DialFailed("no PBX link that can place calls")
        if not getattr(bridge, "connected", False):
            raise DialFailed("not connected to the PBX")
        return bridge  # type: ignore[return-value]

    async def dial(self, item_id: int, operator_id: int, extension: str, name: str) -> Dialled:
        """Call the number of a held item from ``extension``; ``Conflict`` if not held,
        ``InvalidInput`` (phone) if it has no number, ``DialFailed`` if the PBX cannot."""
        bridge = self._originator()
        async with self.sessions() as session:
            item = await worklist.get_item(session, item_id)
            if item.state != "claimed" or item.claimed_by != operator_id:
                raise Conflict("take the item before calling", details={"item_id": item_id})
            if not item.phone:
                raise InvalidInput("phone", "the item has no number to call")
            number = dial_string(item.phone, self.settings.dial_prefix)
            linkedid = f"ctd-{uuid.uuid4().hex}"
            await audit(session, AuditAction.WORKLIST_DIAL, operator_id=operator_id,
                        resident_id=item.resident_id, call_linkedid=linkedid,
                        details={"item_id": item_id, "extension": extension})  # fmt: skip
            await session.commit()
        channel = self.settings.dial_channel.replace("{extension}", extension)
        self._on_event(ev.OutboundDialled(linkedid, channel, name, item.phone, _now()))
        try:
            await bridge.originate(
                channel=channel, context=self.settings.dial_context, exten=number,
                caller_id=self.settings.dial_caller_id, channel_id=linkedid,
                ring_seconds=float(self.settings.dial_ring_seconds),
            )  # fmt: skip
        except Exception as err:
            self._on_event(ev.OutboundProgress(linkedid, "operator_failed", _now(), str(err)))
            log.warning("click-to-dial %s from %s failed: %s", linkedid, extension, err)
            raise DialFailed(f"the PBX refused the call: {err}") from err
        log.info("click-to-dial %s: item %s from extension %s", linkedid, item_id, extension)
        return Dialled(linkedid, number, item)

    # ---- feeders: callers who asked for a callback, callers who gave up -------------------
    def on_changes(self, changes: Iterable[Change]) -> None:
        for c in changes:
            if not isinstance(c, CallChanged):
                continue
            call, before = c.call, c.before
            if call.callback and (before is None or not before.callback):
                self._callback_requested(call)
            if call.state is not CallState.ENDED or call.callback:
                continue  # a caller who asked for a callback is on the worklist once already
            fresh = before is None or before.state is not CallState.ENDED
            if fresh and call.outcome is Outcome.ABANDONED and call.caller.number:
                self._feed(
                    "abandoned", f"call:{call.linkedid}:abandoned", call.caller.number,
                    {"linkedid": call.linkedid, "queue": call.queue},
                )  # fmt: skip

    def _callback_requested(self, call: Call) -> None:
        if not call.caller.number:  # withheld or not sent: nobody to call back
            self.count("cti_callback_requests_no_number_total")
            log.info("call %s asked for a callback (%s) without a number one can call",
                     call.linkedid, call.callback)  # fmt: skip
            return
        self.count("cti_callback_requests_total")
        log.info("call %s asked for a callback (%s)", call.linkedid, call.callback)
        self._feed(
            "callback_requested", f"call:{call.linkedid}:callback", call.caller.number,
            {"linkedid": call.linkedid, "queue": call.queue, "reason": call.callback},
        )  # fmt: skip

    def _feed(self, reason: str, source_ref: str, number: str, detail: dict[str, Any]) -> None:
        self._spawn(self._enqueue(_Feed(reason, source_ref, number, detail)))

    async def _enqueue(self, item: _Feed) -> bool:
        """Add ``item`` to the worklist (True: done with it); if the ledger fails, keep it for
        ``_retry_loop`` (False)."""
        try:
            async with self.sessions() as session:
                await worklist.enqueue(
                    session, reason=item.reason, source_ref=item.source_ref, phone=item.number,
                    detail=item.detail,
                )  # fmt: skip
                await session.commit()
        except InvalidInput:
            log.info("%s: its number cannot be called back", item.source_ref)
            self.pending.pop(item.source_ref, None)
            return True  # settled: trying again would not help
        except Exception as err:  # the ledger is down: keep it (no number in the log)
            if item.source_ref not in self.pending and len(self.pending) >= MAX_PENDING:
                log.error("%s: not added to the worklist, %d already waiting for the ledger",
                          item.source_ref, len(self.pending))  # fmt: skip
                return False
            first = self.pending.setdefault(item.source_ref, item) is item
            if first:
                log.warning("%s: could not add it to the worklist (%s); retrying every %s s",
                            item.source_ref, type(err).__name__, self.retry_seconds)  # fmt: skip
            self._start_retry()
            return False
        self.pending.pop(item.source_ref, None)
        self.on_worklist()
        return True

    def _start_retry(self) -> None:
        if self._retry is None or self._retry.done():
            loop = asyncio.get_running_loop()
            self._retry = loop.create_task(self._retry_loop(), name="worklist-feed-retry")

    async def _retry_loop(self) -> None:
        while self.pending:
            await asyncio.sleep(self.retry_seconds)
            for item in list(self.pending.values()):
                if not await self._enqueue(item):
                    break  # still down: try again later
            else:
                log.info("worklist feed: every kept item is on the worklist now")

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro, name="worklist-feed")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the feeder's writes (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ---- no-shows and residents' web requests ---------------------------------------------
    def start(self) -> None:
        """Sweep every ``worklist_sweep_seconds`` (0: never): today's no-shows and residents'
        open web requests onto the worklist."""
        if self.settings.worklist_sweep_seconds > 0 and self._sweeper is None:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.create_task(self._sweep_loop(), name="worklist-sweep")

    async def sweep(self, now: dt.datetime | None = None) -> None:
        at = now or _now()
        tz = self.settings.timezone
        async with self.sessions() as session:
            day = at.astimezone(ZoneInfo(tz)).date()
            await from_venues_and_web(session, day=day, tz=tz, now=at)
            await session.commit()
        self.on_worklist()

    async def _sweep_loop(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("worklist: could not add today's no-shows and web requests")
            await asyncio.sleep(self.settings.worklist_sweep_seconds)

    async def close(self) -> None:
        if self._retry is not None:
            if self.pending:
                log.warning("worklist feed: %d items never reached the ledger", len(self.pending))
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self.drain()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
