"""``cti-sim``: run the AMI PBX simulator with generated call traffic.

cti-sim --port 5038 --rate 0.5 --agents 4 --numbers numbers.txt --callback-share 0.2 \
        --queue-log /tmp/queue_log
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from cti_server.sim.server import PbxSimulator

log = logging.getLogger(__name__)
DEFAULT_NUMBERS = ["0773621234", "09012345678", "+819012345678", "0757001234", "anonymous", ""]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cti-sim", description="Asterisk AMI PBX simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5038)
    p.add_argument("--username", default="cti")
    p.add_argument("--secret", default="cti")
    p.add_argument("--rate", type=float, default=0.5, help="new calls per simulated second")
    p.add_argument("--duration", type=float, default=0, help="simulated seconds (0: forever)")
    p.add_argument("--agents", type=int, default=3)
    p.add_argument("--queue", default="vaccine")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    p.add_argument("--numbers", type=Path, help="file of caller numbers, one a line "
                   "('anonymous' withheld, an empty line no caller ID)")  # fmt: skip
    p.add_argument(
        "--callback-share",
        type=float,
        default=0.0,
        help="share of callers who press 1 for a callback while waiting (0..1)",
    )
    p.add_argument("--queue-log", type=Path, metavar="PATH",
                   help="append Asterisk's queue_log lines of the calls to this file")  # fmt: skip
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def load_numbers(path: Path | None) -> list[str]:
    if path is None:
        return DEFAULT_NUMBERS
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()] or [""]


def stop_on_signals() -> list[str]:
    """SIGINT and SIGTERM cancel the running task, so that it stops the simulator (its queue
    log written out, its sockets closed) and returns. Set here, not left to Python's default:
    a process started in the background has SIGINT ignored, and ``cti-demo`` stops it with
    SIGINT. The list returned gets the name of the signal that came."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None
    got: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        if not got:
            got.append(sig.name)
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    return got


async def run(args: argparse.Namespace) -> None:
    sim = PbxSimulator(username=args.username, secret=args.secret, agents=args.agents,
                       queue=args.queue, speed=args.speed, seed=args.seed,
                       queue_log=args.queue_log)  # fmt: skip
    port = await sim.start(args.host, args.port)
    got = stop_on_signals()
    print(f"cti-sim: AMI on {args.host}:{port} (user {args.username}), "
          f"{args.agents} agents, {args.rate} calls/s", flush=True)  # fmt: skip
    try:
        numbers = load_numbers(args.numbers)
        if args.rate > 0:
            duration = args.duration or float("inf")
            placed = await sim.run_traffic(args.rate, duration, numbers, args.callback_share)
            await sim.wait_idle()
            print(f"cti-sim: {placed} calls placed", flush=True)
        else:
            await asyncio.Event().wait()
    except asyncio.CancelledError:
        if not got:
            raise
        print(f"cti-sim: {got[0]}: stopping", flush=True)
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
