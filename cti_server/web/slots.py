"""Publishing what registry writes changed (``publish_changes``): live capacity to the clients
watching, the other instances, and the board's bookings fill.

The wire has no "slot removed" message: a deleted slot goes out once with capacity 0 (no seat
left), so an open booking form can no longer pick it; the next reload no longer lists it.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.web.board_app import BOARD
from cti_server.web.hub import Hub
from cti_server.web.keys import BUS, HUB, SESSIONS, SETTINGS
from cti_server.web.payloads import slot_info, wire_time
from registry.changes import Change, CheckinsChanged, SlotRemoved, SlotsChanged
from registry.venues import get_slot

log = logging.getLogger(__name__)


def local_day(starts_at: dt.datetime, tz: str) -> str:
    """The day a slot is on in the server's time zone (the key a ``WatchSlots`` names)."""
    return starts_at.astimezone(zoneinfo.ZoneInfo(tz)).date().isoformat()


def deliver_slots(hub: Hub, venue_id: int, day: str, slots: list[dict[str, Any]]) -> int:
    """Send ``SlotsChanged`` to this instance's watchers of (venue, day); how many got it."""
    msg = protocol.SlotsChanged(
        slots=tuple(protocol.from_dict(protocol.SlotInfo, s) for s in slots)
    )
    return hub.send_to_watchers(venue_id, day, msg)


async def publish_changes(app: web.Application, changes: Iterable[Change]) -> None:
    """Publish, once, what a registry write changed (``registry.changes.taken`` after the
    commit): ``SlotsChanged`` to the watchers here and, through the bus, on the other
    instances (a deleted slot goes out with capacity 0); the board rereads the bookings fill."""
    changes = tuple(changes)
    if not changes:
        return
    tz = app[SETTINGS].timezone
    ids = [i for c in changes if isinstance(c, SlotsChanged) for i in c.slot_ids]
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}

    def add(venue_id: int, starts_at: dt.datetime, info: protocol.SlotInfo) -> None:
        key = (venue_id, local_day(starts_at, tz))
        groups.setdefault(key, []).append(protocol.to_dict(info))

    try:
        async with app[SESSIONS]() as session:
            for slot_id in dict.fromkeys(ids):  # none for check-ins: no connection taken
                slot = await get_slot(session, slot_id)
                add(slot.venue_id, slot.starts_at, slot_info(slot))
    except Exception:
        log.exception("could not read slots %s for SlotsChanged", ids)
    for c in changes:
        if isinstance(c, SlotRemoved):
            add(c.venue_id, c.starts_at, _removed(c))
    bus = app[BUS]
    for (venue_id, day), slots in groups.items():
        deliver_slots(app[HUB], venue_id, day, slots)
        if bus is not None:
            bus.publish("slots", {"venue_id": venue_id, "day": day, "slots": slots})
    came = [c for c in changes if isinstance(c, CheckinsChanged)]
    if came and bus is not None:  # the other instances' boards reread their tally
        bus.publish("checkins", {"venue_ids": sorted({c.venue_id for c in came})})
    if len(came) == len(changes) and all(c.slot_id for c in came):
        app[BOARD].checked_in(c.slot_id for c in came)  # the tally adds them, no reread
    else:
        app[BOARD].bookings_changed()


def _removed(c: SlotRemoved) -> protocol.SlotInfo:
    return protocol.SlotInfo(
        slot_id=c.slot_id,
        venue_id=c.venue_id,
        starts_at=wire_time(c.starts_at),
        ends_at=wire_time(c.ends_at),
        capacity=0,
        booked=0,
    )
