"""One assignment run: read the input, plan, report; with ``commit``, write it in bulk.

The write is one transaction: seats are added to each slot with one ``UPDATE`` per slot (the
``booked <= capacity`` and ``transport_booked <= transport_seats`` CHECK constraints refuse an
overfill), the bookings (channel ``assigned``) are inserted in batches (the one-active-booking
index refuses a resident booked meanwhile), each booking is audited (``booking.create``) and the
run as a whole too (``assignment.commit``, with its figures). If the database refuses anything,
nothing is written and ``Conflict`` says to run again. With ``expect`` (a dry run's digest) a
plan that came out differently is refused before writing (``Conflict``, ``plan_changed``).
With ``move_assigned`` the residents holding an assigned booking in a slot that has not started
are placed again with everyone else (asked for: otherwise nobody booked is moved); those whose
slot changes have their assigned bookings cancelled (seats freed, ``booking.cancel`` audited
with the reason) before the new ones are written, in the same transaction.
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

from registry.assign.load import Held, load_input
from registry.assign.report import AssignmentReport, build_report, changed_residents
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
    move_assigned: bool = False,
) -> AssignmentReport:
    """Plan (and with ``commit`` write) an assignment of slots starting after ``after`` (now)."""
    after = after or dt.datetime.now(dt.UTC)
    data = await load_input(session, after=after, until=until, move_assigned=move_assigned)
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
    changed = changed_residents(plan, data)
    held = [h for rid in sorted(changed) for h in data.held[rid]]
    kept = set(data.held) - changed  # their assigned bookings stay as they are
    placements = [p for p in plan.placements if p.resident_id not in kept]
    try:
        cancelled = await _cancel(session, held, operator_id)
        written = await _write(session, placements, operator_id)
    except IntegrityError as err:
        raise Conflict(
            "the ledger changed during the assignment (a slot filled or a resident was booked): "
            "nothing was written; run it again",
            details={"retry": True},
        ) from err
    report = dataclasses.replace(
        report, committed=True, bookings_written=written, bookings_cancelled=cancelled
    )
    summary = {k: v for k, v in report.to_dict().items() if k != "per_day_venue"}
    await audit(session, AuditAction.ASSIGNMENT_COMMIT, operator_id=operator_id, details=summary)
    log.info("assignment committed: %d bookings (operator %s)", written, operator_id)
    return report


async def _add_seats(session: AsyncSession, seats: Counter[int], rides: Counter[int]) -> None:
    """Add (or with negative counts free) seats and transport seats, one UPDATE per slot."""
    if seats:
        await session.execute(
            update(SLOTS)
            .where(SLOTS.c.id == bindparam("sid"))
            .values(booked=SLOTS.c.booked + bindparam("n")),
            [{"sid": sid, "n": n} for sid, n in sorted(seats.items())],
        )
    if rides:
        await session.execute(
            update(SUPPORT)
            .where(SUPPORT.c.slot_id == bindparam("sid"))
            .values(transport_booked=SUPPORT.c.transport_booked + bindparam("n")),
            [{"sid": sid, "n": n} for sid, n in sorted(rides.items())],
        )


async def _cancel(session: AsyncSession, held: list[Held], operator_id: int | None) -> int:
    """Cancel the held bookings that move; ``Conflict`` if one changed meanwhile."""
    if not held:
        return 0
    now = utcnow()
    done: list[tuple[int, int, int, bool]] = []
    for start in range(0, len(held), BATCH):
        ids = [h.booking_id for h in held[start : start + BATCH]]
        rows = await session.execute(
            update(BOOKINGS)
            .where(BOOKINGS.c.id.in_(ids), BOOKINGS.c.status == "booked")
            .values(status="cancelled", updated_at=now)
            .returning(
                BOOKINGS.c.id, BOOKINGS.c.resident_id, BOOKINGS.c.slot_id, BOOKINGS.c.transport
            )
        )
        done += [(b, r, s, bool(t)) for b, r, s, t in rows.all()]
    if len(done) != len(held):
        raise Conflict(
            "an assigned booking was changed meanwhile: nothing was written; run it again",
            details={"retry": True},
        )
    await _add_seats(
        session,
        Counter({s: -n for s, n in Counter(s for _, _, s, _ in done).items()}),
        Counter({s: -n for s, n in Counter(s for _, _, s, t in done if t).items()}),
    )
    await session.execute(
        insert(AUDIT),
        [{"at": now, "action": AuditAction.BOOKING_CANCEL.value, "operator_id": operator_id,
          "resident_id": r, "details": {"booking_id": b, "slot_id": s, "reason": "reassigned"}}
         for b, r, s, _ in done],
    )  # fmt: skip
    note(session, SlotsChanged(tuple(sorted({s for _, _, s, _ in done}))))
    return len(done)


async def _write(
    session: AsyncSession, placements: list[Placement], operator_id: int | None
) -> int:
    if not placements:
        return 0
    seats = Counter(p.slot_id for p in placements)
    await _add_seats(session, seats, Counter(p.slot_id for p in placements if p.transport))
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
