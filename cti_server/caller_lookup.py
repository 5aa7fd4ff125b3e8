"""The ledger lookup behind a screen-pop: bounded, cached, timed.

``LedgerLookup(sessions)`` is the popper's ``lookup`` callable: ``await lookup(e164)`` asks the
in-memory ``registry.find.phone_index.PhoneIndex`` once the app has loaded it (``index``; no
round trip for the match), else ``registry.find.lookup.lookup_by_number``; then one query for
the candidates' flags when there are candidates (booked, mobility, called before;
``registry.find.flags``), with at most ``concurrency``
lookups at once (more would overflow the engine's pool; on SQLite every overflow connection is
opened anew) and keeps each result ``cache_seconds`` (a caller who rings again soon pops without
a database round trip).
``CallHistory(sessions)`` counts the calls from the same number earlier the same day.
``timed_lookup`` wraps one lookup with the timeout and turns failures into a ``lookup_error``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.find.matching import HouseholdMatch

if TYPE_CHECKING:
    from registry.find.phone_index import PhoneIndex

log = logging.getLogger(__name__)

Lookup = Callable[[str], Awaitable[list[HouseholdMatch]]]
Repeats = Callable[[str, dt.datetime, str], Awaitable[int]]  # e164, since, this call's Linkedid


class CallHistory:
    """``await history(e164, since, linkedid)``: calls from the number since the day began,
    this one aside (a repeat caller is flagged in the pop)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self, e164: str, since: dt.datetime, linkedid: str) -> int:
        from registry.calls import count_calls_from

        async with self._sessions() as session:
            return await count_calls_from(session, e164, since, besides=linkedid)


class LedgerLookup:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        concurrency: int = 4,  # below the engine's pool size (5), leaving one for the recorder
        cache_seconds: float = 30.0,
        cache_size: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self._slots = asyncio.Semaphore(concurrency)
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._cache: dict[str, tuple[float, list[HouseholdMatch]]] = {}
        self.index: PhoneIndex | None = None  # set once loaded (cti_server.web.app)
        self.changed = asyncio.Event()  # another instance says the ledger changed: refresh

    def forget(self) -> None:
        """Drop the cached results (the index was refreshed with changes)."""
        self._cache.clear()

    async def __call__(self, e164: str) -> list[HouseholdMatch]:
        from registry.find.flags import flagged
        from registry.find.lookup import lookup_by_number

        hit = self._cache.get(e164)
        if hit is not None and time.monotonic() - hit[0] < self._cache_seconds:
            return hit[1]
        index = self.index
        if index is not None:
            matches = index.lookup(e164)
            if not matches:
                result: list[HouseholdMatch] = []
            else:
                async with self._slots, self._sessions() as session:
                    result = await flagged(session, matches)
        else:
            async with self._slots, self._sessions() as session:
                result = await flagged(session, await lookup_by_number(session, e164))
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[e164] = (time.monotonic(), result)
        return result


async def timed_lookup(
    lookup: Lookup,
    e164: str,
    limit_seconds: float,
    linkedid: str,
    on_time: Callable[[float], None] | None = None,
) -> tuple[list[HouseholdMatch], str]:
    """``(matches, "")``, or ``([], "timeout" | "unavailable")``; never raises but cancellation."""
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(limit_seconds):  # not wait_for: no task more per lookup
            return await lookup(e164), ""
    except TimeoutError:
        log.warning("call %s: ledger lookup timed out", linkedid)
        return [], "timeout"
    except Exception as err:
        log.warning("call %s: ledger lookup failed: %r", linkedid, err)
        return [], "unavailable"
    finally:
        if on_time is not None:
            on_time(time.perf_counter() - t0)
