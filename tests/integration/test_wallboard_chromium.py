"""The TV wallboard in headless Chromium against the real server (127.0.0.1, port 0): it
connects over /ws with a kiosk ?token=, renders the live board (callers waiting without a
withheld number, the service level's formula beside it, definitions in a legend on demand),
fits 1920x1080, 1280x720 and a portrait 1080x1920 screen (checked on element geometry), says
so when its token is bad or expired, and dims the figures while the PBX link is down.
Screenshots go to the test's temporary directory (``shots``). Skipped when chromium is not
installed (deploy/test.sh installs it)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from cti_server.domain import events as ev
from cti_server.web.app import create_app
from cti_server.web.board_app import BOARD
from cti_server.web.keys import SERVICE, SIGNER
from cti_server.web.tokens import Principal
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
CHECKS = web.AppKey("layout_checks", dict)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

# Opens the wallboard in an iframe of the size under test and, once it has rendered, reports
# every element that sticks out of the screen or cuts its own text, and the tiles' sizes.
LAYOUT_CHECK = Path(__file__).with_name("wallboard_layout_check.html")


async def chromium(tmp_path: Path, url: str, *args: str, size: str = "1600,900") -> str:
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000", f"--window-size={size}", *args, url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return out.decode("utf-8", "replace")


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
    dom = await chromium(tmp_path, await kiosk_url(app, port), "--dump-dom")
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
    assert callers == [("withheld", "1", "非通知"), ("number", "2", "0773-62-5678"),
                       ("number", "3", "090-8765-4321")]  # fmt: skip
    assert "9012345678" not in dom  # the withheld number is nowhere on the page
    assert 'data-state="live"' in dom
    assert 'data-stale="false"' in dom
    assert "休憩" in dom
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
    dom = await chromium(tmp_path, f"http://127.0.0.1:{port}/layout-check/page", "--dump-dom",
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


async def test_a_bad_or_expired_token_is_said_not_retried(served, tmp_path, shots):
    app, port = served
    # kiosk tokens never expire (kiosk_token_ttl_seconds 0): a supervisor's on the TV
    expired = app[SIGNER].issue(Principal(8, "sv", "supervisor", None, "SV"), now=0.0)
    base = f"http://127.0.0.1:{port}/wallboard?token="
    dom = await chromium(tmp_path, base + expired, "--dump-dom")
    assert 'data-state="token_expired"' in dom
    assert "トークンの有効期限が切れています" in dom
    assert "再接続中" not in dom
    await chromium(tmp_path, base + expired, f"--screenshot={shots / 'wallboard-expired.png'}")
    dom = await chromium(tmp_path, base + "v1.not.valid", "--dump-dom")
    assert 'data-state="bad_token"' in dom
    assert "トークンが無効です" in dom
    operator = await chromium(tmp_path, base + await token(app, 2, role="operator"), "--dump-dom")
    assert 'data-state="forbidden"' in operator  # an operator's token is refused, and said so
    assert "再接続中" not in operator


async def test_figures_are_dimmed_while_the_pbx_link_is_down(served, tmp_path, shots):
    app, port = served
    app[SERVICE].on_event(ev.ConnectionLost("test", now()))
    dom = await chromium(tmp_path, await kiosk_url(app, port), "--dump-dom")
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
    dom = await chromium(tmp_path, await kiosk_url(app, port), "--dump-dom")
    assert 'data-stale="true"' in dom
    assert re.search(r'data-k="offered".*?data-v="offered">4<', dom, re.S)  # still shown
    await asyncio.gather(*tasks)
