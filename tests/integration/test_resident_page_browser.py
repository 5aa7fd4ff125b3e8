"""The residents' page in a real browser: Selenium drives Debian's headless Chromium
(chromium-driver) on a phone-sized 360x740 window against the real server (127.0.0.1, port 0).

A resident mistypes the postcard number (the check digit is caught as they type, and by the
server), gives a wrong birth date (the same message as for a number nobody has), gets in with a
wareki date, answers, sees the confirmation and their booking, and asks for a change; the answer
and the request are in the database. The same in English. The pages fit 320 px and the phone's
text at 200 % without sideways scrolling. Screenshots of each step go to the test's temporary
directory, or to ``CTI_SCREENS_DIR`` (``CTI_SCREENS_DIR=docs/screens python -m pytest
tests/integration/test_resident_page_browser.py -m "not postgres"`` regenerates docs/screens).
Skipped when chromium or chromedriver is not installed (deploy/test.sh installs both)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cti_server.web.app import create_app
from registry import contact_requests
from registry.db import session_factory
from registry.intents import intents_of
from tests.integration.browser import (
    NEEDS_WEBDRIVER,
    RETRY_ONCE,
    chrome,
    in_browser,
    quit_browser,
)
from tests.integration.resident_helpers import Ledger, seed
from tests.integration.web_helpers import make_settings

pytestmark = [NEEDS_WEBDRIVER, RETRY_ONCE]
PHONE = (360, 740)


def new_driver(profile: Path, size: tuple[int, int] = PHONE, font_size: int = 16) -> Any:
    # the phone's text size: the default font size the page's rem sizes follow
    prefs = {"webkit.webprefs.default_font_size": font_size}
    driver = chrome(profile, "--force-device-scale-factor=1", f"--window-size={size[0]},{size[1]}",
                    "--lang=ja", prefs=prefs)  # fmt: skip
    # a phone's viewport (a desktop window cannot be narrower than 500 px)
    metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    return driver


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("CTI_SCREENS_DIR") or tmp_path / "shots")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
async def served(engine, db_url) -> AsyncIterator[tuple[str, Ledger]]:
    ledger = await seed(engine)
    app = create_app(make_settings(db_url), engine=engine, load_name_index=False)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", ledger
    finally:
        await runner.cleanup()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = new_driver(tmp_path / "profile")
    try:
        yield driver
    finally:
        quit_browser(driver)


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def text_of(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def click_and_wait(driver: Any, element: Any) -> None:
    """Click what loads a new page, and wait until the new page is there."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()

    def left(_: Any) -> bool:  # the old page is gone (stale, or its node no longer known)
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 20).until(left)
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def submit(driver: Any, form_action: str) -> None:
    from selenium.webdriver.common.by import By

    form = driver.find_element(By.CSS_SELECTOR, f'form[action^="{form_action}"]')
    click_and_wait(driver, form.find_element(By.CSS_SELECTOR, 'button[type="submit"]'))


def follow(driver: Any, href: str) -> None:
    from selenium.webdriver.common.by import By

    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f'a[href^="{href}"]'))


def shot(driver: Any, shots: Path, name: str, element_id: str | None = None) -> None:
    if element_id:
        driver.execute_script("arguments[0].scrollIntoView(true)", by_id(driver, element_id))
    else:
        driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(shots / f"{name}.png"))


def fill(driver: Any, element_id: str, text: str) -> None:
    field = by_id(driver, element_id)
    field.clear()
    field.send_keys(text)


