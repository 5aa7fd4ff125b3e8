"""A clean shutdown of a real ``cti-server`` process on SIGTERM: it stops accepting, tells its
clients to reconnect elsewhere (close code 1001 with a reason), flushes what it holds and exits,
saying so in its log."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

from cti_server.web.tokens import Principal, TokenSigner
from registry.db import create_engine, migrate, session_factory
from registry.models import Operator
from tests.integration.web_helpers import SECRET


async def _started(proc: asyncio.subprocess.Process, log: list[str]) -> int:
    """The port the server listens on, from its log (it binds port 0)."""
    assert proc.stderr is not None
    async with asyncio.timeout(60):
        while True:
            line = (await proc.stderr.readline()).decode()
            if not line:
                raise AssertionError("cti-server exited:\n" + "".join(log))
            log.append(line)
            if m := re.search(r"listening on http://[^:]+:(\d+)", line):
                return int(m[1])


async def test_sigterm_closes_clients_with_1001_and_exits(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    engine = create_engine(f"sqlite:///{db}")
    await migrate(engine)
    async with session_factory(engine)() as s:
        s.add(Operator(id=1, username="op1", display_name="Op", password_hash="x",
                       role="operator", extension="1001"))  # fmt: skip
        await s.commit()
    await engine.dispose()
    env = {
        **os.environ,
        "CTI_DATABASE_URL": f"sqlite:///{db}",
        "CTI_SECRET_KEY": SECRET,
        "CTI_HTTP_PORT": "0",
        "CTI_AMI_ENABLED": "false",
        "CTI_DATA_DIR": str(tmp_path),
        "CTI_SCAN_DIR": str(tmp_path / "scans"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cti_server", env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    log: list[str] = []
    try:
        port = await _started(proc, log)
        tok = TokenSigner([SECRET], 3600).issue(Principal(1, "op1", "operator", "1001", "Op"))
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(
                f"http://127.0.0.1:{port}/ws", headers={"Authorization": f"Bearer {tok}"}
            )
            await ws.receive_str(timeout=10)  # hello
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                while (msg := await ws.receive()).type not in (
                    aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                ):  # fmt: skip
                    pass
            assert ws.close_code == 1001, (msg, ws.close_code)
            assert msg.extra, "a reason for the client"
            async with asyncio.timeout(10):
                rest = await proc.stderr.read()  # type: ignore[union-attr]
                code = await proc.wait()
        log.append(rest.decode())
        text = "".join(log)
        assert code == 0, text
        assert re.search(r"SIGTERM.*shutting down", text), text
        assert re.search(r"shut down in [\d.]+ s", text), text
        with_refused = False
        try:
            await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            with_refused = True
        assert with_refused  # nothing listens any more
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
