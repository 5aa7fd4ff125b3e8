"""The caller header band: number, queue by its display name, wait and talk time; once the
resident is confirmed in this call, who they are, their household, booking, mobility needs and
the last call's notes; never a resident confirmed during another call."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from PySide6.QtCore import Qt

from cti_server.protocol import MobilityRequest, SlotInfo
from desktop_client import demo_data
from tests.gui.conftest import log_in

pytestmark = pytest.mark.gui


def answered_pop(linkedid="1700000000.42"):
    pop = demo_data.pop(linkedid=linkedid, state="answered")
    answered = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=65)).isoformat()
    call = dataclasses.replace(pop.call, queue="vaccine", answered_at=answered)
    return dataclasses.replace(pop, call=call)


def test_header_shows_the_call_and_the_confirmed_resident(qtbot, client, fake):
    log_in(qtbot, client, fake.url)
    header = client.header.view
    client.window.show()
    qtbot.waitUntil(header.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: client.pop.queue_names == {"vaccine": "ワクチン予約"}, timeout=5000)
    fake.push(answered_pop())
    qtbot.waitUntil(lambda: client.pop.pop is not None, timeout=5000)
    assert header.number.text() == "0773-62-1234"
    assert header.queue.text() == "キュー: ワクチン予約"
    assert "ワクチン予約" in client.window.pop.meta.text()
    assert "vaccine" not in client.window.pop.meta.text()
    assert header.state.text() == "通話中"
    assert header.wait.text().startswith("待ち ")
    assert header.talk.text() in ("通話 1:05", "通話 1:06")
    assert header.person.text() == "住民未確認"

    qtbot.keyClick(client.window.pop.tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: client.resident.card is not None, timeout=5000)
    age = client.resident.card.age()
    assert header.person.text() == f"舞鶴 花子（マイヅル ハナコ）　{age}歳　昭和17年4月1日生"
    assert header.household.text() == "世帯 0012345（2人）"
    assert header.booking.text() == "予約なし"
    assert header.mobility.text() == "移動支援: 希望あり（意向）"
    assert header.last_call.text() == "前回 04/10: 問い合わせのみ　会場までの送迎について質問"

    fake.push(answered_pop("1700000099.1"))  # the next call: the card is not this caller's
    qtbot.waitUntil(lambda: client.pop.pop.call.linkedid == "1700000099.1", timeout=5000)
    assert header.person.text() == "住民未確認"
    assert header.booking.text() == ""


def test_booking_and_mobility_in_the_band(qtbot, client, fake):
    from desktop_client.models.resident import ResidentCard
    from desktop_client.views.call_header import booking_text, mobility_text

    slot = SlotInfo(1, 1, "2026-12-01T00:00:00+00:00", "2026-12-01T00:30:00+00:00", 10, 3)
    now = dt.datetime.now(dt.UTC).isoformat()
    mobility = MobilityRequest(
        request_id=3, resident_id=1, booking_id=None, pickup_address="浜", wheelchair=True,
        companion=True, notes="", status="open", created_by=None, call_linkedid=None,
        client_key=None, created_at=now, updated_at=now,
    )  # fmt: skip
    data = demo_data.resident_detail(
        1, bookings=(demo_data.booking(5, 1, slot),), mobility=(mobility,)
    )
    card = ResidentCard.from_detail(data)
    assert booking_text(card) == "予約: 舞鶴市総合文化会館 12月1日(火) 09:00"
    assert mobility_text(card) == "移動支援: 車椅子、付き添い"


def test_what_the_band_says_gets_its_width(qtbot, client):
    """A booking with nothing beside it (no mobility need, no earlier call) is shown whole at
    1366 px, not cut at a share kept for empty neighbours; they take no room."""
    from desktop_client.models.resident import ResidentCard

    slot = SlotInfo(1, 1, "2026-12-08T02:30:00+00:00", "2026-12-08T03:00:00+00:00", 10, 3)
    data = demo_data.resident_detail(1, bookings=(demo_data.booking(5, 1, slot),))
    card = ResidentCard.from_detail(dataclasses.replace(data, intents=(), calls=()))
    header = client.header.view
    client.window.resize(1366, 700)
    client.window.show()
    qtbot.waitExposed(client.window)
    header._show_card(card)
    qtbot.wait(50)
    assert header.booking.text() == "予約: 舞鶴市総合文化会館 12月8日(火) 11:30"
    assert (header.mobility.text(), header.last_call.text()) == ("", "")
    assert header.mobility.isHidden()
    assert header.last_call.isHidden()
    needed = header.booking.fontMetrics().horizontalAdvance(header.booking.text())
    assert header.booking.width() >= needed
    header._show_card(None)
    assert header.booking.isHidden()
