"""The server's own work on the screen-pop path, without the other processes of a live run.

    .venv/bin/python bench/bench_pop_path.py [--operators 200] [--rate 20] [--duration 20]
                                             [--reps 5] [--profile]

``bench_pop.py`` measures the pop end to end against a floor, but on a machine of two cores
the server shares them with the floor and the bench's own sockets, and its figures swing with
the machine's state from run to run. This bench takes what is left when the others are gone:

1. Record: the PBX simulator runs the same load as in bench_pop (200 agents, 20 calls/s, the
   numbers of a seeded 20,000-resident ledger) and a plain TCP client logged in to it keeps
   every ``recv()`` as it came, so the reads have the chunking a server gets.
2. Replay, ``--reps`` times, in this one process: the server's call pipeline as ``cti-server``
   wires it (``bootstrap``, a fresh copy of the ledger, 200 operators' sockets that accept at
   once) gets the reads through the real ``AmiProtocol.data_received`` with the bridge's read
   scope. For each read that rings an agent: the time from the start of ``data_received`` to
   the ringing pop handed to that operator's socket; and the CPU time of the whole replay.

The figures are the median over the reps. ``--profile`` prints cProfile's top functions of one
extra rep.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import gc
import logging
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_pop import prepare

from cti_server import protocol
from cti_server.ami.connection import AmiProtocol
from cti_server.ami.translate import FIRST_CHANNEL_ONLY, WANTED_EVENTS, translate
from cti_server.bootstrap import bootstrap
from cti_server.config import Settings
from cti_server.domain.events import DomainEvent
from cti_server.sim.server import PbxSimulator
from cti_server.web.tokens import Principal


class Socket:
    """An operator's socket that takes every frame at once (what the hub writes to)."""

    async def send_str(self, text: str, compress: int | None = None) -> None:
        return None

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        return True


async def record(args: argparse.Namespace, numbers: list[str]) -> list[bytes]:
    """The simulator's bytes as one logged-in client reads them, read by read."""
    sim = PbxSimulator(
        username="cti", secret="bench", agents=args.operators, ring_timeout=8.0, speed=args.speed
    )
    port = await sim.start("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    reads: list[bytes] = [await reader.readline()]  # the banner
    writer.write(b"Action: Login\r\nUsername: cti\r\nSecret: bench\r\nEvents: on\r\n\r\n")

    async def keep() -> None:
        while data := await reader.read(65536):
            reads.append(data)

    keeper = asyncio.create_task(keep())
    rng = random.Random(5)
    t0 = next_at = time.monotonic()
    placed = 0
    while time.monotonic() - t0 < args.duration:
        next_at += rng.expovariate(args.rate)
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        sim.place_call(
            rng.choice(numbers), talk=rng.uniform(20, 60), ring=rng.uniform(0.2, 0.6), patience=600
        )
        placed += 1
    await asyncio.sleep(1.0)
    keeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await keeper
    writer.close()
    await sim.stop()
    print(f"recorded {len(reads)} reads, {sum(map(len, reads)) / 1024:.0f} KiB, {placed} calls")
    return reads


async def replay(
    args: argparse.Namespace, ledger: Path, reads: list[bytes], profile: bool = False
) -> tuple[list[float], float, int]:
    """One replay on a fresh copy of the ledger: per ringing read, data_received -> pop (s);
    the replay's CPU seconds; the calls that rang."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-path-"))
    shutil.copy(ledger, tmp / "ledger.sqlite3")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'ledger.sqlite3'}",
        ami_enabled=False,
        secret_key="bench-" * 6,
        after_call_seconds=args.after_call,
        data_dir=str(tmp / "var"),
    )
    server = bootstrap(settings)
    for i in range(args.operators):
        ext = str(1001 + i)
        server.hub.add(Socket(), Principal(i + 1, f"op{ext}", "operator", ext))  # type: ignore[arg-type]
    service = server.service
    await service.start()
    started = [0.0]
    rang: list[float] = []
    calls: set[str] = set()
    send = server.hub.send_to_extension

    def timed_send(ext: str, msg: Any) -> int:
        call = msg.call if isinstance(msg, protocol.ScreenPop) else None
        if call is not None and call.state == "ringing" and started[0]:
            rang.append(time.perf_counter() - started[0])
            started[0] = 0.0  # the first pop of the read only
            calls.add(call.linkedid)
        return send(ext, msg)

    server.hub.send_to_extension = timed_send  # type: ignore[method-assign]

    def on_message(msg: dict[str, str]) -> None:  # what the bridge does with each message
        events: list[DomainEvent] = translate(msg, dt.datetime.now(dt.UTC))
        for e in events:
            service.on_event(e)

    proto = AmiProtocol(on_message, WANTED_EVENTS, service.reading, FIRST_CHANNEL_ONLY)
    proto.release_events()
    gc.collect()
    prof = cProfile.Profile() if profile else None
    cpu0 = time.process_time()
    if prof is not None:
        prof.enable()
    for data in reads[1:]:
        started[0] = time.perf_counter()
        proto.data_received(data)
        started[0] = 0.0
        await asyncio.sleep(0)  # lookups, recorder and writers run between reads, as live
    cpu = time.process_time() - cpu0
    if prof is not None:
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    await service.popper.drain()
    await service.close()
    await server.hub.close_all()  # the operators' writer tasks
    await server.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return rang, cpu, len(calls)


async def run(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="bench-path-"))
    try:
        ledger = tmp / "ledger.sqlite3"
        numbers = await prepare(f"sqlite:///{ledger}", args.residents, args.operators)
        reads = await record(args, numbers)
        p50s, p90s, p99s, cpus = [], [], [], []
        for rep in range(args.reps):
            rang, cpu, calls = await replay(args, ledger, reads)
            q = statistics.quantiles(rang, n=100)
            p50s.append(q[49] * 1e6)
            p90s.append(q[89] * 1e6)
            p99s.append(q[98] * 1e6)
            cpus.append(cpu / max(calls, 1) * 1000)
            print(
                f"rep {rep + 1}: AMI read -> ringing pop handed to the socket: p50 {p50s[-1]:.0f} "
                f"us, p90 {p90s[-1]:.0f} us, p99 {p99s[-1]:.0f} us ({len(rang)} reads); "
                f"CPU {cpu:.2f} s, {cpus[-1]:.2f} ms per call"
            )
        print(
            f"median of {args.reps}: p50 {statistics.median(p50s):.0f} us, "
            f"p90 {statistics.median(p90s):.0f} us, p99 {statistics.median(p99s):.0f} us; "
            f"CPU per call {statistics.median(cpus):.2f} ms (the socket writes themselves excluded)"
        )
        if args.profile:
            await replay(args, ledger, reads, profile=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--operators", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--residents", type=int, default=20_000)
    ap.add_argument("--speed", type=float, default=20.0, help="simulator time factor")
    ap.add_argument("--after-call", type=int, default=2, help="after-call work, seconds")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="cProfile one more rep")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
