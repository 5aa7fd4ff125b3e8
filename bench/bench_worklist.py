"""The worklist claim race: N operators (default 20) take items as fast as they can until the
worklist is empty, each with its own session, on SQLite (a temp file) and/or PostgreSQL.
Checks that no item was claimed twice and none was missed, and prints claims per second.
Prints figures; not a test.

    .venv/bin/python bench/bench_worklist.py [--operators 20] [--items 2000]
        [--db sqlite|postgresql|both] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry import worklist
from registry.db import create_engine, migrate, session_factory
from registry.models import Operator, WorkItem
from registry.worklist_policy import RetryPolicy

POLICY = RetryPolicy()


async def seed(sessions: async_sessionmaker[AsyncSession], operators: int, items: int) -> list[int]:
    async with sessions() as s:
        ops = [
            await s.scalar(insert(Operator).values(username=f"op{i}", password_hash="x",
                                                   role="operator").returning(Operator.id))
            for i in range(operators)
        ]  # fmt: skip
        await s.execute(
            insert(WorkItem),
            [dict(source_ref=f"bench:{n}", reason="no_show", phone=f"+8177362{n:04d}",
                  detail={}, priority=n % 7, attempts=0, state="open", outcome="")
             for n in range(items)],
        )  # fmt: skip
        await s.commit()
    return [int(o) for o in ops if o is not None]


async def claimer(sessions: async_sessionmaker[AsyncSession], op: int, got: list[tuple[int, int]],
                  lost: list[str]) -> None:  # fmt: skip
    while True:
        async with sessions() as s:
            try:
                item = await worklist.claim_next(s, op, POLICY)
                await s.commit()
            except Exception as err:  # a busy database: count it and try again
                await s.rollback()
                lost.append(f"{type(err).__name__}: {str(err).splitlines()[0][:80]}")
                continue
        if item is None:
            return
        got.append((item.item_id, op))


async def run(url: str, label: str, operators: int, items: int) -> None:
    engine = create_engine(url, pool_size=operators + 2)
    await migrate(engine)
    sessions = session_factory(engine)
    ops = await seed(sessions, operators, items)
    got: list[tuple[int, int]] = []
    lost: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(claimer(sessions, op, got, lost) for op in ops))
    elapsed = time.perf_counter() - t0
    await engine.dispose()
    counts = Counter(i for i, _ in got)
    doubles = sum(1 for n in counts.values() if n > 1)
    per_op = Counter(op for _, op in got)
    print(f"{label:10s} operators={operators} items={items} claimed={len(got)} "
          f"distinct={len(counts)} double_claims={doubles} retried_errors={len(lost)}")  # fmt: skip
    print(f"{'':10s} {len(got) / elapsed:8.0f} claims/s  ({elapsed:.2f} s); per operator "
          f"min={min(per_op.values())} max={max(per_op.values())}")  # fmt: skip
    for text, n in Counter(lost).most_common(3):
        print(f"{'':10s} retried {n}x: {text}")
    if doubles or len(counts) != items:
        raise SystemExit(f"{label}: FAILED: {doubles} double claims, {items - len(counts)} missed")


async def main(args: argparse.Namespace) -> None:
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "sqlite", args.operators,
                      args.items)  # fmt: skip
    if args.db in ("postgresql", "both"):
        import asyncpg

        name = f"cti_bench_worklist_{os.getpid()}"
        admin = make_url(args.pg)
        conn = await asyncpg.connect(host=admin.host, port=admin.port or 5432,
                                     user=admin.username, database=admin.database)  # fmt: skip
        try:
            await conn.execute(f"CREATE DATABASE {name}")
            url = admin.set(database=name).render_as_string(hide_password=False)
            await run(url, "postgresql", args.operators, args.items)
        finally:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await conn.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--operators", type=int, default=20)
    p.add_argument("--items", type=int, default=2000)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    asyncio.run(main(p.parse_args()))
