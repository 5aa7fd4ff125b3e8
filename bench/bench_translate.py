"""Events/s through frames + translate + Tracker, replaying 11-burst.ami many times.

    .venv/bin/python bench/bench_translate.py [--repeat 20]

Each repetition is a fresh Tracker fed the whole recorded stream (1680 AMI messages) from bytes
in 4 KiB reads. Goal: at least 20,000 AMI events/s on one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

from cti_server.ami.frames import FrameParser
from cti_server.ami.translate import translate
from cti_server.domain.tracker import Tracker

HERE = Path(__file__).resolve()
FIXTURES = HERE.parent / "tests" / "fixtures" / "ami"


def run(data: bytes, repeat: int) -> tuple[int, int, int, float, float, float]:
    at = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    msgs = events = changes = 0
    t_parse = t_all = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        parser, tracker = FrameParser(), Tracker()
        batch = []
        for i in range(0, len(data), 4096):
            batch += parser.feed(data[i : i + 4096])
        mid = time.perf_counter()
        for m in batch:
            for e in translate(m, at):
                events += 1
                changes += len(tracker.apply(e))
        end = time.perf_counter()
        msgs += len(batch)
        t_parse += mid - start
        t_all += end - start
    return msgs, events, changes, t_parse, t_all - t_parse, t_all


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()
    data = (FIXTURES / "11-burst.ami").read_bytes()
    run(data, 1)  # warm up
    cpu0 = time.process_time()
    msgs, events, changes, t_parse, t_rest, t_all = run(data, args.repeat)
    cpu = time.process_time() - cpu0
    print(
        f"stream: 11-burst.ami x{args.repeat} = {len(data) * args.repeat / 1e6:.1f} MB, "
        f"{msgs} AMI messages -> {events} domain events -> {changes} changes"
    )
    print(f"frames:              {msgs / t_parse:>10,.0f} AMI messages/s")
    print(f"translate + tracker: {msgs / t_rest:>10,.0f} AMI messages/s")
    print(
        f"end to end:          {msgs / t_all:>10,.0f} AMI messages/s "
        f"({t_all / msgs * 1e6:.1f} us each; goal >= 20,000/s)"
    )
    print(
        f"per CPU second:      {msgs / cpu:>10,.0f} AMI messages/s "
        f"(wall {t_all:.2f} s, CPU {cpu:.2f} s, load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
