"""The ledger (database) reachability, watched and told to every client.

``ledger_ctx`` asks the database ``SELECT 1`` every ``ledger_check_seconds``; when the answer
changes (reachable / unreachable) every connected client gets a ``LedgerStatus`` and the change
is logged once. A client connecting while the ledger is unreachable is told right after
``Hello`` (``LedgerWatch.greet``). A request that fails because the database cannot be reached
answers 503 ``ledger_unavailable`` (``errors.error_middleware``) and marks the ledger down here
at once, without waiting for the next check.

While the ledger is down, pops still go out with the caller's number (``lookup_error``
``unavailable``), the client keeps its forms in its outbox and sends them again when it is told
that the ledger is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text

from cti_server import protocol
from cti_server.web.hub import Client
from cti_server.web.keys import ENGINE, HUB, SETTINGS

log = logging.getLogger(__name__)


class LedgerWatch:
    def __init__(self, app: web.Application) -> None:
        self._app = app
        self.ok = True
        self.since = dt.datetime.now(dt.UTC)
        self.error = ""

    def _message(self) -> protocol.LedgerStatus:
        return protocol.LedgerStatus(ok=self.ok, since=self.since.isoformat(), error=self.error)

    def set(self, ok: bool, error: str = "") -> None:
        """Record the ledger's state; tell every client when it changed."""
        if ok == self.ok:
            return
        self.ok, self.error, self.since = ok, "" if ok else error, dt.datetime.now(dt.UTC)
        if ok:
            log.warning("ledger database reachable again")
        else:
            log.warning("ledger database unreachable (%s)", error)
        hub = self._app[HUB]
        text_ = protocol.encode(self._message())
        for client in list(hub.clients):
            client.offer(text_)

    def greet(self, client: Client) -> None:
        """After ``Hello``: say so when the ledger is down (an up ledger is the default)."""
        if not self.ok:
            client.offer(protocol.encode(self._message()))

    async def check(self) -> bool:
        timeout = max(0.5, self._app[SETTINGS].ledger_check_seconds)
        try:
            async with self._app[ENGINE].connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout)
        except Exception as err:  # any failure to answer is "unreachable"
            self.set(False, type(err).__name__)
            return False
        self.set(True)
        return True


LEDGER: web.AppKey[LedgerWatch] = web.AppKey("ledger_watch")


def add_ledger_watch(app: web.Application) -> None:
    app[LEDGER] = LedgerWatch(app)
    app.cleanup_ctx.append(ledger_ctx)


async def ledger_ctx(app: web.Application) -> AsyncIterator[None]:
    watch = app[LEDGER]
    every = app[SETTINGS].ledger_check_seconds

    async def keep_checking() -> None:
        while True:
            await asyncio.sleep(every)
            await watch.check()

    task = asyncio.create_task(keep_checking(), name="ledger-watch")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def ledger_down(request: web.Request, error: str) -> None:
    """A request found the database unreachable: mark the ledger down now."""
    watch = request.app.get(LEDGER)
    if watch is not None:
        watch.set(False, error)
