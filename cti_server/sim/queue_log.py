"""The simulator's queue log: Asterisk's ``queue_log`` lines for the calls it runs.

The format of ``main/logger.c`` (``ast_queue_log``): ``epoch|callid|queue|agent|event|data...``,
one line per event, flushed at once; the events and data of ``apps/app_queue.c``. Times are the
simulator's (``PbxSimulator.epoch``: the wall clock at ``speed`` 1). Blocking writes of a line at
a time, as Asterisk does them: a test tool, not the server.
"""

from __future__ import annotations

import os
from collections.abc import Callable


class QueueLog:
    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], int]) -> None:
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close())
        self._clock = clock

    def write(self, callid: str, queue: str, agent: str, event: str, *data: object) -> None:
        fields = "|".join(str(d) for d in data)
        self._fh.write(f"{self._clock()}|{callid}|{queue}|{agent}|{event}|{fields}\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
