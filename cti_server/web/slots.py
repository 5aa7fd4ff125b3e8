"""Live capacity: after a change, ``SlotsChanged`` to the clients watching its venue and day.

The wire has no "slot removed" message: a deleted slot goes out once with capacity 0 (no seat
left), so an open booking form can no longer pick it; the next reload no longer lists it.
"""

from __future__ import annotations

import dataclasses
import logging
import zoneinfo
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from cti_server import protocol
from cti_server.web.keys import HUB, SERVICE, SESSIONS, SETTINGS
from cti_server.web.payloads import slot_info

log = logging.getLogger(__name__)


def local_day(slot: Any, tz: str) -> str:
    """The day a slot is on in the server's time zone (the key a ``WatchSlots`` names)."""
    return str(slot.starts_at.astimezone(zoneinfo.ZoneInfo(tz)).date().isoformat())


def deliver_slots(
    app: web.Application, venue_id: int, day: str, slots: list[dict[str, Any]]
) -> int:
    """Send ``SlotsChanged`` to this instance's watchers of (venue, day); how many got it."""
    msg = protocol.SlotsChanged(
        slots=tuple(protocol.from_dict(protocol.SlotInfo, s) for s in slots)
    )
    sent: int = app[HUB].send_to_watchers(venue_id, day, msg)
    return sent


async def notify_slots(app: web.Application, slot_ids: Iterable[int]) -> None:
    """Tell watchers here and on other instances that these slots' capacity changed."""
    from registry.venues import get_slot

    tz = app[SETTINGS].timezone
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    try:
        async with app[SESSIONS]() as session:
            for slot_id in dict.fromkeys(slot_ids):
                slot = await get_slot(session, slot_id)
                key = (slot.venue_id, local_day(slot, tz))
                groups.setdefault(key, []).append(protocol.to_dict(slot_info(slot)))
    except Exception:
        log.exception("could not read slots %s for SlotsChanged", list(slot_ids))
        return
    _publish(app, groups)


async def notify_removed(app: web.Application, slot: Any) -> None:
    """Tell the watchers that a deleted slot has no seat any more (capacity 0)."""
    gone = dataclasses.replace(slot_info(slot), capacity=0, booked=0)
    day = local_day(slot, app[SETTINGS].timezone)
    _publish(app, {(slot.venue_id, day): [protocol.to_dict(gone)]})


def _publish(app: web.Application, groups: dict[tuple[int, str], list[dict[str, Any]]]) -> None:
    bus = app[SERVICE].bus
    for (venue_id, day), slots in groups.items():
        deliver_slots(app, venue_id, day, slots)
        if bus is not None:
            bus.publish("slots", {"venue_id": venue_id, "day": day, "slots": slots})
