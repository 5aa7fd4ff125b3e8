"""When the callback worklist tries again: the retry policy and the calling hours (pure).

A ``RetryPolicy`` comes from the campaign setting ``retry_policy`` an admin saves
(``registry.campaign_config``), else from the server's ``worklist_*`` settings; the registry
only applies it. Times are aware datetimes; the calling hours are wall-clock times in ``tz``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3  # unanswered calls before the item is given up (exhausted)
    interval: dt.timedelta = dt.timedelta(hours=2)  # between two unanswered calls
    earliest: dt.time = dt.time(9, 0)  # no call before this, local time
    latest: dt.time = dt.time(19, 0)  # nor at or after this
    tz: str = "Asia/Tokyo"
    claim_ttl: dt.timedelta = dt.timedelta(minutes=15)  # a claim lapses after this

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.interval <= dt.timedelta(0) or self.claim_ttl <= dt.timedelta(0):
            raise ValueError("interval and claim_ttl must be positive")
        if self.earliest >= self.latest:
            raise ValueError("earliest must be before latest")
        ZoneInfo(self.tz)

    def in_hours(self, at: dt.datetime) -> dt.datetime:
        """``at``, or the next moment from it inside the calling hours (in UTC)."""
        zone = ZoneInfo(self.tz)
        local = at.astimezone(zone)
        day = local.date()
        if local.time() >= self.latest:
            day += dt.timedelta(days=1)
        elif local.time() >= self.earliest:
            return at.astimezone(dt.UTC)
        return dt.datetime.combine(day, self.earliest, tzinfo=zone).astimezone(dt.UTC)

    def next_try(self, now: dt.datetime) -> dt.datetime:
        """When to call again after an unanswered call at ``now``."""
        return self.in_hours(now + self.interval)
