"""Database URLs, engines, sessions and migrations (SQLite embedded, PostgreSQL for scale)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def async_url(url: str) -> str:
    """Return ``url`` with an async driver: ``sqlite:///x`` -> ``sqlite+aiosqlite:///x``."""
    u = make_url(url)
    backend, _, driver = u.drivername.partition("+")
    if backend == "sqlite" and driver != "aiosqlite":
        u = u.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres") and driver != "asyncpg":
        u = u.set(drivername="postgresql+asyncpg")
    return u.render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    if isinstance(url_or_engine, AsyncEngine):
        return url_or_engine.dialect.name == "sqlite"
    return make_url(url_or_engine).get_backend_name() == "sqlite"


def sha256_hex(text: str | None) -> str | None:
    """The SHA-256 of ``text`` in hex (PostgreSQL has ``sha256``; SQLite gets this one)."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_conn.create_function("cti_sha256", 1, sha256_hex, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """Create an async engine for ``url``; a SQLite file's folder is created if missing.

    ``hide_parameters``: a statement's parameters (addresses, names, phone numbers in notes)
    never appear in an error's text, so a logged traceback carries no personal data."""
    full = async_url(url)
    u = make_url(full)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(full, echo=echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        full, echo=echo, pool_size=pool_size, pool_pre_ping=True, hide_parameters=True
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_upgrade(conn: Connection, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (idempotent; safe on every start)."""
    async with engine.begin() as conn:
        await conn.run_sync(_alembic_upgrade, revision)
    log.info("database schema at %s", revision)
