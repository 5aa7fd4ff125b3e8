"""The operator's main flows against a fake server speaking the contract over real TCP."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from cti_server.protocol import CallerInfo, SlotInfo, SlotsChanged
from desktop_client import demo_data
from desktop_client.models.dates import today_local
from tests.gui.conftest import log_in

pytestmark = pytest.mark.gui


def type_ja(widget, text):
    """Type Japanese as an input method commits it (QTest can only type ASCII)."""
    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def ring_and_confirm(qtbot, client, fake):
    fake.push(demo_data.pop())
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=5000)
    tree = client.window.pop.tree
    assert tree.topLevelItem(0).text(0).startswith("世帯 0012345")
    assert tree.topLevelItem(0).child(0).text(2) == "世帯の固定電話"
    assert "マイヅル ハナコ" in tree.topLevelItem(0).child(0).text(1)
    assert "昭和17年4月1日" in tree.topLevelItem(0).child(0).text(3)
    assert client.window.pop.caller.text() == "0773-62-1234"
    assert client.window.isVisible()
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=5000)
    qtbot.waitUntil(lambda: len(client.booking.slots) == 6, timeout=5000)


def test_pop_confirm_book_and_mobility_are_posted(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring_and_confirm(qtbot, client, fake)
    assert client.resident.card.resident_id == 1
    assert client.window.card.name.text().startswith("舞鶴 花子")
    assert client.window.tabs.currentIndex() == 0

    client.window.show_tab(1)
    client.window.booking.slots.selectRow(0)
    assert client.booking.slot_id == 1
    qtbot.keyClick(
        client.window.booking.slots, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(lambda: client.booking.status == "done", timeout=5000)
    assert client.mobility.booking_id == 100

    client.window.show_tab(2)
    view = client.window.mobility
    assert view.pickup.text() == demo_data.ADDR_1  # prefilled from the ledger
    type_ja(view.pickup, " 裏口")
    view.wheelchair.setChecked(True)
    type_ja(view.notes, "玄関に段差あり")
    qtbot.keyClick(view.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=5000)

    ((_, _, headers, booking),) = fake.posts("/api/bookings")
    assert booking == {
        "resident_id": 1,
        "slot_id": 1,
        "channel": "phone",
        "dose": 1,
        "call": "1700000000.42",
    }
    assert headers["Idempotency-Key"]
    ((_, _, mheaders, mobility),) = fake.posts("/api/mobility")
    assert mobility["booking_id"] == 100
    assert mobility["pickup_address"] == demo_data.ADDR_1 + " 裏口"
    assert mobility["wheelchair"] is True
    assert mobility["companion"] is False
    assert mobility["options"] == ["wheelchair"]
    assert mobility["notes"] == "玄関に段差あり"
    assert mheaders["Idempotency-Key"] != headers["Idempotency-Key"]
    assert client.window.pop.tree.topLevelItem(0).child(0).text(2)  # pop still on screen


def test_number_keys_pick_a_candidate_and_withheld_caller_is_named(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    fake.push(demo_data.pop(caller=CallerInfo("withheld")))
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=5000)
    assert client.window.pop.caller.text() == "非通知"
    qtbot.keyClick(client.window.pop.tree, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=5000)
    assert client.resident.card.resident_id == 3


def test_server_drop_keeps_the_forms_and_sends_them_on_reconnect(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring_and_confirm(qtbot, client, fake)
    fake.drop()
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=5000)
    assert "再接続" in client.window.connection.text()

    client.window.show_tab(1)
    client.window.booking.slots.selectRow(0)
    client.window.booking.submit.click()
    assert client.booking.status == "queued"
    view = client.window.mobility
    client.window.show_tab(2)
    type_ja(view.notes, "付き添いは娘さん")
    view.companion.setChecked(True)
    view.submit.click()
    assert client.mobility.status == "queued"
    assert "接続が戻りしだい送信" in view.status.text()
    assert view.notes.toPlainText() == "付き添いは娘さん"  # the form stays as typed
    assert "送信待ち 2件" in client.window.pending.text()

    fake.restore()
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=10000)
    assert client.booking.status == "done"
    assert len(fake.state.bookings) == 1
    ((_, _, _, mobility),) = fake.posts("/api/mobility")
    assert mobility["booking_id"] == 100  # filled in once the queued booking was made
    assert mobility["companion"] is True
    assert mobility["notes"] == "付き添いは娘さん"
    assert client.window.pending.text() == ""
    assert "接続中" in client.window.connection.text()


def test_full_slot_is_refused_and_the_form_keeps_its_input(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring_and_confirm(qtbot, client, fake)
    client.window.show_tab(2)
    type_ja(client.window.mobility.notes, "車いすを持参")
    client.window.show_tab(1)
    client.window.booking.slots.selectRow(0)
    s = fake.state.slots[1]
    fake.state.slots[1] = SlotInfo(1, s.venue_id, s.starts_at, s.ends_at, s.capacity, s.capacity)
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "refused", timeout=5000)
    assert "満員" in client.window.booking.status.text()
    assert client.booking.slot_id == 1  # the choice stays
    qtbot.waitUntil(lambda: client.booking.slots[1].remaining == 0, timeout=5000)
    assert client.window.mobility.notes.toPlainText() == "車いすを持参"
    assert fake.state.bookings == {}


def test_slots_update_live_while_the_form_is_open(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring_and_confirm(qtbot, client, fake)
    day = today_local().isoformat()
    qtbot.waitUntil(lambda: (1, day) in fake.state.watches, timeout=5000)
    s = fake.state.slots[4]
    fake.push(SlotsChanged(slots=(SlotInfo(4, 1, s.starts_at, s.ends_at, 10, 10),)))
    qtbot.waitUntil(lambda: client.booking.slots[4].remaining == 0, timeout=5000)
    assert client.window.booking.slots.item(3, 3).text() == "満員"


def test_search_as_you_type_and_wrap_up(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    fake.push(demo_data.pop())
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=5000)
    qtbot.keyClick(client.window, Qt.Key.Key_F3)
    type_ja(client.window.pop.fields["name"], "タカハシ")
    qtbot.waitUntil(lambda: len(client.search.results) == 1, timeout=5000)
    assert fake.state.searches[-1] == "タカハシ"
    results = client.window.pop.results
    assert "髙橋 正子" in results.topLevelItem(0).text(1)
    results.setFocus()
    results.select_index(0)
    qtbot.keyClick(results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=5000)
    assert client.resident.card.resident_id == 3

    client.window.show_tab(3)
    view = client.window.wrapup
    view.boxes["booked"].click()
    type_ja(view.notes, "本人と確認")
    view.submit.click()
    qtbot.waitUntil(lambda: client.wrapup.status == "done", timeout=5000)
    assert fake.state.dispositions["1700000000.42"] == {"codes": ["booked"], "notes": "本人と確認"}


def test_language_switch_to_english_and_back(qtbot, client, fake):
    window = client.window
    assert window.windowTitle() == "CTI アシスタント"
    client.set_language("en")
    assert window.windowTitle() == "CTI Assistant"
    assert window.tabs.tabText(1) == "Booking (F5)"
    assert window.pop.caller.text() == "Waiting for a call"
    assert window.booking.submit.text().startswith("Book")
    assert client.settings.value("ui/language") == "en"
    assert window.lang_actions["en"].isChecked()
    client.set_language("ja")
    assert window.tabs.tabText(1) == "予約 (F5)"
    assert client.settings.value("ui/language") == "ja"


def test_login_remembers_everything_but_the_password(qtbot, client, fake):
    from desktop_client.app import ask_login

    dialog = ask_login(client)
    qtbot.addWidget(dialog)
    dialog.server.setText(fake.url)
    dialog.username.setText("op")
    dialog.password.setText("pw")
    dialog.extension.setText("201")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: client.link.state == "connected", timeout=5000)
    keys = client.settings.allKeys()
    assert client.settings.value("login/server") == fake.url
    assert client.settings.value("login/extension") == "201"
    assert not any("pass" in k for k in keys)
    assert "pw" not in [str(client.settings.value(k)) for k in keys]


def test_wrong_password_is_told(qtbot, client, fake):
    from desktop_client.app import ask_login

    dialog = ask_login(client)
    qtbot.addWidget(dialog)
    dialog.server.setText(fake.url)
    dialog.username.setText("op")
    dialog.password.setText("nope")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=5000)
    assert dialog.message.text() == "ユーザー名またはパスワードが違います。"  # no English tail


def test_pending_lookup_says_so_then_the_full_pop_replaces_it(qtbot, client, fake):
    """The server pops at ringing before its lookup ends, then sends the full pop."""
    log_in(qtbot, client, fake.url)
    full = demo_data.pop()
    fake.push(dataclasses.replace(full, households=(), lookup_error="pending"))
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=5000)
    label = client.window.pop.lookup_error
    assert label.isVisibleTo(client.window)
    assert label.text() == "台帳を照会中…"
    fake.push(full)
    qtbot.waitUntil(lambda: client.window.pop.tree.topLevelItemCount() == 2, timeout=5000)
    assert not label.isVisibleTo(client.window)


def test_candidates_show_booking_mobility_and_call_flags(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    fake.push(demo_data.pop())
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=5000)
    tree = client.window.pop.tree
    assert tree.headerItem().text(5) == "状況"
    first, second = (tree.topLevelItem(0).child(i) for i in (0, 1))
    assert first.text(5) == "意向: 接種希望 はい・移動支援 はい（はがき 2024-04-02）"
    assert not first.font(5).bold()
    assert second.text(5) == "予約済、移動支援、通話歴あり"
    assert second.font(5).bold()
