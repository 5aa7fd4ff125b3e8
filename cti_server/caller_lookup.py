"""The ledger lookup behind a screen-pop: bounded, cached, timed.

``LedgerLookup(sessions, engine=engine)`` is the popper's ``lookup`` callable:
``await lookup(e164, since, linkedid)`` gives a ``Found``: the households reached at the number,
each candidate with its flags (booked, mobility, called before) and latest intent answer, and the
calls from the number since ``since`` (the local day's start) other than ``linkedid`` (a repeat
caller is flagged in the pop). The match comes from the in-memory
``registry.find.phone_index.PhoneIndex`` once the app has loaded it (``index``; no round trip),
else from ``registry.find.lookup.lookup_by_number``; the rest is one statement
(``registry.find.caller_facts``): with the index and an ``engine`` on aiosqlite or asyncpg,
on a connection held for it (``FactsReader``: no session per call; ``close()`` gives it back),
else in the lookup's session. At most ``concurrency`` lookups run at once
(more would overflow the engine's pool; on SQLite every overflow connection is opened anew).
The last result for a number is kept ``cache_seconds``: a caller who rings again soon is matched
without asking the ledger for the match (flags, intents and the count are read for every call),
and while the ledger cannot be read, the pop still shows that result (without a count).
``timed_lookup`` wraps one lookup with the timeout and turns failures into a ``lookup_error``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry.find.caller_facts import FactsReader, caller_facts
from registry.find.matching import HouseholdMatch

if TYPE_CHECKING:
    from registry.find.phone_index import PhoneIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Found:
    """What the ledger says about a caller."""

    matches: list[HouseholdMatch]  # with flags and latest intents
    repeat_calls: int = 0  # calls from the number earlier today, this one aside


NOTHING = Found([])
Lookup = Callable[[str, dt.datetime, str], Awaitable[Found]]  # e164, since, this call's Linkedid


class LedgerLookup:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        engine: AsyncEngine | None = None,
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
        usable = engine is not None and FactsReader.usable(engine)
        self._reader = FactsReader(engine) if engine is not None and usable else None

    def forget(self) -> None:
        """Drop the cached matches (the index was refreshed with changes)."""
        self._cache.clear()

    async def close(self) -> None:
        """Give back the held connection (before the engine is disposed); lookups after this
        open sessions."""
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.close()

    def _keep(self, e164: str, matches: list[HouseholdMatch]) -> None:
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[e164] = (time.monotonic(), matches)

    async def __call__(self, e164: str, since: dt.datetime, linkedid: str = "") -> Found:
        hit = self._cache.get(e164)
        cached = None
        if hit is not None and time.monotonic() - hit[0] < self._cache_seconds:
            cached = hit[1]
        try:
            found = await self._read(e164, since, linkedid, cached)
        except Exception as err:
            if cached is None:
                raise
            log.warning("call %s: ledger not read (%r); the pop shows the match of %.0f s ago",
                        linkedid, err, time.monotonic() - hit[0] if hit else 0.0)  # fmt: skip
            return Found(cached)
        self._keep(e164, found.matches)
        return found

    async def _read(
        self, e164: str, since: dt.datetime, linkedid: str, cached: list[HouseholdMatch] | None
    ) -> Found:
        from registry.find.flags import with_flags
        from registry.find.lookup import lookup_by_number

        matches = cached
        if matches is None and self.index is not None:
            matches = self.index.lookup(e164)
        if matches is not None and self._reader is not None:
            ids = [m.resident_id for h in matches for m in h.members]
            facts = await self._reader(ids, e164, since, besides=linkedid)
        else:
            async with self._slots, self._sessions() as session:
                if matches is None:
                    matches = await lookup_by_number(session, e164)
                ids = [m.resident_id for h in matches for m in h.members]
                facts = await caller_facts(session, ids, e164, since, besides=linkedid)
        if ids:  # flags and intents as read now (a cached match carries older ones)
            matches = with_flags(matches, facts.flags, facts.intents)
        return Found(matches, facts.earlier_calls)


async def timed_lookup(
    lookup: Lookup,
    e164: str,
    since: dt.datetime,
    limit_seconds: float,
    linkedid: str,
    on_time: Callable[[float], None] | None = None,
) -> tuple[Found, str]:
    """``(found, "")``, or ``(NOTHING, "timeout" | "unavailable")``; never raises but
    cancellation. ``since``: the local day's start (earlier calls are counted from it)."""
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(limit_seconds):  # not wait_for: no task more per lookup
            return await lookup(e164, since, linkedid), ""
    except TimeoutError:
        log.warning("call %s: ledger lookup timed out", linkedid)
        return NOTHING, "timeout"
    except Exception as err:
        log.warning("call %s: ledger lookup failed: %r", linkedid, err)
        return NOTHING, "unavailable"
    finally:
        if on_time is not None:
            on_time(time.perf_counter() - t0)
