"""Start a coroutine at once, as Python 3.12's eagerly started tasks do (this runs on 3.11).

``start(coro)`` runs ``coro`` in the caller until it first waits. When it completes without
waiting (a WebSocket frame written to a transport that is not paused: the usual case), that is
all: no task, no turn of the event loop before the bytes go out, and its exception (if any) is
raised to the caller. When it waits (flow control, a lock), ``start`` returns a task that runs
the rest; cancelling the task cancels what the coroutine waits for, as a task running it from
the start would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


def start(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coro`` until it first waits: ``None`` when it completed, else a task for the rest."""
    try:
        waiting = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_rest(coro, waiting))


async def _rest(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    while True:
        if waiting is None:  # a bare yield (``asyncio.sleep(0)``): one turn of the loop
            await asyncio.sleep(0)
        elif not isinstance(waiting, asyncio.Future):
            waiting = coro.throw(RuntimeError(f"a coroutine yielded {waiting!r}"))
            continue
        else:
            waiting._asyncio_future_blocking = False  # taken, as a task takes what is yielded
            try:  # its outcome, result or error, goes to the coroutine when it resumes
                with contextlib.suppress(Exception):
                    await waiting
            except asyncio.CancelledError:
                if not waiting.cancelled():  # this task was cancelled, not what it waited for
                    coro.close()
                    raise
        try:
            waiting = coro.send(None)  # the awaited future is done: ``await`` returns or raises
        except StopIteration:
            return
