"""The Redis bus between instances, against the real Redis of the machine: a burst of messages
published at once reaches the other instance whole and in order (they go in pipelines)."""

from __future__ import annotations

import asyncio
import uuid

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
