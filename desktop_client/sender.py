"""Sending what the forms submit, through the outbox, and applying the answers.

A submission's answer goes to the form that sent it only while that form is still bound to the
same call and person (a form disarmed by a new call must not show another person's fate); what
a form sent prefills its call's wrap-up codes (a booking made: 予約); the card on screen is then
read again, for the call it is shown for, without arming any form. Mixed into ``Controller``.
"""

from __future__ import annotations

import logging
from typing import Any

from cti_server.protocol import (
    Booking,
    BookingChanged,
    CannotCome,
    ProtocolError,
    SlotInfo,
    from_dict,
)

from .api import OUTBOX_ANSWERS, ApiCall, Reply
from .models.forms import CallRef
from .models.outbox import Entry
from .models.resident import BookingLine, booking_line

log = logging.getLogger(__name__)

LEDGER_UNAVAILABLE = "ledger_unavailable"  # 503: the server cannot reach the database

# what a form sent, as the result code its call's wrap-up is prefilled with
CODE_OF = {
    "booking": "booked",
    "booking_change": "changed",
    "booking_cancel": "cancelled",
    "booking_cannot_come": "cancelled",
    "mobility": "mobility",
    "intent": "intent",
}


class Sender:
    """Needs ``link``, ``outbox``, the form models, ``resident``, ``refresh_card`` and
    ``choose_venue_day`` (the ``Controller``)."""

    link: Any
    api: Any  # the link's ``Api``
    outbox: Any
    booking: Any
    mobility: Any
    wrapup: Any
    resident: Any
    pop: Any
    _forms: dict[str, Any]  # outbox key -> the form (or wrap-up) that sent it
    _bound: dict[str, tuple[str | None, int | None]]  # key -> (call, resident) when sent
    _call_of: dict[str, CallRef | None]
    _slot_of: dict[str, SlotInfo | None]

    def linkedid(self) -> str | None:
        raise NotImplementedError

    def refresh_card(self) -> None:
        raise NotImplementedError

    def choose_venue_day(self, venue_id: int, day: Any) -> None:
        raise NotImplementedError

    def _submit(self, entry: Entry, form: Any) -> None:
        if form is not None:
            self._forms[entry.key] = form
            self._bound[entry.key] = (form.linkedid, getattr(form, "resident_id", None))
            self._call_of[entry.key] = getattr(form, "call", None)
            form.set_status("queued" if self.link.state != "connected" else "sending")
        self.flush()

    def _form(self, key: str, pop: bool = False) -> Any:
        """The form that sent ``key``, if it is still bound to the same call and person (a
        form disarmed or rebound since must not show another submission's fate)."""
        form = self._forms.pop(key, None) if pop else self._forms.get(key)
        bound = self._bound.pop(key, None) if pop else self._bound.get(key)
        if form is None or bound != (form.linkedid, getattr(form, "resident_id", None)):
            return None
        return form

    def resend_failed(self, key: str) -> None:
        """Send a failed entry again, as the operator asked (the list of failed sends)."""
        self.outbox.retry(key)
        self.flush()

    def discard_failed(self, key: str) -> None:
        """Give a failed entry up, as the operator asked."""
        self._form(key, pop=True)
        self.outbox.discard(key)

    def flush(self) -> None:
        if self.link.state != "connected":
            return
        for entry in self.outbox.ready():
            self._send(entry)
        for entry in self.outbox.failed():  # e.g. a dependency failed: tell the form
            form = self._form(entry.key, pop=True)
            if form is not None:
                form.set_status("failed", entry.error, entry.message)

    def _send(self, entry: Entry) -> None:
        self.outbox.mark_sending(entry.key)
        form = self._form(entry.key)
        if form is not None and form.status != "sending":
            form.set_status("sending")
        call = ApiCall(entry.method, entry.path, entry.body, OUTBOX_ANSWERS.get(entry.kind))
        key = entry.key

        def done(reply: Reply[Any]) -> None:
            self._sent(key, reply)

        self.api.send(call, done, key=key)

    def _sent(self, key: str, result: Reply[Any]) -> None:
        entry = self.outbox.entries[key]
        form = self._form(key)
        if 200 <= result.status < 300:  # done, even if the answer did not decode
            self._form(key, pop=True)
            self.outbox.mark_done(key, result.data if isinstance(result.data, dict) else {})
            body = entry.body or {}
            log.info("%s sent (call %s)", entry.kind, body.get("call") or body.get("call_linkedid"))
            self._applied(entry, form)
            if form is not None:
                form.set_status("done")
            self.flush()  # entries waiting for this one
        elif result.error == LEDGER_UNAVAILABLE:  # kept until the server says it is back
            self.outbox.mark_waiting(key, result.error, result.message)
            self.pop.set_ledger(False)
            if form is not None:
                form.set_status("queued", entry.error, entry.message)
        elif result.network or result.status >= 500 or result.status == 401:
            kept = self.outbox.mark_retry(key, result.error, result.message)
            if not kept:
                self._form(key, pop=True)
                self._untie(key)
            if form is not None:
                status = "queued" if kept else "failed"
                form.set_status(status, entry.error, entry.message, result.details)
        else:
            self._form(key, pop=True)
            self._call_of.pop(key, None)
            self.outbox.mark_failed(key, result.error or f"http_{result.status}", result.message)
            log.info("%s refused: %s %s", entry.kind, result.error, result.message)
            self._untie(key)
            if form is not None:
                form.set_status("refused", result.error, result.message, result.details)
            refresh = result.error in ("slot_full", "slot_started", "no_transport_seat")
            if refresh and form is self.booking and self.booking.venue_id is not None:
                self.choose_venue_day(self.booking.venue_id, self.booking.day)
            self.flush()  # fail the entries that waited for this one

    def _untie(self, key: str) -> None:
        """A booking that will not be made: the mobility form waiting for it waits no more
        (sent next, it goes without a booking; one already chained to it fails, and says so)."""
        if self.mobility.booking_key == key:
            self.mobility.tie_to(booking_id=None, booking_key=None)

    def _applied(self, entry: Entry, form: Any) -> None:
        call = self._call_of.pop(entry.key, None)
        if entry.kind in CODE_OF:
            self.wrapup.add_code(call, CODE_OF[entry.kind])
        slot = self._slot_of.pop(entry.key, None)
        if form is self.booking and entry.kind in ("booking", "booking_change"):
            self._booked(entry, slot)
        elif form is self.booking and entry.kind == "booking_cancel":
            self.booking.existing = None
        if form is self.booking and entry.kind in ("booking_change", "booking_cancel"):
            self.booking.set_later(_later_of(entry.result))
        elif form is self.booking and entry.kind == "booking_cannot_come":
            self.booking.existing = None
            try:
                told = from_dict(CannotCome, entry.result or {})
            except ProtocolError:
                told = None
            self.booking.set_offers(list(told.suggestions) if told is not None else [])
        if entry.kind not in ("disposition", "call_resident"):
            self.refresh_card()
        self.outbox.forget_finished()

    def _booked(self, entry: Entry, slot: SlotInfo | None) -> None:
        booked = booking_of(entry.result)
        if booked is not None:
            self.booking.existing = booking_line(booked)
        else:  # an answer that is not a booking (logged by the API): what was chosen
            venue = next(
                (v.name for v in self.booking.venues if slot and v.venue_id == slot.venue_id), ""
            )
            self.booking.existing = BookingLine(
                self.booking.existing.booking_id if self.booking.existing else 0,
                slot.slot_id if slot else 0,
                slot.venue_id if slot else None,
                venue,
                slot.starts_at if slot else "",
                slot.ends_at if slot else "",
                "booked",
            )
        self.booking.last_booking_id = self.booking.existing.booking_id
        if self.mobility.booking_key == entry.key or self.mobility.booking_id is None:
            self.mobility.tie_to(booking_id=self.booking.existing.booking_id)


def _later_of(result: dict[str, Any] | None) -> tuple[Any, ...]:
    """The later doses a change's or cancel's answer tells of (none if it tells nothing)."""
    try:
        return from_dict(BookingChanged, result or {}).later
    except ProtocolError:
        return ()


def booking_of(result: dict[str, Any] | None) -> Booking | None:
    """The booking an outbox entry's answer holds (None if it is not one)."""
    try:
        return from_dict(Booking, result or {})
    except ProtocolError:
        return None
