"""Several instances under load: N operators spread over two ``cti-server`` processes on one
PostgreSQL database and a Redis bus, calls/s from the PBX simulator.

    .venv/bin/python bench/bench_instances.py       # short: 60 s, 100 operators, 10 calls/s
    .venv/bin/python bench/bench_instances.py --operators 500 --rate 50 --duration 600

Instance 0 holds the PBX link (``--ami-on-all``: every instance does, the failover set-up); the
operators connect round-robin, so half of them are popped through the bus. This process runs the
simulator and the operator sockets. Pop latency is per (call, operator), from the moment the
simulator writes ``AgentCalled`` to the moment the pop for that call is read from that
operator's socket (one clock), split by whether the operator's instance holds the PBX link.
Prints p50/p90/p99/max, rings without a pop, sockets lost, ERROR lines in the servers' logs, and
each instance's RSS over time. A scratch database ``bench_instances_<pid>`` is made and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import itertools
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cti_server import protocol
from cti_server.config import Settings
from cti_server.sim.server import PbxSimulator
from cti_server.web.tokens import Principal, TokenSigner
from registry.db import create_engine, migrate, session_factory
from registry.models import Operator, Phone
from registry.seed.load import seed_database
from tests.integration.instances import SECRET, Instance, bus_env, server_env


async def admin(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def prepare(db_url: str, residents: int, operators: int) -> list[str]:
    engine = create_engine(db_url)
    await migrate(engine)
    await seed_database(engine, residents, seed=3)
    async with session_factory(engine)() as s:
        s.add_all(
            Operator(
                id=i + 1,
                username=f"op{1001 + i}",
                password_hash="x",
                role="operator",
                extension=str(1001 + i),
            )
            for i in range(operators)
        )
        await s.commit()
        await s.execute(
            text("SELECT setval(pg_get_serial_sequence('operators', 'id'), :n)"), {"n": operators}
        )
        await s.commit()
        e164s = await s.scalars(select(Phone.e164).where(Phone.e164.is_not(None)).limit(3000))
        numbers = [f"0{n[3:]}" if n.startswith("+81") else n for n in e164s.all()]
    await engine.dispose()
    return numbers + ["anonymous", "", "0120444444"] * 20


class Sockets:
    """The operators' sockets and what they received."""

    def __init__(self) -> None:
        self.received: dict[tuple[str, str], float] = {}
        self.lost = 0  # sockets that ended before the run did
        self.stop = asyncio.Event()

    async def operator(self, http: aiohttp.ClientSession, base: str, token: str, ext: str) -> None:
        try:
            async with http.ws_connect(
                f"{base}/ws", headers={"Authorization": f"Bearer {token}"}, heartbeat=None
            ) as ws:
                async for msg in ws:
                    now = time.monotonic()
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    if '"screen_pop"' not in msg.data:
                        continue
                    pop = protocol.decode(msg.data)
                    if pop.call.extension == ext:
                        self.received.setdefault((pop.call.linkedid, ext), now)
        except (aiohttp.ClientError, OSError):
            pass
        if not self.stop.is_set():
            self.lost += 1


async def wait_healthy(http: aiohttp.ClientSession, inst: Instance) -> None:
    for _ in range(240):
        try:
            async with http.get(f"{inst.url}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.25)
    raise SystemExit(f"{inst.server_id} did not become healthy:\n" + "\n".join(inst.log[-20:]))


def quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49]:.1f} ms, p90 {q[89]:.1f} ms, p99 {q[98]:.1f} ms, max {max(values):.1f} ms"


