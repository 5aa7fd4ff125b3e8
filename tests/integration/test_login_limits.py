"""Log-in abuse: the client address behind trusted proxies, the per-address slowdown (shared
through Redis, not reset by a good log-in) and the lockout per (account, source)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from aiohttp.test_utils import make_mocked_request
from argon2 import PasswordHasher, Type

from cti_server.web.app import create_app
from cti_server.web.errors import TooManyAttempts
from cti_server.web.limiter import MemoryLimiter, RedisLimiter, client_address, parse_networks
from registry.db import session_factory
from registry.errors import AccountLocked, AuthFailed
from registry.lockout import FAILURE_DECAY, MAX_FAILURES
from registry.operators import authenticate, create_operator, unlock
from tests.integration.web_helpers import FakeBridge, make_settings

REDIS = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse 1"
NOW = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


class CountingHasher(PasswordHasher):
    """argon2id, cheap, counting the verifications (the work a log-in attempt costs)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


def _request(peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return make_mocked_request("POST", "/api/login", headers=headers).clone(remote=peer)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("127.0.0.1", "10.0.0.7", "", "127.0.0.1"),  # no proxy configured: the header is ignored
        ("192.0.2.9", "10.0.0.7", "127.0.0.1", "192.0.2.9"),  # a direct client cannot spoof
        ("127.0.0.1", "10.0.0.7", "127.0.0.1", "10.0.0.7"),  # nginx on the same host
        ("127.0.0.1", "6.6.6.6, 10.0.0.7", "127.0.0.1", "10.0.0.7"),  # forged left part
        ("127.0.0.1", "10.0.0.7, 172.16.0.2", "127.0.0.1, 172.16.0.0/12", "10.0.0.7"),  # chain
        ("127.0.0.1", None, "127.0.0.1", "127.0.0.1"),  # a local health check
        ("127.0.0.1", "not-an-ip", "127.0.0.1", "127.0.0.1"),
    ],
)
def test_client_address_behind_trusted_proxies(peer, forwarded, trusted, expected):
    networks = parse_networks([t for t in trusted.split(",") if t.strip()])
    assert client_address(_request(peer, forwarded), networks) == expected


async def _server(aiohttp_client, engine, db_url, **kw):
    app = create_app(
        make_settings(db_url, trusted_proxies="127.0.0.1", **kw),
        engine=engine,
        bridge=FakeBridge(),
        load_name_index=False,
    )
    return await aiohttp_client(app)


async def _account(engine, username="operator1"):
    async with session_factory(engine)() as s:
        op = await create_operator(s, username, PASSWORD, role="operator", extension="1001")
        await s.commit()
    return op


