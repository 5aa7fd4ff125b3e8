"""The TV wallboard in headless Chromium against the real server (127.0.0.1, port 0): it
connects over /ws with a kiosk ?token=, renders the live board (callers waiting without a
withheld number, the service level's formula beside it, definitions in a legend on demand),
fits 1920x1080, 1280x720 and a portrait 1080x1920 screen (checked on element geometry), says
so when its token is bad or expired, and dims the figures while the PBX link is down.
The page is read through WebDriver once it shows what is awaited (in real time), the
screenshots are taken by chromium's own --screenshot and go to the test's temporary directory
(``shots``). Skipped when chromium or chromedriver is not installed (deploy/test.sh installs
both)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from cti_server.domain import events as ev
from cti_server.web.app import create_app
from cti_server.web.board_app import BOARD
from cti_server.web.keys import SERVICE, SIGNER
from cti_server.web.tokens import Principal
from tests.integration.browser import (
    CHROMIUM,
    FLAGS,
    NEEDS_WEBDRIVER,
    RETRY_ONCE,
    chrome,
    in_browser,
    quit_browser,
)
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

CHECKS = web.AppKey("layout_checks", dict)
pytestmark = [NEEDS_WEBDRIVER, RETRY_ONCE]

# Opens the wallboard in an iframe of the size under test and, once it has rendered, reports
# every element that sticks out of the screen or cuts its own text, and the tiles' sizes.
LAYOUT_CHECK = Path(__file__).with_name("wallboard_layout_check.html")


async def chromium(tmp_path: Path, url: str, *args: str, size: str = "1600,900") -> str:
    flags = [f for f in FLAGS if not f.startswith("--headless")]
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM or "chromium", "--headless", *flags, f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000", f"--window-size={size}", *args, url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the browser and its helpers
        await proc.wait()
        raise AssertionError(f"chromium did not finish with {url} in 60 s: killed") from None
    return out.decode("utf-8", "replace")


async def dom_when(tmp_path: Path, url: str, ready: str, size: str = "1600,900") -> str:
    """The page's DOM once the JavaScript expression ``ready`` holds (within 15 s, in real
    time: the page waits for its socket, which a virtual time budget does not)."""
    profile = Path(tempfile.mkdtemp(prefix="wd-", dir=tmp_path))
    driver = chrome(profile, f"--window-size={size}")
    try:
        await in_browser(driver, driver.get, url)
        deadline = time.monotonic() + 15
        while not await in_browser(driver, driver.execute_script, f"return Boolean({ready})"):
            if time.monotonic() > deadline:
                page = await in_browser(driver, lambda: driver.page_source)
                raise AssertionError(f"the page never came to {ready}: {page[-2000:]}")
            await asyncio.sleep(0.1)
        return str(await in_browser(driver, lambda: driver.page_source))
    finally:
        quit_browser(driver)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = tmp_path / "shots"
    out.mkdir()
    return out


@pytest.fixture
async def served(engine, db_url) -> AsyncIterator[tuple[web.Application, int]]:
    """The real app on a free port, with a live board: 3 members (one paused), 4 callers
    (one withheld), one of them answered."""
    app = create_app(make_settings(db_url), engine=engine, bridge=FakeBridge(),
                     load_name_index=False)  # fmt: skip
    checks: dict[str, str] = {}

    async def layout_check(request: web.Request) -> web.Response:
        return web.Response(text=checks[request.match_info["name"]], content_type="text/html")

    app.router.add_get("/layout-check/{name}", layout_check)
    app[CHECKS] = checks
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    service = app[SERVICE]
    service.on_event(ev.PbxBooted(now()))
    for ext in ("1001", "1002", "1003"):
        service.on_event(ev.MemberState("vaccine", f"Local/{ext}@operators/n",
                                        f"Operator {ext}", 1, False, "", False, "static", 0,
                                        now()))  # fmt: skip
    service.on_event(ev.MemberPaused("vaccine", "Local/1003@operators/n", "Operator 1003",
                                     True, "休憩", now()))  # fmt: skip
    lids = [new_linkedid() for _ in range(4)]
    service.on_event(incoming(lids[0], "0773621234"))
    service.on_event(incoming(lids[1], "09012345678", withheld=True))
    service.on_event(incoming(lids[2], "0773625678"))
    service.on_event(incoming(lids[3], "+819087654321"))
    service.on_event(ringing(lids[0], "1001"))
    service.on_event(answered(lids[0], "1001"))
    try:
        yield app, port
    finally:
        await runner.cleanup()


async def kiosk_url(app: web.Application, port: int, extra: str = "") -> str:
    kiosk = await token(app, 9, role="kiosk", ext=None)
    return f"http://127.0.0.1:{port}/wallboard?token={kiosk}{extra}"


async def test_wallboard_renders_the_live_board(served, tmp_path, shots):
    app, port = served
    live = (
        "document.body.dataset.stale === 'false' && !!document.querySelector('[data-state=live]')"
    )
    dom = await dom_when(tmp_path, await kiosk_url(app, port), live)
    tile = re.search(r'data-k="waiting".*?data-v="waiting">(\d+)<', dom, re.S)
    assert tile is not None, dom[:2000]
    assert tile.group(1) == "3"
    offered = re.search(r'data-k="offered".*?data-v="offered">(\d+)<', dom, re.S)
    assert offered is not None
    assert offered.group(1) == "4"
    assert 'class="tile key' in dom
    assert "20秒以内の応答 ÷（応答＋放棄）" in dom  # the formula beside the service level
    assert re.search(r'<aside id="legend" class="legend" hidden=""', dom)  # on demand only
    assert "20秒以内に応答した呼 ÷（応答呼＋放棄呼）" in dom  # ... and in the legend
    callers = re.findall(
        r'<tr data-status="(\w+)"><td class="num">(\d+)</td><td[^>]*>([^<]*)<', dom
    )
    assert callers == [("withheld", "1", "非通知"), ("number", "2", "****-**-5678"),
                       ("number", "3", "***-****-4321")]  # fmt: skip  # the TV's: masked
    assert "9012345678" not in dom  # the withheld number is nowhere on the page
    assert "8765" not in dom
    assert 'data-state="live"' in dom
    assert 'data-stale="false"' in dom
    assert "休憩" in dom
    # designated appointments (an empty ledger), their definitions on hover and in the legend
    line = re.search(r'<p id="assignment" class="intents" title="([^"]*)">([^<]*)</p>', dom)
    assert line is not None, dom[-3000:]
    assert line.group(2) == "指定予約 0件 未割当0 割当不可0"
    assert "1回目の有効な予約がない" in line.group(1)
    assert 'data-def="cannot_assign"' in dom
    await chromium(tmp_path, await kiosk_url(app, port, "&legend=1"),
                   f"--screenshot={shots / 'wallboard-legend.png'}")  # fmt: skip
    assert (shots / "wallboard-legend.png").stat().st_size > 10_000


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720), (1080, 1920)])
async def test_wallboard_fits_the_screen(served, tmp_path, shots, width, height):
    app, port = served
    page = LAYOUT_CHECK.read_text(encoding="utf-8")
    src = (await kiosk_url(app, port)).split(str(port), 1)[1]
    app[CHECKS]["page"] = (
        page.replace("{src}", src).replace("{w}", str(width)).replace("{h}", str(height))
    )
    dom = await dom_when(tmp_path, f"http://127.0.0.1:{port}/layout-check/page",
                         "document.getElementById('result').textContent !== 'pending'",
                         size=f"{width + 40},{height + 200}")  # fmt: skip
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert found is not None, dom[-2000:]
    assert found.group(1) != "pending", dom[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["problems"] == [], result
    assert result["key"] == ["waiting", "longest_wait", "service_level"]
    assert result["smallest_key_area"] > 2 * result["largest_minor_area"]
    assert result["key_font"] > 1.5 * result["minor_font"]
    shot = shots / f"wallboard-{width}x{height}.png"
    await chromium(tmp_path, await kiosk_url(app, port), f"--screenshot={shot}",
                   size=f"{width},{height}")  # fmt: skip
    assert shot.stat().st_size > 10_000


def said(state: str) -> str:
    return f"!!document.querySelector('[data-state={state}]')"


async def test_a_bad_or_expired_token_is_said_not_retried(served, tmp_path, shots):
    app, port = served
    # kiosk tokens never expire (kiosk_token_ttl_seconds 0): a supervisor's on the TV
    expired = app[SIGNER].issue(Principal(8, "sv", "supervisor", None, "SV"), now=0.0)
    base = f"http://127.0.0.1:{port}/wallboard?token="
    dom = await dom_when(tmp_path, base + expired, said("token_expired"))
    assert 'data-state="token_expired"' in dom
    assert "トークンの有効期限が切れています" in dom
    assert "再接続中" not in dom
    await chromium(tmp_path, base + expired, f"--screenshot={shots / 'wallboard-expired.png'}")
    dom = await dom_when(tmp_path, base + "v1.not.valid", said("bad_token"))
    assert 'data-state="bad_token"' in dom
    assert "トークンが無効です" in dom
    operator = await dom_when(
        tmp_path, base + await token(app, 2, role="operator"), said("forbidden")
    )
    assert 'data-state="forbidden"' in operator  # an operator's token is refused, and said so
    assert "再接続中" not in operator


async def test_figures_are_dimmed_while_the_pbx_link_is_down(served, tmp_path, shots):
    app, port = served
    app[SERVICE].on_event(ev.ConnectionLost("test", now()))
    stale = "document.body.dataset.stale === 'true' && !!document.querySelector('[data-state]')"
    dom = await dom_when(tmp_path, await kiosk_url(app, port), stale)
    assert 'data-state="pbx_down"' in dom
    assert 'data-stale="true"' in dom
    assert re.search(r'<body[^>]* class="stale"', dom)
    assert re.search(r'data-k="offered".*?data-v="offered">4<', dom, re.S)  # still shown
    await chromium(
        tmp_path, await kiosk_url(app, port), f"--screenshot={shots / 'wallboard-stale.png'}"
    )


async def test_figures_are_dimmed_while_the_socket_is_down(served, tmp_path, monkeypatch):
    """The server closes each wallboard socket right after its first update: the page keeps
    the figures, dimmed, while it reconnects."""
    app, port = served
    board = app[BOARD]

    async def send_then_close(client):
        await client.ws.send_str(board.encode(board.snapshot()))
        await client.ws.close()

    tasks: set[asyncio.Task[None]] = set()

    def subscribe_then_close(client, role):
        tasks.add(asyncio.get_running_loop().create_task(send_then_close(client)))

    monkeypatch.setattr(board, "subscribe", subscribe_then_close)
    dom = await dom_when(
        tmp_path, await kiosk_url(app, port), "document.body.dataset.stale === 'true'"
    )
    assert 'data-stale="true"' in dom
    assert re.search(r'data-k="offered".*?data-v="offered">4<', dom, re.S)  # still shown
    await asyncio.gather(*tasks)
