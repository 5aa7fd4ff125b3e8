"""The Redis bus between instances, against the real Redis of the machine: a burst of messages
published at once reaches the other instance whole and in order (they go in pipelines), and a
Redis that cannot be reached costs warnings, not a stuck writer."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from cti_server.bus import WRITE_BATCH, Bus

REDIS = "redis://127.0.0.1:6379/0"


async def test_a_burst_reaches_the_other_instance_whole_and_in_order() -> None:
    channel = f"cti:test:{uuid.uuid4()}"
    got: list[int] = []
    done = asyncio.Event()
    total = 3 * WRITE_BATCH + 7  # several pipelines, the last one partial

    def on_message(kind: str, data: dict) -> None:
        got.append(data["n"])
        if len(got) == total:
            done.set()

    sender = Bus(REDIS, "a", lambda kind, data: None, channel=channel)
    receiver = Bus(REDIS, "b", on_message, channel=channel)
    await receiver.start()
    await sender.start()
    try:
        for n in range(total):
            sender.publish("pop", {"n": n})
        await asyncio.wait_for(sender.flush(), 10)
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await sender.close()
        await receiver.close()
    assert got == list(range(total))
    assert sender.dropped == 0


async def test_a_lost_redis_gives_warnings_and_the_queue_still_drains(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus(REDIS, "a", lambda kind, data: None, channel=f"cti:test:{uuid.uuid4()}")
    await bus.start()
    try:
        await bus._redis.aclose()
        bus._redis = type(bus._redis).from_url(  # nothing listens on port 1
            "redis://127.0.0.1:1/0", socket_timeout=1, socket_connect_timeout=1
        )
        with caplog.at_level(logging.WARNING, logger="cti_server.bus"):
            for n in range(10):
                bus.publish("pop", {"n": n})
            await asyncio.wait_for(bus.flush(), 10)
    finally:
        await bus.close()
    failed = [r.getMessage() for r in caplog.records if "publish" in r.getMessage()]
    assert failed
    assert all("failed" in m for m in failed)
    assert sum(int(m.split(" of ")[1].split()[0]) for m in failed) == 10
