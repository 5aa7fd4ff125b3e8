"""The booking, mobility-support and wrap-up forms: what the operator typed, and its fate.

A form's ``status`` is one of: "" (editing), "sending", "queued" (waiting for the connection),
"done", "refused" (the server said no, e.g. slot_full; the form keeps what was typed) or
"failed" (it will not be sent; ``message`` says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cti_server.protocol import (
    Booking,
    BookingChange,
    BookingRequest,
    Disposition,
    DispositionRequest,
    MobilityRequest,
    MobilityRequestBody,
    SlotInfo,
)

from .. import api
from ..api import ApiCall
from .dates import local_day
from .observable import Observable
from .resident import BookingLine, ResidentCard

DISPOSITIONS = ("booked", "changed", "cancelled", "inquiry", "callback", "wrong_number", "other")


@dataclass(frozen=True)
class Venue:
    venue_id: int
    name: str
    address: str = ""


class FormState(Observable):
    def __init__(self) -> None:
        super().__init__()
        self.status = ""
        self.error = ""  # server error id, e.g. "slot_full"
        self.message = ""  # server's text, shown beside the translated reason

    def set_status(self, status: str, error: str = "", message: str = "") -> None:
        self.status, self.error, self.message = status, error, message
        self.changed()


class SlotChoice(FormState):
    """A venue, a day and one of its slots picked on screen, with the slots' live counts.

    Shared by the booking form and the venue admin (会場・枠); ``_shows`` says which
    ``SlotsChanged`` slots belong on screen.
    """

    def __init__(self) -> None:
        super().__init__()
        self.venue_id: int | None = None
        self.day: dt.date = dt.date.today()
        self.slots: dict[int, SlotInfo] = {}
        self.slot_id: int | None = None

    def choose(self, venue_id: int | None = None, day: dt.date | None = None) -> None:
        if venue_id is not None and venue_id != self.venue_id:
            self.venue_id, self.slots, self.slot_id = venue_id, {}, None
        if day is not None and day != self.day:
            self.day, self.slots, self.slot_id = day, {}, None
        self.changed()

    def _store_slots(self, slots: Iterable[SlotInfo]) -> None:
        self.slots = {s.slot_id: s for s in sorted(slots, key=lambda s: s.starts_at)}

    def _shows(self, slot: SlotInfo) -> bool:
        return slot.venue_id == self.venue_id and local_day(slot.starts_at) == self.day

    def apply_slots_changed(self, slots: tuple[SlotInfo, ...]) -> bool:
        """Live capacity from ``SlotsChanged``: update the slots on screen; True if any changed."""
        touched = False
        for s in slots:
            if self._shows(s):
                self.slots[s.slot_id] = s
                touched = True
        if touched:
            self._store_slots(self.slots.values())
            self.changed()
        return touched

    def select_slot(self, slot_id: int | None) -> None:
        self.slot_id = slot_id
        self.changed()

    def selected(self) -> SlotInfo | None:
        return self.slots.get(self.slot_id) if self.slot_id is not None else None


class BookingFormModel(SlotChoice):
    def __init__(self) -> None:
        super().__init__()
        self.resident_id: int | None = None
        self.linkedid: str | None = None
        self.venues: list[Venue] = []
        self.existing: BookingLine | None = None
        self.last_booking_id: int | None = None

    def start(self, card: ResidentCard, linkedid: str | None) -> None:
        self.resident_id = card.resident_id
        self.linkedid = linkedid
        self.existing = card.active_booking()
        self.last_booking_id = self.existing.booking_id if self.existing else None
        self.set_status("")

    def set_venues(self, venues: list[Venue]) -> None:
        self.venues = venues
        if self.venue_id is None and venues:
            self.venue_id = venues[0].venue_id
        self.changed()

    def set_slots(self, slots: list[SlotInfo]) -> None:
        self._store_slots(slots)
        self.changed()

    def _shows(self, slot: SlotInfo) -> bool:
        return slot.slot_id in self.slots or super()._shows(slot)

    def can_submit(self) -> bool:
        slot = self.selected()
        return (
            self.resident_id is not None
            and slot is not None
            and self.status not in ("sending", "queued")
            and (self.existing is None or self.existing.slot_id != slot.slot_id)
        )

    def request(self) -> ApiCall[Booking]:
        """Booking the selected slot, or moving the existing booking to it."""
        if self.slot_id is None or self.resident_id is None:
            raise ValueError("no slot selected")
        if self.existing is not None:
            change = BookingChange(slot_id=self.slot_id, call=self.linkedid or None)
            return api.change_booking(self.existing.booking_id, change)
        return api.book_slot(
            BookingRequest(
                resident_id=self.resident_id,
                slot_id=self.slot_id,
                channel="phone",
                call=self.linkedid or None,
            )
        )

    def cancel_request(self) -> ApiCall[Booking]:
        if self.existing is None:
            raise ValueError("no booking to cancel")
        return api.cancel_booking(self.existing.booking_id, self.linkedid)


class MobilityFormModel(FormState):
    def __init__(self) -> None:
        super().__init__()
        self.resident_id: int | None = None
        self.linkedid: str | None = None
        self.booking_id: int | None = None
        self.booking_key: str | None = None  # outbox key of a booking still waiting to be sent
        self.pickup_address = ""
        self.wheelchair = False
        self.companion = False
        self.notes = ""

    def start(self, card: ResidentCard, linkedid: str | None) -> None:
        self.resident_id = card.resident_id
        self.linkedid = linkedid
        self.pickup_address = card.address  # prefilled from the ledger, editable
        self.wheelchair = self.companion = False
        self.notes = ""
        booking = card.active_booking()
        self.booking_id = booking.booking_id if booking else None
        self.booking_key = None
        self.set_status("")

    def update(self, **fields: Any) -> None:
        for k, v in fields.items():
            if k not in ("pickup_address", "wheelchair", "companion", "notes"):
                raise ValueError(f"unknown mobility field {k!r}")
            setattr(self, k, v)

    def tie_to(self, booking_id: int | None = None, booking_key: str | None = None) -> None:
        self.booking_id, self.booking_key = booking_id, booking_key
        self.changed()

    def can_submit(self) -> bool:
        return (
            self.resident_id is not None
            and bool(self.pickup_address.strip())
            and self.status not in ("sending", "queued", "done")
        )

    def request(self) -> ApiCall[MobilityRequest]:
        if self.resident_id is None:
            raise ValueError("no resident on the card")
        return api.request_mobility(
            MobilityRequestBody(
                resident_id=self.resident_id,
                booking_id=self.booking_id,
                pickup_address=self.pickup_address.strip(),
                wheelchair=self.wheelchair,
                companion=self.companion,
                notes=self.notes,
                call=self.linkedid or None,
            )
        )


class WrapUpModel(FormState):
    def __init__(self) -> None:
        super().__init__()
        self.linkedid: str | None = None
        self.disposition = ""
        self.notes = ""

    def start(self, linkedid: str | None) -> None:
        if linkedid != self.linkedid:
            self.linkedid = linkedid
            self.disposition, self.notes = "", ""
            self.set_status("")

    def can_submit(self) -> bool:
        return (
            bool(self.linkedid)
            and self.disposition in DISPOSITIONS
            and self.status
            not in (
                "sending",
                "queued",
            )
        )

    def request(self) -> ApiCall[Disposition]:
        if not self.linkedid:
            raise ValueError("no call to wrap up")
        body = DispositionRequest(disposition=self.disposition, notes=self.notes)
        return api.set_disposition(self.linkedid, body)
