"""Shared fixtures: a clean, migrated database on SQLite and on PostgreSQL for every DB test.

PostgreSQL: one scratch database per test session (``cti_test_<pid>``) created on the server named
by ``CTI_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``), migrated once and
emptied (TRUNCATE) before each test, dropped at the end. SQLite: a template file migrated once
per session, copied for each test. Select only SQLite with
``-m "not postgres"``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry.db import create_engine, migrate, session_factory

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ami"

PG_ADMIN_URL = os.environ.get("CTI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def ami_fixtures() -> Path:
    """Folder of the recorded Asterisk 22 AMI streams (tests/fixtures/ami, with their README)."""
    return FIXTURES


async def _pg_admin(sql: str) -> None:
    import asyncpg

    u = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, database=u.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of this session's scratch PostgreSQL database."""
    name = f"cti_test_{os.getpid()}"
    try:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name}"))
        asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
        # no wait on a lock outlives a test: a statement waiting 20 s fails with the statement
        # named, and a transaction left idle for a minute is ended by the server
        asyncio.run(_pg_admin(f"ALTER DATABASE {name} SET lock_timeout = '20s'"))
        asyncio.run(
            _pg_admin(f"ALTER DATABASE {name} SET idle_in_transaction_session_timeout = '60s'")
        )
    except OSError as err:
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {err}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def _reset_pg(url: str) -> None:
    """Empty every table of the migrated scratch database (TRUNCATE: fast, resets ids).

    If a test left the schema elsewhere than head, the schema is rebuilt from scratch.
    """
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from registry.db import MIGRATIONS
    from registry.models import Base

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    engine = create_engine(url)
    try:
        try:
            async with engine.connect() as conn:
                version = (
                    await conn.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
        except DBAPIError:
            version = None
        if version != head:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await migrate(engine)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            # the audit log refuses TRUNCATE by a trigger; a superuser's replica role skips it
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger migrated once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "ledger.sqlite3"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database (plain URL: the async driver is chosen by registry.db)."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    asyncio.run(_reset_pg(url))
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on ``db_url``."""
    eng = create_engine(db_url)
    await migrate(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)
