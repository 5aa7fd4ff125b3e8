"""The campaign settings an admin edits in the client, as the server uses them.

The stored versions live in ``registry.campaign_config``; until an admin saves one, a key's value
is the server's setting (``dispositions``, ``worklist_*``) or the registry's default. Reads go
through a small cache: a save on this instance drops its entry at once, and other instances drop
theirs when the bus (Redis) tells them (``kind`` ``config``); without a bus, or if a message is
lost, an entry is reread after ``CACHE_SECONDS`` at the latest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server.config import Settings
from cti_server.dispositions import Disposition, parse_dispositions
from registry import campaign_config as cc
from registry.worklist_policy import RetryPolicy

CACHE_SECONDS = 30.0


class CampaignSettings:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, cc.ConfigVersion]] = {}

    def defaults(self) -> dict[str, Any]:
        """Each key's value while nobody has saved one: from the server's settings."""
        return {
            cc.DISPOSITIONS: [
                {"code": d.code, "ja": d.label_ja, "en": d.label_en}
                for d in parse_dispositions(self.settings.dispositions)
            ],
            cc.RETRY_POLICY: cc.retry_value(self.settings.retry_policy),
        }

    def invalidate(self, key: str | None = None) -> None:
        """Forget ``key`` (every key when None): the next read asks the database."""
        if key is None:
            self._cache.clear()
        else:
            self._cache.pop(key, None)

    async def get(self, key: str) -> cc.ConfigVersion:
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        async with self.sessions() as session:
            found = await cc.current(session, key, self.defaults().get(key))
        self._cache[key] = (now, found)
        return found

    async def all(self) -> list[cc.ConfigVersion]:
        return [await self.get(key) for key in cc.KEYS]

    async def dispositions(self) -> tuple[Disposition, ...]:
        value = (await self.get(cc.DISPOSITIONS)).value
        return tuple(Disposition(d["code"], d["ja"], d["en"]) for d in value)

    async def retry_policy(self) -> RetryPolicy:
        return cc.retry_policy((await self.get(cc.RETRY_POLICY)).value, self.settings.timezone)
