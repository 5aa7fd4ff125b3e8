"""Benchmark the lookup by number on SQLite and PostgreSQL (p50/p99; goal p99 < 1 ms).

    .venv/bin/python bench/bench_lookup.py --residents 100000 1000000 --db sqlite postgresql

Two ways for each database: ``lookup_by_number`` (one query), and the in-memory
``registry.find.phone_index.PhoneIndex`` built from that database (what the pop uses once it is
loaded): its build time, the memory it holds (and the growth of the process over the build, which
includes what the build drops again), the lookup time, and a check that it answers what the query
answers on the numbers sampled.

Seeded SQLite files are cached as /tmp/cti_bench_<N>.sqlite3 (reruns are quick). PostgreSQL
uses a scratch database (default cti_bench_search) on 127.0.0.1, dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from pathlib import Path

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.db import create_engine, migrate, session_factory
from registry.find.lookup import lookup_by_number, lookup_statement
from registry.find.phone_index import PhoneIndex
from registry.models import Household, Phone, Resident
from registry.seed.load import seed_database

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "cti_bench_search"


def sqlite_url(n: int) -> str:
    return f"sqlite:///{Path('/tmp') / f'cti_bench_{n}.sqlite3'}"


def drop_sqlite(url: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)


def pg_url(name: str = PG_DB) -> str:
    return make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)


async def pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def residents_in(engine: AsyncEngine) -> int:
    try:
        async with engine.connect() as conn:
            return int((await conn.scalar(select(func.count()).select_from(Resident))) or 0)
    except DBAPIError:  # no schema yet
        return 0


async def seeded_engine(db: str, n: int) -> AsyncEngine:
    """An engine on a database holding exactly ``n`` seeded residents (cached for SQLite)."""
    url = sqlite_url(n) if db == "sqlite" else pg_url()
    engine = create_engine(url)
    have = await residents_in(engine)
    if db == "sqlite" and have not in (0, n):  # a half-seeded file: start again
        await engine.dispose()
        drop_sqlite(url)
        engine, have = create_engine(url), 0
    if have != n:
        if db == "postgresql":
            await engine.dispose()
            await pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            await pg_admin(f"CREATE DATABASE {PG_DB}")
            engine = create_engine(url)
        await migrate(engine)
        t0 = time.perf_counter()
        if db == "postgresql":  # copy the cached SQLite ledger: far quicker than seeding again
            source = await seeded_engine("sqlite", n)
            await copy_ledger(source, engine)
            await source.dispose()
            print(f"[{db}] copied {n:,} residents from SQLite in {time.perf_counter() - t0:.0f} s")
        else:
            summary = await seed_database(engine, n, seed=1, venues=False)
            print(f"[{db}] {summary}  ({time.perf_counter() - t0:.0f} s)")
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    return engine


async def copy_ledger(source: AsyncEngine, target: AsyncEngine, chunk: int = 50_000) -> None:
    """Copy households, residents and phones with PostgreSQL COPY (asyncpg)."""
    async with source.connect() as src, target.connect() as dst:
        raw = (await dst.get_raw_connection()).driver_connection
        assert raw is not None
        for model in (Household, Resident, Phone):
            table = model.__table__
            cols = [c.name for c in table.columns]
            result = await src.stream(select(table).order_by(table.c.id))
            async for part in result.partitions(chunk):
                await raw.copy_records_to_table(table.name, records=part, columns=cols)
            await dst.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT MAX(id) FROM {table.name}))"
            ))  # fmt: skip
        await dst.commit()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def bench(engine: AsyncEngine, db: str, n: int, queries: int) -> None:
    sessions = session_factory(engine)
    async with sessions() as s:
        numbers = list((await s.scalars(select(Phone.e164).where(Phone.e164.is_not(None)))).all())
    rng = random.Random(7)
    sample = [rng.choice(numbers) for _ in range(queries)]
    sample[: queries // 10] = [f"+8177399{i:05d}" for i in range(queries // 10)]  # 10 % unknown
    rng.shuffle(sample)
    times, cpu, sizes = [], [], []
    async with sessions() as s:
        for number in sample[:50]:  # warm up
            await lookup_by_number(s, number)
        for number in sample:
            t0, c0 = time.perf_counter(), time.process_time()
            result = await lookup_by_number(s, number)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            sizes.append(sum(len(h.members) for h in result))
    base = []
    async with sessions() as s:
        probe = select(Phone.id).where(Phone.e164 == bindparam("n"))
        for number in sample:
            t0 = time.perf_counter()
            (await s.execute(probe, {"n": number})).all()
            base.append((time.perf_counter() - t0) * 1000)
    print(
        f"[{db}] baseline round trip (SELECT id FROM phones WHERE e164 = ?): "
        f"p50 {statistics.median(base):.3f} ms, p99 {pct(base, 99):.3f} ms"
    )
    print(
        f"[{db}] lookup_by_number at {n:,} residents ({len(numbers):,} numbers): "
        f"p50 {statistics.median(times):.3f} ms, p99 {pct(times, 99):.3f} ms, "
        f"max {max(times):.3f} ms; mean residents/lookup {statistics.mean(sizes):.2f}"
    )
    print(
        f"[{db}]   CPU time of this process per lookup (all threads, so SQLite's work is in, "
        f"PostgreSQL's server is not): p50 {statistics.median(cpu):.3f} ms, "
        f"p99 {pct(cpu, 99):.3f} ms"
    )
    await in_memory(sessions, db, n, sample)
    if db == "postgresql":
        await server_times(engine, sample[:200])
    await show_plan(engine, db, sample[0])


def held_mb(obj: object) -> float:
    """The bytes reachable from ``obj`` (its objects, arrays and strings, each counted once; not
    classes, functions or modules), in MB: what the index holds once built."""
    import gc
    import sys
    import types

    seen: set[int] = set()
    stack, total = [obj], 0
    while stack:
        o = stack.pop()
        if id(o) in seen or isinstance(o, (type, types.ModuleType, types.FunctionType)):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        stack.extend(gc.get_referents(o))
    return total / 1e6


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def in_memory(sessions, db: str, n: int, sample: list[str]) -> None:  # type: ignore[no-untyped-def]
    import gc

    gc.collect()
    rss0, t0 = rss_mb(), time.perf_counter()
    async with sessions() as s:
        index = await PhoneIndex.load(s)
    built, rss1 = time.perf_counter() - t0, rss_mb()
    held = held_mb(index)
    async with sessions() as s:
        for number in sample[:500]:
            assert index.lookup(number) == await lookup_by_number(s, number), number
    gc.freeze()  # as the server does once its indexes are loaded
    times, cpu = [], []
    for number in sample:
        t0, c0 = time.perf_counter(), time.process_time()
        index.lookup(number)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    gc.unfreeze()
    print(
        f"[{db}] PhoneIndex at {n:,} residents: built in {built:.1f} s, holds {held:.1f} MB "
        f"(+{rss1 - rss0:.0f} MB RSS over the build); "
        f"lookup p50 {statistics.median(times):.3f} ms, p99 {pct(times, 99):.3f} ms, "
        f"max {max(times):.3f} ms; CPU p50 {statistics.median(cpu):.3f} ms, "
        f"p99 {pct(cpu, 99):.3f} ms (same answers as the query on 500 numbers)"
    )
    del index


async def server_times(engine: AsyncEngine, numbers: list[str]) -> None:
    """Execution time inside PostgreSQL (EXPLAIN ANALYZE), free of client and scheduling noise."""
    stmt = lookup_statement()
    out = []
    async with engine.connect() as conn:
        for number in numbers:
            sql = str(stmt.params(number=number, cap=150).compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}))  # fmt: skip
            rows = (await conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql))).scalar()
            out.append(float(rows[0]["Execution Time"]))  # type: ignore[index]
    print(
        f"[postgresql]   server execution time: p50 {statistics.median(out):.3f} ms, "
        f"p99 {pct(out, 99):.3f} ms"
    )


async def show_plan(engine: AsyncEngine, db: str, number: str) -> None:
    sql = str(
        lookup_statement()
        .params(number=number, cap=150)
        .compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    )
    async with engine.connect() as conn:
        if db == "sqlite":
            plan = [r[3] for r in await conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
        else:
            plan = [r[0] for r in await conn.execute(text("EXPLAIN " + sql))]
    scans = [p for p in plan if "ix_phones_e164" in p or "Scan" in p or "SCAN" in p]
    print(f"[{db}] plan lines using ix_phones_e164 / scans:")
    for line in scans:
        print("    " + line.strip())


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000])
    ap.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--queries", type=int, default=5000)
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = ap.parse_args()
    try:
        for n in args.residents:
            for db in args.db:
                engine = await seeded_engine(db, n)
                try:
                    await bench(engine, db, n, args.queries)
                finally:
                    await engine.dispose()
    finally:
        if "postgresql" in args.db and not args.keep:
            await pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__":
    asyncio.run(main())
