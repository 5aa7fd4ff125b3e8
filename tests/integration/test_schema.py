"""The schema migrates on both databases and enforces what it promises."""

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from registry.db import async_url, migrate


async def test_migrate_is_idempotent(engine):
    await migrate(engine)
    async with engine.connect() as conn:
        n = (await conn.execute(text("SELECT count(*) FROM residents"))).scalar_one()
    assert n == 0


async def test_audit_log_is_append_only(engine):
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO audit_log (at, action, details) VALUES (:at, 'view', '{}')"),
            {"at": dt.datetime.now(dt.UTC)},
        )
    with pytest.raises((IntegrityError, DBAPIError)):
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log"))
    with pytest.raises((IntegrityError, DBAPIError)):
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE audit_log SET action = 'x'"))


def test_async_url_picks_driver():
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"


async def test_campaign_config_is_append_only(engine):
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO campaign_config (key, version, value, created_at) "
                "VALUES ('intent_questions', 1, '{\"needs_mobility\": false}', :at)"
            ),
            {"at": dt.datetime.now(dt.UTC)},
        )
    for sql in (
        "UPDATE campaign_config SET version = 2",
        "UPDATE campaign_config SET value = '{\"needs_mobility\": true}'",
        "DELETE FROM campaign_config",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(sql))
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT key, version FROM campaign_config"))).all()
    assert [tuple(r) for r in rows] == [("intent_questions", 1)]
