"""Operator accounts: argon2id, no user enumeration, lockout that grows, validation."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher, Type

from registry.errors import AccountLocked, AuthFailed, Conflict, InvalidInput, NotFound
from registry.lockout import BASE_LOCK, MAX_FAILURES, lock_interval
from registry.models import Operator
from registry.operators import (
    authenticate,
    create_operator,
    get_operator,
    list_operators,
    update_operator,
)

# Still argon2id, only cheaper so the tests stay fast.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
NOW = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


async def _sato(s):
    op = await create_operator(
        s,
        "sato",
        "correct horse",
        role="operator",
        extension="1001",
        display_name="佐藤",
        hasher=FAST,
    )
    await s.commit()
    return op


async def test_create_and_authenticate_with_argon2id(sessions):
    async with sessions() as s:
        op = await _sato(s)
        assert (op.username, op.role, op.extension, op.active) == ("sato", "operator", "1001", True)
        stored = await s.get(Operator, op.id)
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert "correct horse" not in stored.password_hash
        assert await authenticate(s, "sato", "correct horse", hasher=FAST) == op
        assert await get_operator(s, op.id) == op
        assert [o.username for o in await list_operators(s)] == ["sato"]


async def test_unknown_user_and_wrong_password_look_the_same(sessions):
    async with sessions() as s:
        await _sato(s)
        with pytest.raises(AuthFailed) as unknown:
            await authenticate(s, "nobody", "correct horse", hasher=FAST)
        with pytest.raises(AuthFailed) as wrong:
            await authenticate(s, "sato", "wrong horse!", hasher=FAST)
    assert type(unknown.value) is type(wrong.value) is AuthFailed
    assert unknown.value.message == wrong.value.message
    assert unknown.value.error_id == wrong.value.error_id == "auth_failed"


async def test_lockout_grows_and_success_resets(sessions):
    async with sessions() as s:
        await _sato(s)
    now = NOW
    async with sessions() as s:
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(AuthFailed) as info:
                await authenticate(s, "sato", "bad password", hasher=FAST, now=now)
            assert not isinstance(info.value, AccountLocked)
        with pytest.raises(AccountLocked) as locked:
            await authenticate(s, "sato", "bad password", hasher=FAST, now=now)
        assert locked.value.until == now + BASE_LOCK
    async with sessions() as s:  # the lock holds even for the right password, in a new session
        with pytest.raises(AccountLocked):
            await authenticate(s, "sato", "correct horse", hasher=FAST, now=now + BASE_LOCK / 2)
        now += BASE_LOCK + dt.timedelta(seconds=1)
        with pytest.raises(AccountLocked) as again:
            await authenticate(s, "sato", "still bad", hasher=FAST, now=now)
        assert again.value.until == now + 2 * BASE_LOCK
        now += 2 * BASE_LOCK + dt.timedelta(seconds=1)
        assert (await authenticate(s, "sato", "correct horse", hasher=FAST, now=now)).username
        with pytest.raises(AuthFailed) as reset:
            await authenticate(s, "sato", "bad password", hasher=FAST, now=now)
        assert not isinstance(reset.value, AccountLocked)


def test_lock_interval_is_capped():
    assert lock_interval(MAX_FAILURES - 1) == dt.timedelta(0)
    assert lock_interval(MAX_FAILURES + 1) == 2 * BASE_LOCK
    assert lock_interval(1000) == dt.timedelta(hours=1)


async def test_inactive_account_cannot_log_in_and_reset_password_unlocks(sessions):
    async with sessions() as s:
        op = await _sato(s)
        await update_operator(s, op.id, active=False)
        await s.commit()
        with pytest.raises(AuthFailed):
            await authenticate(s, "sato", "correct horse", hasher=FAST)
        changed = await update_operator(
            s, op.id, active=True, role="supervisor", password="new password", hasher=FAST
        )
        await s.commit()
        assert changed.role == "supervisor"
        assert (await authenticate(s, "sato", "new password", hasher=FAST)).id == op.id


BAD_ACCOUNTS = [
    ("", "correct horse", "operator", None, "username"),
    ("a b", "correct horse", "operator", None, "username"),
    ("tanaka", "short", "operator", None, "password"),
    ("tanaka", "correct horse", "boss", None, "role"),
    ("tanaka", "correct horse", "operator", "10 01", "extension"),
]


async def test_validation_names_the_field(sessions):
    async with sessions() as s:
        for username, password, role, extension, field in BAD_ACCOUNTS:
            with pytest.raises(InvalidInput) as info:
                await create_operator(
                    s, username, password, role=role, extension=extension, hasher=FAST
                )
            assert info.value.field == field


async def test_duplicate_username_and_missing_operator(sessions):
    async with sessions() as s:
        await _sato(s)
        with pytest.raises(Conflict):
            await create_operator(s, "sato", "another one", role="kiosk", hasher=FAST)
        with pytest.raises(NotFound):
            await get_operator(s, 999)
