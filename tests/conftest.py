"""Shared fixtures: a clean, migrated database on SQLite and on PostgreSQL for every DB test.

PostgreSQL: one scratch database per test session (``cti_test_<pid>``) created on the server named
by ``CTI_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``), wiped (schema
dropped and re-migrated) before each test and dropped at the end. Select only SQLite with
``-m "not postgres"``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry.db import create_engine, migrate, session_factory

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ami"
if not FIXTURES.is_dir():  # a CI clone sits beside shared/ too; allow an override
    FIXTURES = Path(os.environ.get("CTI_AMI_FIXTURES", str(FIXTURES)))

PG_ADMIN_URL = os.environ.get("CTI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def ami_fixtures() -> Path:
    """Folder of the recorded Asterisk 22 AMI streams (../shared/fixtures/ami)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"recorded AMI streams not found at {FIXTURES}; set CTI_AMI_FIXTURES")
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
    except OSError as err:
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {err}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _wipe_pg(url: str) -> None:
    from sqlalchemy import text

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL (plain, sync-style: the async driver is chosen by registry.db)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    asyncio.run(_wipe_pg(url))
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
