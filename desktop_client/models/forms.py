"""The booking and mobility-support forms: what the operator typed, for whom, and its fate.

A form's ``status`` is one of: "" (editing), "sending", "queued" (waiting for the connection),
"done", "refused" (the server said no, e.g. slot_full; the form keeps what was typed) or
"failed" (it will not be sent; ``message`` says why).

Every form is bound to one person (``subject``) and one call (``call``), both shown on screen;
``disarm()`` unbinds it (a new call rang): it cannot be submitted until a resident is confirmed
again. While a submission is on its way (``locked()``), the form cannot be edited: what the
screen says was sent is what was sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cti_server.protocol import (
    Booking,
    BookingChange,
    BookingChanged,
    BookingRequest,
    CallerInfo,
    CannotCome,
    LaterDose,
    MobilityRequest,
    MobilityRequestBody,
    SlotInfo,
    SlotOffer,
)

from .. import api
from ..api import ApiCall
from .dates import local_day, parse_iso_datetime, today_local
from .observable import Observable
from .options import CampaignOptions
from .resident import BookingLine, ResidentCard

SLOT_LEAD = dt.timedelta(0)  # a slot is bookable until it starts


@dataclass(frozen=True)
class CallRef:
    """The call a form belongs to: its Linkedid, when it came in (ISO), who called."""

    linkedid: str
    at: str = ""
    caller: CallerInfo | None = None


@dataclass(frozen=True)
class Subject:
    """The person a form is for, as every form shows them."""

    resident_id: int
    name: str
    name_kana: str
    age: int | None
    person_no: str

    @classmethod
    def of(cls, card: ResidentCard) -> Subject:
        return cls(card.resident_id, card.name, card.name_kana, card.age(), card.person_no)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def call_ref(call: CallRef | str | None) -> CallRef | None:
    return CallRef(call) if isinstance(call, str) else call


@dataclass(frozen=True)
class Venue:
    venue_id: int
    name: str
    address: str = ""


class FormState(Observable):
    LOCKED: tuple[str, ...] = ("sending", "queued")

    def __init__(self) -> None:
        super().__init__()
        self.status = ""
        self.error = ""  # server error id, e.g. "slot_full"
        self.message = ""  # server's text (for the log; the screen words the error id)
        self.details: dict[str, Any] = {}  # server's details, e.g. {"field": "notes"}
        self.subject: Subject | None = None
        self.call: CallRef | None = None

    @property
    def linkedid(self) -> str | None:
        return self.call.linkedid if self.call else None

    def bind(self, card: ResidentCard | None, call: CallRef | str | None) -> None:
        self.subject = Subject.of(card) if card is not None else None
        self.call = call_ref(call)

    def set_status(
        self,
        status: str,
        error: str = "",
        message: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        self.status, self.error, self.message = status, error, message
        self.details = dict(details or {})
        self.changed()

    def locked(self) -> bool:
        """True while what was submitted is on its way: the fields are read-only."""
        return self.status in self.LOCKED


class SlotChoice(FormState):
    """A venue, a day and one of its slots picked on screen, with the slots' live counts.

    Shared by the booking form and the venue admin (会場・枠); ``_shows`` says which
    ``SlotsChanged`` slots belong on screen.
    """

    def __init__(self) -> None:
        super().__init__()
        self.venue_id: int | None = None
        self.day: dt.date = today_local()
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
        self.venues: list[Venue] = []
        self.existing: BookingLine | None = None
        self.last_booking_id: int | None = None
        self.now: Callable[[], dt.datetime] = _utcnow  # replaceable clock (tests)
        self.last_action = ""  # book / change / cancel / cannot_come: what "done" is about
        self.offers: list[SlotOffer] = []  # slots to offer after "cannot come that day"
        self.later: list[LaterDose] = []  # the later doses' fate after a change or cancel

    def start(self, card: ResidentCard, linkedid: CallRef | str | None) -> None:
        self.resident_id = card.resident_id
        self.bind(card, linkedid)
        self.existing = card.active_booking()
        self.last_booking_id = self.existing.booking_id if self.existing else None
        self.last_action, self.offers, self.later = "", [], []
        self.set_status("")

    def disarm(self) -> None:
        """A new call: no one to book for until a resident is confirmed."""
        self.resident_id, self.existing, self.last_booking_id = None, None, None
        self.slot_id = None
        self.last_action, self.offers = "", []
        self.bind(None, None)
        self.set_status("")

    def unsent(self) -> bool:
        """A slot chosen for the resident and not booked: worth keeping when disarmed."""
        chosen = self.slot_id is not None and (
            self.existing is None or self.existing.slot_id != self.slot_id
        )
        return self.resident_id is not None and chosen and self.status in ("", "refused", "failed")

    def bookable(self, slot: SlotInfo) -> bool:
        """A slot that has not started and has a seat left."""
        starts = parse_iso_datetime(slot.starts_at)
        started = starts is not None and starts - SLOT_LEAD <= self.now()
        return slot.remaining > 0 and not started

    def select_slot(self, slot_id: int | None) -> None:
        if not self.locked():
            super().select_slot(slot_id)

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
            and self.bookable(slot)
            and not self.locked()
            and (self.existing is None or self.existing.slot_id != slot.slot_id)
        )

    def request(self) -> ApiCall[Booking] | ApiCall[BookingChanged]:
        """Booking the selected slot, or moving the existing booking to it."""
        if self.slot_id is None or self.resident_id is None:
            raise ValueError("no slot selected")
        self.later = []
        if self.existing is not None:
            self.last_action = "change"
            change = BookingChange(slot_id=self.slot_id, call=self.linkedid or None)
            return api.change_booking(self.existing.booking_id, change)
        self.last_action = "book"
        return api.book_slot(
            BookingRequest(
                resident_id=self.resident_id,
                slot_id=self.slot_id,
                channel="phone",
                call=self.linkedid or None,
            )
        )

    def cancel_request(self) -> ApiCall[BookingChanged]:
        if self.existing is None:
            raise ValueError("no booking to cancel")
        self.later = []
        self.last_action = "cancel"
        return api.cancel_booking(self.existing.booking_id, self.linkedid)

    def cannot_come_request(self) -> ApiCall[CannotCome]:
        """The resident cannot come on the booking's day: cancel it, keep the day, offer slots."""
        if self.existing is None:
            raise ValueError("no booking")
        self.last_action, self.later = "cannot_come", []
        return api.booking_cannot_come(self.existing.booking_id, self.linkedid)

    def set_offers(self, offers: list[SlotOffer]) -> None:
        self.offers = list(offers)
        self.changed()

    def set_later(self, later: Iterable[LaterDose]) -> None:
        """What became of the later doses of the booking just moved or cancelled."""
        self.later = list(later)
        self.changed()