async def _login(client, address, username="operator1", password=PASSWORD):
    resp = await client.post(
        "/api/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )
    return resp.status, (await resp.json()).get("error")


async def test_one_clients_failures_do_not_slow_others_behind_the_proxy(
    engine, db_url, aiohttp_client
):
    client = await _server(aiohttp_client, engine, db_url, login_delay_seconds=30.0)
    await _account(engine)
    await _account(engine, "operator2")
    assert await _login(client, "10.0.0.1", password="wrong!") == (401, "auth_failed")
    assert await _login(client, "10.0.0.1") == (429, "too_many_attempts")
    assert await _login(client, "10.0.0.2", "operator2") == (200, None)


async def test_lock_is_per_source_and_a_clean_source_logs_in(engine, db_url, aiohttp_client):
    client = await _server(aiohttp_client, engine, db_url)
    await _account(engine)
    answers = [await _login(client, "10.0.0.66", password="guess!!") for _ in range(MAX_FAILURES)]
    assert answers[-1] == (423, "account_locked")
    assert await _login(client, "10.0.0.66") == (423, "account_locked")
    assert await _login(client, "10.0.0.5") == (200, None)  # the owner, elsewhere


async def test_unknown_names_answer_like_real_ones(engine, db_url, aiohttp_client):
    client = await _server(aiohttp_client, engine, db_url)
    await _account(engine)
    real = [await _login(client, "10.0.0.8", password="guess!!") for _ in range(MAX_FAILURES)]
    unknown = [
        await _login(client, "10.0.0.9", "nobody", password="guess!!") for _ in range(MAX_FAILURES)
    ]
    assert real == unknown
    assert unknown[-1] == (423, "account_locked")


async def test_unknown_names_cost_the_same_hashing(sessions):
    hasher = CountingHasher()
    async with sessions() as s:
        await create_operator(s, "sato", PASSWORD, role="operator", hasher=hasher)
        await s.commit()
    work = {}
    for name in ("sato", "nobody"):
        hasher.verified = 0
        async with sessions() as s:
            for _ in range(MAX_FAILURES + 2):
                with pytest.raises(AuthFailed):
                    await authenticate(s, name, "guess!!!", source="10.1.1.1", hasher=hasher)
        work[name] = hasher.verified
    assert work["sato"] == work["nobody"] == MAX_FAILURES  # hashed until locked, then not at all


async def test_failures_decay_and_unlock_clears_every_source(sessions):
    hasher = CountingHasher()
    async with sessions() as s:
        op = await create_operator(s, "sato", PASSWORD, role="operator", hasher=hasher)
        await s.commit()

    async def fail(at, source="10.1.1.1"):
        async with sessions() as s:
            with pytest.raises(AuthFailed) as info:
                await authenticate(s, "sato", "guess!!!", source=source, hasher=hasher, now=at)
        return isinstance(info.value, AccountLocked)

    assert [await fail(NOW) for _ in range(MAX_FAILURES - 1)] == [False] * (MAX_FAILURES - 1)
    later = NOW + FAILURE_DECAY * (MAX_FAILURES - 1)  # the count has worn down to zero
    assert [await fail(later) for _ in range(MAX_FAILURES - 1)] == [False] * (MAX_FAILURES - 1)
    assert await fail(later) is True
    assert await fail(later, "10.2.2.2") is False  # another source has its own count
    async with sessions() as s:
        assert await unlock(s, op.id) == 2
        await s.commit()
    async with sessions() as s:
        assert (await authenticate(s, "sato", PASSWORD, source="10.1.1.1", hasher=hasher)).id


async def test_a_good_login_does_not_reset_the_address_count():
    lim = MemoryLimiter(1.0, 60.0, 600.0)
    assert await lim.failed("10.0.0.1", now=0.0) == 1.0
    await lim.check("10.0.0.1", now=2.0)  # the wait is over; a good log-in changes nothing
    assert await lim.failed("10.0.0.1", now=2.0) == 2.0
    assert await lim.failed("10.0.0.1", now=4.0) == 4.0
    await lim.check("10.0.0.1", now=4.0 + 600.0 * 3)
    assert await lim.failed("10.0.0.1", now=4.0 + 600.0 * 3) == 1.0  # decayed back


async def test_redis_limiter_is_shared_by_instances():
    a, b = RedisLimiter(REDIS, 5.0, 60.0, 600.0), RedisLimiter(REDIS, 5.0, 60.0, 600.0)
    address = f"10.{uuid.uuid4().int % 250}.0.1-{uuid.uuid4().hex[:6]}"
    try:
        await b.check(address, now=100.0)
        assert await a.failed(address, now=100.0) == 5.0
        with pytest.raises(TooManyAttempts):
            await b.check(address, now=101.0)
        assert await b.failed(address, now=106.0) == 10.0
        await a.check(address, now=117.0)
    finally:
        await a.close()
        await b.close()


async def test_instances_share_the_address_wait_through_redis(engine, db_url, aiohttp_client):
    one = await _server(aiohttp_client, engine, db_url, redis_url=REDIS, login_delay_seconds=30.0)
    two = await _server(aiohttp_client, engine, db_url, redis_url=REDIS, login_delay_seconds=30.0)
    await _account(engine)
    address = f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    assert await _login(one, address, password="wrong!!") == (401, "auth_failed")
    assert await _login(two, address) == (429, "too_many_attempts")


async def test_redis_down_does_not_stop_log_ins():
    lim = RedisLimiter("redis://127.0.0.1:1/0", 5.0, 60.0, 600.0)  # nothing listens there
    try:
        assert await lim.failed("10.0.0.1") == 0.0
        await lim.check("10.0.0.1")
    finally:
        await lim.close()


async def test_the_attackers_own_good_login_does_not_reset_the_address(
    engine, db_url, aiohttp_client
):
    """Over HTTP, with the count in Redis: fail, log in well from the same address, fail
    again: the address has two failures, not one (and waits twice as long)."""
    import redis.asyncio as aioredis

    client = await _server(
        aiohttp_client, engine, db_url, redis_url=REDIS, login_delay_seconds=0.01,
        login_failure_decay_seconds=3600.0,
    )  # fmt: skip
    await _account(engine)
    await _account(engine, "attacker")
    address = f"10.78.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    r = aioredis.Redis.from_url(REDIS)
    try:
        assert await _login(client, address, password="wrong!!") == (401, "auth_failed")
        count = float(await r.hget(f"cti:login:addr:{address}", "c"))
        while await _login(client, address, "attacker") != (200, None):  # the 10 ms wait
            pass
        assert float(await r.hget(f"cti:login:addr:{address}", "c")) == pytest.approx(count)
        while await _login(client, address, password="wrong!!") != (401, "auth_failed"):
            pass  # answered 429 while the address waited: not counted
        assert float(await r.hget(f"cti:login:addr:{address}", "c")) > 1.9
    finally:
        await r.aclose()