async def run(args: argparse.Namespace) -> None:
    name = f"bench_instances_{__import__('os').getpid()}"
    db_url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
    await admin(args.pg_url, f"DROP DATABASE IF EXISTS {name}")
    await admin(args.pg_url, f"CREATE DATABASE {name}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-instances-"))
    instances: list[Instance] = []
    sim: PbxSimulator | None = None
    try:
        t0 = time.perf_counter()
        numbers = await prepare(db_url, args.residents, args.operators)
        print(f"ledger: {args.residents} residents seeded in {time.perf_counter() - t0:.1f} s "
              f"(PostgreSQL {name})")  # fmt: skip
        gc.freeze()

        called: dict[tuple[str, str], float] = {}
        settings = Settings()
        sim = PbxSimulator(username="cti", secret="cti-secret", agents=args.operators,
                           ring_timeout=8.0, speed=args.speed)  # fmt: skip
        emit = sim.emit

        def timed_emit(pairs):  # type: ignore[no-untyped-def]
            emit(pairs)
            fields = dict(pairs)
            if fields.get("Event") == "AgentCalled":
                ext = settings.extension_of(
                    fields.get("Interface", ""), fields.get("MemberName", "")
                )
                called[(fields.get("Linkedid", ""), ext or "")] = time.monotonic()

        sim.emit = timed_emit  # type: ignore[method-assign]
        ami_port = await sim.start("127.0.0.1", 0)
        bus = bus_env(args.redis_url)
        extra = {"CTI_WS_QUEUE_SIZE": "1024",
                 "CTI_AFTER_CALL_ENABLED": "false"}  # fmt: skip
        for i in range(args.instances):
            port = ami_port if (i == 0 or args.ami_on_all) else None
            env = server_env(db_url, port, **bus, **extra)
            inst = Instance(f"bench-{i}", env, tmp / f"var{i}")
            instances.append(await inst.start())
        signer = TokenSigner([SECRET], 3600)
        sockets = Sockets()
        home: dict[str, int] = {}  # ext -> index of its instance
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as http:
            for inst in instances[: 1 if not args.ami_on_all else None]:
                await wait_healthy(http, inst)
            tasks = []
            for i in range(args.operators):
                ext = str(1001 + i)
                home[ext] = i % len(instances)
                tok = signer.issue(Principal(i + 1, f"op{ext}", "operator", ext))
                base = instances[home[ext]].url
                tasks.append(asyncio.create_task(sockets.operator(http, base, tok, ext)))
            await asyncio.sleep(2.0)
            rss: list[tuple[float, list[int]]] = [(0.0, [x.rss_kib() for x in instances])]
            rng = random.Random(5)
            placed, t_start = 0, time.monotonic()
            next_at, next_sample = t_start, t_start + args.sample
            while time.monotonic() - t_start < args.duration:
                next_at += rng.expovariate(args.rate)
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                sim.place_call(rng.choice(numbers), talk=rng.uniform(20, 60),
                               ring=rng.uniform(0.2, 0.6), patience=600.0)  # fmt: skip
                placed += 1
                if time.monotonic() >= next_sample:
                    rss.append((time.monotonic() - t_start, [x.rss_kib() for x in instances]))
                    next_sample += args.sample
            elapsed = time.monotonic() - t_start
            await asyncio.sleep(3.0)  # the last pops arrive
            rss.append((time.monotonic() - t_start, [x.rss_kib() for x in instances]))
            stopped_at = time.monotonic()
            sockets.stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for inst in instances:
            await inst.stop()
        if sim is not None:
            await sim.stop()
        await admin(args.pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        shutil.rmtree(tmp, ignore_errors=True)

    # rings up to a second before the sockets close: calls still queued when the traffic stops
    # keep ringing agents after it, and their pops cannot be received any more
    rings = {k: t for k, t in called.items() if k[1] and t <= stopped_at - 1.0}
    late = sum(1 for k, t in called.items() if k[1] and t > stopped_at - 1.0)
    local, remote = [], []
    for key, t in rings.items():
        if key in sockets.received:
            ms = (sockets.received[key] - t) * 1000
            (local if home.get(key[1]) == 0 or args.ami_on_all else remote).append(ms)
    missing = sum(1 for k in rings if k not in sockets.received)
    unpopped = [k for k in rings if k not in sockets.received]
    missing_remote = sum(1 for k in unpopped if home.get(k[1]) != 0 and not args.ami_on_all)
    errors = sum(1 for inst in instances for line in inst.log if " ERROR " in line)
    warnings = sum(1 for inst in instances for line in inst.log if " WARNING " in line)
    print(f"instances: {args.instances} ({'all' if args.ami_on_all else 'instance 0'} on the "
          f"PBX link); operators: {args.operators}; calls placed: {placed} in {elapsed:.1f} s "
          f"({placed / elapsed:.1f}/s); agent rings: {len(rings)}")  # fmt: skip
    print(f"pop, operator on the PBX-link instance ({len(local)}): {quantiles(local)}")
    if remote:
        print(f"pop, operator on another instance, through Redis ({len(remote)}): "
              f"{quantiles(remote)}")  # fmt: skip
    print(f"pop, all ({len(local) + len(remote)}): {quantiles(local + remote)}")
    print(f"errors: rings without a pop {missing} ({missing_remote} on another instance), "
          f"sockets lost {sockets.lost}, rings left out as too late to see {late}, "
          f"ERROR log lines {errors} (WARNING {warnings})")  # fmt: skip
    print("RSS (MB) over time: " + "; ".join(
        f"{t:.0f} s " + "/".join(f"{k / 1024:.0f}" for k in ks) for t, ks in rss
    ))  # fmt: skip
    for i, inst in enumerate(instances):
        first, last = rss[1][1][i] if len(rss) > 2 else rss[0][1][i], rss[-1][1][i]
        print(
            f"  {inst.server_id}: {rss[0][1][i] / 1024:.0f} MB with sockets, "
            f"{first / 1024:.0f} MB at the first sample, {last / 1024:.0f} MB at the end"
        )
    for inst in instances:
        errors = [i for i, ln in enumerate(inst.log) if " ERROR " in ln][:3]
        for i in errors:  # each with its traceback (the lines up to the next log line)
            tail = itertools.takewhile(lambda ln: ln[:2] != "20", inst.log[i + 1 : i + 40])
            for line in [inst.log[i], *tail]:
                print(f"  {inst.server_id}: {line}")
        kinds = collections.Counter(
            ln.split(" WARNING ", 1)[1][:70] for ln in inst.log if " WARNING " in ln
        )
        for kind, n in kinds.most_common(5):
            print(f"  {inst.server_id}: {n} x WARNING {kind}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--operators", type=int, default=100)
    ap.add_argument("--rate", type=float, default=10.0, help="new calls per second")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of traffic")
    ap.add_argument("--instances", type=int, default=2)
    ap.add_argument("--ami-on-all", action="store_true", help="every instance holds a PBX link")
    ap.add_argument("--residents", type=int, default=5_000)
    ap.add_argument("--speed", type=float, default=20.0, help="simulator time factor")
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples")
    ap.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="an admin URL of the PostgreSQL server (a scratch database is made)",
    )
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
