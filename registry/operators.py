"""Operator accounts: argon2id password hashes, roles, extensions, token generations, log-in.

- Passwords are hashed with argon2id (argon2-cffi; memory-hard). Hashing runs in a worker thread so
  it never blocks the event loop. Tests may pass a cheaper ``hasher`` (still argon2id).
- ``authenticate`` answers an unknown user, an inactive account and a wrong password with the same
  ``AuthFailed`` after the same hashing work (a dummy hash for unknown names), and locks per
  (username, source) as ``registry.lockout`` says; it commits the session itself, since the
  failure count must survive the error it raises.
- An operator may log in at several extensions: ``extension`` is the default, ``extensions`` every
  allowed one (the default first).
- ``token_generation``: every token names the generation it was issued under; bumping it (log-out,
  disable, password, role or extension change, "log out everywhere") revokes them all.
- The other functions leave committing to the caller.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
from collections.abc import Iterable, Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry import lockout
from registry.errors import AccountLocked, AuthFailed, Conflict, InvalidInput, NotFound
from registry.models import Operator, OperatorExtension, Venue, utcnow
from registry.views import OperatorView, check_choice

log = logging.getLogger(__name__)

ROLES = ("operator", "supervisor", "admin", "kiosk", "reception")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
EXTENSION = re.compile(r"[0-9A-Za-z_*#-]{1,32}")
FAILED = "unknown username or wrong password"

DEFAULT_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3, p=4)


def operator_view(o: Operator, extra: Iterable[str] = ()) -> OperatorView:
    allowed = ([o.extension] if o.extension else []) + sorted(set(extra) - {o.extension})
    return OperatorView(
        id=o.id,
        username=o.username,
        display_name=o.display_name,
        role=o.role,
        extension=o.extension,
        active=o.active,
        extensions=tuple(allowed),
        venue_id=o.venue_id,
    )


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


def _check_extensions(extensions: Sequence[str]) -> list[str]:
    out: list[str] = []
    for e in extensions:
        checked = _check_extension(e)
        if checked and checked not in out:
            out.append(checked)
    return out


async def _check_venue(session: AsyncSession, role: str, venue_id: int | None) -> int | None:
    """A reception account needs its venue; the other roles have none."""
    if role != "reception":
        if venue_id is not None:
            raise InvalidInput("venue_id", "only a reception account is bound to a venue")
        return None
    if venue_id is None:
        raise InvalidInput("venue_id", "a reception account needs its venue (--venue ID)")
    if await session.scalar(select(Venue.id).where(Venue.id == venue_id)) is None:
        raise InvalidInput("venue_id", f"venue {venue_id} does not exist")
    return venue_id


async def _operator(session: AsyncSession, operator_id: int) -> Operator:
    o = await session.get(Operator, operator_id, populate_existing=True)
    if o is None:
        raise NotFound(f"operator {operator_id} not found", details={"operator_id": operator_id})
    return o


async def _view(session: AsyncSession, o: Operator) -> OperatorView:
    extra = await session.scalars(
        select(OperatorExtension.extension).where(OperatorExtension.operator_id == o.id)
    )
    return operator_view(o, extra.all())


async def _set_extensions(session: AsyncSession, operator_id: int, extra: Sequence[str]) -> None:
    await session.execute(
        delete(OperatorExtension).where(OperatorExtension.operator_id == operator_id)
    )
    for ext in extra:
        session.add(OperatorExtension(operator_id=operator_id, extension=ext))
    await session.flush()


async def create_operator(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    role: str,
    extension: str | None = None,
    extensions: Sequence[str] = (),
    display_name: str = "",
    hasher: PasswordHasher | None = None,
    venue_id: int | None = None,
) -> OperatorView:
    """A new account; ``extensions`` are allowed besides ``extension`` (the first is the default
    when ``extension`` is not given). A ``reception`` account is bound to ``venue_id``."""
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise InvalidInput(
            "username", "a username is 1 to 64 letters, digits, '.', '_', '@' or '-'"
        )
    check_choice("role", role, ROLES)
    _check_password(password)
    allowed = _check_extensions([e for e in (extension, *extensions) if e])
    venue = await _check_venue(session, role, venue_id)
    if await session.scalar(select(Operator.id).where(Operator.username == username)):
        raise Conflict(f"username {username!r} is taken", details={"field": "username"})
    hashed = await asyncio.to_thread((hasher or DEFAULT_HASHER).hash, password)
    oid = await session.scalar(
        insert(Operator)
        .values(
            username=username,
            password_hash=hashed,
            role=role,
            extension=allowed[0] if allowed else None,
            display_name=display_name.strip(),
            active=True,
            failed_logins=0,
            token_generation=0,
            venue_id=venue,
        )
        .returning(Operator.id)
    )
    assert oid is not None
    await _set_extensions(session, oid, allowed[1:])
    log.info("operator %s created with role %s", oid, role)
    return await get_operator(session, oid)


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    source: str = "",
    hasher: PasswordHasher | None = None,
    now: dt.datetime | None = None,
) -> OperatorView:
    """The operator for these credentials from address ``source``; ``AuthFailed`` /
    ``AccountLocked``. Commits."""
    hasher = hasher or DEFAULT_HASHER
    at = now or utcnow()
    await lockout.check(session, username, source, at)
    o = await session.scalar(
        select(Operator)
        .where(Operator.username == username)
        .execution_options(populate_existing=True)
    )
    stored = o.password_hash if o is not None and o.active else None
    ok = await asyncio.to_thread(_verify, hasher, stored, password)  # a dummy hash if unknown
    if o is None or not ok:
        until = await lockout.record_failure(session, username, source, at)
        await session.commit()
        who = o.id if o is not None else "unknown"
        log.warning("failed login (operator %s)", who)
        if until is not None:
            log.warning("operator %s locked at one source until %s", who, until.isoformat())
            raise AccountLocked(until)
        raise AuthFailed(FAILED)
    await lockout.clear(session, username, source)
    if hasher.check_needs_rehash(o.password_hash):
        hashed = await asyncio.to_thread(hasher.hash, password)
        await session.execute(
            update(Operator).where(Operator.id == o.id).values(password_hash=hashed)
        )
    view = await _view(session, o)  # before the commit, which may expire ``o``
    await session.commit()
    log.info("operator %s logged in", view.id)
    return view


async def get_operator(session: AsyncSession, operator_id: int) -> OperatorView:
    return await _view(session, await _operator(session, operator_id))


async def operator_named(session: AsyncSession, username: str) -> OperatorView:
    o = await session.scalar(
        select(Operator)
        .where(Operator.username == username)
        .execution_options(populate_existing=True)
    )
    if o is None:
        raise NotFound(f"operator {username!r} not found", details={"username": username})
    return await _view(session, o)


async def list_operators(session: AsyncSession) -> list[OperatorView]:
    rows = await session.scalars(
        select(Operator).order_by(Operator.username).execution_options(populate_existing=True)
    )
    ops = rows.all()
    extra: dict[int, list[str]] = {}
    pairs = await session.execute(
        select(OperatorExtension.operator_id, OperatorExtension.extension)
    )
    for oid, ext in pairs.all():
        extra.setdefault(oid, []).append(ext)
    return [operator_view(o, extra.get(o.id, ())) for o in ops]


async def update_operator(
    session: AsyncSession,
    operator_id: int,
    *,
    display_name: str | None = None,
    role: str | None = None,
    extension: str | None = None,
    extensions: Sequence[str] | None = None,
    active: bool | None = None,
    password: str | None = None,
    hasher: PasswordHasher | None = None,
    venue_id: int | None = None,
) -> OperatorView:
    """Change an account (a reception account's venue with ``venue_id``); ``extension=""``
    clears the default; ``extensions`` replaces every allowed one (the first becomes the
    default). A new password also lifts every lockout. A change of role, extensions, venue or
    password and a disable revoke the account's tokens."""
    o = await _operator(session, operator_id)
    username = o.username
    values: dict[str, object] = {}
    if display_name is not None:
        values["display_name"] = display_name.strip()
    if role is not None:
        values["role"] = check_choice("role", role, ROLES)
    if role is not None or venue_id is not None:
        new_role = role if role is not None else o.role
        keep = o.venue_id if new_role == "reception" and venue_id is None else venue_id
        values["venue_id"] = await _check_venue(session, new_role, keep)
    if extension is not None:
        values["extension"] = _check_extension(extension)
    if extensions is not None:
        allowed = _check_extensions(extensions)
        values["extension"] = allowed[0] if allowed else None
        await _set_extensions(session, operator_id, allowed[1:])
    if active is not None:
        values["active"] = bool(active)
    if password is not None:
        _check_password(password)
        values["password_hash"] = await asyncio.to_thread((hasher or DEFAULT_HASHER).hash, password)
        values.update(failed_logins=0, locked_until=None)
        await lockout.clear(session, username)
    revoke = {"role", "extension", "password_hash", "venue_id"} & set(values) or active is False
    if revoke or extensions is not None:
        values["token_generation"] = Operator.token_generation + 1
    if values:
        await session.execute(update(Operator).where(Operator.id == operator_id).values(**values))
        log.info("operator %s updated: %s", operator_id, ", ".join(sorted(values)))
    return await get_operator(session, operator_id)


async def revoke_tokens(session: AsyncSession, operator_id: int) -> int:
    """Log the operator out everywhere: every token issued so far stops working. The new
    generation."""
    await _operator(session, operator_id)
    generation = await session.scalar(
        update(Operator)
        .where(Operator.id == operator_id)
        .values(token_generation=Operator.token_generation + 1)
        .returning(Operator.token_generation)
    )
    log.info("operator %s: tokens revoked", operator_id)
    return int(generation or 0)


async def unlock(session: AsyncSession, operator_id: int) -> int:
    """Lift every lockout of the account (all sources); how many sources were locked or
    counting."""
    o = await _operator(session, operator_id)
    await session.execute(
        update(Operator)
        .where(Operator.id == operator_id)
        .values(failed_logins=0, locked_until=None)
    )
    return await lockout.clear(session, o.username)


async def token_generations(session: AsyncSession, ids: Iterable[int]) -> dict[int, int]:
    """The current token generation of each active account among ``ids`` (missing: gone or
    disabled, so every token of theirs is revoked)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Operator.id, Operator.token_generation).where(
            Operator.id.in_(wanted), Operator.active.is_(True)
        )
    )
    return {int(i): int(g) for i, g in rows.all()}
