"""Operator accounts: argon2id password hashes, roles, and lockout after repeated failures.

- Passwords are hashed with argon2id (argon2-cffi; memory-hard). Hashing runs in a worker thread so
  it never blocks the event loop. Tests may pass a cheaper ``hasher`` (still argon2id).
- ``authenticate`` answers an unknown user, an inactive account and a wrong password with the same
  ``AuthFailed`` message after the same amount of hashing work (no user enumeration).
- After ``MAX_FAILURES`` consecutive failures the account is locked for ``BASE_LOCK``, doubling
  with each further failure up to ``MAX_LOCK``; ``AccountLocked.until`` says until when. A success
  resets the count.
- ``authenticate`` commits the session itself: the failure count must survive the error it raises.
  The other functions leave committing to the caller.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.errors import AccountLocked, AuthFailed, Conflict, InvalidInput, NotFound
from registry.models import Operator, utcnow
from registry.views import OperatorView, as_utc, check_choice

log = logging.getLogger(__name__)

ROLES = ("operator", "supervisor", "admin", "kiosk")
MAX_FAILURES = 5
BASE_LOCK = dt.timedelta(seconds=30)
MAX_LOCK = dt.timedelta(hours=1)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
EXTENSION = re.compile(r"[0-9A-Za-z_*#-]{1,32}")
FAILED = "unknown username or wrong password"

DEFAULT_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3, p=4)


def operator_view(o: Operator) -> OperatorView:
    return OperatorView(
        id=o.id,
        username=o.username,
        display_name=o.display_name,
        role=o.role,
        extension=o.extension,
        active=o.active,
    )


def lock_interval(failures: int) -> dt.timedelta:
    """How long the account stays locked after ``failures`` consecutive failures."""
    if failures < MAX_FAILURES:
        return dt.timedelta(0)
    factor: int = 2 ** min(failures - MAX_FAILURES, 20)
    return min(BASE_LOCK * factor, MAX_LOCK)


@functools.lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not a password of anyone")


def _verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored or _dummy_hash(hasher), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _check_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            "password", f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        )
    return password


def _check_extension(extension: str | None) -> str | None:
    if extension is None or extension == "":
        return None
    if not isinstance(extension, str) or not EXTENSION.fullmatch(extension):
        raise InvalidInput("extension", "an extension is 1 to 32 letters, digits, *, #, _ or -")
    return extension


async def _operator(session: AsyncSession, operator_id: int) -> Operator:
    o = await session.get(Operator, operator_id, populate_existing=True)
    if o is None:
        raise NotFound(f"operator {operator_id} not found", details={"operator_id": operator_id})
    return o


async def create_operator(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    role: str,
    extension: str | None = None,
    display_name: str = "",
    hasher: PasswordHasher | None = None,
) -> OperatorView:
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise InvalidInput(
            "username", "a username is 1 to 64 letters, digits, '.', '_', '@' or '-'"
        )
    check_choice("role", role, ROLES)
    _check_password(password)
    extension = _check_extension(extension)
    if await session.scalar(select(Operator.id).where(Operator.username == username)):
        raise Conflict(f"username {username!r} is taken", details={"field": "username"})
    hashed = await asyncio.to_thread((hasher or DEFAULT_HASHER).hash, password)
    oid = await session.scalar(
        insert(Operator)
        .values(
            username=username,
            password_hash=hashed,
            role=role,
            extension=extension,
            display_name=display_name.strip(),
            active=True,
            failed_logins=0,
        )
        .returning(Operator.id)
    )
    assert oid is not None
    log.info("operator %s created with role %s", oid, role)
    return operator_view(await _operator(session, oid))


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    hasher: PasswordHasher | None = None,
    now: dt.datetime | None = None,
) -> OperatorView:
    """The operator for these credentials; ``AuthFailed`` / ``AccountLocked``. Commits."""
    hasher = hasher or DEFAULT_HASHER
    now = now or utcnow()
    o = await session.scalar(
        select(Operator)
        .where(Operator.username == username)
        .execution_options(populate_existing=True)
    )
    if o is None or not o.active:
        await asyncio.to_thread(_verify, hasher, None, password)  # the same work as a real check
        raise AuthFailed(FAILED)
    if o.locked_until is not None and as_utc(o.locked_until) > now:
        raise AccountLocked(as_utc(o.locked_until))
    if not await asyncio.to_thread(_verify, hasher, o.password_hash, password):
        await _record_failure(session, o.id, now)
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if hasher.check_needs_rehash(o.password_hash):
        values["password_hash"] = await asyncio.to_thread(hasher.hash, password)
    view = operator_view(o)  # before the commit, which may expire ``o``
    await session.execute(update(Operator).where(Operator.id == o.id).values(**values))
    await session.commit()
    log.info("operator %s logged in", view.id)
    return view


async def _record_failure(session: AsyncSession, operator_id: int, now: dt.datetime) -> None:
    failures = await session.scalar(
        update(Operator)
        .where(Operator.id == operator_id)
        .values(failed_logins=Operator.failed_logins + 1)
        .returning(Operator.failed_logins)
    )
    failures = failures or 0
    until = now + lock_interval(failures) if failures >= MAX_FAILURES else None
    if until is not None:
        await session.execute(
            update(Operator).where(Operator.id == operator_id).values(locked_until=until)
        )
    await session.commit()
    log.warning("operator %s: failed login %d", operator_id, failures)
    if until is not None:
        log.warning("operator %s locked until %s", operator_id, until.isoformat())
        raise AccountLocked(until)
    raise AuthFailed(FAILED)


async def get_operator(session: AsyncSession, operator_id: int) -> OperatorView:
    return operator_view(await _operator(session, operator_id))


async def list_operators(session: AsyncSession) -> list[OperatorView]:
    rows = await session.scalars(
        select(Operator).order_by(Operator.username).execution_options(populate_existing=True)
    )
    return [operator_view(o) for o in rows.all()]


async def update_operator(
    session: AsyncSession,
    operator_id: int,
    *,
    display_name: str | None = None,
    role: str | None = None,
    extension: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    hasher: PasswordHasher | None = None,
) -> OperatorView:
    """Change an account; a new password also lifts a lockout. ``extension=""`` clears it."""
    await _operator(session, operator_id)
    values: dict[str, object] = {}
    if display_name is not None:
        values["display_name"] = display_name.strip()
    if role is not None:
        values["role"] = check_choice("role", role, ROLES)
    if extension is not None:
        values["extension"] = _check_extension(extension)
    if active is not None:
        values["active"] = bool(active)
    if password is not None:
        _check_password(password)
        values["password_hash"] = await asyncio.to_thread((hasher or DEFAULT_HASHER).hash, password)
        values.update(failed_logins=0, locked_until=None)
    if values:
        await session.execute(update(Operator).where(Operator.id == operator_id).values(**values))
        log.info("operator %s updated: %s", operator_id, ", ".join(sorted(values)))
    return operator_view(await _operator(session, operator_id))
