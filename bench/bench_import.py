"""Ledger import speed: first import and re-import of a synthetic ledger, SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--encoding cp932] [--no-pg]

The CSV comes from ``registry.seed.write_ledger_csv``. PostgreSQL runs in a scratch database
created on ``--pg-url`` (default postgresql://postgres@127.0.0.1:5432/postgres) and dropped after.
Goal: at least 20,000 rows/s for both imports. Also prints a dry run (parse and validate only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from registry.db import create_engine, migrate
from registry.ledger.importer import import_ledger
from registry.models import Phone, Resident
from registry.seed.city import write_ledger_csv

GOAL = 20_000


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # children that have ended
    return usage.ru_utime + usage.ru_stime


async def _admin(url: str, sql: str) -> None:
    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def bench_db(label: str, url: str, csv_path: Path, rows: int) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
        for what, kwargs in (("dry run", {"dry_run": True}), ("first import", {}),
                             ("re-import", {})):  # fmt: skip
            cpu, kids = time.process_time(), _children_cpu()
            report = await import_ledger(engine, csv_path, **kwargs)  # type: ignore[arg-type]
            main_cpu = time.process_time() - cpu  # this process, every thread
            workers = _children_cpu() - kids  # the parsing worker processes (not the PG server)
            cpu = main_cpu + workers
            rate = report.rows_read / report.seconds
            mark = "ok" if rate >= GOAL or what == "dry run" else "BELOW GOAL"
            print(
                f"{label:<10} {what:<13} {report.rows_read:>8,} rows {report.seconds:7.2f} s "
                f"{rate:>9,.0f} rows/s (cpu {cpu:6.2f} s = main {main_cpu:.2f} + workers "
                f"{workers:.2f}; {report.rows_read / cpu:>7,.0f} rows per cpu-s)  "
                f"ins {report.inserted:,} upd {report.updated:,} "
                f"same {report.unchanged:,} bad {len(report.bad_rows)}  [{mark}]"
            )
        async with engine.connect() as conn:
            n_res = (await conn.execute(select(func.count()).select_from(Resident))).scalar_one()
            n_ph = (await conn.execute(select(func.count()).select_from(Phone))).scalar_one()
        print(f"{label:<10} stored: {n_res:,} residents, {n_ph:,} phones (file: {rows:,} rows)")
    finally:
        await engine.dispose()


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        csv_path = Path(tmp) / "ledger.csv"
        t0 = time.perf_counter()
        rows = write_ledger_csv(csv_path, args.rows, seed=args.seed, encoding=args.encoding)
        size = csv_path.stat().st_size / 1e6
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on "
              f"{os.cpu_count()} cores")  # fmt: skip
        print(f"generated {rows:,} rows ({size:.1f} MB, {args.encoding}) in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        await bench_db("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", csv_path, rows)
        if args.no_pg:
            return
        name = f"cti_bench_import_{os.getpid()}"
        await _admin(args.pg_url, f"CREATE DATABASE {name}")
        try:
            url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
            await bench_db("postgresql", url, csv_path, rows)
        finally:
            await _admin(args.pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--encoding", default="utf-8-sig", choices=("utf-8-sig", "cp932"))
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