def choose(driver: Any, element_id: str) -> None:
    radio = by_id(driver, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", radio)
    radio.click()


def fits(driver: Any) -> bool:
    """Nothing wider than the window (no sideways scrolling)."""
    return bool(
        driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    )


def identify_steps(driver: Any, base: str, ledger: Ledger, shots: Path) -> dict[str, str]:
    seen: dict[str, str] = {}
    driver.get(base + "/r/")
    assert driver.execute_script("return window.innerWidth") == PHONE[0]
    shot(driver, shots, "resident-identify")
    typo = ledger.barcode[:-2] + ledger.barcode[-1] + ledger.barcode[-2]  # adjacent swap
    fill(driver, "barcode", typo)
    seen["live"] = text_of(driver, "#barcode-live")  # the check digit, as typed
    fill(driver, "birth", "昭和18年5月10日")
    shot(driver, shots, "resident-check-digit")
    submit(driver, "/r/")
    seen["typo"] = text_of(driver, "#error-summary")
    seen["typo_focused"] = driver.switch_to.active_element.get_attribute("id")
    shot(driver, shots, "resident-typo")
    fill(driver, "barcode", ledger.barcode)
    seen["live_ok"] = text_of(driver, "#barcode-live")
    fill(driver, "birth", "昭和18年5月11日")
    submit(driver, "/r/")
    seen["wrong_birth"] = text_of(driver, "#error-summary")
    shot(driver, shots, "resident-not-matched")
    fill(driver, "barcode", ledger.unknown_barcode)
    submit(driver, "/r/")
    seen["unknown"] = text_of(driver, "#error-summary")
    fill(driver, "barcode", " ".join(ledger.barcode[i : i + 4] for i in (0, 4, 8)))
    fill(driver, "birth", "Ｓ１８．５．１０")  # full-width, as a phone's keyboard may give
    submit(driver, "/r/")
    seen["home"] = text_of(driver, "main")
    seen["home_fits"] = str(fits(driver))
    shot(driver, shots, "resident-home")
    return seen


def answer_steps(driver: Any, shots: Path) -> dict[str, str]:

    seen: dict[str, str] = {}
    follow(driver, "/r/answer")
    choose(driver, "wants_vaccination-yes")
    submit(driver, "/r/answer")  # the other questions are needed after a yes
    seen["missing"] = text_of(driver, "#error-summary")
    shot(driver, shots, "resident-answer-missing")
    choose(driver, "mobility-pickup")
    choose(driver, "time_of_day-pm")
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, "venue")).select_by_visible_text("西市民プラザ")
    fill(driver, "note", "足が悪いので送迎をお願いします")
    shot(driver, shots, "resident-answer", "mobility")
    submit(driver, "/r/answer")
    seen["done"] = text_of(driver, "main")
    shot(driver, shots, "resident-answer-done")
    follow(driver, "/r/me")
    choose(driver, "kind-reschedule")
    fill(driver, "note", "平日の午後に変えたい")
    shot(driver, shots, "resident-change", "change-title")
    submit(driver, "/r/change")
    seen["change_done"] = text_of(driver, "main")
    shot(driver, shots, "resident-change-done")
    follow(driver, "/r/me")  # the request sent is listed, so it is not sent twice
    seen["pending"] = text_of(driver, "#change-title + p")
    shot(driver, shots, "resident-home-pending", "change-title")
    return seen


async def test_a_resident_answers_in_the_browser(served, browser, shots, engine):
    base, ledger = served
    seen = await in_browser(browser, identify_steps, browser, base, ledger, shots)
    assert seen["live"] == "はがきの番号が正しくありません。打ち間違いがないか確かめてください。"
    assert "打ち間違い" in seen["typo"]
    assert seen["typo_focused"] == "error-summary"  # the summary gets the focus
    assert seen["live_ok"] == "番号の形は正しいです。"
    assert "はがきの番号または生年月日が登録内容と一致しません。" in seen["wrong_birth"]
    assert seen["unknown"] == seen["wrong_birth"]  # nothing tells a real number from another
    assert "髙橋 一● 様" in seen["home"]
    assert "2031年5月12日（月）10:00〜10:30" in seen["home"]
    assert "中総合会館" in seen["home"]
    assert "一郎" not in seen["home"]
    assert "P-000123" not in seen["home"]
    assert seen["home_fits"] == "True"
    seen = await in_browser(browser, answer_steps, browser, shots)
    assert "移動の支援について選んでください。" in seen["missing"]
    assert "回答を受け付けました" in seen["done"]
    assert "変更のご依頼を受け付けました" in seen["change_done"]
    assert "コールセンターからご連絡します" in seen["pending"]
    async with session_factory(engine)() as s:
        intents = await intents_of(s, ledger.resident_id)
        requests = await contact_requests.open_requests(s, resident_id=ledger.resident_id)
    assert [(i.channel, i.wants_vaccination, i.needs_mobility) for i in intents] == [
        ("web", True, True)
    ]
    assert intents[0].notes == (
        "移動支援: 送迎 / 希望時間帯: 午後 / 希望会場: 西市民プラザ"
        " / 要望: 足が悪いので送迎をお願いします"
    )
    assert [(r.kind, r.note, r.booking_id) for r in requests] == [
        ("reschedule", "平日の午後に変えたい", ledger.booking_id)
    ]


