"""Slot JSON, and publishing what registry writes changed (``publish_changes``): live
capacity to the clients watching, the other instances, and the board's bookings fill.

The wire has no "slot removed" message: a deleted slot goes out once with capacity 0 (no seat
left), so an open booking form can no longer pick it; the next reload no longer lists it.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.web.board_app import BOARD
from cti_server.web.hub import Hub
from cti_server.web.keys import BUS, HUB, SESSIONS, SETTINGS
from registry.changes import Change, SlotRemoved, SlotsChanged
from registry.venues import get_slot

log = logging.getLogger(__name__)


def slot_info(s: Any, tz: str) -> protocol.SlotInfo:
    zone = zoneinfo.ZoneInfo(tz)
    return protocol.SlotInfo(
        slot_id=s.slot_id,
        venue_id=s.venue_id,
        starts_at=s.starts_at.astimezone(zone).isoformat(),
        ends_at=s.ends_at.astimezone(zone).isoformat(),
        capacity=s.capacity,
        booked=s.booked,
    )


def slot_json(s: Any, tz: str) -> dict[str, Any]:
    info = slot_info(s, tz)
    return {**protocol.to_dict(info), "remaining": info.remaining}


def deliver_slots(hub: Hub, venue_id: int, day: str, slots: list[dict[str, Any]]) -> int:
    """Send ``SlotsChanged`` to this instance's watchers of (venue, day)."""
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
    try:
        async with app[SESSIONS]() as session:
            infos = [slot_info(await get_slot(session, i), tz) for i in dict.fromkeys(ids)]
    except Exception:
        log.exception("could not read slots %s for SlotsChanged", ids)
        infos = []
    infos += [_removed(c, tz) for c in changes if isinstance(c, SlotRemoved)]
    for info in infos:
        groups.setdefault((info.venue_id, info.starts_at[:10]), []).append(protocol.to_dict(info))
    bus = app[BUS]
    for (venue_id, day), slots in groups.items():
        deliver_slots(app[HUB], venue_id, day, slots)
        if bus is not None:
            bus.publish("slots", {"venue_id": venue_id, "day": day, "slots": slots})
    app[BOARD].bookings_changed()


def _removed(c: SlotRemoved, tz: str) -> protocol.SlotInfo:
    zone = zoneinfo.ZoneInfo(tz)
    return protocol.SlotInfo(
        slot_id=c.slot_id,
        venue_id=c.venue_id,
        starts_at=c.starts_at.astimezone(zone).isoformat(),
        ends_at=c.ends_at.astimezone(zone).isoformat(),
        capacity=0,
        booked=0,
    )
