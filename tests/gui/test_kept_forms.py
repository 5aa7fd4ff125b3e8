"""Forms kept across a new call, and what their sends do afterwards: a send for the previous
call stays with that call, its answer is shown on the form that sent it, a refused booking leaves
the mobility request free to go on its own."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import Qt

from cti_server.protocol import CallerInfo, SlotInfo
from desktop_client.models.dates import local_time
from tests.gui.conftest import log_in
from tests.gui.test_call_flow import A, B, confirm, focused, ring
from tests.gui.test_client_flows import type_ja

pytestmark = pytest.mark.gui

PAYPHONE = CallerInfo("payphone")


def fill_the_slot(fake, slot_id=1):
    s = fake.state.slots[slot_id]
    fake.state.slots[slot_id] = SlotInfo(
        slot_id, s.venue_id, s.starts_at, s.ends_at, s.capacity, s.capacity
    )


def test_an_intent_sent_for_the_previous_call_arms_nothing_for_the_new_one(
    qtbot, client, fake, caplog
):
    caplog.set_level(logging.INFO, logger="desktop_client.sender")
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    form = client.window.card.intent_form
    client.window.show_tab(0)
    form.wants.setCurrentIndex(1)
    form.wants.activated.emit(1)
    type_ja(form.notes, "息子が代理")
    ring(qtbot, client, fake, B, caller=PAYPHONE)
    assert focused() is form.notes  # kept for call A while typed in
    assert client.intent.linkedid == A

    qtbot.keyClick(form.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: client.intent.status == "done", timeout=5000)
    ((_, _, _, body),) = fake.posts("/api/residents/1/intents")
    assert body["call"] == A
    assert f"intent sent (call {A})" in caplog.text  # the call it was for, not the one now
    # the card is read again with what was stored...
    qtbot.waitUntil(
        lambda: any(i.notes == "息子が代理" for i in client.resident.card.intents), timeout=5000
    )
    # ...and nothing is armed for call B, nor is B's wrap-up about call A's resident
    assert (client.booking.resident_id, client.booking.linkedid) == (None, None)
    assert (client.mobility.resident_id, client.mobility.linkedid) == (None, None)
    assert client.intent.linkedid == A
    assert client.wrapup.calls[B].subject is None
    assert "対象者が確定していません" in client.window.booking.subject_bar.text()
    client.window.pop.tree.setFocus()  # the operator leaves the form: it goes with its card
    assert client.resident.card is None
    assert client.intent.resident_id is None
    assert client.booking.resident_id is None


def test_a_refused_booking_leaves_the_mobility_request_free_to_go_alone(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.show_tab(1)
    client.window.booking.slots.selectRow(0)
    fill_the_slot(fake)  # another operator took the last seat
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "refused", timeout=5000)

    view = client.window.mobility
    client.window.show_tab(2)
    assert client.mobility.booking_key is None
    assert "予約なし" in view.tie.text()
    type_ja(view.notes, "玄関に段差")
    view.submit.click()
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=5000)
    ((_, _, _, body),) = fake.posts("/api/mobility")
    assert body.get("booking_id") is None
    assert body["notes"] == "玄関に段差"
    assert not any(e.status == "failed" and e.kind == "mobility" for e in client.outbox.failed())


def test_a_mobility_request_waiting_for_a_refused_booking_can_be_sent_again(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    fake.drop()
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=5000)
    client.window.show_tab(1)
    client.window.booking.slots.selectRow(0)
    client.window.booking.submit.click()
    view = client.window.mobility
    client.window.show_tab(2)
    assert "送信待ちの予約に紐づけます" in view.tie.text()
    type_ja(view.notes, "車いすを持参")
    view.submit.click()
    assert client.mobility.status == "queued"
    fill_the_slot(fake)
    fake.restore()
    qtbot.waitUntil(lambda: client.booking.status == "refused", timeout=10000)
    qtbot.waitUntil(lambda: client.mobility.status == "failed", timeout=5000)
    assert client.mobility.error == "dependency_failed"  # it waited for that booking
    assert "予約なし" in view.tie.text()  # it waits for nothing now
    assert fake.posts("/api/mobility") == []

    view.submit.click()  # as it is, without the booking
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=5000)
    ((_, _, _, body),) = fake.posts("/api/mobility")
    assert (body.get("booking_id"), body["notes"]) == (None, "車いすを持参")


def test_a_mobility_request_is_never_chained_after_a_booking_that_failed(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.booking.slots.selectRow(0)
    fill_the_slot(fake)
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "refused", timeout=5000)
    (refused,) = client.outbox.failed()
    client.mobility.tie_to(booking_key=refused.key)  # however it came to be tied to it
    client.window.mobility.submit.click()
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=5000)
    ((_, _, _, body),) = fake.posts("/api/mobility")
    assert body.get("booking_id") is None


def keep_mobility_for_a(qtbot, client, fake, notes):
    """Call A's mobility form typed in when call B rings: it is kept for call A."""
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.show_tab(2)
    view = client.window.mobility
    type_ja(view.notes, notes)
    ring(qtbot, client, fake, B, caller=PAYPHONE)
    assert focused() is view.notes
    return view


