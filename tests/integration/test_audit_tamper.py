"""The audit log cannot be rewritten around its triggers (SQLite's INSERT OR REPLACE, PostgreSQL's
TRUNCATE), and a change made by someone who removed the triggers breaks the hash chain, which
``verify_chain`` and ``cti-registry audit verify`` find."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry.audit import AuditAction, audit, verify_chain
from registry.cli import main
from tests.integration.test_bookings import make_resident


async def _entries(sessions, n=3):
    async with sessions() as s:
        rid = await make_resident(s)
        for i in range(n):
            await audit(s, AuditAction.RESIDENT_VIEW, operator_id=None, resident_id=rid,
                        call_linkedid=f"1.{i}", details={"i": i})  # fmt: skip
        await s.commit()
    return rid


async def test_an_entry_cannot_be_replaced(sessions, engine):
    await _entries(sessions)
    if engine.dialect.name == "sqlite":
        sql = (
            "INSERT OR REPLACE INTO audit_log (id, at, action, details) "
            "VALUES (1, '2020-01-01 00:00:00', 'resident.view', '{}')"
        )
    else:
        sql = (
            "INSERT INTO audit_log (id, at, action, details) "
            "VALUES (1, now(), 'resident.view', '{}') "
            "ON CONFLICT (id) DO UPDATE SET action = excluded.action, at = excluded.at"
        )
    async with sessions() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text(sql))
        await s.rollback()
    async with sessions() as s:
        assert (await verify_chain(s)).ok
        at = await s.scalar(text("SELECT at FROM audit_log WHERE id = 1"))
        assert "2020" not in str(at)


@pytest.mark.postgres
async def test_truncate_is_refused(sessions, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    await _entries(sessions)
    async with sessions() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text("TRUNCATE audit_log CASCADE"))
        await s.rollback()
        assert await s.scalar(text("SELECT count(*) FROM audit_log")) == 3


async def _tamper(engine, sql):
    """What someone with the schema owner's rights could do: lift the triggers, change a row."""
    async with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            await conn.execute(text("DROP TRIGGER audit_log_no_update"))
            await conn.execute(text(sql))
        else:
            await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            try:
                await conn.execute(text(sql))
            finally:
                await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


async def test_the_chain_holds_and_finds_a_rewritten_entry(sessions, engine, db_url, capsys):
    await _entries(sessions, 5)
    async with sessions() as s:
        report = await verify_chain(s)
    assert report.ok
    assert (report.entries, report.unchained) == (5, 0)
    assert report.head
    assert len(report.head) == 64
    assert await asyncio.to_thread(main, ["--db", db_url, "audit", "verify"]) == 0
    assert report.head in capsys.readouterr().out

    await _tamper(engine, "UPDATE audit_log SET call_linkedid = '9.9' WHERE id = 3")
    async with sessions() as s:
        report = await verify_chain(s)
    assert not report.ok
    assert report.broken_at == 3
    assert await asyncio.to_thread(main, ["--db", db_url, "audit", "verify"]) == 1
    assert "entry 3" in capsys.readouterr().err


async def test_a_removed_entry_breaks_the_chain(sessions, engine):
    await _entries(sessions, 4)
    if engine.dialect.name == "sqlite":
        async with engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            await conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    else:
        await _tamper(engine, "DELETE FROM audit_log WHERE id = 2")
    async with sessions() as s:
        assert (await verify_chain(s)).broken_at == 3


async def test_concurrent_writers_keep_one_chain(sessions):
    rid = await _entries(sessions, 1)

    async def one(i):
        async with sessions() as s:
            await audit(s, AuditAction.RESIDENT_VIEW, operator_id=None, resident_id=rid,
                        details={"n": i})  # fmt: skip
            await asyncio.sleep(0)
            await s.commit()

    await asyncio.gather(*(one(i) for i in range(20)))
    async with sessions() as s:
        report = await verify_chain(s)
    assert report.ok
    assert report.entries == 21
