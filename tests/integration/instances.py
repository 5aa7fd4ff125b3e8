"""Real ``cti-server`` processes for the several-instance tests and the load bench (no tests
here): each on an ephemeral loopback port (read from its log), all on one PostgreSQL database
and one Redis bus channel of their own, so that parallel runs never cross."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
SECRET = "instances-secret-key-0123456789abcdef"


def bus_env(redis_url: str = "redis://127.0.0.1:6379/0") -> dict[str, str]:
    """A Redis URL and a channel no other run uses."""
    return {"CTI_REDIS_URL": redis_url, "CTI_BUS_CHANNEL": f"cti:test:{uuid.uuid4().hex}"}


class Instance:
    """One ``python -m cti_server`` subprocess."""

    def __init__(self, server_id: str, env: dict[str, str], data_dir: Path) -> None:
        self.server_id = server_id
        self.env = {
            **os.environ,
            "CTI_SERVER_ID": server_id,
            "CTI_HTTP_HOST": "127.0.0.1",
            "CTI_HTTP_PORT": "0",
            "CTI_SECRET_KEY": SECRET,
            "CTI_DATA_DIR": str(data_dir),
            "CTI_LOGIN_DELAY_SECONDS": "0",
            "CTI_LOG_LEVEL": "INFO",
            "CTI_INDEX_REFRESH_SECONDS": "3600",
            **env,
        }
        self.proc: asyncio.subprocess.Process | None = None
        self.port = 0
        self.log: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self._port_found = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, limit: float = 30.0) -> Instance:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cti_server", env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())
        try:
            await asyncio.wait_for(self._port_found.wait(), limit)
        except TimeoutError as err:
            await self.kill()
            tail = "\n".join(self.log[-30:])
            raise RuntimeError(f"{self.server_id} did not start:\n{tail}") from err
        return self

    async def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            text = line.decode("utf-8", "replace").rstrip()
            self.log.append(text)
            if not self._port_found.is_set() and (m := LISTENING.search(text)):
                self.port = int(m.group(1))
                self._port_found.set()

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        await self._end(signal.SIGTERM)

    async def _end(self, sig: int) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        self.proc = None

    def rss_kib(self) -> int:
        """Resident memory now (Linux /proc), KiB; 0 when not running."""
        if self.proc is None or self.proc.returncode is not None:
            return 0
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0
        m = re.search(r"VmRSS:\s+(\d+)", status)
        return int(m.group(1)) if m else 0


def server_env(db_url: str, ami_port: int | None, **extra: str) -> dict[str, Any]:
    env = {
        "CTI_DATABASE_URL": db_url,
        "CTI_AMI_ENABLED": "true" if ami_port is not None else "false",
        "CTI_AMI_HOST": "127.0.0.1",
        "CTI_AMI_PORT": str(ami_port or 5038),
        "CTI_AMI_USER": "cti",
        "CTI_AMI_SECRET": "cti-secret",
    }
    env.update(extra)
    return env
