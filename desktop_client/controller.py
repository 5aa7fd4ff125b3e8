"""Wires the ServerLink to the models and views: what happens when a call rings, a resident is
confirmed, a form is sent, or the connection comes back. Every submission goes through the
outbox with its own Idempotency-Key."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QObject

from cti_server.protocol import (
    Booking,
    ProtocolError,
    ResidentDetail,
    ScreenPop,
    SearchResults,
    SlotInfo,
    SlotList,
    SlotsChanged,
    VenueList,
    from_dict,
)

from .api import OUTBOX_ANSWERS, ApiCall, Reply
from .link import ServerLink
from .models.forms import BookingFormModel, FormState, MobilityFormModel, Venue, WrapUpModel
from .models.intent import IntentFormModel
from .models.outbox import Entry, Outbox
from .models.pop import PopModel
from .models.resident import BookingLine, ResidentCard, ResidentModel, booking_line
from .models.search import SearchModel
from .views.labels import error_text
from .views.main_window import MainWindow

log = logging.getLogger(__name__)


class Controller(QObject):
    def __init__(
        self,
        link: ServerLink,
        window: MainWindow,
        *,
        pop: PopModel,
        search: SearchModel,
        resident: ResidentModel,
        booking: BookingFormModel,
        mobility: MobilityFormModel,
        wrapup: WrapUpModel,
        outbox: Outbox,
        intent: IntentFormModel | None = None,
    ) -> None:
        super().__init__(window)
        self.link, self.window, self.outbox = link, window, outbox
        self.api = link.api
        self.pop, self.search, self.resident = pop, search, resident
        self.booking, self.mobility, self.wrapup = booking, mobility, wrapup
        self.intent = intent or IntentFormModel()
        self._forms: dict[str, FormState] = {}
        self._slot_of: dict[str, SlotInfo | None] = {}
        link.pop_received.connect(self.on_pop)
        link.message_received.connect(self.on_message)
        link.state_changed.connect(self.on_state)
        window.pop.confirmed.connect(self.confirm)
        window.pop.search_requested.connect(self.run_search)
        window.pop.barcode_entered.connect(self.find_by_barcode)
        if window.card.intent_form is not None:
            window.card.intent_form.submitted.connect(self.submit_intent)  # type: ignore[attr-defined]
        window.booking.venue_day_chosen.connect(self.choose_venue_day)
        window.booking.submitted.connect(self.submit_booking)
        window.booking.cancel_requested.connect(self.cancel_booking)
        window.mobility.submitted.connect(self.submit_mobility)
        window.wrapup.submitted.connect(self.submit_wrapup)

    # ------------------------------------------------------------------ server events
    def on_pop(self, pop: ScreenPop) -> None:
        if self.pop.show(pop):
            self.window.bring_forward()
        self.wrapup.start(pop.call.linkedid)
        if pop.call.state == "ended" and self.resident.card is not None:
            self.window.show_tab(3)

    def on_message(self, msg: object) -> None:
        if isinstance(msg, SlotsChanged):
            self.booking.apply_slots_changed(msg.slots)

    def on_state(self, state: str, detail: str) -> None:
        self.window.set_connection(state, detail)
        if state == "connected":
            self.flush()
            if self.booking.venue_id is not None and self.booking.resident_id is not None:
                self.choose_venue_day(self.booking.venue_id, self.booking.day)  # missed changes

    # ------------------------------------------------------------------ pop, search, card
    def linkedid(self) -> str | None:
        return self.pop.pop.call.linkedid if self.pop.pop is not None else None

    def run_search(self) -> None:
        query = self.search.query
        if query.is_empty():
            self.search.clear()
            return
        seq = self.search.begin()

        def done(reply: Reply[SearchResults]) -> None:
            if reply.value is not None:
                self.search.finish(seq, list(reply.value.results))
            else:
                self.search.finish(seq, None, error_text(reply.error, reply.message))

        self.api.search(query.params(), done)

    def find_by_barcode(self, code: str) -> None:
        """A postcard number (はがき番号): the one resident it names opens on the card."""
        seq = self.search.begin()

        def done(reply: Reply[SearchResults]) -> None:
            if reply.value is not None:
                found = list(reply.value.results)
                problem = "" if found else "not_found"
                if self.search.finish_barcode(seq, found, problem) and found:
                    self.confirm(found[0].resident_id)
            elif reply.error == "invalid_input" and reply.details.get("field") == "barcode":
                self.search.finish_barcode(seq, [], *_barcode_problem(reply, code))
            else:
                self.search.finish(seq, None, error_text(reply.error, reply.message))

        self.api.find_barcode(code, self.linkedid(), done)

    def confirm(self, resident_id: int) -> None:
        self.pop.select_resident(resident_id)
        self.resident.loading = True
        self.load_resident(resident_id, then_show=True)

    def load_resident(self, resident_id: int, then_show: bool = False) -> None:
        call = self.linkedid()

        def done(reply: Reply[ResidentDetail]) -> None:
            if reply.value is None:
                self.resident.set_card(None, error_text(reply.error, reply.message))
                return
            card = ResidentCard.from_detail(reply.value)
            fresh = self.resident.card is None or self.resident.card.resident_id != resident_id
            self.resident.set_card(card)
            if fresh:
                self.booking.start(card, call)
                self.mobility.start(card, call)
                self.intent.start(card, call)
                self.load_venues()
            elif self.booking.status == "":
                self.booking.existing = card.active_booking()
                self.booking.changed()
            if then_show:
                self.window.show_tab(0)

        self.api.resident(resident_id, call, done)

    # ------------------------------------------------------------------ booking
    def load_venues(self) -> None:
        def done(reply: Reply[VenueList]) -> None:
            if reply.value is not None:
                venues = [Venue(v.id, v.name, v.address) for v in reply.value.venues if v.active]
                self.booking.set_venues(venues)
                if self.booking.venue_id is not None:
                    self.choose_venue_day(self.booking.venue_id, self.booking.day)

        self.api.venues(done)

    def choose_venue_day(self, venue_id: int, day: dt.date) -> None:
        self.booking.choose(venue_id, day)
        self.link.watch_slots(venue_id, day.isoformat())

        def done(reply: Reply[SlotList]) -> None:
            if (
                reply.value is not None
                and self.booking.venue_id == venue_id
                and self.booking.day == day
            ):
                self.booking.set_slots(list(reply.value.slots))

        self.api.slots(venue_id, day, done)

    def submit_booking(self) -> None:
        call = self.booking.request()
        kind = "booking_change" if call.method == "PATCH" else "booking"
        entry = self.outbox.add(kind, call.method, call.path, call.body)
        self._slot_of[entry.key] = self.booking.selected()
        if kind == "booking" and self.mobility.booking_id is None:
            self.mobility.tie_to(booking_key=entry.key)
        self._submit(entry, self.booking)

    def cancel_booking(self) -> None:
        if self.booking.existing is None:
            return
        call = self.booking.cancel_request()
        self._submit(
            self.outbox.add("booking_cancel", call.method, call.path, call.body), self.booking
        )

    def submit_mobility(self) -> None:
        call = self.mobility.request()
        body = dict(call.body or {})
        after = self.mobility.booking_key if self.mobility.booking_id is None else None
        dep = self.outbox.entries.get(after) if after else None
        if dep is not None and dep.status == "done":
            booking = _booking(dep.result)
            if booking is not None:
                body["booking_id"] = booking.booking_id
            after = None
        fill = {"booking_id": "booking_id"} if after else None
        entry = self.outbox.add("mobility", call.method, call.path, body, after=after, fill=fill)
        self._submit(entry, self.mobility)

    def submit_intent(self) -> None:
        call = self.intent.request()
        self._submit(self.outbox.add("intent", call.method, call.path, call.body), self.intent)

    def submit_wrapup(self) -> None:
        call = self.wrapup.request()
        entry = self.outbox.add("disposition", call.method, call.path, call.body)
        self._submit(entry, self.wrapup)

    # ------------------------------------------------------------------ outbox
    def _submit(self, entry: Entry, form: FormState) -> None:
        self._forms[entry.key] = form
        form.set_status("queued" if self.link.state != "connected" else "sending")
        self.flush()

    def flush(self) -> None:
        if self.link.state != "connected":
            return
        for entry in self.outbox.ready():
            self._send(entry)
        for entry in self.outbox.failed():  # e.g. a dependency failed: tell the form
            form = self._forms.pop(entry.key, None)
            if form is not None:
                form.set_status("failed", entry.error, entry.message)

    def _send(self, entry: Entry) -> None:
        self.outbox.mark_sending(entry.key)
        form = self._forms.get(entry.key)
        if form is not None and form.status != "sending":
            form.set_status("sending")
        call = ApiCall(entry.method, entry.path, entry.body, OUTBOX_ANSWERS.get(entry.kind))
        key = entry.key

        def done(reply: Reply[Any]) -> None:
            self._sent(key, reply)

        self.api.send(call, done, key=key)

    def _sent(self, key: str, result: Reply[Any]) -> None:
        entry = self.outbox.entries[key]
        form = self._forms.get(key)
        if 200 <= result.status < 300:  # done, even if the answer did not decode
            self._forms.pop(key, None)
            self.outbox.mark_done(key, result.data if isinstance(result.data, dict) else {})
            log.info("%s sent (call %s)", entry.kind, self.linkedid())
            self._applied(entry)
            if form is not None:
                form.set_status("done")
            self.flush()  # entries waiting for this one
        elif result.network or result.status >= 500 or result.status == 401:
            kept = self.outbox.mark_retry(key, result.error, result.message)
            if not kept:
                self._forms.pop(key, None)
            if form is not None:
                form.set_status("queued" if kept else "failed", entry.error, entry.message)
        else:
            self._forms.pop(key, None)
            self.outbox.mark_failed(key, result.error or f"http_{result.status}", result.message)
            if form is not None:
                form.set_status("refused", result.error, result.message)
            if result.error == "slot_full" and self.booking.venue_id is not None:
                self.choose_venue_day(self.booking.venue_id, self.booking.day)
            self.flush()  # fail the entries that waited for this one

    def _applied(self, entry: Entry) -> None:
        data = entry.result or {}
        if entry.kind in ("booking", "booking_change"):
            slot = self._slot_of.pop(entry.key, None)
            booked = _booking(data)
            if booked is not None:
                self.booking.existing = booking_line(booked)
            else:  # an answer that is not a booking (logged by the API): what was chosen
                venue = next(
                    (v.name for v in self.booking.venues if slot and v.venue_id == slot.venue_id),
                    "",
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
        elif entry.kind == "booking_cancel":
            self.booking.existing = None
        if self.resident.card is not None and entry.kind != "disposition":
            self.load_resident(self.resident.card.resident_id)
        self.outbox.forget_finished()


def _booking(result: dict[str, Any] | None) -> Booking | None:
    """The booking an outbox entry's answer holds (None if it is not one)."""
    try:
        return from_dict(Booking, result or {})
    except ProtocolError:
        return None


def _barcode_problem(result: Reply[SearchResults], code: str) -> tuple[str, int]:
    """What the server found wrong with a postcard number: (problem, digits typed)."""
    if "check digit" in result.message:
        return "check_digit", len(code)
    if "length" in result.details:
        return "length", int(result.details["length"])
    return "digits", len(code)
