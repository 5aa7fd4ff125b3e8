"""Slot JSON and live capacity: after a change, ``SlotsChanged`` to the clients watching.

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
from cti_server.web.hub import Hub
from cti_server.web.keys import BUS, HUB, SESSIONS, SETTINGS

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


async def notify_slots(app: web.Application, slot_ids: Iterable[int]) -> None:
    """Tell watchers here and on other instances that these slots' capacity changed."""
    from registry.venues import get_slot

    tz = app[SETTINGS].timezone
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    try:
        async with app[SESSIONS]() as session:
            for slot_id in dict.fromkeys(slot_ids):
                info = slot_info(await get_slot(session, slot_id), tz)
                key = (info.venue_id, info.starts_at[:10])
                groups.setdefault(key, []).append(protocol.to_dict(info))
    except Exception:
        log.exception("could not read slots %s for SlotsChanged", list(slot_ids))
        return
    _publish(app, groups)


async def notify_removed(app: web.Application, slot: Any) -> None:
    """Tell the watchers that a deleted slot has no seat any more (capacity 0)."""
    info = slot_info(slot, app[SETTINGS].timezone)
    gone = protocol.SlotInfo(
        slot_id=info.slot_id,
        venue_id=info.venue_id,
        starts_at=info.starts_at,
        ends_at=info.ends_at,
        capacity=0,
        booked=0,
    )
    _publish(app, {(info.venue_id, info.starts_at[:10]): [protocol.to_dict(gone)]})


def _publish(app: web.Application, groups: dict[tuple[int, str], list[dict[str, Any]]]) -> None:
    bus = app[BUS]
    for (venue_id, day), slots in groups.items():
        deliver_slots(app[HUB], venue_id, day, slots)
        if bus is not None:
            bus.publish("slots", {"venue_id": venue_id, "day": day, "slots": slots})
