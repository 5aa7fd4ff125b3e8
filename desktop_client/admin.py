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
from typing import Any

from PySide6.QtCore import QObject

from cti_server.protocol import Hello, SlotInfo, SlotsChanged, from_dict

from .link import ServerLink
from .models.forms import BookingFormModel
from .models.venues import VenueAdminModel, VenueRow
from .rest import ApiResult
from .views.main_window import MainWindow
from .views.venues import VenueAdminView

log = logging.getLogger(__name__)

ADMIN_ROLES = ("supervisor", "admin")


class VenueAdminController(QObject):
    def __init__(self, link: ServerLink, window: MainWindow, booking: BookingFormModel) -> None:
        super().__init__(window)
        self.link, self.window, self.booking = link, window, booking
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
        def done(result: ApiResult) -> None:
            if result.ok and isinstance(result.data, dict):
                self.model.set_venues([VenueRow.from_json(v) for v in result.data["venues"]])
                self.load_slots()
            else:
                self.model.finish(False, result.error, result.message, result.details)

        self.link.request("GET", "/api/venues?all=1", None, done)

    def load_slots(self) -> None:
        m = self.model
        if m.venue_id is None:
            m.set_slots([])
            return
        venue_id, day = m.venue_id, m.day
        if self.window.sections.currentWidget() is self.view:
            self.link.watch_slots(venue_id, day.isoformat())

        def done(result: ApiResult) -> None:
            if m.venue_id == venue_id and m.day == day and result.ok:
                m.set_slots([from_dict(SlotInfo, s) for s in result.data.get("slots", [])])

        self.link.request("GET", m.slots_path(), None, done)

    def choose(self, venue_id: int | None = None, day: dt.date | None = None) -> None:
        self.model.choose(venue_id, day)
        self.load_slots()

    # ------------------------------------------------------------------ changes
    def _send(
        self,
        action: str,
        method: str,
        path: str,
        body: Any,
        then: Callable[[dict[str, Any]], None],
    ) -> None:
        self.model.begin(action)

        def done(result: ApiResult) -> None:
            data = result.data if isinstance(result.data, dict) else {}
            if result.ok:
                log.info("%s done", action)
                then(data)
            self.model.finish(result.ok, result.error, result.message, result.details, data)

        self.link.request(method, path, body, done)

    def add_venue(self, name: str, address: str) -> None:
        def then(data: dict[str, Any]) -> None:
            self.model.venue_id = int(data["id"])
            self.load()

        body = {"name": name, "address": address}
        self._send("venue_add", "POST", "/api/venues", body, then)

    def save_venue(self, venue_id: int, name: str, address: str) -> None:
        body = {"name": name, "address": address}
        self._send("venue_save", "PATCH", f"/api/venues/{venue_id}", body, lambda _d: self.load())

    def toggle_venue(self, venue_id: int, active: bool) -> None:
        body = {"active": active}
        self._send("venue_toggle", "PATCH", f"/api/venues/{venue_id}", body, lambda _d: self.load())

    def add_slots(self, start: str, end: str, minutes: int, capacity: int) -> None:
        method, path, body = self.model.bulk_request(start, end, minutes, capacity)
        self._send("slots_add", method, path, body, lambda _d: self.load_slots())

    def set_capacity(self, slot_id: int, capacity: int) -> None:
        def then(data: dict[str, Any]) -> None:
            self.model.apply_slots_changed((from_dict(SlotInfo, data),))

        body = {"capacity": capacity}
        self._send("capacity", "PATCH", f"/api/slots/{slot_id}", body, then)

    def delete_slot(self, slot_id: int) -> None:
        self._send(
            "slot_delete",
            "DELETE",
            f"/api/slots/{slot_id}",
            None,
            lambda _d: self.model.remove_slot(slot_id),
        )
