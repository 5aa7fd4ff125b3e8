"""Signed tokens (JWT, HS256 through PyJWT), key rotation, and revocation by token generation.

PyJWT rather than itsdangerous: the expiry, issue time and required claims are standard JWT
claims that the library itself validates (``exp`` with leeway, ``require``), a kiosk token simply
has no ``exp``, and the format is one that other tools of a city's IT can read. Key rotation: the
settings give a list of accepted keys, the first signs; each token names its key by ``kid`` (a
fingerprint, not the key), so verifying tries one key, not all.

A token carries the account's ``gen`` (token generation). ``AccountStates`` checks it against the
database, through a short in-process cache, so a log-out, a disable or a password change on any
instance revokes the token everywhere within ``revocation_cache_seconds`` (at once on the instance
that made the change).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import jwt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server import protocol
from cti_server.config import Settings
from cti_server.web.errors import Unauthorized
from registry import operators

TOKEN_INVALID = "token_invalid"  # malformed, bad signature, unknown key, expired
TOKEN_REVOKED = "token_revoked"  # logged out, disabled, deleted, password or role changed


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    role: str
    extension: str | None
    display_name: str = ""
    generation: int = 0
    venue_id: int | None = None  # a reception account's venue

    def info(self) -> protocol.OperatorInfo:
        return protocol.OperatorInfo(
            id=self.id,
            username=self.username,
            display_name=self.display_name,
            role=self.role,
            extension=self.extension,
        )


def invalid(message: str) -> Unauthorized:
    return Unauthorized(message, details={"reason": TOKEN_INVALID})


def revoked(message: str) -> Unauthorized:
    return Unauthorized(message, details={"reason": TOKEN_REVOKED})


def reason_of(err: Unauthorized) -> str:
    return str(err.details.get("reason", TOKEN_INVALID))


def _key_id(secret: str) -> str:
    return hashlib.sha256(b"cti-kid:" + secret.encode()).hexdigest()[:12]


def _hmac_key(secret: str) -> bytes:
    return hashlib.sha256(b"cti-token:" + secret.encode()).digest()


MAX_VERIFIED = 4096  # tokens remembered as verified (forgotten all at once beyond)


class TokenSigner:
    """Issue with the first of ``secrets``, accept any of them. ``kiosk_ttl`` 0: no expiry."""

    def __init__(self, secrets: Sequence[str], ttl_seconds: int, kiosk_ttl: int = 0) -> None:
        if not secrets or not all(secrets):
            raise ValueError("at least one non-empty secret key is needed")
        self._keys = {_key_id(s): _hmac_key(s) for s in secrets}
        self._signing = _key_id(secrets[0])
        self.ttl = ttl_seconds
        self.kiosk_ttl = kiosk_ttl
        # tokens verified before (a desk sends hundreds a minute): the caller and the expiry
        self._verified: dict[str, tuple[Principal, float | None]] = {}

    def ttl_for(self, role: str) -> int:
        return self.kiosk_ttl if role == "kiosk" else self.ttl

    def issue(self, who: Principal, *, now: float | None = None) -> str:
        now = time.time() if now is None else now
        claims: dict[str, object] = {
            "sub": str(who.id),
            "usr": who.username,
            "role": who.role,
            "ext": who.extension,
            "name": who.display_name,
            "gen": who.generation,
            "iat": int(now),
        }
        if who.venue_id is not None:
            claims["ven"] = who.venue_id
        ttl = self.ttl_for(who.role)
        if ttl > 0:
            claims["exp"] = int(now + ttl)
        key = self._keys[self._signing]
        return jwt.encode(claims, key, algorithm="HS256", headers={"kid": self._signing})

    def verify(self, token: str) -> Principal:
        """The token's caller; ``Unauthorized`` (malformed, badly signed, expired). A token
        verified before is not decoded again: only its expiry is checked (the same rule as
        the decoding's: expired from ``exp`` on)."""
        hit = self._verified.get(token)
        if hit is not None:
            who, exp = hit
            if exp is None or time.time() < exp:
                return who
            raise invalid("token expired")
        who, exp = self._decode(token)
        if len(self._verified) >= MAX_VERIFIED:
            self._verified.clear()
        self._verified[token] = (who, exp)
        return who

    def _decode(self, token: str) -> tuple[Principal, float | None]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise invalid("token signed with an unknown key")
            c = jwt.decode(
                token,
                key,
                algorithms=["HS256"],
                options={"require": ["sub", "iat", "gen", "role"], "verify_iat": False},
            )
            who = Principal(
                int(c["sub"]),
                str(c["usr"]),
                str(c["role"]),
                c.get("ext") or None,
                str(c.get("name", "")),
                int(c["gen"]),
                int(c["ven"]) if c.get("ven") is not None else None,
            )
        except jwt.ExpiredSignatureError as err:
            raise invalid("token expired") from err
        except (jwt.InvalidTokenError, ValueError, KeyError, TypeError, UnicodeError) as err:
            raise invalid("malformed or badly signed token") from err
        if who.role not in operators.ROLES:
            raise invalid("unknown role")
        if "exp" not in c and self.ttl_for(who.role) > 0:
            raise invalid("token without expiry")
        return who, (float(c["exp"]) if "exp" in c else None)


class AccountStates:
    """Is a token's generation still the account's? Cached for ``ttl`` seconds per account."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl: float) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self._cache: dict[int, tuple[float, int | None]] = {}  # id -> (fetched, generation)
        # bumped by forget(): a read that began before it must not cache what it read
        self._epoch = 0

    async def generation(self, operator_id: int) -> int | None:
        """The account's current generation; ``None`` when it is gone or disabled."""
        now = time.monotonic()
        hit = self._cache.get(operator_id)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        epoch = self._epoch
        async with self.sessions() as session:
            gens = await operators.token_generations(session, [operator_id])
        gen = gens.get(operator_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        if epoch == self._epoch:
            self._cache[operator_id] = (now, gen)
        return gen

    async def check(self, who: Principal) -> None:
        if await self.generation(who.id) != who.generation:
            raise revoked("token revoked (logged out, disabled or changed)")

    def forget(self, operator_id: int) -> None:
        self._epoch += 1
        self._cache.pop(operator_id, None)

    async def current(self, ids: Sequence[int]) -> dict[int, int]:
        """Fresh generations of ``ids`` (one query), refreshing the cache."""
        epoch = self._epoch
        async with self.sessions() as session:
            gens = await operators.token_generations(session, ids)
        if epoch == self._epoch:
            now = time.monotonic()
            for i in ids:
                self._cache[i] = (now, gens.get(i))
        return gens


async def kiosk_token(
    sessions: async_sessionmaker[AsyncSession], signer: TokenSigner, username: str
) -> str:
    """A token of the kiosk account ``username`` (no expiry unless ``kiosk_token_ttl_seconds``),
    valid until the account's tokens are revoked."""
    async with sessions() as session:
        op = await operators.operator_named(session, username)
        gen = (await operators.token_generations(session, [op.id])).get(op.id)
    if op.role != "kiosk":
        raise ValueError(f"{username} is a {op.role} account, not a kiosk one")
    if gen is None:
        raise ValueError(f"{username} is disabled")
    who = Principal(op.id, op.username, op.role, None, op.display_name, gen)
    return signer.issue(who)


async def wallboard_url(settings: Settings, username: str) -> str:
    """The wallboard address with a kiosk token, for a TV's browser."""
    from registry.db import create_engine, migrate, session_factory

    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        signer = TokenSigner(
            settings.secret_keys, settings.token_ttl_seconds, settings.kiosk_token_ttl_seconds
        )
        token = await kiosk_token(session_factory(engine), signer, username)
    finally:
        await engine.dispose()
    base = settings.public_url or f"http://{settings.http_host}:{settings.http_port}"
    return f"{base.rstrip('/')}/wallboard?token={token}"
