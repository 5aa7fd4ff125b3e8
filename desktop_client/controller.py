"""Wires the ServerLink to the models and views: what happens when a call rings, a resident is
confirmed, a form is sent, or the connection comes back. Every submission goes through the
outbox with its own Idempotency-Key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode

from PySide6.QtCore import QObject

from cti_server.protocol import Candidate, ScreenPop, SlotInfo, SlotsChanged, from_dict

from .link import ServerLink
from .models.forms import BookingFormModel, CallRef, MobilityFormModel, Venue
from .models.intent import IntentFormModel
from .models.outbox import Entry, Outbox
from .models.pop import PopModel
from .models.resident import BookingLine, ResidentCard, ResidentModel
from .models.search import SearchModel
from .models.wrapup import Choice, WrapUpModel
from .newcall import NewCall, call_ref_of
from .rest import ApiResult
from .views.labels import error_text, search_error_text
from .views.main_window import MainWindow

# what a form sent, as the result code its call's wrap-up is prefilled with
CODE_OF = {
    "booking": "booked",
    "booking_change": "changed",
    "booking_cancel": "cancelled",
    "mobility": "mobility",
    "intent": "intent",
}

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
        ended = pop.call.state == "ended" and self.resident.card is not None
        if ended and not self.window.typing():  # never take the operator from what they type
            self.window.show_tab(3)

    def on_message(self, msg: object) -> None:
        if isinstance(msg, SlotsChanged):
            self.booking.apply_slots_changed(msg.slots)

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

        def done(result: ApiResult) -> None:
            if result.ok and isinstance(result.data, dict):
                found = [from_dict(Candidate, c) for c in result.data.get("results", [])]
                self.search.finish(seq, found)
            else:
                self.search.finish(seq, None, search_error_text(result.error, result.details))

        self.link.request("GET", f"/api/residents/search?{query.params()}", None, done)

    def find_by_barcode(self, code: str) -> None:
        """A postcard number (はがき番号): the one resident it names opens on the card."""
        seq = self.search.begin()
        call = self.linkedid()
        params = urlencode({"barcode": code, **({"call": call} if call else {})})

        def done(result: ApiResult) -> None:
            if result.ok and isinstance(result.data, dict):
                found = [from_dict(Candidate, c) for c in result.data.get("results", [])]
                problem = "" if found else "not_found"
                if self.search.finish_barcode(seq, found, problem) and found:
                    self.confirm(found[0].resident_id)
            elif result.error == "invalid_input" and result.details.get("field") == "barcode":
                self.search.finish_barcode(seq, [], *_barcode_problem(result, code))
            else:
                self.search.finish(seq, None, error_text(result.error, result.message))

        self.link.request("GET", f"/api/residents/search?{params}", None, done)

    def confirm(self, resident_id: int) -> None:
        self.pop.select_resident(resident_id)
        self.resident.loading = True
        self.load_resident(resident_id, then_show=True)
        call = self.linkedid()
        if call:  # the call is this resident's: their card lists it from now on
            path = f"/api/calls/{call}/resident"
            self._submit(
                self.outbox.add("call_resident", "POST", path, {"resident_id": resident_id}), None
            )

    def call_ref(self) -> CallRef | None:
        return call_ref_of(self.pop.pop) if self.pop.pop is not None else None

    def load_resident(self, resident_id: int, then_show: bool = False) -> None:
        call = self.linkedid()
        ref = self.call_ref()
        path = f"/api/residents/{resident_id}" + (f"?call={call}" if call else "")

        def done(result: ApiResult) -> None:
            if call != self.linkedid():
                return  # another call came meanwhile: this card is not for it
            if not (result.ok and isinstance(result.data, dict)):
                self.resident.set_card(None, error_text(result.error, result.message))
                return
            card = ResidentCard.from_json(result.data)
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
            self.resident.set_card(card)
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

        self.link.request("GET", path, None, done)

    # ------------------------------------------------------------------ booking
    def load_venues(self) -> None:
        def done(result: ApiResult) -> None:
            if result.ok and isinstance(result.data, dict):
                venues = [
                    Venue(int(v["id"]), v.get("name", ""), v.get("address", ""))
                    for v in result.data.get("venues", [])
                    if v.get("active", True)
                ]
                self.booking.set_venues(venues)
                if self.booking.venue_id is not None:
                    self.choose_venue_day(self.booking.venue_id, self.booking.day)

        self.link.request("GET", "/api/venues", None, done)

    def choose_venue_day(self, venue_id: int, day: dt.date) -> None:
        self.booking.choose(venue_id, day)
        self.link.watch_slots(venue_id, day.isoformat())

        def done(result: ApiResult) -> None:
            if (
                result.ok
                and isinstance(result.data, dict)
                and self.booking.venue_id == venue_id
                and self.booking.day == day
            ):
                self.booking.set_slots(
                    [from_dict(SlotInfo, s) for s in result.data.get("slots", [])]
                )

        self.link.request("GET", f"/api/venues/{venue_id}/slots?day={day.isoformat()}", None, done)

    def submit_booking(self) -> None:
        method, path, body = self.booking.request()
        kind = "booking_change" if method == "PATCH" else "booking"
        entry = self.outbox.add(kind, method, path, body)
        self._slot_of[entry.key] = self.booking.selected()
        if kind == "booking" and self.mobility.booking_id is None:
            self.mobility.tie_to(booking_key=entry.key)
        self._submit(entry, self.booking)

    def cancel_booking(self) -> None:
        if self.booking.existing is None:
            return
        method, path, body = self.booking.cancel_request()
        self._submit(self.outbox.add("booking_cancel", method, path, body), self.booking)

    def submit_mobility(self) -> None:
        method, path, body = self.mobility.request()
        after = self.mobility.booking_key if self.mobility.booking_id is None else None
        dep = self.outbox.entries.get(after) if after else None
        if dep is not None and dep.status == "done":
            body["booking_id"] = _booking_id(dep.result)
            after = None
        fill = {"booking_id": "booking_id|id"} if after else None
        self._submit(
            self.outbox.add("mobility", method, path, body, after=after, fill=fill), self.mobility
        )

    def submit_intent(self) -> None:
        method, path, body = self.intent.request()
        self._submit(self.outbox.add("intent", method, path, body), self.intent)

    def submit_wrapup(self) -> None:
        method, path, body = self.wrapup.request()
        w = self.wrapup.entry()
        before = self.outbox.entries.get(w.key) if w is not None and w.key else None
        after = (
            before.key if before is not None and before.status in ("pending", "sending") else None
        )
        entry = self.outbox.add("disposition", method, path, body, after=after)
        self._submit(entry, self.wrapup.submitted(entry.key))

    def load_dispositions(self) -> None:
        def done(result: ApiResult) -> None:
            if result.ok and isinstance(result.data, dict):
                items = result.data.get("dispositions") or []
                self.wrapup.set_choices(
                    [
                        Choice(str(d["code"]), str(d.get("ja", "")), str(d.get("en", "")))
                        for d in items
                    ]
                )

        self.link.request("GET", "/api/dispositions", None, done)

    # ------------------------------------------------------------------ outbox
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
        self.link.request(
            entry.method,
            entry.path,
            entry.body,
            lambda result, key=entry.key: self._sent(key, result),
            headers={"Idempotency-Key": entry.key},
        )

    def _sent(self, key: str, result: ApiResult) -> None:
        entry = self.outbox.entries[key]
        form = self._form(key)
        if result.ok:
            self._form(key, pop=True)
            self.outbox.mark_done(key, result.data if isinstance(result.data, dict) else {})
            log.info("%s sent (call %s)", entry.kind, self.linkedid())
            self._applied(entry, form)
            if form is not None:
                form.set_status("done")
            self.flush()  # entries waiting for this one
        elif result.network or result.status >= 500 or result.status == 401:
            kept = self.outbox.mark_retry(key, result.error, result.message)
            if not kept:
                self._form(key, pop=True)
            if form is not None:
                form.set_status("queued" if kept else "failed", entry.error, entry.message)
        else:
            self._form(key, pop=True)
            self._call_of.pop(key, None)
            self.outbox.mark_failed(key, result.error or f"http_{result.status}", result.message)
            log.info("%s refused: %s %s", entry.kind, result.error, result.message)
            if form is not None:
                form.set_status("refused", result.error, result.message)
            refresh = result.error in ("slot_full", "slot_started")
            if refresh and form is self.booking and self.booking.venue_id is not None:
                self.choose_venue_day(self.booking.venue_id, self.booking.day)
            self.flush()  # fail the entries that waited for this one

    def _applied(self, entry: Entry, form: Any) -> None:
        call = self._call_of.pop(entry.key, None)
        if entry.kind in CODE_OF:
            self.wrapup.add_code(call, CODE_OF[entry.kind])
        slot = self._slot_of.pop(entry.key, None)
        if form is self.booking and entry.kind in ("booking", "booking_change"):
            self._booked(entry, slot)
        elif form is self.booking and entry.kind == "booking_cancel":
            self.booking.existing = None
        card = self.resident.card
        if card is not None and entry.kind not in ("disposition", "call_resident"):
            self.load_resident(card.resident_id)
        self.outbox.forget_finished()

    def _booked(self, entry: Entry, slot: SlotInfo | None) -> None:
        booking_id = _booking_id(entry.result) or (
            self.booking.existing.booking_id if self.booking.existing else 0
        )
        venue = next(
            (v.name for v in self.booking.venues if slot and v.venue_id == slot.venue_id), ""
        )
        self.booking.existing = BookingLine(
            int(booking_id or 0),
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


def _focus_for(pop: ScreenPop) -> str:
    """Where the keyboard goes for a ringing call: the candidates, or the name search when
    there are none to pick (withheld or unknown caller)."""
    pending = pop.lookup_error == "pending"
    return "candidates" if pop.households or pending else "search"


def _booking_id(result: dict[str, Any] | None) -> int | None:
    if not result:
        return None
    value = result.get("booking_id", result.get("id"))
    return int(value) if value is not None else None


def _barcode_problem(result: ApiResult, code: str) -> tuple[str, int]:
    """What the server found wrong with a postcard number: (problem, digits typed)."""
    if "check digit" in result.message:
        return "check_digit", len(code)
    if "length" in result.details:
        return "length", int(result.details["length"])
    return "digits", len(code)
