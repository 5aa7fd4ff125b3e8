"""The operator's own state in the status bar: extension and state always shown, F12 sends
受付可 / 完了 and F11 休止 with a reason, a supervisor's pause shown at once, refusals in words."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from cti_server import protocol
from desktop_client.views import agent_state as agent_view

pytestmark = pytest.mark.gui


def hello(ext="1001"):
    return protocol.Hello(
        protocol.PROTOCOL_VERSION, "s", protocol.OperatorInfo(1, "op", "鈴木", "operator", ext),
        dt.datetime.now(dt.UTC).isoformat(), {"vaccine": "ワクチン予約"},
    )  # fmt: skip


def status(state, reason="", by="", name="", until=None):
    now = dt.datetime.now(dt.UTC)
    return protocol.AgentStatus("1001", state, reason, now.isoformat(), until, by, name, 30)


@pytest.fixture
def wired(qtbot, client, monkeypatch):
    sent = []
    monkeypatch.setattr(client.link, "send", lambda msg: sent.append(msg) or True)
    client.window.show()
    client.window.activateWindow()
    qtbot.waitUntil(client.window.isActiveWindow, timeout=5000)
    feed = client.link.feed_text
    feed(protocol.encode(hello()))
    return client, client.agent.view, sent, lambda m: feed(protocol.encode(m))


def test_status_bar_shows_extension_and_state(wired):
    client, view, _sent, feed = wired
    assert view.isVisibleTo(client.window)
    assert view.extension.text() == "内線 1001"
    feed(status("available"))
    assert view.state.text() == "受付可"
    assert view.timer.text() == "0:00"
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).isoformat()
    feed(status("after_call", "後処理", "after_call", until=until))
    assert view.state.text() == "後処理"
    assert view.timer.text() in ("残り 0:30", "残り 0:29")
    assert view.ready_button.text().startswith("後処理を完了")
    assert not view.notice.isVisibleTo(client.window)


def test_f12_finishes_after_call_work_and_f11_pauses_with_a_reason(qtbot, wired, monkeypatch):
    client, _view, sent, feed = wired
    feed(status("after_call", "後処理", "after_call"))
    qtbot.keyClick(client.window, Qt.Key.Key_F12)
    assert sent == [protocol.SetAgentState("available")]
    feed(status("available", by="self"))
    monkeypatch.setattr(agent_view, "ask_pause_reason", lambda *a, **k: ("休憩", True))
    qtbot.keyClick(client.window, Qt.Key.Key_F11)
    assert sent[-1] == protocol.SetAgentState("paused", "休憩")
    feed(protocol.ErrorMessage("not_in_queue", "extension 1001 is in no queue"))
    assert client.agent.view.notice.text() == "この内線はどのキューにも入っていません。"


def test_a_supervisors_pause_is_told_at_once(wired):
    client, view, _sent, feed = wired
    feed(status("available"))
    feed(status("paused", "研修", "supervisor", "佐藤"))
    assert view.state.text() == "休止中（研修）"
    assert view.notice.isVisibleTo(client.window)
    assert view.notice.text() == "佐藤 さんが休止にしました（研修）"
    feed(status("available", by="supervisor", name="佐藤"))
    assert view.notice.text() == "佐藤 さんが休止を解除しました"
    client.set_language("en")
    try:
        assert view.notice.text() == "佐藤 unpaused you"
        assert view.extension.text() == "Ext. 1001"
    finally:
        client.set_language("ja")
