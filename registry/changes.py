"""What a registry write changed, for the server to publish once: plain frozen values.

A write that changes what others may be showing (seats of a slot, a venue, a mobility
request) notes a change event on its session (``note``); whoever commits the session takes
them (``taken``) and publishes them: the server sends slot changes to the clients watching
those slots, refreshes its board and tells the other instances. Taking empties the list, so
every event is published once. Stdlib only; the session is only used as a place to keep them
(``Session.info``), the way a unit of work collects its events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

KEY = "registry.changes"


@dataclass(frozen=True, slots=True)
class SlotsChanged:
    """Capacity or seats booked of these slots changed (or the slots were created)."""

    slot_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SlotRemoved:
    """A slot was deleted (it had no booking); what it was, for those showing it."""

    slot_id: int
    venue_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True, slots=True)
class VenueChanged:
    venue_id: int


@dataclass(frozen=True, slots=True)
class MobilityChanged:
    request_id: int


@dataclass(frozen=True, slots=True)
class CheckinsChanged:
    """A resident was checked in (or walked in) at this venue (in this slot, when known: a
    tally kept in memory adds one there instead of rereading): its tally changed."""

    venue_id: int
    slot_id: int = 0


Change = SlotsChanged | SlotRemoved | VenueChanged | MobilityChanged | CheckinsChanged


class HasInfo(Protocol):
    @property
    def info(self) -> dict[Any, Any]: ...


def note(session: HasInfo, change: Change) -> None:
    """Keep ``change`` with the session until it is taken."""
    changes: list[Change] = session.info.setdefault(KEY, [])
    changes.append(change)


def taken(session: HasInfo) -> tuple[Change, ...]:
    """The changes noted so far, once (the list is emptied); call after the commit."""
    changes: list[Change] = session.info.pop(KEY, [])
    return tuple(changes)
