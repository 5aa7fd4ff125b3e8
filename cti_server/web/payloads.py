"""REST answers built from the registry's views as the typed bodies of ``cti_server.protocol``.

One rule for time: every datetime leaves as ISO-8601 in UTC with its offset (``wire_time``); the
registry's views are UTC already. A view that does not fit its wire type is a server bug and
fails loudly (``ProtocolError``, a 500), never a half-filled answer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any, TypeVar

from aiohttp import web

from cti_server import protocol

T = TypeVar("T")


def wire_time(value: dt.datetime) -> str:
    """An aware datetime as the wire carries it: ISO-8601, UTC, with the offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a naive datetime cannot go on the wire: its zone would be a guess")
    return value.astimezone(dt.UTC).isoformat()


def of_view(cls: type[T], view: Any) -> T:
    """A registry view (``to_dict()``: UTC datetimes, ISO dates) as the wire type ``cls``."""
    return protocol.from_dict(cls, view.to_dict())


def answer(payload: Any, status: int = 200) -> web.Response:
    """A typed payload as the JSON response."""
    return web.json_response(protocol.to_dict(payload), status=status)


def slot_info(slot: Any) -> protocol.SlotInfo:
    """A registry ``SlotView`` on the wire."""
    return protocol.SlotInfo(
        slot_id=slot.slot_id,
        venue_id=slot.venue_id,
        starts_at=wire_time(slot.starts_at),
        ends_at=wire_time(slot.ends_at),
        capacity=slot.capacity,
        booked=slot.booked,
    )


def venue(v: Any) -> protocol.Venue:
    """A registry ``VenueInfo`` on the wire."""
    return protocol.Venue(id=v.venue_id, name=v.name, address=v.address, active=v.active)


def review_item(view: Any) -> protocol.ReviewItem:
    """A registry ``ReviewView`` on the wire: the image paths stay on the server (only whether
    each image exists), the source by its file name only."""
    data = view.to_dict()
    data["note_image"] = bool(data["note_image"])
    data["card_image"] = bool(data["card_image"])
    data["source"] = PurePath(data["source"]).name
    return protocol.from_dict(protocol.ReviewItem, data)


def scans_read(report: Any) -> protocol.ScansRead:
    """A registry ``ReadReport`` on the wire: each page's outcome under its file's name."""
    return protocol.ScansRead(
        pages=report.pages,
        outcomes=dict(report.outcomes),
        results=tuple(
            protocol.ScanPage(
                source=PurePath(src).name,
                page=page,
                scan_id=o.scan_id,
                status=o.status,
                reasons=tuple(o.reasons),
                new=o.new,
            )
            for src, page, o in report.results
        ),
    )