class MobilityFormModel(FormState):
    """The mobility-support form: pickup address, the options chosen (codes of the campaign
    setting ``mobility_options``, see ``CampaignOptions``), notes. ``wheelchair`` and
    ``companion`` are two of those codes, kept as fields for what reads them."""

    LOCKED = ("sending", "queued", "done")
    FIELDS = ("pickup_address", "wheelchair", "companion", "options", "notes")

    def __init__(self, offered: CampaignOptions | None = None) -> None:
        super().__init__()
        self.offered = offered if offered is not None else CampaignOptions()
        self.resident_id: int | None = None
        self.prefilled = ""
        self.booking_id: int | None = None
        self.booking_key: str | None = None  # outbox key of a booking still waiting to be sent
        self.pickup_address = ""
        self.options: tuple[str, ...] = ()  # the codes chosen, in the order offered
        self.notes = ""

    @property
    def wheelchair(self) -> bool:
        return "wheelchair" in self.options

    @property
    def companion(self) -> bool:
        return "companion" in self.options

    def shown_options(self) -> tuple[str, ...]:
        """The codes the form offers: the setting's, then any chosen that it no longer offers
        (typed before the setting changed: kept until the operator unticks it)."""
        offered = tuple(c.code for c in self.offered.mobility)
        return offered + tuple(o for o in self.options if o not in offered)

    def set_option(self, code: str, on: bool) -> None:
        chosen = set(self.options) - {code} | ({code} if on else set())
        self.options = tuple(o for o in self.shown_options() if o in chosen) + tuple(
            o for o in chosen if o not in self.shown_options()
        )

    def start(self, card: ResidentCard, linkedid: CallRef | str | None) -> None:
        self.resident_id = card.resident_id
        self.bind(card, linkedid)
        self.pickup_address = self.prefilled = card.address  # from the ledger, editable
        self.options = ()
        self.notes = ""
        booking = card.active_booking()
        self.booking_id = booking.booking_id if booking else None
        self.booking_key = None
        self.set_status("")

    def disarm(self) -> None:
        self.resident_id, self.booking_id, self.booking_key = None, None, None
        self.pickup_address = self.prefilled = ""
        self.options = ()
        self.notes = ""
        self.bind(None, None)
        self.set_status("")

    def unsent(self) -> bool:
        """Typed by the operator and not sent: worth keeping when the form is disarmed."""
        typed = (
            self.pickup_address.strip() != self.prefilled.strip()
            or bool(self.options)
            or bool(self.notes.strip())
        )
        return self.resident_id is not None and typed and self.status in ("", "refused", "failed")

    def update(self, **fields: Any) -> None:
        for k in fields:
            if k not in self.FIELDS:
                raise ValueError(f"unknown mobility field {k!r}")
        if self.locked():
            return
        for k, v in fields.items():
            if k in ("wheelchair", "companion"):
                self.set_option(k, bool(v))
            elif k == "options":
                self.options = tuple(v)
            else:
                setattr(self, k, v)

    def tie_to(self, booking_id: int | None = None, booking_key: str | None = None) -> None:
        self.booking_id, self.booking_key = booking_id, booking_key
        self.changed()

    def can_submit(self) -> bool:
        return (
            self.resident_id is not None and bool(self.pickup_address.strip()) and not self.locked()
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
                options=self.options,
                notes=self.notes,
                call=self.linkedid or None,
            )
        )
