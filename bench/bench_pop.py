"""Screen-pop latency under load: N operators on WebSockets, R new calls/s from the simulator.

    .venv/bin/python bench/bench_pop.py [--operators 200] [--rate 20] [--duration 30]

The server runs as its own process (``python -m cti_server``) on a seeded SQLite ledger; this
process runs the PBX simulator and the operator sockets. Latency is measured per (call, operator)
from the moment the simulator writes the ``AgentCalled`` bytes to the socket to the moment the
ringing ``screen_pop`` for that call is read from that operator's socket (CLOCK_MONOTONIC is
shared by both processes). Prints p50/p90/p99/max, events/s ingested, and the server's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import select

from cti_server import protocol
from cti_server.config import Settings
from cti_server.sim.server import PbxSimulator
from cti_server.web.tokens import Principal, TokenSigner
from registry.db import create_engine, migrate, session_factory
from registry.models import Operator, Phone
from registry.seed.load import seed_database


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def prepare(db_url: str, residents: int, operators: int) -> list[str]:
    engine = create_engine(db_url)
    await migrate(engine)
    await seed_database(engine, residents, seed=3)
    async with session_factory(engine)() as s:
        # the accounts the operator sockets log in as (a token names an existing account)
        s.add_all(
            Operator(id=i + 1, username=f"op{1001 + i}", password_hash="x", role="operator")
            for i in range(operators)
        )
        await s.commit()
        e164s = await s.scalars(select(Phone.e164).where(Phone.e164.is_not(None)).limit(3000))
        numbers = [f"0{n[3:]}" if n.startswith("+81") else n for n in e164s.all()]
    await engine.dispose()
    return numbers + ["anonymous", "", "0120444444"] * 20


async def ingested(http: aiohttp.ClientSession, base: str) -> float:
    async with http.get(f"{base}/metrics") as resp:
        text = await resp.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("cti_events_ingested_total{")
    )


async def operator(http, base, token, ext, received, stop):  # type: ignore[no-untyped-def]
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
            if pop.call.extension == ext:  # ringing, or answered if that came first
                received.setdefault((pop.call.linkedid, ext), now)
            if stop.is_set():
                break


async def wait_healthy(http: aiohttp.ClientSession, base: str, proc: subprocess.Popen) -> None:
    for _ in range(240):
        if proc.poll() is not None:
            raise SystemExit("the server exited")
        try:
            async with http.get(f"{base}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.25)
    raise SystemExit("the server did not become healthy (AMI link?)")


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-pop-"))
    db_url = f"sqlite:///{tmp / 'ledger.sqlite3'}"
    t0 = time.perf_counter()
    numbers = await prepare(db_url, args.residents, args.operators)
    print(f"ledger: {args.residents} residents seeded in {time.perf_counter() - t0:.1f} s")
    gc.freeze()  # the bench's own seeded ledger must not add collector pauses to the figures

    called: dict[tuple[str, str], float] = {}
    settings = Settings()
    # speed: the simulator polls its queue every 0.5 simulated seconds and rings only the head
    # caller; running it 20x faster lets 20 calls/s reach the agents (durations are simulated)
    sim = PbxSimulator(
        username="cti", secret="bench", agents=args.operators, ring_timeout=8.0, speed=args.speed
    )
    emit = sim.emit

    def timed_emit(pairs):  # type: ignore[no-untyped-def]
        emit(pairs)  # queued to the session writers; the write follows within this loop turn
        fields = dict(pairs)
        if fields.get("Event") == "AgentCalled":
            ext = settings.extension_of(fields.get("Interface", ""), fields.get("MemberName", ""))
            called[(fields.get("Linkedid", ""), ext or "")] = time.monotonic()

    sim.emit = timed_emit  # type: ignore[method-assign]
    port = await sim.start("127.0.0.1", 0)
    http_port, secret = args.http_port, secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "CTI_DATABASE_URL": db_url,
        "CTI_SECRET_KEY": secret,
        "CTI_AMI_PORT": str(port),
        "CTI_AMI_SECRET": "bench",
        "CTI_HTTP_PORT": str(http_port),
        "CTI_LOG_LEVEL": "WARNING",
        "CTI_WS_QUEUE_SIZE": "1024",
    }
    proc = subprocess.Popen([sys.executable, "-m", "cti_server"], env=env)  # noqa: ASYNC220
    base = f"http://127.0.0.1:{http_port}"
    signer = TokenSigner([secret], 3600)
    received: dict[tuple[str, str], float] = {}
    stop = asyncio.Event()
    try:
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as http:
            await wait_healthy(http, base, proc)
            rss0 = rss_mb(proc.pid)
            tasks = []
            for i in range(args.operators):
                ext = str(1001 + i)
                tok = signer.issue(Principal(i + 1, f"op{ext}", "operator", ext))
                tasks.append(asyncio.create_task(operator(http, base, tok, ext, received, stop)))
            await asyncio.sleep(1.0)
            ev0, t_start = await ingested(http, base), time.monotonic()
            rng = random.Random(5)
            placed, next_at = 0, time.monotonic()
            while time.monotonic() - t_start < args.duration:
                next_at += rng.expovariate(args.rate)
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                # the caller number is first seen ~1 ms before AgentCalled here, so the
                # ledger lookup is on the measured path (the worst case; in real queues the
                # caller waits and the lookup is done before any agent rings)
                sim.place_call(
                    rng.choice(numbers),
                    talk=rng.uniform(20, 60),
                    ring=rng.uniform(0.2, 0.6),
                    patience=600.0,
                )
                placed += 1
            elapsed = time.monotonic() - t_start
            ev1 = await ingested(http, base)
            async with http.get(f"{base}/metrics") as resp:
                hist = {
                    ln.split(" ")[0]: float(ln.split(" ")[1])
                    for ln in (await resp.text()).splitlines()
                    if ln.startswith("cti_lookup_latency_seconds_")
                }
            rss1 = rss_mb(proc.pid)
            await asyncio.sleep(1.0)
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        await sim.stop()

    lat = sorted((received[k] - t) * 1000 for k, t in called.items() if k in received)
    missing = sum(1 for k in called if k not in received)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [float("nan")] * 99
    print(
        f"operators connected: {args.operators}; calls placed: {placed} in {elapsed:.1f} s "
        f"({placed / elapsed:.1f}/s); agent rings: {len(called)}; pops matched: {len(lat)}; "
        f"rings without a pop: {missing}"
    )
    print(
        f"AgentCalled -> pop on the operator socket: p50 {q[49]:.2f} ms, p90 {q[89]:.2f} ms, "
        f"p99 {q[98]:.2f} ms, max {max(lat, default=float('nan')):.2f} ms"
    )
    print(
        f"server ingested {ev1 - ev0:.0f} domain events in {elapsed:.1f} s "
        f"({(ev1 - ev0) / elapsed:.0f}/s at this load)"
    )
    n = hist.get("cti_lookup_latency_seconds_count", 0.0)
    under = {
        le: hist.get(f'cti_lookup_latency_seconds_bucket{{le="{le}"}}', 0.0)
        for le in ("0.005", "0.01", "0.05")
    }
    print(
        f"ledger lookups: {n:.0f}, mean "
        f"{1000 * hist.get('cti_lookup_latency_seconds_sum', 0.0) / max(n, 1):.2f} ms; "
        + ", ".join(f"<= {float(le) * 1000:g} ms: {c / max(n, 1):.0%}" for le, c in under.items())
    )
    print(f"server RSS: {rss0:.1f} MB idle with {args.operators} sockets, {rss1:.1f} MB after")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--operators", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--residents", type=int, default=20_000)
    ap.add_argument("--http-port", type=int, default=18099)
    ap.add_argument("--speed", type=float, default=20.0, help="simulator time factor")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
