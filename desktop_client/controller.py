"""Wires the ServerLink to the models and views: what happens when a call rings, a resident is
confirmed, a form is sent, or the connection comes back. Every submission goes through the
outbox with its own Idempotency-Key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any
from urllib.parse import unquote

from PySide6.QtCore import QObject

from cti_server.protocol import (
    Hello,
    LedgerStatus,
    PbxLink,
    ResidentDetail,
    ScreenPop,
    SearchResults,
    SlotInfo,
    SlotList,
    SlotsChanged,
    VenueList,
    WrapUpCodes,
)

from . import api
from .api import Reply
from .link import ServerLink
from .models.forms import BookingFormModel, CallRef, MobilityFormModel, Subject, Venue
from .models.intent import IntentFormModel
from .models.outbox import Outbox
from .models.pop import PopModel
from .models.resident import ResidentCard, ResidentModel
from .models.search import SearchModel
from .models.wrapup import Choice, WrapUpModel
from .newcall import NewCall, call_ref_of
from .sender import Sender, booking_of
from .views.form_labels import search_error_text
from .views.labels import error_text
from .views.main_window import MainWindow

log = logging.getLogger(__name__)


class Controller(Sender, QObject):
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
        self._forms: dict[str, Any] = {}  # outbox key -> the form (or wrap-up) that sent it
        self._bound: dict[str, tuple[str | None, int | None]] = {}  # key -> (call, resident)
        self._call_of: dict[str, CallRef | None] = {}
        self._slot_of: dict[str, SlotInfo | None] = {}
        self.newcall = NewCall(
            window,
            resident=resident,
            search=search,
            booking=booking,
            mobility=mobility,
            intent=self.intent,
            wrapup=wrapup,
        )
        self._reattach_wrapups()
        link.pop_received.connect(self.on_pop)
        link.message_received.connect(self.on_message)
        link.state_changed.connect(self.on_state)
        window.pop.confirmed.connect(self.confirm)
        window.resend_requested.connect(self.resend_failed)
        window.discard_requested.connect(self.discard_failed)
        window.pop.search_requested.connect(self.run_search)
        window.pop.barcode_entered.connect(self.find_by_barcode)
        if window.card.intent_form is not None:
            window.card.intent_form.submitted.connect(self.submit_intent)  # type: ignore[attr-defined]
        window.booking.venue_day_chosen.connect(self.choose_venue_day)
        window.booking.submitted.connect(self.submit_booking)
        window.booking.cancel_requested.connect(self.cancel_booking)
        window.booking.cannot_come_requested.connect(self.cannot_come)
        window.mobility.submitted.connect(self.submit_mobility)
        window.wrapup.submitted.connect(self.submit_wrapup)

    def _reattach_wrapups(self) -> None:
        """Wrap-ups queued before a restart: their forms say queued and learn the answer."""
        for entry in list(self.outbox.entries.values()):
            if entry.kind != "disposition" or entry.status != "pending" or not entry.body:
                continue
            linkedid = unquote(entry.path.removeprefix("/api/calls/").removesuffix("/disposition"))
            sub = self.wrapup.reattach(entry.key, linkedid, entry.body)
            if sub is not None:
                self._forms[entry.key], self._bound[entry.key] = sub, (linkedid, None)

    # ------------------------------------------------------------------ server events
    def on_pop(self, pop: ScreenPop) -> None:
        before = self.pop.pop
        new_call = before is None or before.call.linkedid != pop.call.linkedid
        if new_call:
            self.newcall.begin(pop)
        else:
            self.wrapup.open(call_ref_of(pop), follow=False)
        ringing = self.pop.show(pop)
        completed = before is not None and not new_call and before.lookup_error == "pending"
        if ringing or (completed and not self.window.typing()):
            self.window.bring_forward(focus=_focus_for(pop))
        if pop.call.state == "ended" and not self.window.typing():  # never while typing
            self.wrapup.show(pop.call.linkedid)  # the call just ended is the one to wrap up
            if self.resident.card is not None:
                self.window.show_tab(3)

    def on_message(self, msg: object) -> None:
        if isinstance(msg, SlotsChanged):
            self.booking.apply_slots_changed(msg.slots)
        elif isinstance(msg, LedgerStatus):
            self.pop.set_ledger(msg.ok)
            if msg.ok:
                self.flush()  # the forms kept while the ledger was away
        elif isinstance(msg, Hello):
            self.pop.set_ledger(True)  # a fresh connection: told after Hello if it is down
            self.window.set_pbx_link(msg.pbx_link, msg.pbx_down_since)
        elif isinstance(msg, PbxLink):
            self.window.set_pbx_link(msg.state, msg.since)

    def on_state(self, state: str, detail: str) -> None:
        self.window.set_connection(state, detail)
        if state == "connected":
            self.load_dispositions()
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
                found = reply.value
                self.search.finish(seq, list(found.results), tied_beyond=found.tied_beyond)
            else:
                self.search.finish(seq, None, search_error_text(reply.error, reply.details))

        self.api.search(query.params(), done)

    def find_by_barcode(self, code: str) -> None:
        """A postcard number (はがき番号): the one resident it names opens on the card."""
        seq = self.search.begin()

        def done(result: Reply[SearchResults]) -> None:
            if result.value is not None:
                found = list(result.value.results)
                problem = "" if found else "not_found"
                if self.search.finish_barcode(seq, found, problem) and found:
                    self.confirm(found[0].resident_id)
            elif result.error == "invalid_input" and result.details.get("field") == "barcode":
                self.search.finish_barcode(seq, [], *_barcode_problem(result, code))
            else:
                self.search.finish(seq, None, error_text(result.error, result.message))

        self.api.find_barcode(code, self.linkedid(), done)

    def confirm(self, resident_id: int) -> None:
        self.pop.select_resident(resident_id)
        self.resident.loading = True
        self.load_resident(resident_id, then_show=True)
        call = self.linkedid()
        if call:  # the call is this resident's: their card lists it from now on
            req = api.link_call_resident(call, resident_id)
            self._submit(self.outbox.add("call_resident", req.method, req.path, req.body), None)

    def call_ref(self) -> CallRef | None:
        return call_ref_of(self.pop.pop) if self.pop.pop is not None else None

    def load_resident(self, resident_id: int, then_show: bool = False) -> None:
        call = self.linkedid()
        ref = self.call_ref()

        def done(result: Reply[ResidentDetail]) -> None:
            if call != self.linkedid():
                return  # another call came meanwhile: this card is not for it
            if result.value is None:
                self.resident.set_card(None, error_text(result.error, result.message))
                return
            card = ResidentCard.from_detail(result.value)
            card = dataclasses.replace(
                card, calls=tuple(c for c in card.calls if c.linkedid != call)
            )
            shown = self.resident.card
            fresh = (
                shown is None
                or shown.resident_id != resident_id
                or self.booking.resident_id != resident_id
                or self.booking.linkedid != call
            )
            if fresh:
                self.newcall.settle()
            self.resident.set_card(card)
            if fresh and ref is not None:
                self.wrapup.set_subject(ref, Subject.of(card))
            if fresh:
                self.booking.start(card, ref)
                self.mobility.start(card, ref)
                self.intent.start(card, ref)
                self.load_venues()
            elif self.booking.status == "":
                self.booking.existing = card.active_booking()
                self.booking.changed()
            if then_show:
                self.window.show_tab(0)

        self.api.resident(resident_id, call, done)

    def refresh_card(self) -> None:
        """The card on screen read again after a send, for the call it is shown for (a card kept
        for the previous call stays that call's): what was stored shows on it; which person and
        call the forms are for does not change."""
        shown = self.resident.card
        if shown is None:
            return
        resident_id = shown.resident_id
        call = self.newcall.kept_card_call() or self.linkedid()

        def done(result: Reply[ResidentDetail]) -> None:
            now = self.resident.card
            if result.value is None or now is None or now.resident_id != resident_id:
                return  # another card meanwhile (or none): nothing to refresh
            card = ResidentCard.from_detail(result.value)
            card = dataclasses.replace(
                card, calls=tuple(c for c in card.calls if c.linkedid != call)
            )
            self.resident.set_card(card)
            if self.booking.status == "" and self.booking.resident_id == resident_id:
                self.booking.existing = card.active_booking()
                self.booking.changed()

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
        entry = self.outbox.add("booking_cancel", call.method, call.path, call.body)
        self._submit(entry, self.booking)

    def cannot_come(self) -> None:
        if self.booking.existing is None:
            return
        call = self.booking.cannot_come_request()
        entry = self.outbox.add("booking_cannot_come", call.method, call.path, call.body)
        self._submit(entry, self.booking)

    def submit_mobility(self) -> None:
        call = self.mobility.request()
        body = dict(call.body or {})
        after = self.mobility.booking_key if self.mobility.booking_id is None else None
        dep = self.outbox.entries.get(after) if after else None
        if dep is not None and dep.status == "done":
            booking = booking_of(dep.result)
            if booking is not None:
                body["booking_id"] = booking.booking_id
        if dep is None or dep.status in ("done", "failed"):
            after = None  # never wait for a booking that is made, refused or gone
        fill = {"booking_id": "booking_id"} if after else None
        entry = self.outbox.add("mobility", call.method, call.path, body, after=after, fill=fill)
        self._submit(entry, self.mobility)

    def submit_intent(self) -> None:
        call = self.intent.request()
        self._submit(self.outbox.add("intent", call.method, call.path, call.body), self.intent)

    def submit_wrapup(self) -> None:
        call = self.wrapup.request()
        w = self.wrapup.entry()
        before = self.outbox.entries.get(w.key) if w is not None and w.key else None
        after = (
            before.key if before is not None and before.status in ("pending", "sending") else None
        )
        entry = self.outbox.add("disposition", call.method, call.path, call.body, after=after)
        self._submit(entry, self.wrapup.submitted(entry.key))

    def load_dispositions(self) -> None:
        def done(reply: Reply[WrapUpCodes]) -> None:
            if reply.value is not None:
                items = reply.value.dispositions
                self.wrapup.set_choices([Choice(d.code, d.ja, d.en) for d in items])

        self.api.dispositions(done)


def _focus_for(pop: ScreenPop) -> str:
    """Where the keyboard goes for a ringing call: the candidates, or the name search when
    there are none to pick (withheld or unknown caller)."""
    pending = pop.lookup_error == "pending"
    return "candidates" if pop.households or pending else "search"


def _barcode_problem(result: Reply[SearchResults], code: str) -> tuple[str, int]:
    """What the server found wrong with a postcard number: (problem, digits typed)."""
    if "check digit" in result.message:
        return "check_digit", len(code)
    if "length" in result.details:
        return "length", int(result.details["length"])
    return "digits", len(code)
