"""Who is asking (behind trusted proxies), and the per-address slowdown of failed logins.

``client_address``: the peer's address, unless the peer is a trusted proxy; then
``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the first address that is
not one is the client (what nginx's ``real_ip_recursive`` does). A client that connects directly
cannot choose its address by sending the header. (aiohttp-remotes was weighed: its
``XForwardedFiltered`` believes the header from any peer, and ``XForwardedStrict`` refuses every
request that did not come through exactly the configured chain, such as a health check.)

The limiter: each failed login from an address adds one to its count, which drops by one every
``decay`` seconds; after a failure the address waits ``base * 2**(count-1)`` seconds (capped).
A successful login does not reset it (an attacker's own good account must not wipe the count).
State lives in Redis when configured (shared by every instance), else in this process.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from typing import Any, Protocol

from aiohttp import web

from cti_server.config import Settings
from cti_server.web.errors import TooManyAttempts

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: web.Request, networks: Sequence[Network]) -> str:
    peer = request.remote or "unknown"
    if not networks or not _trusted(peer, networks):
        return peer
    hops = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: count it on the proxy
    return peer


def wait_for(count: float, base: float, cap: float) -> float:
    if base <= 0 or count <= 0:
        return 0.0
    return float(min(cap, base * 2 ** (math.ceil(count - 1e-9) - 1)))


class AddressLimiter(Protocol):
    async def check(self, address: str) -> None: ...

    async def failed(self, address: str) -> float: ...

    async def close(self) -> None: ...


class MemoryLimiter:
    """One process's limiter (a single instance)."""

    def __init__(
        self, base: float, cap: float, decay: float, *, max_entries: int = 100_000
    ) -> None:
        self.base, self.cap, self.decay, self.max_entries = base, cap, decay, max_entries
        self._state: dict[str, tuple[float, float, float]] = {}  # count, last, not before

    def _count(self, address: str, now: float) -> float:
        count, last, _ = self._state.get(address, (0.0, now, 0.0))
        return max(0.0, count - (now - last) / self.decay)

    async def check(self, address: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        not_before = self._state.get(address, (0.0, 0.0, 0.0))[2]
        if now < not_before:
            raise TooManyAttempts(not_before - now)

    async def failed(self, address: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        count = self._count(address, now) + 1
        wait = wait_for(count, self.base, self.cap)
        if len(self._state) >= self.max_entries:
            self._state.clear()  # bounded memory under a spray of addresses
        self._state[address] = (count, now, now + wait)
        return wait

    async def close(self) -> None:
        self._state.clear()


_FAILED = """
local h = redis.call('HMGET', KEYS[1], 'c', 't')
local now, base, cap, decay = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4])
local c = tonumber(h[1]) or 0
local t = tonumber(h[2]) or now
c = math.max(0, c - math.max(0, now - t) / decay) + 1
local wait = 0
if base > 0 then wait = math.min(cap, base * 2 ^ (math.ceil(c - 1e-9) - 1)) end
redis.call('HSET', KEYS[1], 'c', tostring(c), 't', tostring(now), 'nb', tostring(now + wait))
redis.call('EXPIRE', KEYS[1], math.ceil(c * decay + cap + 1))
return tostring(wait)
"""


class RedisLimiter:
    """The limiter shared by every instance through Redis (one hash per address, with expiry)."""

    def __init__(self, url: str, base: float, cap: float, decay: float) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self.base, self.cap, self.decay = base, cap, decay
        self._redis: Any = aioredis.Redis.from_url(url, socket_timeout=2.0)
        self._failed = self._redis.register_script(_FAILED)
        self._errors = (RedisError, OSError, TimeoutError)

    @staticmethod
    def _key(address: str) -> str:
        return f"cti:login:addr:{address}"

    async def check(self, address: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        try:
            raw = await self._redis.hget(self._key(address), "nb")
        except self._errors as err:  # Redis down: log-ins go on, the lockout still guards
            log.warning("login limiter: Redis unavailable (%r); not slowing %s", err, address)
            return
        not_before = float(raw) if raw else 0.0
        if now < not_before:
            raise TooManyAttempts(not_before - now)

    async def failed(self, address: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        args = [now, self.base, self.cap, self.decay]
        try:
            return float(await self._failed(keys=[self._key(address)], args=args))
        except self._errors as err:
            log.warning("login limiter: Redis unavailable (%r); failure not counted", err)
            return 0.0

    async def close(self) -> None:
        await self._redis.aclose()


def build_limiter(settings: Settings) -> AddressLimiter:
    args = (
        settings.login_delay_seconds,
        settings.login_delay_max_seconds,
        settings.login_failure_decay_seconds,
    )
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, *args)
    return MemoryLimiter(*args)
