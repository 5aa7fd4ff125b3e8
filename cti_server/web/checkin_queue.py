"""The reception desks' scans, answered together: one transaction for the scans that arrived
while the previous ones were being written.

Every desk posts one scan at a time and waits for its answer. Answering each in its own
transaction costs a handful of round trips, a commit and a turn on the audit chain's lock per
scan; here the scans that arrive meanwhile wait (no timer: a lone scan is answered at once) and
go together through ``registry.checkins.check_in_many``: a fixed number of round trips and one
commit for the lot. The answers are those the scans would get one after the other in arrival
order (two desks scanning one postcard: one ``checked_in``, one ``already_checked_in``); the
database still settles races with other instances (a conditional ``UPDATE`` per booking, the
unique scan id).

A batch that fails as a whole is answered scan by scan, each in its own transaction, so one
scan's error is that scan's alone. What the commits changed is published once per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from cti_server.web.keys import ENGINE, SESSIONS
from cti_server.web.slots import publish_changes
from registry import checkins
from registry.changes import Change, taken

log = logging.getLogger(__name__)

MAX_BATCH = 64  # scans in one transaction at most

Pending = tuple[checkins.Scan, checkins.CheckinRules, "asyncio.Future[checkins.CheckinResult]"]


class CheckinQueue:
    """Scans waiting for the next transaction, and the one task that writes them."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._pending: list[Pending] = []
        self._worker: asyncio.Task[None] | None = None
        # held while scans keep coming: no checkout (and its liveness ping) per transaction
        self._conn: AsyncConnection | None = None
        self.batches = 0  # transactions written (for figures)
        self.scans = 0

    async def check_in(
        self, scan: checkins.Scan, rules: checkins.CheckinRules
    ) -> checkins.CheckinResult:
        """The scan's answer, once the transaction that holds it is committed."""
        checkins.check_scan(scan.scan_id, scan.desk, scan.barcode)  # a bad one waits for none
        fut: asyncio.Future[checkins.CheckinResult] = asyncio.get_running_loop().create_future()
        self._pending.append((scan, rules, fut))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="reception-checkins")
        # a request that goes away does not take its scan out: the scan is answered and stored
        return await asyncio.shield(fut)

    async def close(self) -> None:
        """Let the scans already taken finish (their desks wait for them)."""
        if self._worker is not None:
            with contextlib.suppress(Exception):
                await self._worker

    async def _work(self) -> None:
        while True:
            try:
                while self._pending:
                    await self._next_batch()
            finally:
                await self._release()  # quiet again: the connection goes back to the pool
            # a scan taken while the connection was being given back: this task still runs
            # (so ``check_in`` started none), it must answer it; no await from here to return
            if not self._pending:
                return

    async def _next_batch(self) -> None:
        rules = self._pending[0][1]
        n = 0
        while n < min(MAX_BATCH, len(self._pending)) and self._pending[n][1] == rules:
            n += 1
        batch, self._pending = self._pending[:n], self._pending[n:]
        try:
            await self._answer(batch)
        except Exception:  # never leaves a desk waiting
            log.exception("reception: could not answer %d scans", len(batch))
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(RuntimeError("the scan could not be answered"))

    async def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _answer(self, batch: list[Pending]) -> None:
        rules = batch[0][1]
        changes: list[Change] = []
        try:
            if self._conn is None:
                self._conn = await self.app[ENGINE].connect()
            async with self.app[SESSIONS](bind=self._conn) as session:
                results = await checkins.check_in_many(
                    session, [scan for scan, _, _ in batch], rules=rules
                )
                await session.commit()
                changes.extend(taken(session))
        except Exception as err:
            await self._release()  # a connection that failed is not used again
            if len(batch) == 1:
                _settle(batch[0][2], err)
            else:  # one scan's fault must not be the others': each in its own transaction
                for one in batch:
                    await self._answer([one])
            return
        self.batches += 1
        self.scans += len(batch)
        if changes:  # first: the tally a desk asks for after its answer counts its scan
            try:
                await publish_changes(self.app, changes)
            except Exception:
                log.exception("reception: could not publish %d changes", len(changes))
        for (_, _, fut), result in zip(batch, results, strict=True):
            if not fut.done():
                fut.set_result(result)


def _settle(fut: asyncio.Future[checkins.CheckinResult], err: BaseException) -> None:
    if not fut.done():
        fut.set_exception(err)


CHECKIN_QUEUE: web.AppKey[CheckinQueue] = web.AppKey("checkin_queue", CheckinQueue)


def add_checkin_queue(app: web.Application) -> None:
    """``app[CHECKIN_QUEUE]`` (at app creation); at cleanup the scans taken are answered
    before the database is closed."""
    app[CHECKIN_QUEUE] = CheckinQueue(app)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[CHECKIN_QUEUE].close()

    app.cleanup_ctx.append(ctx)
