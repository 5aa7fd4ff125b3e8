"""One assignment run: read the input, plan, report; with ``commit``, write it in bulk.

The write is one transaction: seats are added to each slot with one ``UPDATE`` per slot (the
``booked <= capacity`` and ``transport_booked <= transport_seats`` CHECK constraints refuse an
overfill), the bookings (channel ``assigned``) are inserted in batches (the one-active-booking
index refuses a resident booked meanwhile), each booking is audited (``booking.create``) and the
run as a whole too (``assignment.commit``, with its figures). If the database refuses anything,
nothing is written and ``Conflict`` says to run again. With ``expect`` (a dry run's digest) a
plan that came out differently is refused before writing (``Conflict``, ``plan_changed``).
The caller commits (or rolls back after a ``Conflict``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections import Counter

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.assign.load import load_input
from registry.assign.report import AssignmentReport, build_report
from registry.assign.solver import Placement, Rules, assign
from registry.audit import AuditAction, audit
from registry.changes import SlotsChanged, note
from registry.errors import Conflict
from registry.models import Base, utcnow

log = logging.getLogger(__name__)

BATCH = 5000
SLOTS: Table = Base.metadata.tables["slots"]
SUPPORT: Table = Base.metadata.tables["slot_support"]
BOOKINGS: Table = Base.metadata.tables["bookings"]
AUDIT: Table = Base.metadata.tables["audit_log"]


async def run_assignment(
    session: AsyncSession,
    rules: Rules,
    *,
    commit: bool = False,
    expect: str | None = None,
    operator_id: int | None = None,
    after: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> AssignmentReport:
    """Plan (and with ``commit`` write) an assignment of slots starting after ``after`` (now)."""
    after = after or dt.datetime.now(dt.UTC)
    data = await load_input(session, after=after, until=until)
    # CPU work off the event loop (seconds at a few hundred thousand residents)
    plan = await asyncio.to_thread(assign, data.people, data.slots, data.distances, rules)
    report = await asyncio.to_thread(build_report, plan, data)
    if not commit:
        return report
    if expect is not None and expect != report.digest:
        raise Conflict(
            "the assignment came out differently from the dry run: look at it again",
            details={"field": "expect", "plan_changed": True, "digest": report.digest},
        )
    try:
        written = await _write(session, plan.placements, operator_id)
    except IntegrityError as err:
        raise Conflict(
            "the ledger changed during the assignment (a slot filled or a resident was booked): "
            "nothing was written; run it again",
            details={"retry": True},
        ) from err
    report = dataclasses.replace(report, committed=True, bookings_written=written)
    summary = {k: v for k, v in report.to_dict().items() if k != "per_day_venue"}
    await audit(session, AuditAction.ASSIGNMENT_COMMIT, operator_id=operator_id, details=summary)
    log.info("assignment committed: %d bookings (operator %s)", written, operator_id)
    return report


async def _write(
    session: AsyncSession, placements: list[Placement], operator_id: int | None
) -> int:
    if not placements:
        return 0
    seats = Counter(p.slot_id for p in placements)
    rides = Counter(p.slot_id for p in placements if p.transport)
    slots = SLOTS
    await session.execute(
        update(slots)
        .where(slots.c.id == bindparam("sid"))
        .values(booked=slots.c.booked + bindparam("n")),
        [{"sid": sid, "n": n} for sid, n in sorted(seats.items())],
    )
    if rides:
        support = SUPPORT
        await session.execute(
            update(support)
            .where(support.c.slot_id == bindparam("sid"))
            .values(transport_booked=support.c.transport_booked + bindparam("n")),
            [{"sid": sid, "n": n} for sid, n in sorted(rides.items())],
        )
    now = utcnow()
    for start in range(0, len(placements), BATCH):
        chunk = placements[start : start + BATCH]
        rows = [
            {
                "resident_id": p.resident_id,
                "slot_id": p.slot_id,
                "dose": p.dose,
                "status": "booked",
                "channel": "assigned",
                "created_by": operator_id,
                "created_at": now,
                "updated_at": now,
                "transport": p.transport,
            }
            for p in chunk
        ]
        result = await session.execute(
            insert(BOOKINGS).returning(BOOKINGS.c.id, sort_by_parameter_order=True),
            rows,
        )
        ids = list(result.scalars())
        await session.execute(
            insert(AUDIT),
            [
                {
                    "at": now,
                    "action": AuditAction.BOOKING_CREATE.value,
                    "operator_id": operator_id,
                    "resident_id": p.resident_id,
                    "details": {
                        "booking_id": bid,
                        "slot_id": p.slot_id,
                        "dose": p.dose,
                        "channel": "assigned",
                        "transport": p.transport,
                    },
                }
                for p, bid in zip(chunk, ids, strict=True)
            ],
        )
    note(session, SlotsChanged(tuple(sorted(seats))))
    return len(placements)
