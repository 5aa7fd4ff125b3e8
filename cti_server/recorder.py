"""Call records, written off the pop's hot path: one writer task, batched, by Linkedid.

``CallRecorder.put(linkedid, fields)`` is synchronous and cheap: fields are merged per call (a
later value wins; ``None`` never erases one) and the writer task upserts every pending call in
one transaction (``registry.calls.upsert_call``: insert or update by Linkedid, so several
servers agree). ``close_stale(known)`` ends records still ``ongoing`` whose call is not live
here (a call that began before a restart, or vanished while the PBX link was down): ``answered``
when it had been answered (its talk time stays unknown), else ``unknown``. That is a conditional
update in the same batch (``WHERE outcome = 'ongoing'``): a final outcome written meanwhile, by
us or by another server, is never overwritten.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable, Container
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server.metrics import Metrics
from registry.calls import upsert_call
from registry.models import CallRecord

log = logging.getLogger(__name__)

ONGOING = "ongoing"


class CallRecorder:
    """Merges record fields per Linkedid and upserts them in batches from one task."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], metrics: Metrics) -> None:
        self._sessions = sessions
        self._metrics = metrics
        self._pending: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._closing: dict[str, str] = {}  # linkedid -> outcome, only if still ongoing
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.extensions: dict[str, int] = {}  # extension -> operator id

    def put(self, linkedid: str, fields: dict[str, Any]) -> None:
        merged = self._pending.setdefault(linkedid, {})
        merged.update({k: v for k, v in fields.items() if v is not None or k not in merged})
        self._poke()

    def _poke(self) -> None:
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="call-recorder")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, collections.OrderedDict()
            closing, self._closing = self._closing, {}
            try:
                await self._write(batch, closing)
            except Exception:
                self._metrics.inc("cti_call_record_errors_total")
                log.exception("writing %d call records failed; retrying once", len(batch))
                await asyncio.sleep(0.5)
                try:
                    await self._write(batch, closing)
                except Exception:
                    log.exception("dropped %d call record updates", len(batch))
            if not self._pending and not self._closing:
                self._idle.set()

    async def _write(self, batch: dict[str, dict[str, Any]], closing: dict[str, str]) -> None:
        async with self._sessions() as session:
            for linkedid, fields in batch.items():
                ext = fields.get("extension")
                if ext and "operator_id" not in fields and ext in self.extensions:
                    fields = {**fields, "operator_id": self.extensions[ext]}
                await upsert_call(session, linkedid, **fields)
            if closing:
                stmt = (
                    update(CallRecord)
                    .where(CallRecord.linkedid == bindparam("lid"), CallRecord.outcome == ONGOING)
                    .values(outcome=bindparam("out"))
                )
                params = [{"lid": lid, "out": out} for lid, out in closing.items()]
                conn = await session.connection()  # Core executemany, not an ORM bulk update
                await conn.execute(stmt, params)
            await session.commit()
        self._metrics.inc("cti_call_records_written_total", len(batch) + len(closing))

    async def close_stale(self, known: Container[str] | Callable[[str], bool]) -> int:
        """End ``ongoing`` records of calls not ``known`` as live; returns how many were queued."""
        await self.flush()
        async with self._sessions() as session:
            rows = await session.execute(
                select(CallRecord.linkedid, CallRecord.answered_at).where(
                    CallRecord.outcome == ONGOING
                )
            )
            stale = rows.all()
        is_known = known if callable(known) else known.__contains__
        n = 0
        for linkedid, answered_at in stale:  # checked now: events may have come meanwhile
            if is_known(linkedid) or linkedid in self._pending:
                continue
            self._closing[linkedid] = "answered" if answered_at is not None else "unknown"
            n += 1
        if n:
            log.info("closing %d call records left ongoing (calls no longer live)", n)
            self._poke()
        return n

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
