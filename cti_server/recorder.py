"""Call records, written off the pop's hot path: one writer task, batched, by Linkedid.

``CallRecorder.on_changes`` takes the tracker's changes (the one model of a call): every change
of a call becomes the fields of its record (``record_of``: times, queue, operator, hold and
talk time, caller as ``cti_server.caller_id.identify`` decides, the outcome: ``ongoing`` while
live, the tracker's once ended, amended by late PBX figures). ``put(linkedid, fields)`` adds
other fields (the ledger match, from the popper). Both are synchronous and cheap: fields are
merged per call (a later value wins; ``None`` never erases one) and the writer task upserts
every pending call in one transaction (``registry.calls.upsert_calls``: insert or update by
Linkedid, so several servers agree). The writer waits ``linger`` seconds (0.1) after the first
change before it writes, so that the changes of many calls share one transaction (a call's
entry, ringing, answer and end are several changes within a second); ``flush()`` cuts the wait
short and returns once everything put before it is written: a reader that must see every
record (the board reloading today's calls) flushes first. ``close_stale(known)`` ends records
still ``ongoing`` whose call is not live here (a call that began before a restart, or vanished
while the PBX link was down): ``answered`` when it had been answered (its talk time stays
unknown), else ``unknown``, and only where the record is still ``ongoing``
(``registry.calls.close_ongoing``).
While the database cannot be reached, updates wait (merged per call) and are written when it
answers again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server.caller_id import identify
from cti_server.domain.calls import Call
from cti_server.domain.changes import CallChanged, Change
from registry.calls import ONGOING, close_ongoing, ongoing_calls, upsert_calls

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5  # a failed batch is tried again after this, doubling
RETRY_MAX_SECONDS = 5.0
MAX_BACKLOG = 100_000  # calls whose record updates wait for the database
LINGER_SECONDS = 0.1  # the writer waits this long after a change: more go in one transaction

Count = Callable[[str, float], None]  # metric name, increment
ExtensionOf = Callable[[str, str], str | None]  # (member interface, member name) -> extension
OperatorOn = Callable[[str], int | None]  # extension -> the operator logged in on it


def record_of(call: Call, before: Call | None, extension_of: ExtensionOf, area: str
              ) -> dict[str, Any]:  # fmt: skip
    """The record fields a change of ``call`` gives: all of them for a new call, else those
    that changed (``None``: leave the stored value)."""
    if before is None:
        return {
            **dict(identify(call.caller, area).record),
            "entered_at": call.first_seen_at,
            "queue": call.queue or None,
            **_answer(call, extension_of),
            "hold_seconds": call.hold_seconds,
            "talk_seconds": call.talk_seconds,
            **_end(call),
            **({"recovered": True} if call.recovered else {}),
        }
    fields: dict[str, Any] = {}
    if call.caller is not before.caller and call.caller != before.caller:
        fields.update(identify(call.caller, area).record)
    if call.queue != before.queue:
        fields["queue"] = call.queue or None
    if call.answered_at != before.answered_at or call.agent_interface != before.agent_interface:
        fields.update(_answer(call, extension_of))
    if call.hold_seconds != before.hold_seconds:
        fields["hold_seconds"] = call.hold_seconds
    if call.talk_seconds != before.talk_seconds:
        fields["talk_seconds"] = call.talk_seconds
    if (  # ended, or amended (the queue log's end of a call that vanished in a gap)
        call.live is not before.live
        or call.outcome is not before.outcome
        or call.ended_at != before.ended_at
    ):
        fields.update(_end(call))
    return fields


def _answer(call: Call, extension_of: ExtensionOf) -> dict[str, Any]:
    ext = None
    if call.agent_interface and call.answered_at is not None:
        ext = extension_of(call.agent_interface, call.agent_name)
    return {"answered_at": call.answered_at, "extension": ext}


def _end(call: Call) -> dict[str, Any]:
    outcome = ONGOING if call.live or call.outcome is None else call.outcome.value
    return {"ended_at": call.ended_at, "outcome": outcome}


class CallRecorder:
    """Merges record fields per Linkedid and upserts them in batches from one task."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        extension_of: ExtensionOf,
        default_area_code: str,
        count: Count = lambda name, by: None,
        operator_on: OperatorOn = lambda extension: None,
        *,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._extension_of = extension_of
        self._operator_on = operator_on
        self._area = default_area_code
        self._count = count
        self._pending: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._closing: dict[str, str] = {}  # linkedid -> outcome, only if still ongoing
        self.linger = linger
        self._wake = asyncio.Event()  # something is pending
        self._hurry = asyncio.Event()  # someone flushes: no lingering
        self._queued = 0  # updates queued so far (``put``, ``close_stale``)
        self._written = 0  # of which written
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []  # flushes: (queued, done)
        self._task: asyncio.Task[None] | None = None
        self.extensions: dict[str, int] = {}  # extension -> operator id, by default extension

    def on_changes(self, changes: Iterable[Change]) -> None:
        for ch in changes:
            if isinstance(ch, CallChanged):
                fields = record_of(ch.call, ch.before, self._extension_of, self._area)
                ext = fields.get("extension")
                if ext and (op := self._operator_on(ext)) is not None:
                    fields["operator_id"] = op  # who was logged in there when it was answered
                if fields:
                    self.put(ch.call.linkedid, fields)

    def put(self, linkedid: str, fields: dict[str, Any]) -> None:
        merged = self._pending.setdefault(linkedid, {})
        merged.update({k: v for k, v in fields.items() if v is not None or k not in merged})
        self._poke()

    def _poke(self) -> None:
        self._queued += 1
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="call-recorder")

    async def _run(self) -> None:
        delay = RETRY_FIRST_SECONDS
        while True:
            await self._wake.wait()
            if self.linger > 0 and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):  # more changes join this batch
                    async with asyncio.timeout(self.linger):
                        await self._hurry.wait()
            self._wake.clear()
            self._hurry.clear()
            upto = self._queued
            batch, self._pending = self._pending, collections.OrderedDict()
            closing, self._closing = self._closing, {}
            try:
                if batch or closing:
                    await self._write(batch, closing)
                delay = RETRY_FIRST_SECONDS
            except Exception as err:
                # the database is away (or refused the batch): keep every update, merged
                # under what came meanwhile, and try again later; nothing is dropped unless
                # the backlog grows beyond ``MAX_BACKLOG`` calls
                self._count("cti_call_record_errors_total", 1.0)
                log.warning(
                    "writing %d call records failed (%s); retrying in %.1f s",
                    len(batch), type(err).__name__, delay,
                )  # fmt: skip
                self._requeue(batch, closing)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                self._wake.set()
                continue
            self._done(upto)

    def _done(self, upto: int) -> None:
        """Updates up to the ``upto``-th are written: the flushes waiting for them return."""
        self._written = upto
        waiting, self._waiters = self._waiters, []
        for queued, done in waiting:
            if queued > upto:
                self._waiters.append((queued, done))
            elif not done.done():
                done.set_result(None)

    def _requeue(self, batch: dict[str, dict[str, Any]], closing: dict[str, str]) -> None:
        newer, self._pending = self._pending, collections.OrderedDict(batch)
        for linkedid, fields in newer.items():
            merged = self._pending.setdefault(linkedid, {})
            merged.update({k: v for k, v in fields.items() if v is not None or k not in merged})
        self._closing = {**closing, **self._closing}
        while len(self._pending) > MAX_BACKLOG:
            linkedid, _ = self._pending.popitem(last=False)
            log.error("call record backlog full; dropped the updates of call %s", linkedid)

    async def _write(self, batch: dict[str, dict[str, Any]], closing: dict[str, str]) -> None:
        calls = {}
        for linkedid, fields in batch.items():
            ext = fields.get("extension")
            if ext and "operator_id" not in fields and ext in self.extensions:
                fields = {**fields, "operator_id": self.extensions[ext]}
            calls[linkedid] = fields
        async with self._sessions() as session:
            if calls:
                await upsert_calls(session, calls)
            await close_ongoing(session, closing)
            await session.commit()
        self._count("cti_call_records_written_total", float(len(batch) + len(closing)))

    async def close_stale(self, is_live: Callable[[str], bool]) -> int:
        """End ``ongoing`` records of calls not live; returns how many were queued."""
        await self.flush()
        async with self._sessions() as session:
            stale = await ongoing_calls(session)
        n = 0
        for linkedid, answered in stale:  # checked now: events may have come meanwhile
            if is_live(linkedid) or linkedid in self._pending:
                continue
            self._closing[linkedid] = "answered" if answered else "unknown"
            n += 1
        if n:
            log.info("closing %d call records left ongoing (calls no longer live)", n)
            self._poke()
        return n

    async def flush(self) -> None:
        """Return once everything put so far is written (the linger is cut short): a reload
        of the records, tests, shutdown."""
        queued = self._queued
        if self._written >= queued:
            return
        done = asyncio.get_running_loop().create_future()
        self._waiters.append((queued, done))
        self._hurry.set()
        await done

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.flush(), 5.0)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
