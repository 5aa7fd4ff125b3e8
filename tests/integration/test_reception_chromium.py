"""The reception page in headless Chromium, driven by Selenium against the real server (127.0.0.1,
port 0): scans are typed as a USB scanner types them (digits then Enter, fast), each outcome is
shown, and scans made while the server is down (its socket closed) or while answers are lost on
the way back are queued in the page, sent in order when the link returns, and counted exactly
once. Screenshots of an ok and a warning state go to docs/screens/ when ``CTI_SCREENS`` names
that folder (else the test's temporary directory). Skipped without chromium and chromedriver
(deploy/test.sh installs them)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from cti_server.web.app import create_app
from cti_server.web.rest_reception import CLOCK
from registry.db import session_factory
from registry.models import Booking, CheckinScan
from tests.integration.browser import (
    NEEDS_WEBDRIVER,
    RETRY_ONCE,
    chrome,
    in_browser,
    quit_browser,
)
from tests.integration.venue_day import Day, build_day
from tests.integration.web_helpers import make_settings, token

pytest.importorskip("selenium.webdriver")
pytestmark = [NEEDS_WEBDRIVER, RETRY_ONCE]
DROP = web.AppKey("drop_answers", list)


class Served:
    """The app on a port that can be closed and opened again (the link going down)."""

    def __init__(self, app: web.Application, runner: web.AppRunner, port: int) -> None:
        self.app, self.runner, self.port = app, runner, port
        self.site: web.TCPSite | None = None

    async def up(self) -> None:
        self.site = web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True)
        await self.site.start()

    async def down(self) -> None:
        """Close the port and every open connection (the browser's kept-alive ones too)."""
        assert self.site is not None
        await self.site.stop()
        server = self.runner.server
        assert server is not None
        for handler in list(server.connections):
            handler.force_close()


@web.middleware
async def drop_answers(request: web.Request, handler: Any) -> web.StreamResponse:
    """While ``app[DROP]`` holds a count, check-ins are done but their answers are lost (the
    connection is cut): the page must resend, and the server must not count twice."""
    response = await handler(request)
    drops = request.app[DROP]
    if request.path == "/api/reception/checkins" and drops and drops[0] > 0:
        drops[0] -= 1
        assert request.transport is not None
        request.transport.abort()
    return response


@pytest.fixture
async def served(engine, db_url) -> AsyncIterator[tuple[Served, Day]]:
    async with session_factory(engine)() as s:
        day = await build_day(s, dt.date(2026, 12, 4))
    app = create_app(make_settings(db_url), engine=engine, load_name_index=False)
    app.middlewares.insert(0, drop_answers)
    app[DROP] = [0]
    started = dt.datetime.now(dt.UTC)
    app[CLOCK] = lambda: day.now + (dt.datetime.now(dt.UTC) - started)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server = Served(app, runner, port)
    server.site = site
    try:
        yield server, day
    finally:
        await runner.cleanup()


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    driver = chrome(tmp_path / "profile", "--window-size=1366,900",
                    "--autoplay-policy=no-user-gesture-required", "--lang=ja")  # fmt: skip
    yield driver
    quit_browser(driver)


async def until(driver: Any, check: Callable[[], Any], limit: float = 15.0) -> Any:
    """Poll ``check`` (run in a thread: Selenium blocks) until it gives a true value."""
    deadline = time.monotonic() + limit
    while True:
        value = await in_browser(driver, check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting in the browser")
        await asyncio.sleep(0.1)


async def type_scan(driver: Any, code: str) -> None:
    """As a keyboard-wedge scanner: the digits at once, then Enter."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def send() -> None:
        driver.find_element(By.ID, "scan").send_keys(code + Keys.ENTER)

    await in_browser(driver, send)


def text_of(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)


def outcome(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, "result").get_attribute("data-outcome"))


async def open_page(driver: Any, server: Served, day: Day) -> None:
    tok = await token(server.app, 60, role="reception", ext=None, venue_id=day.venue)
    url = f"http://127.0.0.1:{server.port}/reception?token={tok}"
    await in_browser(driver, driver.get, url)
    await until(driver, lambda: text_of(driver, "venue").startswith("北吸会場"))


async def scan_and_wait(driver: Any, code: str, expect: str) -> None:
    before = await in_browser(
        driver, lambda: driver.find_element("id", "result").get_attribute("data-scan")
    )
    await type_scan(driver, code)
    await until(
        driver,
        lambda: (
            driver.find_element("id", "result").get_attribute("data-scan") != before
            and outcome(driver) not in ("idle", "queued")
        ),
    )
    assert outcome(driver) == expect, text_of(driver, "result")


def screens_dir(tmp_path: Path) -> Path:
    out = Path(os.environ.get("CTI_SCREENS", "") or tmp_path / "screens")
    out.mkdir(parents=True, exist_ok=True)
    return out


async def test_each_outcome_as_a_scanner_types_it(served, browser, tmp_path, engine):
    server, day = served
    await open_page(browser, server, day)
    await in_browser(browser, browser.find_element("id", "desk").send_keys, "受付1")
    await scan_and_wait(browser, day.barcodes["mobility"], "checked_in")
    assert text_of(browser, "result-name") == "佐藤 花●"
    assert text_of(browser, "result-mobility") == "送迎あり・車いす"
    assert text_of(browser, "result-title") == "受付完了"
    assert browser.find_element("tag name", "body").get_attribute("data-last-sound") == "ok"
    shots = screens_dir(tmp_path)
    await in_browser(browser, browser.save_screenshot, str(shots / "reception-ok.png"))
    await scan_and_wait(browser, day.barcodes["mobility"], "already_checked_in")
    assert "受付1" in text_of(browser, "result-detail") or "受付" in text_of(
        browser, "result-detail"
    )
    await scan_and_wait(browser, day.barcodes["other_venue"], "wrong_venue")
    assert "西会場" in text_of(browser, "result-detail")
    assert browser.find_element("tag name", "body").get_attribute("data-last-sound") == "warning"
    await in_browser(browser, browser.save_screenshot, str(shots / "reception-warning.png"))
    await scan_and_wait(browser, day.barcodes["later"], "wrong_slot")
    await scan_and_wait(browser, day.barcodes["tomorrow"], "wrong_day")
    await scan_and_wait(browser, day.mistyped("ok"), "mistyped_barcode")
    await scan_and_wait(browser, day.barcodes["none"], "no_booking")
    buttons = browser.find_elements("css selector", "#walk-in button.walk-in-slot")
    assert [b.get_attribute("data-slot") for b in buttons] == [str(day.slot_now)]
    await in_browser(browser, buttons[0].click)
    await until(browser, lambda: outcome(browser) == "checked_in")
    assert text_of(browser, "result-name") == "渡辺 五●"
    await until(browser, lambda: text_of(browser, "t-checked-in") == "2")
    # English
    await in_browser(browser, browser.find_element("id", "lang").click)
    await scan_and_wait(browser, day.barcodes["ok"], "checked_in")
    assert text_of(browser, "result-title") == "Checked in"


async def test_scans_made_offline_are_sent_once_when_the_link_returns(served, browser, engine):
    server, day = served
    await open_page(browser, server, day)
    await server.down()
    codes = [day.barcodes[k] for k in ("ok", "mobility", "race", "extra1")]
    for code in codes:
        await type_scan(browser, code)
    await until(browser, lambda: text_of(browser, "waiting") == "4")
    assert outcome(browser) == "queued"
    await asyncio.sleep(1.0)  # the page keeps retrying against the closed port
    assert text_of(browser, "waiting") == "4"
    await server.up()
    await until(browser, lambda: text_of(browser, "waiting") == "0", limit=30)
    # answers lost on the way back: the page resends, the server answers from the stored scan
    server.app[DROP][0] = 2
    await type_scan(browser, day.barcodes["extra2"])
    await type_scan(browser, day.barcodes["extra2"])  # scanned twice by the desk: a 2nd scan
    await until(browser, lambda: text_of(browser, "waiting") == "0", limit=30)
    assert server.app[DROP][0] == 0
    async with session_factory(engine)() as s:
        scans = (await s.execute(select(CheckinScan.barcode, CheckinScan.outcome)
                                 .order_by(CheckinScan.id))).all()  # fmt: skip
        came = await s.scalar(select(func.count()).select_from(Booking).where(
            Booking.checked_in_at.is_not(None)))  # fmt: skip
    assert [b for b, _ in scans] == [*codes, day.barcodes["extra2"], day.barcodes["extra2"]]
    assert [o for _, o in scans] == ["checked_in"] * 5 + ["already_checked_in"]
    assert came == 5
    recent = browser.find_elements("css selector", "#recent li")
    shown = [li.get_attribute("data-scan") for li in recent]
    assert len(shown) == len(set(shown)) == 6  # each scan's answer shown once


async def test_desk_search_checks_in_a_resident_without_the_postcard(served, browser):
    server, day = served
    await open_page(browser, server, day)

    def search() -> None:
        browser.find_element("id", "search-name").send_keys("たかはし")
        browser.find_element("id", "search-birth").send_keys("昭和16年5月3日")
        browser.find_element("css selector", "#search button[type=submit]").click()

    await in_browser(browser, search)
    picks = await until(
        browser, lambda: browser.find_elements("css selector", "#search-results .pick")
    )
    assert "髙橋 一●" in picks[0].find_element("xpath", "..").text
    await in_browser(browser, picks[0].click)
    await until(browser, lambda: outcome(browser) == "checked_in")
    assert text_of(browser, "result-name") == "髙橋 一●"
