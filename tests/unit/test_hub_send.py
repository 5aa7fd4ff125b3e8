"""A client's messages: written at once while its writer is idle, in order when a send has to
wait (flow control), and nothing is lost or reordered behind a waiting send."""

from __future__ import annotations

import asyncio

from cti_server.web.hub import Client
from cti_server.web.tokens import Principal


class FakeSocket:
    """Records what is sent; a send of a text in ``hold`` waits until ``release``."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.hold: set[str] = set()
        self.gate: asyncio.Future[None] | None = None

    async def send_str(self, text: str) -> None:
        self.sent.append(text)  # written to the transport, then flow control may wait
        if text in self.hold:
            self.gate = asyncio.get_running_loop().create_future()
            await self.gate

    def release(self) -> None:
        assert self.gate is not None
        self.gate.set_result(None)


def _client(ws: FakeSocket) -> Client:
    client = Client(ws, Principal(1, "op1001", "operator", "1001"), queue_size=8)  # type: ignore[arg-type]
    client.start()
    return client


async def test_an_idle_client_gets_the_message_before_the_loop_turns():
    ws = FakeSocket()
    client = _client(ws)
    assert client.offer("pop")
    assert ws.sent == ["pop"]  # no task switch needed
    assert client.queued_bytes == 0
    await client.stop()


async def test_messages_after_a_send_that_waits_follow_it_in_order():
    ws = FakeSocket()
    ws.hold = {"big"}
    client = _client(ws)
    assert client.offer("big")  # written, then waits for the transport to drain
    assert client.offer("next")
    assert client.offer("last")
    for _ in range(5):
        await asyncio.sleep(0)
    assert ws.sent == ["big"]  # the others wait behind it
    ws.release()
    for _ in range(5):
        await asyncio.sleep(0)
    assert ws.sent == ["big", "next", "last"]
    assert client.offer("later")  # idle again: at once
    assert ws.sent[-1] == "later"
    await client.stop()


async def test_a_message_for_later_waits_for_the_writer_and_keeps_its_place():
    ws = FakeSocket()
    client = _client(ws)
    assert client.offer("state", at_once=False)
    assert ws.sent == []  # not written in the callback that offered it
    assert client.offer("pop")  # queued behind it: a client's messages keep their order
    assert ws.sent == []
    for _ in range(5):
        await asyncio.sleep(0)
    assert ws.sent == ["state", "pop"]
    assert client.queued_bytes == 0
    assert client.offer("next pop")  # idle again: at once
    assert ws.sent[-1] == "next pop"
    await client.stop()