def english_steps(driver: Any, base: str, ledger: Ledger, shots: Path) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    seen: dict[str, str] = {}
    driver.get(base + "/r/")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "a.lang"))  # the switch
    seen["lang"] = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    fill(driver, "barcode", ledger.barcode)
    fill(driver, "birth", "1943/5/11")
    submit(driver, "/r/")
    seen["wrong"] = text_of(driver, "#error-summary")
    fill(driver, "birth", "1943-05-10")
    shot(driver, shots, "resident-identify-en")
    submit(driver, "/r/")
    seen["home"] = text_of(driver, "main")
    shot(driver, shots, "resident-home-en")
    follow(driver, "/r/answer")
    choose(driver, "wants_vaccination-yes")
    choose(driver, "mobility-pickup")
    choose(driver, "time_of_day-am")
    shot(driver, shots, "resident-answer-en")
    submit(driver, "/r/answer")
    seen["done"] = text_of(driver, "main")
    shot(driver, shots, "resident-answer-done-en")
    return seen


async def test_the_page_in_english(served, browser, shots, engine):
    base, ledger = served
    seen = await in_browser(browser, english_steps, browser, base, ledger, shots)
    assert seen["lang"] == "en"
    assert "The postcard number or the date of birth does not match our records." in seen["wrong"]
    assert "Mon 12 May 2031, 10:00–10:30" in seen["home"]
    assert "We have received your answer" in seen["done"]
    assert "Help getting there: Pick-up / Time of day: Morning" in seen["done"]
    async with session_factory(engine)() as s:
        intents = await intents_of(s, ledger.resident_id)
    assert [(i.channel, i.wants_vaccination, i.notes) for i in intents] == [
        ("web", True, "移動支援: 送迎 / 希望時間帯: 午前")
    ]


def layout_steps(
    driver: Any, base: str, ledger: Ledger, width: int, font_size: int, shots: Path
) -> dict[str, bool]:
    name = f"resident-{width}px-text{font_size * 100 // 16}pct"
    out: dict[str, bool] = {}
    driver.get(base + "/r/")
    out["identify"] = fits(driver)
    fill(driver, "barcode", ledger.barcode)
    fill(driver, "birth", "1943-05-10")
    submit(driver, "/r/")
    out["home"] = fits(driver)
    shot(driver, shots, name, "booking-title")
    driver.get(base + "/r/answer")
    out["answer"] = fits(driver)
    return out


@pytest.mark.parametrize(("width", "font_size"), [(320, 16), (360, 32), (320, 32)])
async def test_the_pages_fit_a_narrow_phone_and_large_text(
    served, width, font_size, shots, tmp_path
):
    base, ledger = served
    driver = new_driver(tmp_path / "profile", (width, 740), font_size)
    try:
        fitted = await in_browser(driver, layout_steps, driver, base, ledger, width, font_size,
                                  shots)  # fmt: skip
    finally:
        quit_browser(driver)
    assert fitted == {"identify": True, "home": True, "answer": True}
