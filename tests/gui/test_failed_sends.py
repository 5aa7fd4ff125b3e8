"""The sends that failed, listed from the status bar: what each was, why, what was typed, and
sent again (the same Idempotency-Key) or given up; nothing typed is only in a file."""

from __future__ import annotations

import pytest

from desktop_client.models.outbox import Outbox
from tests.gui.conftest import log_in
from tests.gui.test_call_flow import confirm, ring
from tests.gui.test_client_flows import type_ja
from tests.gui.test_kept_forms import fill_the_slot

pytestmark = pytest.mark.gui


def test_a_failed_send_is_listed_with_what_was_typed_and_sent_again(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    ring(qtbot, client, fake)
    confirm(qtbot, client)
    fake.drop()  # the booking and the mobility request wait for the connection
    qtbot.waitUntil(lambda: client.link.state == "reconnecting", timeout=5000)
    client.window.show_tab(1)
    client.window.booking.slots.selectRow(0)
    client.window.booking.submit.click()
    client.window.show_tab(2)
    type_ja(client.window.mobility.notes, "車いすを持参")
    client.window.mobility.submit.click()
    fill_the_slot(fake)  # another operator took the last seat meanwhile
    fake.restore()
    qtbot.waitUntil(lambda: len(client.outbox.failed()) == 2, timeout=10000)
    pending = client.window.pending
    assert 'href="failed"' in pending.text()
    assert "送信失敗 2件" in pending.text()

    pending.linkActivated.emit("failed")  # a click on the count
    dialog = client.window.failed_dialog
    assert dialog is not None
    rows = [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text())
            for r in range(dialog.table.rowCount())]  # fmt: skip
    assert rows == [
        ("予約", "この枠は満員です。別の枠を選んでください。"),
        ("移動支援", "先に送った予約が登録されなかったため"),
    ]
    dialog.table.selectRow(1)
    assert "車いすを持参" in dialog.typed.toPlainText()  # selectable, to copy
    assert dialog.typed.isReadOnly()
    assert fake.posts("/api/mobility") == []

    dialog.resend.click()  # sent on its own: the booking it waited for was refused
    qtbot.waitUntil(lambda: len(fake.posts("/api/mobility")) == 1, timeout=5000)
    ((_, _, _, body),) = fake.posts("/api/mobility")
    assert (body.get("booking_id"), body["notes"]) == (None, "車いすを持参")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)  # it follows the outbox

    dialog.discard.click()  # the refused booking, given up
    assert client.outbox.failed() == []
    assert dialog.table.rowCount() == 0
    assert not dialog.resend.isEnabled()
    assert "送信失敗" not in pending.text()
    assert not client.window.failed_action.isEnabled()


def test_retry_keeps_the_key_and_unties_an_entry_from_a_failed_one(tmp_path):
    box = Outbox(tmp_path / "outbox.json")
    first = box.add("booking", "POST", "/api/bookings", {"slot_id": 1})
    second = box.add("mobility", "POST", "/api/mobility", {"notes": "x"}, after=first.key,
                     fill={"booking_id": "booking_id"})  # fmt: skip
    box.mark_sending(first.key)
    box.mark_failed(first.key, "slot_full", "")
    assert box.ready() == []  # the second fails with the first
    assert second.status == "failed"
    box.retry(second.key)
    assert (second.status, second.attempts, second.after, second.fill) == ("pending", 0, None, {})
    assert box.ready() == [second]
    box.retry(first.key)  # the same Idempotency-Key: the server stores it once at most
    assert (first.key, first.status) == (box.entries[first.key].key, "pending")
    box.discard(first.key)  # only a failed entry is given up
    assert first.key in box.entries
    again = Outbox(tmp_path / "outbox.json")  # kept in the file, as they are now
    assert {e.key: e.status for e in again.entries.values()} == {
        first.key: "pending",
        second.key: "pending",
    }
