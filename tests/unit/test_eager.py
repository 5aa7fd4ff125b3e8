"""eager.start: a coroutine runs at once until it waits; the rest runs in a task."""

from __future__ import annotations

import asyncio

import pytest

from cti_server.web.eager import start


async def test_a_coroutine_that_never_waits_is_done_at_once():
    done = []

    async def write() -> None:
        done.append("written")

    assert start(write()) is None
    assert done == ["written"]


async def test_its_error_is_raised_to_the_caller():
    async def fail() -> None:
        raise ConnectionResetError("gone")

    with pytest.raises(ConnectionResetError):
        start(fail())


async def test_a_coroutine_that_waits_goes_on_in_a_task():
    steps: list[str] = []
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def write() -> None:
        steps.append("first part")
        steps.append(await gate)
        await asyncio.sleep(0)
        steps.append("end")

    rest = start(write())
    assert steps == ["first part"]  # before any turn of the loop
    assert rest is not None
    gate.set_result("resumed")
    await rest
    assert steps == ["first part", "resumed", "end"]


async def test_what_it_waits_for_may_fail_and_the_coroutine_sees_it():
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def write() -> None:
        try:
            await gate
        except OSError as err:
            seen.append(str(err))
            raise

    rest = start(write())
    assert rest is not None
    gate.set_exception(OSError("paused transport closed"))
    with pytest.raises(OSError, match="paused transport closed"):
        await rest
    assert seen == ["paused transport closed"]


async def test_cancelling_the_task_cancels_what_the_coroutine_waits_for():
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def write() -> None:
        try:
            await gate
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    rest = start(write())
    assert rest is not None
    await asyncio.sleep(0)  # the task waits on the gate
    rest.cancel()
    with pytest.raises(asyncio.CancelledError):
        await rest
    assert gate.cancelled()
    assert seen == ["cancelled"]
