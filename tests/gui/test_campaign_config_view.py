"""The client against the real server (SQLite file): an admin edits the wrap-up codes and the
retry policy in the キャンペーン設定 section; a save over a version someone else replaced reloads
what is stored and says so; an operator does not see the section. A save reaches an operator's
open forms at once (mobility options, the intent's question) without losing what was typed; the
history lists versions and an older one is saved again as a new version."""

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


STRETCHER = [
    {"code": "wheelchair", "ja": "車椅子", "en": "Wheelchair"},
    {"code": "companion", "ja": "付き添い", "en": "Companion"},
    {"code": "stretcher", "ja": "ストレッチャー", "en": "Stretcher"},
]


def test_a_saved_setting_reaches_an_operator_mid_form(qtbot, client, real):
    client.set_language("ja")
    log_in(qtbot, client, real, "op1")
    qtbot.waitUntil(lambda: client.link.hello is not None, timeout=10000)
    client.controller.load_resident(real.seed["residents"][0])
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=10000)
    client.window.show_tab(2)
    view, form = client.window.mobility, client.mobility
    qtbot.waitUntil(lambda: form.resident_id is not None, timeout=10000)
    assert list(view.boxes) == ["wheelchair", "companion"]
    view.wheelchair.setChecked(True)
    view.notes.setPlainText("玄関に段差あり")
    view.pickup.setText("舞鶴市浜1")
    view.pickup.textEdited.emit("舞鶴市浜1")
    intent = client.window.card.intent_form
    assert intent.mobility.isVisibleTo(intent)

    # an admin saves (REST, elsewhere): the boxes follow, what was typed stays
    real.call(real.save_elsewhere("mobility_options", 0, STRETCHER))
    qtbot.waitUntil(lambda: "stretcher" in view.boxes, timeout=10000)
    assert view.boxes["stretcher"].text() == "ストレッチャー"
    assert view.wheelchair.isChecked()
    assert view.notes.toPlainText() == "玄関に段差あり"
    assert view.pickup.text() == "舞鶴市浜1"
    view.boxes["stretcher"].setChecked(True)
    client.set_language("en")
    assert view.boxes["stretcher"].text() == "Stretcher"
    assert view.boxes["stretcher"].isChecked()
    client.set_language("ja")

    # removed while ticked: the box stays, by its code, and the request keeps it
    real.call(real.save_elsewhere("mobility_options", 1, STRETCHER[:2]))
    qtbot.waitUntil(lambda: len(client.mobility.offered.mobility) == 2, timeout=10000)
    assert view.boxes["stretcher"].isChecked()
    assert view.boxes["stretcher"].text() == "stretcher"  # no label any more: its code
    real.call(real.save_elsewhere("mobility_options", 2, STRETCHER))
    qtbot.waitUntil(lambda: len(client.mobility.offered.mobility) == 3, timeout=10000)
    view.submit.click()
    qtbot.waitUntil(lambda: form.status in ("done", "refused", "failed"), timeout=10000)
    assert form.status == "done", form.message
    _, mobility = real.call(real.rows())
    assert (mobility[0].wheelchair, mobility[0].companion) == (True, False)
    assert mobility[0].other_options == ["stretcher"]
    assert mobility[0].notes == "玄関に段差あり"
    client.controller.load_resident(real.seed["residents"][0])
    card = client.window.card.tables["mobility"]
    qtbot.waitUntil(lambda: card.rowCount() == 1, timeout=10000)
    assert card.item(0, 1).text() == "車椅子、ストレッチャー"

    # the intent's mobility question follows intent_questions
    real.call(real.save_elsewhere("intent_questions", 0, {"needs_mobility": False}))
    qtbot.waitUntil(lambda: not intent.mobility.isVisibleTo(intent), timeout=10000)
    assert not client.intent.asks_mobility()
    real.call(real.save_elsewhere("intent_questions", 1, {"needs_mobility": True}))
    qtbot.waitUntil(lambda: intent.mobility.isVisibleTo(intent), timeout=10000)


def test_admin_sees_the_history_and_saves_an_older_version_again(qtbot, client, real):
    client.set_language("ja")
    log_in(qtbot, client, real, "adm1")
    window, view, model = client.window, client.config.view, client.config.model
    qtbot.waitUntil(lambda: window.config is view and model.loaded, timeout=10000)
    window.show_config()
    view.list_choice.setCurrentIndex(1)
    view.list_choice.activated.emit(1)
    assert model.list_key == "mobility_options"
    assert [r[0] for r in model.codes] == ["wheelchair", "companion"]
    view.add_button.click()
    row = view.codes.rowCount() - 1
    for column, text in enumerate(("stretcher", "ストレッチャー", "Stretcher")):
        view.codes.item(row, column).setText(text)
    view.save_codes_button.click()
    wait_idle(qtbot, model)
    assert model.status == "done", model.message
    real.call(real.save_elsewhere("mobility_options", 1, STRETCHER[:1]))  # adm2 cuts it down

    history = view.history
    history.key_choice.setCurrentIndex(1)
    history.key_choice.activated.emit(1)
    qtbot.waitUntil(lambda: history.table.rowCount() == 2, timeout=10000)
    rows = [[history.table.item(r, c).text() for c in range(3)] for r in range(2)]
    assert [(r[0], r[1]) for r in rows] == [("2", "adm2"), ("1", "adm1")]
    assert rows[0][2].startswith("20")  # a local date and time
    history.table.selectRow(1)
    history.load_button.click()
    assert view.status.text() == (
        "移動支援の選択肢 の版 1 を読み込みました。保存すると新しい版になります。"
    )
    assert [r[0] for r in model.codes] == ["wheelchair", "companion", "stretcher"]
    assert view.codes.item(2, 1).text() == "ストレッチャー"
    view.save_codes_button.click()  # refused: version 2 was saved since this editor loaded
    qtbot.waitUntil(lambda: model.notice == "stale", timeout=10000)
    qtbot.waitUntil(lambda: model.versions["mobility_options"] == 2, timeout=10000)
    history.table.selectRow(1)
    history.load_button.click()
    view.save_codes_button.click()
    wait_idle(qtbot, model)
    assert model.status == "done", model.message
    stored = real.call(real.stored("mobility_options"))
    assert stored.version == 3
    assert [o["code"] for o in stored.value] == ["wheelchair", "companion", "stretcher"]
    qtbot.waitUntil(lambda: history.table.rowCount() == 3, timeout=10000)
    assert history.table.item(0, 0).text() == "3"

    view.asks_mobility.setChecked(False)
    view.save_intent_button.click()
    wait_idle(qtbot, model)
    assert real.call(real.stored("intent_questions")).value == {"needs_mobility": False}
