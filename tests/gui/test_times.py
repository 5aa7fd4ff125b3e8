"""Times from the server (UTC on the wire) are shown in Asia/Tokyo: the card's bookings, intents
and earlier calls, the booking form's current booking, the slot list, and the slots of a day."""

from __future__ import annotations

import dataclasses
import datetime as dt

from cti_server import protocol
from cti_server.protocol import SlotInfo
from desktop_client import demo_data
from desktop_client.models.forms import BookingFormModel
from desktop_client.models.resident import ResidentCard, ResidentModel
from desktop_client.views.booking import BookingView
from desktop_client.views.resident import ResidentCardView

DAY = dt.date(2031, 5, 12)
# 09:00 and 09:30 in Tokyo, as the server sends them
NINE = SlotInfo(1, 1, "2031-05-12T00:00:00+00:00", "2031-05-12T00:30:00+00:00", 10, 3)


def _card() -> ResidentCard:
    detail = demo_data.resident_detail(1, bookings=(demo_data.booking(5, 1, NINE),))
    return ResidentCard.from_detail(detail)


def test_a_booking_at_nine_in_tokyo_shows_as_nine_on_the_card(qtbot):
    model = ResidentModel()
    view = ResidentCardView(model)
    qtbot.addWidget(view)
    model.set_card(_card())
    when = view.tables["bookings"].item(0, 1).text()
    assert when == "2031-05-12 09:00–09:30"
    # the intent recorded at 01:00 UTC was taken at 10:00 in Tokyo; the call at 00:12 UTC, 09:12
    assert view.tables["intents"].item(0, 3).text() == "2024-04-02 10:00"
    assert view.tables["calls"].item(0, 0).text() == "2024-04-10 09:12"


def test_the_booking_form_and_its_slots_show_tokyo_time(qtbot):
    model = BookingFormModel()
    view = BookingView(model)
    qtbot.addWidget(view)
    model.start(_card(), "L1")
    model.choose(1, DAY)
    model.set_slots([NINE])
    assert "2031-05-12 09:00" in view.existing.text()
    assert view.slots.item(0, 0).text().startswith("09:00")


def test_a_slot_early_in_the_morning_belongs_to_its_tokyo_day():
    model = BookingFormModel()
    model.choose(1, DAY)
    eight = dataclasses.replace(
        NINE, slot_id=8, starts_at="2031-05-11T23:00:00+00:00", ends_at="2031-05-11T23:30:00+00:00"
    )
    assert model.apply_slots_changed((eight,))  # 08:00 on the 12th in Tokyo
    assert 8 in model.slots


def test_the_latest_intent_is_the_latest_in_time_whatever_its_offset():
    first = protocol.Intent(1, 1, False, None, "web", "2024-04-02T10:00:00+09:00", "")  # 01:00 UTC
    second = protocol.Intent(2, 1, True, None, "phone", "2024-04-02T02:00:00+00:00", "")
    detail = dataclasses.replace(demo_data.resident_detail(1), intents=(first, second))
    assert ResidentCard.from_detail(detail).latest_intent().channel == "phone"
