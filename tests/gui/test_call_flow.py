"""Several calls in a row against the fake server: nothing typed is lost, no form stays armed for
the previous caller, the focus is never taken from a field being typed in, what the screen says
was saved is what the server got."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from cti_server.protocol import CallerInfo, SlotInfo
from desktop_client import demo_data
from desktop_client.app import build
from desktop_client.link import ServerLink
from desktop_client.models.dates import today_local
from tests.gui.conftest import log_in
from tests.gui.test_client_flows import type_ja

pytestmark = pytest.mark.gui

A, B = "1700000000.42", "1700000100.7"


def ring(qtbot, client, fake, linkedid=A, **kw):
    fake.push(demo_data.pop(linkedid=linkedid, **kw))
    qtbot.waitUntil(
        lambda: client.pop.pop is not None and client.pop.pop.call.linkedid == linkedid,
        timeout=5000,
    )


def confirm(qtbot, client, number=1):
    client.window.activateWindow()
    qtbot.keyClick(client.window.pop.tree, Qt.Key.Key_0 + number)
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=5000)
    qtbot.waitUntil(lambda: client.booking.subject is not None, timeout=5000)
    qtbot.waitUntil(lambda: len(client.booking.slots) == 6, timeout=5000)


def focused():
    return QApplication.focusWidget()


def test_a_new_call_keeps_the_wrap_up_being_typed_and_never_steals_its_keys(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.show_tab(3)
    view = client.window.wrapup
    assert not view.submit.isEnabled()  # greyed out, and says why
    assert view.submit.toolTip() == "結果を1つ以上選ぶと保存できます。"
    view.boxes["inquiry"].click()
    assert view.submit.isEnabled()
    assert view.submit.toolTip() == ""
    type_ja(view.notes, "Aさんのメモ")
    assert focused() is view.notes

    ring(qtbot, client, fake, B, caller=CallerInfo("withheld"))
    assert focused() is view.notes  # the pop did not take the keyboard
    qtbot.keyClicks(view.notes, "xy")  # keys meant for the notes stay in the notes
    qtbot.keyClick(focused(), Qt.Key.Key_Down)
    assert client.pop.selected == 0
    assert client.wrapup.linkedid == A
    assert client.wrapup.notes.startswith("Aさんのメモxy")
    assert "0773-62-1234" in view.call.text()
    assert "舞鶴 花子（マイヅル ハナコ）" in view.call.text()  # whom the call was about
    assert A not in view.call.text()
    view.submit.click()
    qtbot.waitUntil(lambda: A in fake.state.dispositions, timeout=5000)
    assert fake.state.dispositions[A]["codes"] == ["inquiry"]
    assert fake.state.dispositions[A]["notes"].startswith("Aさんのメモxy")

    # call B's wrap-up is there beside it; A is saved, so it is no longer listed as unsaved
    client.wrapup.show(B)
    assert client.wrapup.codes == []
    assert "非通知" in view.call.text()
    # the server stored A; the client learns so when its answer arrives
    qtbot.waitUntil(lambda: client.wrapup.others_unsaved() == [], timeout=5000)


def test_an_unfinished_wrap_up_stays_with_its_call_and_survives_a_restart(
    qtbot, client, fake, tmp_path: Path
):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    client.window.show_tab(3)
    client.window.wrapup.boxes["callback"].click()
    client.wrapup.set_notes("夕方に折り返す")
    client.window.pop.tree.setFocus()  # not typing: the wrap-up follows the new call
    ring(qtbot, client, fake, B)
    assert client.wrapup.linkedid == B
    (other,) = client.wrapup.others_unsaved()
    assert (other.linkedid, other.codes, other.notes) == (A, ["callback"], "夕方に折り返す")
    assert "1" in client.window.wrapup._labels["others"].text()
    assert fake.state.dispositions == {}  # nothing sent behind the operator's back

    settings = QSettings(str(tmp_path / "again.ini"), QSettings.Format.IniFormat)
    again = build(settings, link=ServerLink(), outbox_path=tmp_path / "outbox.json")
    qtbot.addWidget(again.window)
    saved = again.wrapup.calls[A]
    assert (saved.codes, saved.notes) == (["callback"], "夕方に折り返す")
    combo = again.window.wrapup.others
    assert any(combo.itemData(i) == A for i in range(combo.count()))


def test_a_new_call_disarms_the_previous_callers_forms(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    bar = client.window.booking.subject_bar
    assert "舞鶴 花子（マイヅル ハナコ）" in bar.text()
    assert "宛名番号 20000001" in bar.text()
    assert "0773-62-1234" in bar.text()
    client.window.show_tab(1)
    client.window.booking.slots.selectRow(0)
    client.window.show_tab(2)
    type_ja(client.window.mobility.notes, "玄関に段差")
    client.window.pop.tree.setFocus()  # the operator went back to the pop

    ring(qtbot, client, fake, B)
    assert client.resident.card is None
    assert (client.booking.resident_id, client.booking.slot_id) == (None, None)
    assert "対象者が確定していません" in bar.text()
    client.window.show_tab(1)
    qtbot.keyClick(
        client.window.booking.slots, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    client.window.booking.submit.click()
    assert fake.posts("/api/bookings") == []
    assert client.window.mobility.notes.toPlainText() == ""
    # what was typed for A's caller is kept with call A
    assert "玄関に段差" in client.wrapup.calls[A].notes
    assert "舞鶴 花子" in client.wrapup.calls[A].notes


def test_a_form_being_typed_in_keeps_its_person_until_the_focus_leaves(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.show_tab(2)
    view = client.window.mobility
    type_ja(view.notes, "付き添いは娘さん")
    ring(qtbot, client, fake, B)
    assert focused() is view.notes
    assert client.window.tabs.currentIndex() == 2
    assert "舞鶴 花子" in view.subject_bar.text()  # still says whom it is for
    qtbot.keyClicks(view.notes, "!")
    assert client.mobility.notes == "付き添いは娘さん!"
    client.window.pop.tree.setFocus()
    assert client.mobility.resident_id is None  # disarmed once the operator left it
    assert "付き添いは娘さん!" in client.wrapup.calls[A].notes


def test_hang_up_does_not_jump_to_the_wrap_up_while_typing(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.show_tab(2)
    type_ja(client.window.mobility.pickup, "裏口")
    fake.push(demo_data.pop(state="ended"))
    qtbot.waitUntil(lambda: client.pop.pop.call.state == "ended", timeout=5000)
    assert client.window.tabs.currentIndex() == 2
    assert focused() is client.window.mobility.pickup


def test_a_form_queued_offline_is_locked_and_sends_what_it_shows(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    fake.drop()
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=5000)
    view = client.window.mobility
    client.window.show_tab(2)
    type_ja(view.notes, "段差あり")
    view.submit.click()
    assert client.mobility.status == "queued"
    assert view.notes.isReadOnly()
    assert not view.wheelchair.isEnabled()
    assert "変更できません" in view.status.text()
    type_ja(view.notes, "（追記）")  # refused by the read-only field
    client.mobility.update(notes="裏から")  # and by the model
    assert client.mobility.notes == "段差あり"
    fake.restore()
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=10000)
    ((_, _, _, body),) = fake.posts("/api/mobility")
    assert body["notes"] == view.notes.toPlainText() == "段差あり"


def test_a_wrap_up_edited_after_saving_says_so_and_saves_again(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    client.window.show_tab(3)
    view = client.window.wrapup
    view.boxes["inquiry"].click()
    type_ja(view.notes, "一回目")
    view.submit.click()
    qtbot.waitUntil(lambda: client.wrapup.status == "done", timeout=5000)
    assert view.status.text() == "通話記録に保存しました。"
    type_ja(view.notes, "、追記")
    assert "保存しました" not in view.status.text()
    assert "保存されていません" in view.status.text()
    assert view.submit.isEnabled()
    # edited while queued: the edit goes too, after the first
    fake.drop()
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=5000)
    view.submit.click()
    assert client.wrapup.status == "queued"
    type_ja(view.notes, "、三回目")
    assert "保存されていません" in view.status.text()
    view.submit.click()
    fake.restore()
    qtbot.waitUntil(lambda: client.wrapup.status == "done", timeout=10000)
    assert fake.state.dispositions[A]["notes"] == "一回目、追記、三回目"
    assert view.status.text() == "通話記録に保存しました。"


def test_the_wrap_up_is_prefilled_from_what_happened_in_the_call(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.booking.slots.selectRow(0)
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "done", timeout=5000)
    client.window.mobility.submit.click()
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=5000)
    assert client.wrapup.codes == ["booked", "mobility"]
    boxes = client.window.wrapup.boxes
    assert boxes["booked"].isChecked()
    assert boxes["mobility"].isChecked()
    assert boxes["booked"].text() == "予約"  # the server's label
    assert fake.state.linked == {A: 1}  # the confirmed resident is linked to the call


def test_started_and_full_slots_are_greyed_and_cannot_be_picked(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    s = fake.state.slots[5]
    fake.state.slots[5] = SlotInfo(5, s.venue_id, s.starts_at, s.ends_at, s.capacity, s.capacity)
    noon = dt.datetime.combine(today_local(), dt.time(12, 5), demo_data.JST)
    client.booking.now = lambda: noon
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    table = client.window.booking.slots
    assert [table.item(r, 3).text() for r in range(6)] == [
        "受付終了",  # 09:00, started
        "満員",  # 10:00, full (and started)
        "受付終了",  # 11:00
        "10",
        "満員",  # 14:00, made full above
        "8",
    ]
    assert not table.item(0, 0).flags() & Qt.ItemFlag.ItemIsSelectable
    table.selectRow(0)
    table.selectRow(4)
    assert client.booking.slot_id is None
    client.booking.select_slot(1)  # even if picked some other way
    assert not client.booking.can_submit()
    table.selectRow(3)
    assert client.booking.slot_id == 4
    assert client.booking.can_submit()


def test_a_refusal_is_worded_in_the_operators_language_only(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    fake.state.started.add(1)
    client.window.booking.slots.selectRow(0)
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "refused", timeout=5000)
    status = client.window.booking.status
    assert status.text() == "この枠はすでに始まっています。別の枠を選んでください。"
    client.set_language("en")
    try:
        assert status.text() == "This slot has already started. Please choose another slot."
    finally:
        client.set_language("ja")  # the translator is the application's, shared by later tests


def test_half_width_kana_the_card_top_search_cleared_and_search_focus(qtbot, client, fake):
    kana = "ﾏｲﾂﾞﾙ ﾊﾅｺ"
    fake.state.residents[1] = dataclasses.replace(demo_data.resident_detail(1), name_kana=kana)
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    assert client.window.card.values["kana"].text() == "マイヅル ハナコ"
    client.window.card.verticalScrollBar().setValue(
        client.window.card.verticalScrollBar().maximum()
    )
    type_ja(client.window.pop.fields["name"], "タカハシ")
    qtbot.waitUntil(lambda: len(client.search.results) == 1, timeout=5000)
    client.window.pop.tree.setFocus()

    withheld = dataclasses.replace(demo_data.pop(linkedid=B), households=())
    withheld = dataclasses.replace(withheld, caller=CallerInfo("withheld"))
    fake.push(withheld)
    qtbot.waitUntil(lambda: client.pop.pop.call.linkedid == B, timeout=5000)
    assert client.window.pop.fields["name"].text() == ""
    assert client.search.results == []
    assert focused() is client.window.pop.fields["name"]  # nobody to pick: search by name
    qtbot.keyClick(client.window.pop.results, Qt.Key.Key_Escape)
    client.window.pop.tree.setFocus()
    type_ja(client.window.pop.fields["name"], "舞鶴")
    qtbot.waitUntil(lambda: len(client.search.results) >= 1, timeout=5000)
    client.window.pop.results.setFocus()
    client.window.pop.results.select_index(0)
    qtbot.keyClick(client.window.pop.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=5000)
    assert client.window.card.verticalScrollBar().value() == 0  # a new resident: from the top
    assert client.window.pop.results.topLevelItem(0).text(1).startswith("舞鶴 花子（マイヅル")


def test_a_search_page_cut_inside_a_tie_asks_for_more(qtbot, client, fake):
    """The server says more residents matched as well as the last one listed: the operator is
    told how many and asked for the birth date or banchi; a narrower search clears it."""
    log_in(qtbot, client, fake.url)
    fake.state.tied_beyond = 7
    state = client.window.pop.search_state
    type_ja(client.window.pop.fields["name"], "タカハシ")
    qtbot.waitUntil(lambda: client.search.tied_beyond == 7, timeout=5000)
    assert state.text() == "1件（同じ一致度の方がほかに7人以上: 生年月日か番地で絞り込み）"
    client.set_language("en")
    try:
        assert state.text() == (
            "1 found (at least 7 more match as well: narrow down by birth date or address number)"
        )
    finally:
        client.set_language("ja")
    fake.state.tied_beyond = 0
    type_ja(client.window.pop.fields["birth"], "S17")
    qtbot.waitUntil(lambda: client.search.tied_beyond == 0 and not client.search.busy, timeout=5000)
    assert state.text() == "1件"


def test_hang_up_shows_the_wrap_up_of_the_call_that_ended(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    client.window.show_tab(3)
    type_ja(client.window.wrapup.notes, "Aの途中")
    ring(qtbot, client, fake, B)
    assert client.wrapup.linkedid == A  # typed in: stays
    confirm(qtbot, client)
    fake.push(demo_data.pop(linkedid=B, state="ended"))
    qtbot.waitUntil(lambda: client.pop.pop.call.state == "ended", timeout=5000)
    assert client.window.tabs.currentIndex() == 3
    assert client.wrapup.linkedid == B
    assert [w.linkedid for w in client.wrapup.others_unsaved()] == [A]


def test_a_wrap_up_queued_before_a_restart_is_sent_and_says_so(qtbot, client, fake, tmp_path):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    client.window.wrapup.boxes["other"].click()
    fake.drop()
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=5000)
    client.window.wrapup.submit.click()
    assert client.wrapup.status == "queued"
    client.link.stop()  # the client closes with the wrap-up in its outbox

    settings = QSettings(str(tmp_path / "again.ini"), QSettings.Format.IniFormat)
    again = build(
        settings, link=ServerLink(backoff=(0.05, 0.2)), outbox_path=tmp_path / "outbox.json"
    )
    qtbot.addWidget(again.window)
    assert (again.wrapup.linkedid, again.wrapup.status) == (A, "queued")
    fake.restore()
    log_in(qtbot, again, fake.url)
    qtbot.waitUntil(lambda: again.wrapup.status == "done", timeout=10000)
    assert fake.state.dispositions[A]["codes"] == ["other"]
    again.link.stop()