def test_a_kept_form_sent_with_the_mouse_shows_its_refusal_and_keeps_the_text(qtbot, client, fake):
    notes = "段" * 2001
    view = keep_mobility_for_a(qtbot, client, fake, notes)
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: client.mobility.status == "refused", timeout=5000)
    assert client.mobility.linkedid == A
    assert "舞鶴 花子" in view.subject_bar.text()
    assert view.notes.toPlainText() == notes
    assert "メモ: 入力に誤りがあります" in view.status.text()  # the field the server named

    client.window.pop.fields["name"].setFocus()  # the operator goes on with call B
    assert client.mobility.resident_id is None
    assert notes in client.wrapup.calls[A].notes  # kept with its call


def test_a_kept_form_sent_with_the_mouse_says_it_was_sent(qtbot, client, fake):
    view = keep_mobility_for_a(qtbot, client, fake, "付き添いは娘さん")
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: client.mobility.status == "done", timeout=5000)
    assert "移動支援を登録しました" in view.status.text()
    assert "舞鶴 花子" in view.subject_bar.text()
    ((_, _, _, body),) = fake.posts("/api/mobility")
    assert (body["call"], body["notes"]) == (A, "付き添いは娘さん")
    client.window.pop.fields["name"].setFocus()
    assert client.mobility.resident_id is None
    assert "付き添いは娘さん" not in client.wrapup.calls[A].notes  # it was sent: no note


def test_confirming_someone_for_the_new_call_notes_what_a_kept_form_held(qtbot, client, fake):
    view = keep_mobility_for_a(qtbot, client, fake, "玄関に段差")
    client.controller.confirm(2)  # e.g. F2 on the pop: the focus stays in the kept form
    qtbot.waitUntil(lambda: client.mobility.resident_id == 2, timeout=5000)
    assert client.mobility.linkedid == B
    assert view.notes.toPlainText() == ""
    assert "玄関に段差" in client.wrapup.calls[A].notes
    client.window.pop.fields["name"].setFocus()
    assert client.mobility.resident_id == 2  # leaving it later disarms nothing of call B


def test_a_slot_chosen_and_not_booked_is_noted_with_its_call(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    client.window.show_tab(1)
    table = client.window.booking.slots
    table.selectRow(0)
    table.setFocus()  # venue, day and slot chosen; the next step would be Ctrl+Enter
    slot = client.booking.selected()
    assert slot is not None
    ring(qtbot, client, fake, B, caller=PAYPHONE)
    assert client.booking.resident_id is None
    notes = client.wrapup.calls[A].notes
    assert "［未登録の予約］舞鶴 花子" in notes
    venue = next(v.name for v in client.booking.venues if v.venue_id == slot.venue_id)
    assert venue in notes
    assert local_time(slot.starts_at).strftime("%m/%d %H:%M") in notes
