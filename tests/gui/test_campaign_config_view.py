"""The client against the real server (SQLite file): an admin edits the wrap-up codes and the
retry policy in the キャンペーン設定 section; a save over a version someone else replaced reloads
what is stored and says so; an operator does not see the section."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTime

from tests.gui.test_admin_view import log_in
from tests.gui.test_client_real_server import RealServer, running

pytestmark = pytest.mark.gui


class ConfigServer(RealServer):
    async def setup(self):
        from registry.db import session_factory
        from registry.operators import create_operator

        seed = await super().setup()
        async with session_factory(self.engine)() as s:
            await create_operator(s, "adm1", "pw-123456", role="admin")
            await create_operator(s, "adm2", "pw-123456", role="admin")
            await s.commit()
        return seed

    async def stored(self, key):
        from registry import campaign_config as cc
        from registry.db import session_factory

        async with session_factory(self.engine)() as s:
            return await cc.current(s, key)

    async def save_elsewhere(self, key, version, value):
        """Another admin saves through the REST API."""
        import aiohttp

        url = f"http://127.0.0.1:{self.port}"
        async with aiohttp.ClientSession() as http:
            login = {"username": "adm2", "password": "pw-123456"}
            async with http.post(f"{url}/api/login", json=login) as resp:
                token = (await resp.json())["token"]
            body = {"version": version, "value": value}
            headers = {"Authorization": f"Bearer {token}"}
            async with http.put(f"{url}/api/config/{key}", json=body, headers=headers) as resp:
                assert resp.status == 200, await resp.text()


@pytest.fixture
def real(tmp_path):
    server = ConfigServer(tmp_path / "ledger.sqlite3")
    yield from running(server)


def wait_idle(qtbot, model):
    qtbot.waitUntil(lambda: model.status in ("done", "refused", "failed"), timeout=10000)


def test_admin_edits_codes_and_retry_policy(qtbot, client, real):
    log_in(qtbot, client, real, "adm1")
    window, view, model = client.window, client.config.view, client.config.model
    qtbot.waitUntil(lambda: window.config is view and model.loaded, timeout=10000)
    titles = [window.sections.tabText(i) for i in range(window.sections.count())]
    assert "キャンペーン設定" in titles
    window.show_config()
    assert view.codes.rowCount() == 9  # the server's default list
    assert view.codes.item(0, 0).text() == "booked"
    assert view.codes.item(0, 1).text() == "予約"
    assert view.attempts.value() == 3

    # rename a label, remove a row, add one
    view.codes.item(0, 1).setText("予約済み")
    view.codes.setCurrentCell(8, 0)  # その他
    view.remove_button.click()
    view.add_button.click()
    row = view.codes.rowCount() - 1
    for column, text in enumerate(("info", "案内のみ", "Information")):
        view.codes.item(row, column).setText(text)
    view.save_codes_button.click()
    wait_idle(qtbot, model)
    assert model.status == "done", model.message
    assert view.status.text() == "保存しました。"
    stored = real.call(real.stored("dispositions"))
    assert stored.version == 1
    codes = [d["code"] for d in stored.value]
    assert (codes[0], codes[-1]) == ("booked", "info")
    assert "other" not in codes
    assert stored.value[0]["ja"] == "予約済み"

    # a code the server refuses names the row; the edits stay
    view.codes.item(row, 0).setText("Info!")
    view.save_codes_button.click()
    wait_idle(qtbot, model)
    assert model.status == "refused"
    assert "9 行目" in view.status.text()
    assert view.codes.item(row, 0).text() == "Info!"

    # the retry policy: attempts, interval, calling hours
    view.attempts.setValue(5)
    view.interval.setValue(45)
    view.earliest.setTime(QTime(10, 0))
    view.latest.setTime(QTime(18, 30))
    view.save_retry_button.click()
    wait_idle(qtbot, model)
    assert model.status == "done", model.message
    policy = real.call(real.stored("retry_policy")).value
    assert policy == {"max_attempts": 5, "interval_minutes": 45, "earliest": "10:00",
                      "latest": "18:30", "claim_minutes": 15}  # fmt: skip

    # someone else saves first: the save is refused, what is stored is loaded again
    real.call(real.save_elsewhere("retry_policy", 1, {**policy, "max_attempts": 2}))
    view.attempts.setValue(7)
    view.save_retry_button.click()
    qtbot.waitUntil(lambda: model.notice == "stale", timeout=10000)
    qtbot.waitUntil(lambda: view.attempts.value() == 2, timeout=10000)
    assert view.status.text() == (
        "他の人が先に変更しました。保存されている内容を読み込み直しました。"
    )
    assert real.call(real.stored("retry_policy")).value["max_attempts"] == 2

    client.set_language("en")
    assert view.save_codes_button.text() == "Save wrap-up codes"
    assert view.status.text() == "Someone else changed it first; reloaded what is stored now."
    client.set_language("ja")  # the translator belongs to the application, shared by tests


def test_operators_do_not_see_the_settings(qtbot, client, real):
    log_in(qtbot, client, real, "op1")
    qtbot.waitUntil(lambda: client.link.hello is not None, timeout=10000)
    assert client.window.config is None
    assert not client.window.config_action.isVisible()
