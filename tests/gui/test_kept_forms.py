"""Forms kept across a new call, and what their sends do afterwards: a send for the previous
call stays with that call, its answer is shown on the form that sent it, a refused booking leaves
the mobility request free to go on its own."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from cti_server.protocol import CallerInfo
from tests.gui.conftest import log_in
from tests.gui.test_call_flow import A, B, confirm, focused, ring
from tests.gui.test_client_flows import type_ja

pytestmark = pytest.mark.gui

PAYPHONE = CallerInfo("payphone")


def test_an_intent_sent_for_the_previous_call_arms_nothing_for_the_new_one(qtbot, client, fake):
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
