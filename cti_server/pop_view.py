"""What the popper knows of one live call (``LiveCall``) and the ``ScreenPop`` built from it.

Pure helpers, no I/O: ledger matches to wire candidates (``candidate_of``, ``groups_of``), the pop
of a call (``pop_of``) and ``redact`` for a withheld caller. ``PENDING`` is the ``lookup_error``
of a pop sent before the ledger lookup finished; an updated pop follows when it does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field, replace

from cti_server import protocol
from registry.find.matching import HouseholdMatch, ResidentMatch

PENDING = "pending"  # lookup_error while the lookup runs: the pop is sent again when it is done


def age_on(birth: dt.date | None, today: dt.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def candidate_of(m: ResidentMatch, today: dt.date) -> protocol.Candidate:
    return protocol.Candidate(
        resident_id=m.resident_id,
        name=m.name,
        name_kana=m.name_kana,
        birth_date=m.birth_date.isoformat() if m.birth_date else None,
        age=age_on(m.birth_date, today),
        sex=m.sex,
        address=m.address,
        household_id=m.household_id,
        score=float(m.score),
        reasons=tuple(m.reasons),
        flags=tuple(m.flags),
    )


def groups_of(matches: list[HouseholdMatch], today: dt.date) -> tuple[protocol.HouseholdGroup, ...]:
    return tuple(
        protocol.HouseholdGroup(
            household_id=h.household_id,
            household_no=h.household_no,
            address=h.address,
            members=tuple(candidate_of(m, today) for m in h.members),
        )
        for h in matches
    )


def iso(t: dt.datetime | None) -> str | None:
    return t.astimezone(dt.UTC).isoformat() if t else None


@dataclass
class LiveCall:
    linkedid: str
    queue: str = ""
    state: str = "queued"
    entered_at: dt.datetime | None = None  # first sight of the call
    queued_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    outcome: str = ""
    extension: str | None = None
    caller: protocol.CallerInfo | None = None
    withheld: bool = False
    households: tuple[protocol.HouseholdGroup, ...] = ()
    lookup_error: str = ""
    lookup: asyncio.Task[None] | None = None
    lookup_pending: bool = False  # started and not finished
    ringing: set[str] = field(default_factory=set)
    notified: set[str] = field(default_factory=set)  # extensions that were sent a pop
    wait_seconds: float = 0.0
    left_queue: bool = False


def pop_of(call: LiveCall) -> protocol.ScreenPop:
    return protocol.ScreenPop(
        call=protocol.CallInfo(
            linkedid=call.linkedid,
            queue=call.queue,
            state=call.state,
            entered_at=iso(call.entered_at),
            answered_at=iso(call.answered_at),
            ended_at=iso(call.ended_at),
            outcome=call.outcome,
            extension=call.extension,
            wait_seconds=call.wait_seconds,
        ),
        caller=call.caller or protocol.CallerInfo(status="unavailable"),
        households=call.households,
        lookup_error=call.lookup_error or (PENDING if call.lookup_pending else ""),
    )


def redact(pop: protocol.ScreenPop) -> protocol.ScreenPop:
    """A pop with the caller cleared (belt and braces for a withheld caller)."""
    return replace(pop, caller=protocol.CallerInfo(status="withheld"), households=())
