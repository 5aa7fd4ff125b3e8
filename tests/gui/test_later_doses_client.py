"""The booking form tells what became of the second dose when the first is moved or cancelled."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cti_server import protocol
from desktop_client import demo_data
from desktop_client.views.labels import when_text
from tests.gui.conftest import log_in
from tests.gui.test_client_flows import ring_and_confirm

pytestmark = pytest.mark.gui


def _second(fake, slot_id: int) -> protocol.Booking:
    slot = fake.state.slots[slot_id]
    later = dt.datetime.fromisoformat(slot.starts_at) + dt.timedelta(days=21)
    moved = dataclasses.replace(slot, starts_at=later.isoformat())
    return dataclasses.replace(demo_data.booking(6, 1, moved), dose=2, channel="assigned")


def _change_to_row(qtbot, client, row: int) -> None:
    client.window.show_tab(1)
    client.window.booking.slots.selectRow(row)
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: client.booking.status == "done", timeout=5000)


def test_a_change_says_where_the_second_dose_went(qtbot, client, fake):
    fake.state.bookings[5] = demo_data.booking(5, 1, fake.state.slots[1])
    second = _second(fake, 3)
    fake.state.later = (protocol.LaterDose(booking=second, outcome="moved"),)
    log_in(qtbot, client, fake.url)
    ring_and_confirm(qtbot, client, fake)
    assert client.booking.existing.booking_id == 5
    _change_to_row(qtbot, client, 2)  # slot 3 (slot 2 is full)
    label = client.window.booking.later_doses
    assert not label.isHidden()
    where = f"{when_text(second.starts_at)} {second.venue_name}"
    assert label.text() == f"2回目の接種も {where} に移しました。"


def test_a_second_dose_that_could_not_follow_is_told_with_why(qtbot, client, fake):
    fake.state.bookings[5] = demo_data.booking(5, 1, fake.state.slots[1])
    second = _second(fake, 1)
    wanted = _second(fake, 3).starts_at
    fake.state.later = (protocol.LaterDose(second, "not_moved", "slot_full", wanted, item_id=9),)
    log_in(qtbot, client, fake.url)
    ring_and_confirm(qtbot, client, fake)
    _change_to_row(qtbot, client, 2)  # slot 3 (slot 2 is full)
    text = client.window.booking.later_doses.text()
    assert text == (
        f"2回目は移せません（{when_text(wanted)} の枠は満席です）。"
        f"{when_text(second.starts_at)} のまま折り返しリストに入れました。"
    )
    client.set_language("en")
    assert client.window.booking.later_doses.text() == (
        f"Dose 2 could not be moved (the slot on {when_text(wanted)} is full); it stays on "
        f"{when_text(second.starts_at)} and is on the callback worklist."
    )
    client.set_language("ja")


def test_a_cancel_says_the_second_dose_is_cancelled_too(qtbot, client, fake):
    fake.state.bookings[5] = demo_data.booking(5, 1, fake.state.slots[1])
    second = dataclasses.replace(_second(fake, 1), status="cancelled")
    fake.state.later = (protocol.LaterDose(second, "cancelled"),)
    log_in(qtbot, client, fake.url)
    ring_and_confirm(qtbot, client, fake)
    client.window.show_tab(1)
    client.window.booking.cancel.click()
    qtbot.waitUntil(lambda: client.booking.status == "done", timeout=5000)
    label = client.window.booking.later_doses
    assert label.text() == f"2回目の接種（{when_text(second.starts_at)}）も取り消しました。"
    assert not label.isHidden()
    client.window.booking.slots.selectRow(2)  # a new booking: the old news goes
    client.window.booking.submit.click()
    qtbot.waitUntil(lambda: label.isHidden(), timeout=5000)
