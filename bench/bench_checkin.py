"""Scans per second the check-in endpoint takes (goal: at least 200/s), over real HTTP.

Runs the real server in-process on port 0, on SQLite (a temp dir) and on PostgreSQL (a scratch
database ``cti_bench_checkin_<pid>`` made on the ``--pg-url`` server and dropped after; or the
one database ``--database-url`` names, which must be empty and migrated or new), books
``--residents`` residents into one long slot of today at one venue, then ``--desks`` reception
desks post scans at once from their own process, each desk one scan after the other as a page
does (its queue sends in order, and it reads the tally after each answer, unless
``--no-tally``): every resident once, plus a share of second scans (already checked in) and of
mistyped barcodes. Prints scans/s, whether the goal is met, the server's
CPU per scan, how many scans went per transaction (the server answers the scans that arrive
together in one), and latency percentiles per outcome. Not a test.

    .venv/bin/python bench/bench_checkin.py [--db sqlite postgresql] [--residents 2000] [--desks 8]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import insert, update
from sqlalchemy.engine import make_url

from cti_server.web.app import create_app
from registry.db import create_engine, migrate, session_factory
from registry.models import Booking, Resident, Slot
from registry.normalize.barcode import make_barcode
from registry.venues import create_slot, create_venue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers
from tests.integration.web_helpers import auth, make_settings, token


async def seed(url: str, residents: int) -> tuple[int, list[str]]:
    engine = create_engine(url)
    await migrate(engine)
    now = dt.datetime.now(dt.UTC)
    async with session_factory(engine)() as s:
        venue = await create_venue(s, "ベンチ会場", "舞鶴市")
        slot = await create_slot(s, venue.venue_id, now - dt.timedelta(minutes=10),
                                 now + dt.timedelta(hours=6), residents)  # fmt: skip
        codes = [make_barcode(800_000 + i) for i in range(residents)]
        rows = [
            {"person_no": f"B{i:08d}", "name": f"試験 {i}", "name_kana": "シケン", "barcode": c,
             "birth_date": dt.date(1940, 1, 1), "sex": "F", "address": "舞鶴市",
             "name_key": "試験", "kana_key": "シケン"}
            for i, c in enumerate(codes)
        ]  # fmt: skip
        await s.execute(insert(Resident), rows)
        ids = list((await s.scalars(Resident.__table__.select().with_only_columns(Resident.id)
                                    .order_by(Resident.id))).all())  # fmt: skip
        await s.execute(insert(Booking), [
            {"resident_id": r, "slot_id": slot.slot_id, "dose": 1, "status": "booked",
             "channel": "assigned"} for r in ids
        ])  # fmt: skip
        await s.execute(update(Slot).where(Slot.id == slot.slot_id).values(booked=residents))
        await s.commit()
    await engine.dispose()
    return venue.venue_id, codes


def mistype(code: str) -> str:
    i = next(i for i in range(len(code) - 1) if code[i] != code[i + 1])
    return code[:i] + code[i + 1] + code[i] + code[i + 2 :]


async def desk(
    session: aiohttp.ClientSession, base: str, headers: dict[str, str], name: str,
    codes: list[str], out: list[tuple[str, float]], tally: bool,
) -> None:  # fmt: skip
    for n, code in enumerate(codes):
        body = {"scan_id": f"{name}-{n}", "barcode": code, "desk": name}
        t0 = time.perf_counter()
        async with session.post(f"{base}/api/reception/checkins", json=body,
                                headers=headers) as resp:  # fmt: skip
            data = await resp.json()
            assert resp.status == 200, data
        out.append((data["outcome"], time.perf_counter() - t0))
        if tally:  # the page reads the tally after every answer
            async with session.get(f"{base}/api/reception", headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                await resp.read()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * len(values)) - 1)] * 1000


async def load(args: argparse.Namespace) -> None:
    """The desks, in their own process (``--load``): the server's process only serves."""
    job = json.loads(await asyncio.to_thread(Path(args.load).read_text))
    out: list[tuple[str, float]] = []
    shares = [job["scans"][i :: args.desks] for i in range(args.desks)]
    conn = aiohttp.TCPConnector(limit=args.desks)
    headers = auth(job["token"])
    async with aiohttp.ClientSession(connector=conn) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(desk(session, job["base"], headers, f"desk{i}", share, out,
                                    not args.no_tally)
                               for i, share in enumerate(shares)))  # fmt: skip
        wall = time.perf_counter() - t0
    print(json.dumps({"wall": wall, "out": out}))


GOAL = 200.0  # scans per second


def queue_of(app: web.Application) -> Any:
    """The server's check-in queue (its transaction count), if it has one."""
    try:
        from cti_server.web.checkin_queue import CHECKIN_QUEUE
    except ImportError:  # an older server: a transaction per scan
        return None
    return app[CHECKIN_QUEUE]


PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def pg_admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database)  # fmt: skip
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(args: argparse.Namespace, url: str, kind: str) -> tuple[str, float]:
    """One database's run; prints its figures; its scans per second."""
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        venue_id, codes = await seed(url, args.residents)
        rng = random.Random(7)
        scans = list(codes)
        scans += rng.sample(codes, int(args.rescans * len(codes)))
        scans += [mistype(c) for c in rng.sample(codes, int(args.mistyped * len(codes)))]
        rng.shuffle(scans)
        app = create_app(make_settings(url), load_name_index=False)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        try:
            tok = await token(app, 900, role="reception", ext=None, venue_id=venue_id)
            base = str(server.make_url("")).rstrip("/")
            job = Path(tmp) / "job.json"
            job.write_text(json.dumps({"base": base, "token": tok, "scans": scans}))
            queue = queue_of(app)
            batches0 = queue.batches if queue is not None else 0
            cpu0 = time.process_time()
            flags = ["--no-tally"] if args.no_tally else []
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--load", str(job), "--desks", str(args.desks),
                *flags, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            raw, _ = await proc.communicate()
            cpu = time.process_time() - cpu0
            batches = queue.batches - batches0 if queue is not None else 0
        finally:
            await server.close()
    result = json.loads(raw)
    wall, out = result["wall"], [(o, x) for o, x in result["out"]]
    load1 = os.getloadavg()[0]
    rate = len(out) / wall
    met = rate >= GOAL
    reads = "no tally reads" if args.no_tally else "each followed by a tally read"
    print(f"{kind}, {args.residents} residents booked, {args.desks} desks, {len(out)} scans "
          f"{reads} (load average {load1:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    print(f"  {rate:8.1f} scans/s  (wall {wall:.2f} s)  goal >= {GOAL:.0f}/s: "
          f"{'MET' if met else 'NOT MET'}")  # fmt: skip
    print(f"  server CPU {cpu * 1000 / len(out):.2f} ms per scan: "
          f"{len(out) / cpu:.0f} scans/s per core fully used")  # fmt: skip
    if batches:
        print(f"  {batches} transactions, {len(out) / batches:.1f} scans each on average")
    lat = [x for _, x in out]
    print(f"  latency p50 {pct(lat, 50):6.1f} ms  p90 {pct(lat, 90):6.1f} ms  "
          f"p99 {pct(lat, 99):6.1f} ms  mean {statistics.fmean(lat) * 1000:6.1f} ms")  # fmt: skip
    for outcome in sorted({o for o, _ in out}):
        xs = [x for o, x in out if o == outcome]
        print(f"  {outcome:<20} {len(xs):6d}  p50 {pct(xs, 50):6.1f} ms  p99 {pct(xs, 99):6.1f} ms")
    checked = sum(1 for o, _ in out if o == "checked_in")
    assert checked == len(codes), f"{checked} checked in of {len(codes)}"
    return kind, rate


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", nargs="+", choices=("sqlite", "postgresql"),
                    default=["sqlite", "postgresql"])  # fmt: skip
    ap.add_argument("--pg-url", default=PG_URL, help="a PostgreSQL server's admin URL")
    ap.add_argument("--database-url", default="",
                    help="instead of --db: this one (new or empty) database")  # fmt: skip
    ap.add_argument("--residents", type=int, default=2000)
    ap.add_argument("--desks", type=int, default=8)
    ap.add_argument("--rescans", type=float, default=0.1, help="share scanned a second time")
    ap.add_argument("--mistyped", type=float, default=0.05, help="share of mistyped scans")
    ap.add_argument("--no-tally", action="store_true",
                    help="desks do not read the tally after each scan (the page does)")  # fmt: skip
    ap.add_argument("--load", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load:
        return await load(args)
    met: list[tuple[str, float]] = []
    if args.database_url:
        kind = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
        met.append(await run(args, args.database_url, kind))
    else:
        for db in args.db:
            if db == "sqlite":
                met.append(await run(args, "", "SQLite"))
                continue
            name = f"cti_bench_checkin_{os.getpid()}"
            await pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {name}")
            await pg_admin(args.pg_url, f"CREATE DATABASE {name}")
            try:
                url = make_url(args.pg_url).set(database=name)
                met.append(await run(args, url.render_as_string(hide_password=False),
                                     "PostgreSQL"))  # fmt: skip
            finally:
                await pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    figures = ", ".join(f"{kind} {rate:.0f}/s" for kind, rate in met)
    verdict = "MET" if all(rate >= GOAL for _, rate in met) else "NOT MET"
    print(f"goal >= {GOAL:.0f} scans/s: {verdict} ({figures})")


if __name__ == "__main__":
    asyncio.run(main())
