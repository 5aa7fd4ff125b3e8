"""What the operator should see at a glance about each candidate of a pop: booked, vaccinated,
a mobility request, called before. One round trip for all candidates.

``flags_statement`` is a ``UNION`` of three branches, each driven by the resident index of its
table (``bookings.resident_id``, ``mobility_requests.resident_id``,
``call_records.matched_resident_id``), with the ids as one expanding parameter ``ids``.

Flags: ``booked`` (an active booking), ``attended`` (a dose given), ``mobility`` (a mobility
request open or arranged), ``called`` (an earlier, finished call was linked to them).

``flagged`` also fills each candidate's latest intent answer (``registry.intents.latest_intents``,
one query more), so the pop shows what they said, by which channel and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, CompoundSelect, bindparam, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from registry.find.matching import HouseholdMatch
from registry.intents import latest_intents
from registry.models import Booking, CallRecord, MobilityRequest
from registry.views import IntentView

ORDER = ("booked", "attended", "mobility", "called")


@cache
def flags_statement() -> CompoundSelect[Any]:
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    bookings = select(Booking.resident_id.label("rid"), Booking.status.label("flag")).where(
        Booking.resident_id.in_(ids), Booking.status.in_(("booked", "attended"))
    )
    mobility = select(MobilityRequest.resident_id, literal("mobility")).where(
        MobilityRequest.resident_id.in_(ids), MobilityRequest.status.in_(("open", "arranged"))
    )
    called = select(CallRecord.matched_resident_id, literal("called")).where(
        CallRecord.matched_resident_id.in_(ids), CallRecord.ended_at.is_not(None)
    )
    return union(bookings, mobility, called)


async def resident_flags(session: AsyncSession, ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Flags of each resident in ``ids`` that has any (in ``ORDER``)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = (await session.execute(flags_statement(), {"ids": wanted})).all()
    found: dict[int, set[str]] = {}
    for rid, flag in rows:
        found.setdefault(int(rid), set()).add(str(flag))
    return {rid: tuple(f for f in ORDER if f in fs) for rid, fs in found.items()}


def with_flags(
    matches: Sequence[HouseholdMatch],
    flags: dict[int, tuple[str, ...]],
    intents: Mapping[int, IntentView] | None = None,
) -> list[HouseholdMatch]:
    """The same households with each member's flags (and latest intent) filled in."""
    out = []
    latest = intents or {}
    for h in matches:
        members = tuple(
            replace(m, flags=flags.get(m.resident_id, ()), intent=latest.get(m.resident_id))
            for m in h.members
        )
        out.append(replace(h, members=members))
    return out


async def flagged(session: AsyncSession, matches: list[HouseholdMatch]) -> list[HouseholdMatch]:
    """``matches`` with their flags and latest intents (two queries; none without candidates)."""
    ids = [m.resident_id for h in matches for m in h.members]
    if not ids:
        return matches
    flags = await resident_flags(session, ids)
    return with_flags(matches, flags, await latest_intents(session, ids))
