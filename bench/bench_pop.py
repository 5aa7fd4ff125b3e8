"""Screen-pop latency under load: N operators on WebSockets, R new calls/s from the simulator.

    .venv/bin/python bench/bench_pop.py [--operators 200] [--rate 20] [--duration 30]
                                        [--profile OUT.txt]

The server runs as its own process (the same wiring as ``cti-server``) on a seeded SQLite ledger;
this process runs the PBX simulator and the operator sockets. Latency is measured per (call,
operator) from the moment the simulator writes the ``AgentCalled`` bytes to the socket to the
moment the ringing ``screen_pop`` for that call is read from that operator's socket
(CLOCK_MONOTONIC is shared by the processes).

The floor runs in the same run: a bare aiohttp server in a process of its own, logged in to the
same simulator (so it reads the same AMI frames), to which every operator also holds a socket; on
each ``AgentCalled`` it sends a small JSON pop to that operator's socket. Both are measured on the
same calls, and the ratio server / floor is printed for p50 and p99.

Both servers listen on sockets this process binds to port 0 (ephemeral) and hands down.
``--profile OUT.txt`` runs the server under pyinstrument (the ``dev`` extra) and writes its text
report there when the run ends.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import select

from cti_server import protocol
from cti_server.config import Settings
from cti_server.sim.server import PbxSimulator
from cti_server.web.tokens import Principal, TokenSigner
from registry.db import create_engine, migrate, session_factory
from registry.models import Operator, Phone
from registry.seed.load import seed_database


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


async def floor_operator(http, base, ext, received, stop):  # type: ignore[no-untyped-def]
    async with http.ws_connect(f"{base}/ws?ext={ext}", heartbeat=None) as ws:
        async for msg in ws:
            now = time.monotonic()
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            pop = json.loads(msg.data)
            received.setdefault((pop["linkedid"], ext), now)
            if stop.is_set():
                break


# ------------------------------------------------------------------------- the two servers


def serve_cti(fd: int) -> None:
    """The CTI server, wired as ``cti-server`` does, on the listening socket ``fd``."""
    from cti_server.bootstrap import bootstrap
    from cti_server.config import load_settings, with_secret_key
    from cti_server.web.app import app_of

    settings, _ = with_secret_key(load_settings(None, os.environ))
    logging.basicConfig(level=settings.log_level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    out = os.environ.get("BENCH_PROFILE")
    profiler = None
    if out:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
    sock = socket.socket(fileno=fd)
    web.run_app(app_of(bootstrap(settings)), sock=sock, print=None, shutdown_timeout=5.0)
    if profiler is not None:
        profiler.stop()
        Path(out).write_text(profiler.output_text(unicode=True, show_all=False))


def serve_floor(fd: int, ami_port: int, secret: str) -> None:
    """The floor: AMI frames in, a small JSON pop out to the ringing operator's sockets."""
    settings = Settings()

    async def main() -> None:
        by_ext: dict[str, set[web.WebSocketResponse]] = {}
        ready = asyncio.Event()

        async def ws_handler(request: web.Request) -> web.WebSocketResponse:
            ext = request.query["ext"]
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            by_ext.setdefault(ext, set()).add(ws)
            try:
                async for _ in ws:
                    pass
            finally:
                by_ext[ext].discard(ws)
            return ws

        async def health(request: web.Request) -> web.Response:
            return web.Response(status=200 if ready.is_set() else 503)

        app = web.Application()
        app.router.add_get("/ws", ws_handler)
        app.router.add_get("/healthz", health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, socket.socket(fileno=fd)).start()
        reader, writer = await asyncio.open_connection("127.0.0.1", ami_port)
        await reader.readline()  # the banner
        writer.write(
            f"Action: Login\r\nUsername: cti\r\nSecret: {secret}\r\nEvents: on\r\n\r\n".encode()
        )
        ready.set()
        while True:
            frame = await reader.readuntil(b"\r\n\r\n")
            if b"Event: AgentCalled\r\n" not in frame:
                continue
            fields = dict(
                line.split(": ", 1) for line in frame.decode().split("\r\n") if ": " in line
            )
            ext = settings.extension_of(fields.get("Interface", ""), fields.get("MemberName", ""))
            text = json.dumps(
                {"type": "screen_pop", "linkedid": fields.get("Linkedid", ""), "extension": ext}
            )
            for ws in list(by_ext.get(ext or "", ())):
                await ws.send_str(text)

    asyncio.run(main())


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


async def indexes_loaded(http: aiohttp.ClientSession, base: str, token: str) -> None:
    """Wait until the server's ledger indexes, name and phone, are loaded (``/healthz`` says
    so): their build must not run inside the measured window."""
    for _ in range(1200):
        async with http.get(f"{base}/healthz", headers={"Authorization": f"Bearer {token}"}) as r:
            if (await r.json()).get("indexes") == {"name": "ready", "phone": "ready"}:
                return
        await asyncio.sleep(0.1)
    raise SystemExit("the ledger indexes did not load in 120 s")


