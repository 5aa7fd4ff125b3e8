"""Idempotent creation: one ``Idempotency-Key`` makes one record, whatever the concurrency.

The key is scoped to the account (``registry.idempotency.scoped``): another operator's request
with the same key is a different request. ``made_once`` runs the registry function in a session
and commits; when it fails with a conflict while a key was given (a concurrent request with the
same key won the race: the unique key, or the booking it made), it runs again in a fresh session,
where the function finds the winner's record by its key and returns it. So every one of many
concurrent sends gets the same answer, and a key reused for something else is still a 409.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from cti_server.web.keys import SESSIONS
from cti_server.web.tokens import Principal
from cti_server.web.validate import idempotency_key
from registry import errors as reg
from registry.changes import Change, taken
from registry.idempotency import scoped

T = TypeVar("T")
ATTEMPTS = 3


def account_key(request: web.Request, who: Principal) -> str | None:
    """The request's ``Idempotency-Key`` within the caller's account, or ``None``."""
    key = idempotency_key(request)
    return None if key is None else scoped(who.id, key)


async def made_once(
    request: web.Request,
    key: str | None,
    make: Callable[[AsyncSession], Awaitable[T]],
) -> tuple[T, tuple[Change, ...]]:
    """``make(session)`` committed, and the changes it noted."""
    for attempt in range(ATTEMPTS):
        async with request.app[SESSIONS]() as session:
            try:
                result = await make(session)
                await session.commit()
            except reg.Conflict:
                if key is None or attempt == ATTEMPTS - 1:
                    raise
                await session.rollback()
                continue
        return result, taken(session)
    raise AssertionError("unreachable")
