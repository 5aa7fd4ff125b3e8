"""Parsing worker processes for large ledger imports (``python -m registry.ledger.worker``).

A worker is a plain child interpreter started with ``asyncio.create_subprocess_exec``: nothing of
the parent is forked (the parent runs threads) and nothing of its ``__main__`` is imported again
(as ``multiprocessing`` would). Frames on stdin/stdout are an 8-byte big-endian length and a
pickle: first the ``RowParser`` arguments, then jobs (``ledger_chunks.Job``) answered in order
by ``("ok", ParsedChunk)`` or ``("error", exception)``. End of input ends the worker.
Only the parent writes to the database; workers hold no connection.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
import sys
from typing import Any, BinaryIO

from registry.errors import LedgerFileError
from registry.ledger.chunks import ParsedChunk, parse_job
from registry.ledger.rows import RowParser

_LENGTH = struct.Struct(">Q")
_LIMIT = 1 << 28  # a frame is a few MB; never let the reader pause on one


def _read(stream: BinaryIO) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    return pickle.loads(stream.read(_LENGTH.unpack(head)[0]))


def _write(stream: BinaryIO, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    try:
        parser = RowParser(*_read(source))
        while True:
            job = _read(source)
            try:
                _write(sink, ("ok", parse_job(job, parser)))
            except LedgerFileError as err:
                _write(sink, ("error", err))
    except EOFError:
        return


class Worker:
    """The parent's handle on one worker process; answers come back in the order jobs went."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, parser_args: tuple[Any, ...]) -> Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "registry.ledger.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=_LIMIT,
        )  # fmt: skip
        worker = cls(proc)
        worker.send(parser_args)
        return worker

    def send(self, value: Any) -> None:
        """Queue a frame (the transport writes it as the pipe accepts; no waiting here)."""
        assert self.proc.stdin is not None
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(_LENGTH.pack(len(data)) + data)

    async def receive(self) -> ParsedChunk:
        assert self.proc.stdout is not None
        try:
            head = await self.proc.stdout.readexactly(_LENGTH.size)
            data = await self.proc.stdout.readexactly(_LENGTH.unpack(head)[0])
        except asyncio.IncompleteReadError as err:
            raise LedgerFileError("a ledger parsing worker stopped unexpectedly") from err
        status, value = pickle.loads(data)
        if status == "error":
            raise value
        if not isinstance(value, ParsedChunk):
            raise LedgerFileError("a ledger parsing worker answered nonsense")
        return value

    async def close(self, *, kill: bool = False) -> None:
        """End the worker: close its input and wait (or kill it, when its work is unwanted)."""
        if self.proc.returncode is None and kill:
            self.proc.kill()
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


if __name__ == "__main__":
    main()
