"""Wires the 会場・枠 section (venues and slots) to the ServerLink and the main window.

Only for ``supervisor`` and ``admin`` (the role of each ``Hello``): the section appears as a
top-level tab (F9). Changes go straight to the REST API (not the outbox: a supervisor changing a
plan wants the answer now; when the server is unreachable the form keeps its input and says so).
While the section is on screen it watches its venue and day, so bookings taken by operators
update the counts live; back on the calls it watches the booking form's venue and day again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject

from cti_server.protocol import (
    Hello,
    ReconfigureApplied,
    ReconfigurePlan,
    ReconfigureRequest,
    SlotInfo,
    SlotList,
    SlotsChanged,
    Venue,
    VenueChange,
    VenueList,
    VenueRequest,
)

from .api import Reply
from .link import ServerLink
from .models.forms import BookingFormModel
from .models.venues import VenueAdminModel, VenueRow
from .views import reconfigure_dialog
from .views.labels import slot_time_text
from .views.main_window import MainWindow
from .views.venues import VenueAdminView

log = logging.getLogger(__name__)

ADMIN_ROLES = ("supervisor", "admin")
T = TypeVar("T")


class VenueAdminController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow, booking: BookingFormModel) -> None:
        super().__init__(window)
        self.link, self.window, self.booking = link, window, booking
        self.api = link.api
        self.model = VenueAdminModel()
        self.view = VenueAdminView(self.model)
        self.role = ""
        v = self.view
        v.venue_chosen.connect(lambda vid: self.choose(venue_id=vid))
        v.day_chosen.connect(lambda day: self.choose(day=day))
        v.reload_requested.connect(self.load)
        v.add_venue.connect(self.add_venue)
        v.save_venue.connect(self.save_venue)
        v.toggle_venue.connect(self.toggle_venue)
        v.add_slots.connect(self.add_slots)
        v.set_capacity.connect(self.set_capacity)
        v.delete_slot.connect(self.delete_slot)
        link.message_received.connect(self.on_message)
        window.sections.currentChanged.connect(self._section_changed)

    @property
    def allowed(self) -> bool:
        return self.role in ADMIN_ROLES

    def on_message(self, msg: object) -> None:
        if isinstance(msg, Hello):
            self.role = msg.operator.role
            self.window.set_venues_view(self.view if self.allowed else None)
            if self.allowed:
                self.load()
        elif isinstance(msg, SlotsChanged):
            self.model.apply_slots_changed(msg.slots)

    def _section_changed(self, _index: int) -> None:
        """Watch the slots of whichever venue and day is on screen (one watch per socket)."""
        if not self.allowed:
            return
        if self.window.sections.currentWidget() is self.view:
            if self.model.venue_id is not None:
                self.link.watch_slots(self.model.venue_id, self.model.day.isoformat())
        elif self.booking.venue_id is not None and self.booking.resident_id is not None:
            self.link.watch_slots(self.booking.venue_id, self.booking.day.isoformat())

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        def done(reply: Reply[VenueList]) -> None:
            if reply.value is not None:
                self.model.set_venues([VenueRow.from_venue(v) for v in reply.value.venues])
                self.load_slots()
            else:
                self.model.finish(False, reply.error, reply.message, reply.details)

        self.api.venues(done, include_inactive=True)

    def load_slots(self) -> None:
        m = self.model
        if m.venue_id is None:
            m.set_slots([])
            return
        venue_id, day = m.venue_id, m.day
        if self.window.sections.currentWidget() is self.view:
            self.link.watch_slots(venue_id, day.isoformat())

        def done(reply: Reply[SlotList]) -> None:
            if m.venue_id == venue_id and m.day == day and reply.value is not None:
                m.set_slots(list(reply.value.slots))

        self.api.slots(venue_id, day, done)

    def choose(self, venue_id: int | None = None, day: dt.date | None = None) -> None:
        self.model.choose(venue_id, day)
        self.load_slots()

    # ------------------------------------------------------------------ changes
    def _answer(self, action: str, then: Callable[[T], None]) -> Callable[[Reply[T]], None]:
        """Start ``action`` on the model; the returned callback ends it with the answer."""
        self.model.begin(action)

        def done(reply: Reply[T]) -> None:
            if reply.value is not None:
                log.info("%s done", action)
                then(reply.value)
            self.model.finish(reply.ok, reply.error, reply.message, reply.details, reply.value)

        return done

    def add_venue(self, name: str, address: str) -> None:
        def then(venue: Venue) -> None:
            self.model.venue_id = venue.id
            self.load()

        self.api.create_venue(VenueRequest(name, address), self._answer("venue_add", then))

    def save_venue(self, venue_id: int, name: str, address: str) -> None:
        done = self._answer("venue_save", lambda _v: self.load())
        self.api.change_venue(venue_id, VenueChange(name=name, address=address), done)

    def toggle_venue(self, venue_id: int, active: bool) -> None:
        done = self._answer("venue_toggle", lambda _v: self.load())
        if active:
            self.api.change_venue(venue_id, VenueChange(active=True), done)
            return

        def previewed(reply: Reply[ReconfigurePlan]) -> None:
            if reply.value is not None and reply.value.affected:
                self.model.finish(True)
                self._confirm(ReconfigureRequest(kind="close_venue", venue_id=venue_id),
                              reply.value)  # fmt: skip
            else:  # no booking from now on: an ordinary change
                self.api.change_venue(venue_id, VenueChange(active=False), done)

        self.api.reconfigure_preview(
            ReconfigureRequest(kind="close_venue", venue_id=venue_id), previewed
        )

    def add_slots(self, start: str, end: str, minutes: int, capacity: int) -> None:
        layout = self.model.layout(start, end, minutes, capacity)
        assert self.model.venue_id is not None
        done = self._answer("slots_add", lambda _laid: self.load_slots())
        self.api.lay_out_slots(self.model.venue_id, layout, done)

    def set_capacity(self, slot_id: int, capacity: int) -> None:
        def then(slot: SlotInfo) -> None:
            self.model.apply_slots_changed((slot,))

        plain = self._answer("capacity", then)

        def done(reply: Reply[SlotInfo]) -> None:
            if reply.error == "invalid_input" and "booked" in reply.details:
                # below what is booked: list who is affected, then move or call them back
                req = ReconfigureRequest(kind="capacity", slot_id=slot_id, capacity=capacity)
                self.api.reconfigure_preview(req, lambda r: self._previewed(req, r))
            else:
                plain(reply)

        self.api.set_capacity(slot_id, capacity, done)

    def _previewed(self, req: ReconfigureRequest, reply: Reply[ReconfigurePlan]) -> None:
        if reply.value is None:
            self.model.finish(False, reply.error, reply.message, reply.details)
            return
        self.model.finish(True)
        self._confirm(req, reply.value)

    def _slot_text(self, slot_id: int | None) -> str:
        if slot_id is None:
            return self.tr("（空きなし）")
        slot = self.model.slots.get(slot_id)
        return slot_time_text(slot.starts_at, slot.ends_at) if slot else f"#{slot_id}"

    def _confirm(self, req: ReconfigureRequest, plan: ReconfigurePlan) -> None:
        """The affected bookings shown; on confirmation the change is made."""
        choice = reconfigure_dialog.ask_reconfigure(self.view, plan, self._slot_text)
        if choice is None:
            return
        body = ReconfigureRequest(kind=req.kind, slot_id=req.slot_id, venue_id=req.venue_id,
                                  capacity=req.capacity, day=req.day, to_day=req.to_day,
                                  action=choice)  # fmt: skip

        def applied(_done: ReconfigureApplied) -> None:
            self.load()

        self.api.reconfigure_apply(body, self._answer("reconfigure", applied))

    def delete_slot(self, slot_id: int) -> None:
        done = self._answer("slot_delete", lambda _gone: self.model.remove_slot(slot_id))
        self.api.delete_slot(slot_id, done)
