"""Tokens, login, per-address slowdown and role checks.

A token is ``v1.<payload>.<signature>``: base64url JSON (operator id, username, role, extension,
expiry) signed with HMAC-SHA256 over the shared ``secret_key``, so any instance with the same
secret accepts it. Failed logins are slowed twice: the registry locks the account after repeated
failures, and ``LoginLimiter`` makes an address wait (doubling, capped) after each failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web

from cti_server import protocol
from cti_server.web.errors import Forbidden, TooManyAttempts, Unauthorized
from cti_server.web.keys import LIMITER, METRICS, SESSIONS, SETTINGS, SIGNER
from cti_server.web.validate import json_body, req_str
from registry import errors as reg
from registry import operators

log = logging.getLogger(__name__)

ROLES = ("operator", "supervisor", "admin", "kiosk")
STAFF = ("operator", "supervisor", "admin")
MANAGERS = ("supervisor", "admin")


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    role: str
    extension: str | None
    display_name: str = ""

    def info(self) -> protocol.OperatorInfo:
        return protocol.OperatorInfo(
            id=self.id,
            username=self.username,
            display_name=self.display_name,
            role=self.role,
            extension=self.extension,
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._key = hashlib.sha256(b"cti-token:" + secret.encode()).digest()
        self.ttl = ttl_seconds

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, who: Principal, *, now: float | None = None) -> str:
        now = time.time() if now is None else now
        claims = {
            "sub": who.id,
            "usr": who.username,
            "role": who.role,
            "ext": who.extension,
            "name": who.display_name,
            "iat": int(now),
            "exp": int(now + self.ttl),
        }
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"v1.{payload}.{self._sign(payload)}"

    def verify(self, token: str, *, now: float | None = None) -> Principal:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise Unauthorized("malformed token")
        if not hmac.compare_digest(self._sign(parts[1]), parts[2]):
            raise Unauthorized("bad token signature")
        try:
            c = json.loads(_unb64(parts[1]))
            exp = int(c["exp"])
            who = Principal(
                int(c["sub"]), str(c["usr"]), str(c["role"]), c.get("ext"), str(c.get("name", ""))
            )
        except (ValueError, KeyError, TypeError) as err:
            raise Unauthorized("malformed token") from err
        if (time.time() if now is None else now) >= exp:
            raise Unauthorized("token expired")
        if who.role not in ROLES:
            raise Unauthorized("unknown role")
        return who


class LoginLimiter:
    """Per-address wait after failed logins: base * 2**(failures-1), capped; reset on success."""

    def __init__(self, base: float, cap: float, *, max_entries: int = 100_000) -> None:
        self.base, self.cap, self.max_entries = base, cap, max_entries
        self._state: dict[str, tuple[int, float]] = {}  # address -> (failures, not before)

    def check(self, address: str, now: float | None = None) -> None:
        failures, not_before = self._state.get(address, (0, 0.0))
        now = time.monotonic() if now is None else now
        if failures and now < not_before:
            raise TooManyAttempts(not_before - now)

    def failed(self, address: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        failures = self._state.get(address, (0, 0.0))[0] + 1
        wait = min(self.cap, self.base * 2 ** (failures - 1)) if self.base > 0 else 0.0
        if len(self._state) >= self.max_entries:
            self._state.clear()  # bounded memory under a spray of addresses
        self._state[address] = (failures, now + wait)
        return wait

    def succeeded(self, address: str) -> None:
        self._state.pop(address, None)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def authenticate_request(request: web.Request, *, allow_query: bool = False) -> Principal:
    token = bearer_token(request)
    if token is None and allow_query:
        token = request.query.get("token")
    if not token:
        raise Unauthorized("missing bearer token")
    return request.app[SIGNER].verify(token)


def principal(request: web.Request, *roles: str) -> Principal:
    """The authenticated caller, who must hold one of ``roles`` (any role when none given)."""
    who = authenticate_request(request)
    if roles and who.role not in roles:
        raise Forbidden(f"role {who.role} may not do this", details={"needs": list(roles)})
    return who


async def login(request: web.Request) -> web.Response:
    limiter = request.app[LIMITER]
    address = request.remote or "unknown"
    limiter.check(address)
    body = await json_body(request)
    username = req_str(body, "username", max_len=64)
    password = req_str(body, "password", max_len=1024, strip=False)
    async with request.app[SESSIONS]() as session:
        try:
            op = await operators.authenticate(session, username, password)
        except reg.AuthFailed:
            await session.commit()  # keep the failure count for the lockout
            limiter.failed(address)
            request.app[METRICS].inc("cti_logins_failed_total")
            log.info("login failed from %s", address)
            raise
        await session.commit()
    limiter.succeeded(address)
    if not op.active:
        raise Unauthorized("account disabled")
    who = Principal(op.id, op.username, op.role, op.extension, op.display_name or "")
    token = request.app[SIGNER].issue(who)
    log.info("operator %s logged in (role %s)", op.id, op.role)
    settings = request.app[SETTINGS]
    result = protocol.LoginResult(
        token=token, expires_in=settings.token_ttl_seconds, operator=who.info()
    )
    return web.json_response(protocol.to_dict(result))
