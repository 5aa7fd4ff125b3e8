"""Headless Chromium under Selenium (Debian's chromium and chromium-driver) for the browser
tests, bounded so that a browser that stops answering fails its test instead of hanging the run.

- Every WebDriver command has a deadline (``COMMAND_SECONDS``): the HTTP call to chromedriver
  gives up instead of waiting for ever.
- ``in_browser`` runs blocking Selenium steps in a daemon thread with a deadline while the
  server under test answers on the event loop. Past the deadline chromedriver and its browser
  are killed (their own process group), which also ends any command still waiting; the thread
  being a daemon, the loop's shutdown never waits for it.
- ``quit_browser`` quits within a deadline, or kills.

The flags are those a machine with a closed network needs (no background networking, no
component updates, no sync) and no use of /dev/shm (a container's may be 64 MB, where Chromium's
tabs stall)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
NEEDS_CHROMIUM = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
NEEDS_WEBDRIVER = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None, reason="chromium or chromedriver is not installed"
)
# a browser test that failed for the browser's sake (it stalled and was killed) gets one more try
RETRY_ONCE = pytest.mark.flaky(reruns=1, reruns_delay=1)

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--hide-scrollbars",
)  # fmt: skip
COMMAND_SECONDS = 45  # one WebDriver command
STEP_SECONDS = 90  # one in_browser() call
QUIT_SECONDS = 20

T = TypeVar("T")


def chrome(profile: Path, *args: str, prefs: dict[str, Any] | None = None) -> Any:
    """A new headless Chromium with a fresh profile in ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (*FLAGS, f"--user-data-dir={profile}", *args):
        opts.add_argument(arg)
    if prefs:
        opts.add_experimental_option("prefs", prefs)
    service = Service(str(CHROMEDRIVER), popen_kw={"start_new_session": True})
    driver = webdriver.Chrome(service=service, options=opts)
    driver.command_executor._client_config.timeout = COMMAND_SECONDS
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def kill(driver: Any) -> None:
    """Kill chromedriver and the browser it started (one process group)."""
    process = getattr(getattr(driver, "service", None), "process", None)
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.wait(5)


def quit_browser(driver: Any) -> None:
    worker = threading.Thread(target=driver.quit, daemon=True, name="browser-quit")
    worker.start()
    worker.join(QUIT_SECONDS)
    if worker.is_alive():
        kill(driver)


async def in_browser(
    driver: Any, fn: Callable[..., T], *args: Any, seconds: float = STEP_SECONDS
) -> T:
    """``fn(*args)`` in a daemon thread; past ``seconds`` the browser is killed and the test
    fails."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(value)

    def work() -> None:
        try:
            value, error = fn(*args), None
        except BaseException as exc:  # handed to the awaiting test
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=work, daemon=True, name="browser-step").start()
    try:
        return await asyncio.wait_for(asyncio.shield(done), seconds)
    except TimeoutError:
        kill(driver)
        name = getattr(fn, "__name__", repr(fn))
        raise AssertionError(f"the browser did not finish {name} in {seconds} s: killed") from None
