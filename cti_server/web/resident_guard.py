"""What guards the residents' page (``resident_app``): its session cookie, CSRF tokens, the
per-address request limit and the security headers.

- The session is one cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure`` when the request
  came over HTTPS, directly or through a trusted proxy): a random id, the resident once
  identified, an expiry; HMAC-signed with a key derived from the server's secret key. No server
  state, so any instance behind the proxy reads it.
- CSRF: every form carries ``HMAC(key, "csrf" + session id)``; a POST whose token does not match
  its own session cookie is refused (synchroniser token bound to the session, plus SameSite).
- ``RequestLimit``: at most ``limit`` POSTs per address per ``window`` seconds (a fixed window),
  in Redis when configured (shared by every instance), else in this process.
- ``secure_headers``: a CSP with no inline script or style, no referrer, no framing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from cti_server.web.limiter import Network, _trusted

log = logging.getLogger(__name__)

COOKIE = "cti_resident"
SESSION_SECONDS = 30 * 60
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class Session:
    sid: str
    resident_id: int | None
    expires: float


class SessionCodec:
    """Signs and reads the session cookie; makes and checks CSRF tokens."""

    def __init__(self, secret: str) -> None:
        seed = secret.encode() if secret else secrets.token_bytes(32)
        self._key = hmac.new(seed, b"cti-resident-web", hashlib.sha256).digest()

    def _mac(self, data: bytes) -> str:
        digest = hmac.new(self._key, data, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def fresh(self, resident_id: int | None = None, now: float | None = None) -> Session:
        now = time.time() if now is None else now
        return Session(secrets.token_urlsafe(18), resident_id, now + SESSION_SECONDS)

    def encode(self, s: Session) -> str:
        body = json.dumps([s.sid, s.resident_id, int(s.expires)], separators=(",", ":"))
        data = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        return f"{data}.{self._mac(data.encode())}"

    def decode(self, value: str | None, now: float | None = None) -> Session | None:
        """The session of a cookie value; None when missing, forged, malformed or expired."""
        if not value or "." not in value:
            return None
        data, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(data.encode())):
            return None
        try:
            sid, rid, expires = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        except (ValueError, TypeError):
            return None
        if not isinstance(sid, str) or not isinstance(expires, int):
            return None
        if expires < (time.time() if now is None else now):
            return None
        return Session(sid, rid if isinstance(rid, int) else None, float(expires))

    def csrf(self, s: Session) -> str:
        return self._mac(b"csrf" + s.sid.encode())

    def csrf_ok(self, s: Session | None, token: str) -> bool:
        return s is not None and hmac.compare_digest(self.csrf(s), token)


def is_https(request: web.Request, networks: list[Network] | Any) -> bool:
    if request.secure:
        return True
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    return bool(networks) and _trusted(peer, networks) and forwarded == "https"


def set_session(response: web.StreamResponse, value: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE, value, max_age=SESSION_SECONDS, path="/r/", httponly=True, samesite="Strict",
        secure=secure,
    )  # fmt: skip


def secure_headers(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


class RequestLimit(Protocol):
    async def hit(self, address: str) -> bool:
        """Count one request; False when the address is over its limit."""
        ...

    async def close(self) -> None: ...


class MemoryRequestLimit:
    def __init__(self, limit: int, window: float, *, max_entries: int = 100_000) -> None:
        self.limit, self.window, self.max_entries = limit, window, max_entries
        self._counts: dict[str, tuple[int, int]] = {}  # address -> (window number, count)

    async def hit(self, address: str, now: float | None = None) -> bool:
        slot = int((time.time() if now is None else now) // self.window)
        seen, count = self._counts.get(address, (slot, 0))
        count = count + 1 if seen == slot else 1
        if len(self._counts) >= self.max_entries:
            self._counts.clear()  # bounded memory under a spray of addresses
        self._counts[address] = (slot, count)
        return count <= self.limit

    async def close(self) -> None:
        self._counts.clear()


class RedisRequestLimit:
    def __init__(self, url: str, limit: int, window: float) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self.limit, self.window = limit, window
        self._redis: Any = aioredis.Redis.from_url(url, socket_timeout=2.0)
        self._errors = (RedisError, OSError, TimeoutError)

    async def hit(self, address: str, now: float | None = None) -> bool:
        slot = int((time.time() if now is None else now) // self.window)
        key = f"cti:resident:addr:{address}:{slot}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(key).expire(key, int(self.window) + 1).execute()
        except self._errors as err:  # Redis down: the per-number lockout still guards
            log.warning("resident page limit: Redis unavailable (%r)", err)
            return True
        return int(count) <= self.limit

    async def close(self) -> None:
        await self._redis.aclose()


def build_request_limit(redis_url: str, limit: int, window: float) -> RequestLimit:
    if redis_url:
        return RedisRequestLimit(redis_url, limit, window)
    return MemoryRequestLimit(limit, window)
