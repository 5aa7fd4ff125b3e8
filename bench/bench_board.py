"""From a queue event to the board update received by 20 connected supervisors: p50/p99.

Runs the real server in-process (SQLite in a temp dir, a fake PBX bridge), connects N
supervisor WebSockets, then applies queue events (a caller joining the queue) through the
call service as the AMI bridge would, and times until every supervisor has the BoardUpdate
that shows it. Two modes: events spaced wider than the coalescing window (pure latency), and a
steady 20 events/s (latency including coalescing). Prints figures; not a test.

    .venv/bin/python bench/bench_board.py [--supervisors 20] [--events 200]
                                          [--intervals 0.25 0.15]

``--intervals``: the coalescing windows (``BoardService.min_interval``) to run, one after the
other in the same process (the server's default first, unless given): their figures compare.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.board_app import BOARD
from cti_server.web.keys import SERVICE
from registry.db import create_engine, migrate
from tests.integration.web_helpers import FakeBridge, incoming, make_settings, token

DECODE: list[float] = []  # seconds per decoded BoardUpdate


async def reader(ws, got: dict[int, list[float]]) -> None:
    """Keeps (arrival time, text) and decodes after the socket closes: the N supervisors share
    this one process, where decoding each update as it comes would queue the later sockets
    behind the earlier ones' decoding (real clients decode in parallel, each its own)."""
    raw: list[tuple[float, str]] = []
    try:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            raw.append((time.perf_counter(), msg.data))
    finally:
        for arrived, text in raw:
            t0 = time.perf_counter()
            m = protocol.decode(text)
            DECODE.append(time.perf_counter() - t0)
            if isinstance(m, protocol.BoardUpdate) and m.board.queues:
                got.setdefault(m.board.queues[0].today.offered, []).append(arrived)


async def run(
    n_sup: int, n_events: int, spacing: float, label: str, db: Path, interval: float | None
) -> None:
    engine = create_engine(f"sqlite:///{db}")
    await migrate(engine)
    app = create_app(make_settings(f"sqlite:///{db}"), engine=engine, bridge=FakeBridge(),
                     load_name_index=False)  # fmt: skip
    if interval is not None:
        app[BOARD].min_interval = interval
    label = f"{label}, window {app[BOARD].min_interval * 1000:.0f} ms"
    server = TestServer(app)
    await server.start_server()
    session = aiohttp.ClientSession()
    got: dict[int, list[float]] = {}
    sockets, tasks = [], []
    for i in range(n_sup):
        bearer = await token(app, 100 + i, role="supervisor", ext=None)
        ws = await session.ws_connect(
            server.make_url("/ws"), headers={"Authorization": f"Bearer {bearer}"}
        )
        await ws.send_str(protocol.encode(protocol.SubscribeBoard()))
        sockets.append(ws)
        tasks.append(asyncio.create_task(reader(ws, got)))
    await asyncio.sleep(0.5)
    service = app[SERVICE]
    sent: dict[int, float] = {}
    for k in range(1, n_events + 1):
        sent[k] = time.perf_counter()
        service.on_event(incoming(f"bench-{label}-{k}", "0773621234"))
        await asyncio.sleep(spacing)
    await asyncio.sleep(1.0)
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks)  # each reader decodes what it received
    lat = []
    for k, t0 in sent.items():  # an update showing >= k offered carries event k
        firsts = [min(ts) for n, ts in got.items() if n >= k and len(ts) >= 1]
        if firsts:
            arrivals = sorted(t for n, ts in got.items() if n >= k for t in ts)[:n_sup]
            lat.extend((t - t0) * 1000 for t in arrivals)
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    updates = sum(len(v) for v in got.values()) // n_sup
    print(
        f"{label}: {n_sup} supervisors, {n_events} events, {updates} updates each; "
        f"event->update ms p50 {p(0.5):.1f} p90 {p(0.9):.1f} p99 {p(0.99):.1f} max {lat[-1]:.1f}; "
        f"client decode {1000 * sum(DECODE) / max(1, len(DECODE)):.2f} ms per update"
    )
    DECODE.clear()
    await session.close()
    await server.close()
    await engine.dispose()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--supervisors", type=int, default=20)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--intervals", type=float, nargs="+", default=[None])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for i, w in enumerate(args.intervals):
            a, b = Path(tmp) / f"a{i}.sqlite3", Path(tmp) / f"b{i}.sqlite3"
            await run(args.supervisors, args.events, 0.3, "spaced 300 ms", a, w)
            await run(args.supervisors, args.events, 0.05, "20 events/s", b, w)


if __name__ == "__main__":
    asyncio.run(main())
