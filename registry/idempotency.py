"""Idempotency keys (``client_key``): a client resending a request after a dropped connection
sends the same key, and gets back what the first request made instead of a second record."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.errors import Conflict, InvalidInput

MAX_KEY = 64


def scoped(account_id: int, key: str) -> str:
    """A client's key within its account, as stored: another account's same key is another
    request (and never returns this account's record)."""
    return f"{account_id}:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:48]}"


def check_client_key(client_key: str | None) -> str | None:
    if client_key is None:
        return None
    if not isinstance(client_key, str) or not 1 <= len(client_key) <= MAX_KEY:
        raise InvalidInput("client_key", f"client_key must be 1 to {MAX_KEY} characters")
    return client_key


async def earlier(
    session: AsyncSession, model: Any, client_key: str | None, resident_id: int
) -> Any | None:
    """The ``model`` row an earlier request with ``client_key`` made, or None.

    A key that made a record for another resident is a Conflict naming ``client_key``.
    """
    if check_client_key(client_key) is None:
        return None
    row = await session.scalar(select(model).where(model.client_key == client_key))
    if row is not None and row.resident_id != resident_id:
        raise Conflict("client_key was used for another request", details={"field": "client_key"})
    return row


def sent_twice_at_once() -> Conflict:
    """A concurrent resend lost the race on the unique key (the caller rolls back)."""
    return Conflict(
        "the request was sent twice at once",
        details={"field": "client_key", "retry_returns_existing": True},
    )
