"""AMI messages through the whole socket path: messages/s (goal >= 25,000 on a quiet machine).

    .venv/bin/python bench/bench_ami.py [--repeat 30] [--residents 2000]

The real server (``create_app``: the AMI bridge, the call service with the tracker, the popper,
the board, the operators' states and the call recorder; a seeded SQLite ledger) logs in to the
PBX simulator over TCP. The recorded ``tests/fixtures/ami/11-burst.ami`` (30 calls, 1680
messages) is then sent ``--repeat`` times in one go, each copy with its own Uniqueids and
Linkedids (new calls), and the time is taken until the bridge has parsed and handled the last
message (handling is synchronous in the socket's read callback). Printed beside it, the same
bytes through ``FrameParser`` alone (the framing floor) and the translation to domain events
alone. The load average is printed: on a shared machine the figure moves with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestServer

from cti_server.ami.frames import FrameParser
from cti_server.ami.translate import translate
from cti_server.config import Settings
from cti_server.sim.server import PbxSimulator
from cti_server.web.app import create_app
from cti_server.web.keys import BRIDGE
from registry.db import create_engine, migrate
from registry.seed.load import seed_database

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ami" / "11-burst.ami"


def burst_body() -> bytes:
    """The recorded events without the banner and the login response."""
    data = FIXTURE.read_bytes()
    start = data.index(b"Event: ")
    return data[start:]


def copies(body: bytes, n: int) -> list[bytes]:
    """``n`` copies, the i-th with Uniqueids/Linkedids ``2xxxxx...`` (same length, new calls)."""
    return [body.replace(b"179573", f"{200000 + i:06d}".encode()) for i in range(n)]


async def run(args: argparse.Namespace) -> None:
    body = burst_body()
    per_copy = len(FrameParser().feed(body))
    blobs = copies(body, args.repeat)
    total = per_copy * args.repeat

    t0 = time.perf_counter()
    for blob in blobs:
        FrameParser().feed(blob)
    parse_rate = total / (time.perf_counter() - t0)
    msgs = [m for blob in blobs[:3] for m in FrameParser().feed(blob)]
    t0 = time.perf_counter()
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    for m in msgs:
        translate(m, now)
    translate_rate = len(msgs) / (time.perf_counter() - t0)

    tmp = Path(tempfile.mkdtemp(prefix="bench-ami-"))
    url = f"sqlite:///{tmp / 'ledger.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    await seed_database(engine, args.residents, seed=3, venues=False)
    sim = PbxSimulator(username="cti", secret="bench", agents=0)
    port = await sim.start("127.0.0.1", 0)
    settings = Settings(
        database_url=url, ami_port=port, ami_secret="bench", secret_key="x" * 32,
        data_dir=str(tmp / "var"), log_level="WARNING",
    )  # fmt: skip
    app = create_app(settings, engine=engine)
    server = TestServer(app, port=0)
    await server.start_server()
    try:
        bridge = app[BRIDGE]
        for _ in range(200):
            if bridge is not None and bridge.connected:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # the resync and the index loads
        proto = bridge._proto  # type: ignore[union-attr]
        start = proto.parser.messages + getattr(proto.parser, "skipped", 0)
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002, async_mode="disabled")
            profiler.start()
        t0 = time.perf_counter()
        for blob in blobs:
            sim.inject(blob)
        while proto.parser.messages + getattr(proto.parser, "skipped", 0) < start + total:  # noqa: ASYNC110 -- polled on purpose
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.stop()
            report = profiler.output_text(unicode=True)
            await asyncio.to_thread(Path(args.profile).write_text, report)
    finally:
        await server.close()
        await sim.stop()
        await engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"whole socket path (bridge, tracker, popper, board, agent states, recorder): "
        f"{total:,} messages in {elapsed:.2f} s = {total / elapsed:,.0f} messages/s"
    )
    print(
        f"floors in this process: FrameParser alone {parse_rate:,.0f} messages/s; "
        f"translate alone {translate_rate:,.0f} messages/s"
    )
    print(f"load average {load} on {os.cpu_count()} CPUs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30, help="copies of the 1680-message burst")
    ap.add_argument("--residents", type=int, default=2000)
    ap.add_argument("--profile", metavar="OUT.txt", help="profile the run (pyinstrument)")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
