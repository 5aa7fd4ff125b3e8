"""Venue and slot management for supervisors and admins (会場・枠): what is on screen and what
the last change did. Qt-free; the admin controller fills it from the API's answers.

``status`` follows ``FormState`` ("", "sending", "done", "refused", "failed"); ``action`` names the
change it is about (``venue_add``, ``venue_save``, ``venue_toggle``, ``slots_add``, ``capacity``,
``slot_delete``) and ``details`` keeps the server's details (``field``, ``booked`` ...). The
input fields live in the view and stay as typed after a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cti_server.protocol import SlotInfo, SlotsLayout, Venue

from .forms import SlotChoice


@dataclass(frozen=True)
class VenueRow:
    venue_id: int
    name: str
    address: str
    active: bool

    @classmethod
    def from_venue(cls, v: Venue) -> VenueRow:
        return cls(v.id, v.name, v.address, v.active)


class VenueAdminModel(SlotChoice):
    def __init__(self) -> None:
        super().__init__()
        self.venues: list[VenueRow] = []
        self.action = ""
        self.result: object = None  # the last answer, decoded (e.g. SlotsLaidOut)
        self._deleted: set[int] = set()  # their SlotsChanged (capacity 0) may still arrive

    # ---- what is on screen --------------------------------------------------------------
    def set_venues(self, venues: list[VenueRow]) -> None:
        self.venues = sorted(venues, key=lambda v: (not v.active, v.name))
        ids = [v.venue_id for v in self.venues]
        if self.venue_id not in ids:
            self.venue_id = ids[0] if ids else None
            self.slots, self.slot_id = {}, None
        self.changed()

    def venue(self) -> VenueRow | None:
        return next((v for v in self.venues if v.venue_id == self.venue_id), None)

    def set_slots(self, slots: list[SlotInfo]) -> None:
        self._store_slots(slots)
        if self.slot_id not in self.slots:
            self.slot_id = None
        self.changed()

    def _shows(self, slot: SlotInfo) -> bool:
        return slot.slot_id not in self._deleted and super()._shows(slot)

    def remove_slot(self, slot_id: int) -> None:
        self._deleted.add(slot_id)
        self.slots.pop(slot_id, None)
        if self.slot_id == slot_id:
            self.slot_id = None
        self.changed()

    def totals(self) -> tuple[int, int]:
        """(capacity, booked) of the day on screen."""
        return (
            sum(s.capacity for s in self.slots.values()),
            sum(s.booked for s in self.slots.values()),
        )

    # ---- the fate of a change -----------------------------------------------------------
    def begin(self, action: str) -> None:
        self.action, self.result = action, None
        self.set_status("sending")

    def finish(
        self,
        ok: bool,
        error: str = "",
        message: str = "",
        details: dict[str, Any] | None = None,
        result: object = None,
    ) -> None:
        self.result = result
        if ok:
            self.set_status("done")
        else:
            status = "failed" if error == "network" else "refused"
            self.set_status(status, error, message, details)

    @property
    def busy(self) -> bool:
        return self.status == "sending"

    def field(self) -> str:
        """The input the server refused, "" if none."""
        return str(self.details.get("field", "")) if self.status == "refused" else ""

    # ---- requests -----------------------------------------------------------------------
    def layout(self, start: str, end: str, minutes: int, capacity: int) -> SlotsLayout:
        """The day on screen laid out in slots (POST /api/venues/{id}/slots/bulk)."""
        if self.venue_id is None:
            raise ValueError("no venue chosen")
        return SlotsLayout(
            day=self.day.isoformat(), start=start, end=end, minutes=minutes, capacity=capacity
        )