async def wait_healthy(http: aiohttp.ClientSession, base: str, proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
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
    secret = secrets.token_urlsafe(24)
    cti_sock, floor_sock = listening_socket(), listening_socket()
    env = {
        **os.environ,
        "CTI_DATABASE_URL": db_url,
        "CTI_SECRET_KEY": secret,
        "CTI_AMI_PORT": str(port),
        "CTI_AMI_SECRET": "bench",
        "CTI_LOG_LEVEL": "WARNING",
        "CTI_WS_QUEUE_SIZE": "1024",
        # after-call work is 30 s of real time by default: each operator would take one call
        # per run; 2 s lets the 200 operators take the 20 calls/s all run long
        "CTI_AFTER_CALL_SECONDS": str(args.after_call),
        "CTI_DATA_DIR": str(tmp / "var"),
    }
    if args.profile:
        env["BENCH_PROFILE"] = args.profile
    me = [sys.executable, args.script]
    proc = subprocess.Popen(  # noqa: ASYNC220
        [*me, "--serve-cti", str(cti_sock.fileno())], env=env, pass_fds=[cti_sock.fileno()]
    )
    floor = subprocess.Popen(  # noqa: ASYNC220
        [*me, "--serve-floor", str(floor_sock.fileno()), "--ami-port", str(port)],
        env=env,
        pass_fds=[floor_sock.fileno()],
    )
    base = f"http://127.0.0.1:{cti_sock.getsockname()[1]}"
    floor_base = f"http://127.0.0.1:{floor_sock.getsockname()[1]}"
    cti_sock.close()
    floor_sock.close()
    signer = TokenSigner([secret], 3600)
    received: dict[tuple[str, str], float] = {}
    floor_received: dict[tuple[str, str], float] = {}
    stop = asyncio.Event()
    try:
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as http:
            await wait_healthy(http, base, proc)
            await wait_healthy(http, floor_base, floor)
            rss0 = rss_mb(proc.pid)
            tasks = []
            for i in range(args.operators):
                ext = str(1001 + i)
                tok = signer.issue(Principal(i + 1, f"op{ext}", "operator", ext))
                tasks.append(asyncio.create_task(operator(http, base, tok, ext, received, stop)))
                tasks.append(
                    asyncio.create_task(floor_operator(http, floor_base, ext, floor_received, stop))
                )
            await indexes_loaded(
                http, base, signer.issue(Principal(1, "op1001", "operator", "1001"))
            )
            await asyncio.sleep(1.0)
            ev0, t_start = await ingested(http, base), time.monotonic()
            cpu0, fcpu0 = cpu_seconds(proc.pid), cpu_seconds(floor.pid)
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
            cpu1, fcpu1 = cpu_seconds(proc.pid), cpu_seconds(floor.pid)
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
        floor.terminate()
        proc.wait(timeout=30)
        floor.wait(timeout=15)
        await sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    lat = sorted((received[k] - t) * 1000 for k, t in called.items() if k in received)
    flat = sorted((floor_received[k] - t) * 1000 for k, t in called.items() if k in floor_received)
    missing = sum(1 for k in called if k not in received)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [float("nan")] * 99
    fq = statistics.quantiles(flat, n=100) if len(flat) >= 2 else [float("nan")] * 99
    print(
        f"operators connected: {args.operators}; calls placed: {placed} in {elapsed:.1f} s "
        f"({placed / elapsed:.1f}/s); agent rings: {len(called)}; pops matched: {len(lat)} "
        f"(floor {len(flat)}); rings without a pop: {missing}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(
        f"AgentCalled -> pop on the operator socket: p50 {q[49]:.2f} ms, p90 {q[89]:.2f} ms, "
        f"p99 {q[98]:.2f} ms, max {max(lat, default=float('nan')):.2f} ms"
    )
    print(
        f"floor (bare aiohttp, same frames, same calls): p50 {fq[49]:.2f} ms, "
        f"p90 {fq[89]:.2f} ms, p99 {fq[98]:.2f} ms, max {max(flat, default=float('nan')):.2f} ms"
    )
    print(f"server / floor: p50 {q[49] / fq[49]:.2f}x, p99 {q[98] / fq[98]:.2f}x")
    print(
        f"CPU per call placed (less load-dependent): server {(cpu1 - cpu0) / placed * 1000:.2f} "
        f"ms, floor {(fcpu1 - fcpu0) / placed * 1000:.2f} ms "
        f"({(cpu1 - cpu0) / elapsed:.0%} and {(fcpu1 - fcpu0) / elapsed:.0%} of a core)"
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
    ap.add_argument("--speed", type=float, default=20.0, help="simulator time factor")
    ap.add_argument("--after-call", type=int, default=2, help="after-call work, real seconds")
    ap.add_argument("--profile", metavar="OUT.txt", help="profile the server (pyinstrument)")
    ap.add_argument("--serve-cti", type=int, metavar="FD", help=argparse.SUPPRESS)
    ap.add_argument("--serve-floor", type=int, metavar="FD", help=argparse.SUPPRESS)
    ap.add_argument("--ami-port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_cti is not None:
        serve_cti(args.serve_cti)
    elif args.serve_floor is not None:
        serve_floor(args.serve_floor, args.ami_port, "bench")
    else:
        args.script = str(Path(__file__).resolve())
        if args.profile:
            args.profile = str(Path(args.profile).resolve())
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
