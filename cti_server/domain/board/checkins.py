"""The reception tally on the wire: per-slot rows (anything with the fields of
``registry.venue_day.SlotTally``) grouped into ``VenueCheckins`` by venue. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from cti_server.protocol import SlotCheckins, VenueCheckins

DEFINITIONS = {
    "checkins_booked": ("active bookings of today's slots at the venue (walk-ins included)",
                        "本日の会場の枠の有効な予約（当日受付を含む）"),
    "checked_in": ("residents checked in at the venue's reception (barcode or desk search)",
                   "会場受付で受付済（バーコードまたは窓口検索）"),
    "not_yet": ("booked, not checked in, the slot not yet ended",
                "予約あり・未受付・枠がまだ終わっていない"),
    "no_show": ("booked, not checked in, the slot has ended",
                "予約あり・未受付・枠が終了した（来場なし）"),
}  # fmt: skip


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()


def venue_checkins(rows: Iterable[Any], day: dt.date) -> tuple[VenueCheckins, ...]:
    """One ``VenueCheckins`` per venue, in the rows' order (venue name, then slot start)."""
    venues: dict[int, tuple[str, list[SlotCheckins]]] = {}
    for r in rows:
        venues.setdefault(r.venue_id, (r.venue, []))[1].append(
            SlotCheckins(
                slot_id=r.slot_id, starts_at=_iso(r.starts_at), ends_at=_iso(r.ends_at),
                capacity=r.capacity, booked=r.booked, checked_in=r.checked_in,
                not_yet=r.not_yet, no_show=r.no_show,
            )
        )  # fmt: skip
    return tuple(
        VenueCheckins(
            venue_id=vid, venue=name, day=day.isoformat(),
            booked=sum(s.booked for s in slots), checked_in=sum(s.checked_in for s in slots),
            not_yet=sum(s.not_yet for s in slots), no_show=sum(s.no_show for s in slots),
            slots=tuple(slots),
        )
        for vid, (name, slots) in venues.items()
    )  # fmt: skip


def empty(venue_id: int, name: str, day: dt.date) -> VenueCheckins:
    return VenueCheckins(venue_id, name, day.isoformat(), 0, 0, 0, 0)
