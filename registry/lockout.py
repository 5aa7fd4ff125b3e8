"""Failed logins per (username, source address): a decaying score and a lock that grows.

- Each failure adds 1 to the score of (username, source); the score loses 1 every
  ``FAILURE_DECAY``. At ``MAX_FAILURES`` the pair is locked for ``BASE_LOCK``, doubling with each
  further failure up to ``MAX_LOCK``.
- A lock holds for its source only: guesses from one address never lock the owner out at another
  address (a source with no failures is never locked).
- Usernames that do not exist are counted and locked the same way, so the answers (401, then 423)
  do not tell a real account from an unknown one.
- A success from a source clears that source's score; ``clear`` without a source (the
  ``unlock`` command, a new password) clears every source.
- Rows not touched for ``KEEP`` are deleted as new failures come in (bounded table).

The caller commits.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from registry.errors import AccountLocked
from registry.models import LoginFailure
from registry.views import as_utc

MAX_FAILURES = 5
BASE_LOCK = dt.timedelta(seconds=30)
MAX_LOCK = dt.timedelta(hours=1)
FAILURE_DECAY = dt.timedelta(minutes=10)
KEEP = dt.timedelta(days=1)


def lock_interval(failures: int) -> dt.timedelta:
    """How long a (username, source) stays locked after ``failures`` failures."""
    if failures < MAX_FAILURES:
        return dt.timedelta(0)
    factor: int = 2 ** min(failures - MAX_FAILURES, 20)
    return min(BASE_LOCK * factor, MAX_LOCK)


def decayed(score: float, last: dt.datetime, now: dt.datetime) -> float:
    """``score`` after the time from ``last`` to ``now`` has worn it down."""
    elapsed = max(0.0, (now - as_utc(last)).total_seconds())
    return max(0.0, score - elapsed / FAILURE_DECAY.total_seconds())


async def _row(session: AsyncSession, username: str, source: str) -> LoginFailure | None:
    return await session.scalar(
        select(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.source == source)
        .execution_options(populate_existing=True)
    )


async def check(session: AsyncSession, username: str, source: str, now: dt.datetime) -> None:
    """``AccountLocked`` while (username, source) is locked."""
    row = await _row(session, username, source)
    if row is not None and row.locked_until is not None and as_utc(row.locked_until) > now:
        raise AccountLocked(as_utc(row.locked_until))


async def record_failure(
    session: AsyncSession, username: str, source: str, now: dt.datetime
) -> dt.datetime | None:
    """Count one failure; the end of the lock it causes, if it causes one."""
    row = await _row(session, username, source)
    score = 1.0 + (decayed(row.score, row.last_failure_at, now) if row is not None else 0.0)
    failures = math.ceil(score - 1e-9)
    until = now + lock_interval(failures) if failures >= MAX_FAILURES else None
    values = {"score": score, "last_failure_at": now, "locked_until": until}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LoginFailure).values(username=username, source=source, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["username", "source"], set_=values)
    )
    stale = delete(LoginFailure).where(LoginFailure.last_failure_at < now - KEEP)
    await session.execute(stale.execution_options(synchronize_session=False))
    return until


async def clear(session: AsyncSession, username: str, source: str | None = None) -> int:
    """Forget the failures of ``username`` from ``source`` (every source when ``None``)."""
    stmt = delete(LoginFailure).where(LoginFailure.username == username)
    if source is not None:
        stmt = stmt.where(LoginFailure.source == source)
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
