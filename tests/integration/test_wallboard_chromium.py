"""The TV wallboard in headless Chromium against the real server (127.0.0.1, port 0): it
connects over /ws with a kiosk ?token=, renders the live board with each figure's definition,
and a screenshot goes to /tmp/shots/wallboard.png. Skipped when chromium is not installed
(deploy/test.sh installs it)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from cti_server.domain import events as ev
from cti_server.web.app import create_app
from cti_server.web.keys import SERVICE
from tests.integration.web_helpers import (
    FakeBridge,
    answered,
    incoming,
    make_settings,
    new_linkedid,
    now,
    ringing,
    token,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


async def chromium(tmp_path: Path, url: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=4000", "--window-size=1600,900", *args, url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return out.decode("utf-8", "replace")


@pytest.fixture
def shots() -> Path:
    out = Path("/tmp/shots")
    out.mkdir(exist_ok=True)
    return out


async def test_wallboard_renders_the_live_board(engine, db_url, tmp_path, shots):
    app = create_app(make_settings(db_url), engine=engine, bridge=FakeBridge(),
                     load_name_index=False)  # fmt: skip
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        service = app[SERVICE]
        service.on_event(ev.PbxBooted(now()))
        for ext in ("1001", "1002", "1003"):
            service.on_event(ev.MemberState("vaccine", f"Local/{ext}@operators/n",
                                            f"Operator {ext}", 1, False, "", False, "static", 0,
                                            now()))  # fmt: skip
        service.on_event(ev.MemberPaused("vaccine", "Local/1003@operators/n", "Operator 1003",
                                         True, "休憩", now()))  # fmt: skip
        lids = [new_linkedid() for _ in range(4)]
        for lid in lids:
            service.on_event(incoming(lid, "0773621234"))
        service.on_event(ringing(lids[0], "1001"))
        service.on_event(answered(lids[0], "1001"))
        kiosk = await token(app, 9, role="kiosk", ext=None)
        url = f"http://127.0.0.1:{port}/wallboard?token={kiosk}"
        dom = await chromium(tmp_path, url, "--dump-dom")
        tile = re.search(r'data-k="waiting".*?data-v="waiting">(\d+)<', dom, re.S)
        assert tile is not None, dom[:2000]
        assert tile.group(1) == "3"
        offered = re.search(r'data-k="offered".*?data-v="offered">(\d+)<', dom, re.S)
        assert offered is not None
        assert offered.group(1) == "4"
        assert "20秒以内に応答した呼" in dom  # the service level's definition, on the board
        assert 'data-state="live"' in dom
        assert "休憩" in dom
        await chromium(tmp_path, url, f"--screenshot={shots / 'wallboard.png'}")
        assert (shots / "wallboard.png").stat().st_size > 10_000

        bad = await chromium(tmp_path, f"http://127.0.0.1:{port}/wallboard?token="
                             + await token(app, 2, role="operator"), "--dump-dom")  # fmt: skip
        assert 'data-state="error"' in bad  # an operator's token is refused
    finally:
        await runner.cleanup()
