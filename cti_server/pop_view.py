"""The ``ScreenPop`` of a tracker call, and ledger matches as wire candidates.

Pure helpers, no I/O: ledger matches to wire candidates (``candidate_of``, ``groups_of``) and the
pop of a call (``pop_of``). ``PENDING`` is the ``lookup_error`` of a pop sent before the ledger
lookup finished; an updated pop follows when it does.
"""

from __future__ import annotations

import datetime as dt

from cti_server import protocol
from cti_server.domain.calls import Call, CallState
from registry.find.matching import HouseholdMatch, ResidentMatch
from registry.residents import age_on
from registry.views import IntentView

PENDING = "pending"  # lookup_error while the lookup runs: the pop is sent again when it is done


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
        person_no=m.person_no,
        household_no=m.household_no,
        barcode=m.barcode,
        flags=tuple(m.flags),
        intent=latest_intent(m.intent),
    )


def latest_intent(i: IntentView | None) -> protocol.LatestIntent | None:
    if i is None:
        return None
    return protocol.LatestIntent(
        wants_vaccination=i.wants_vaccination,
        needs_mobility=i.needs_mobility,
        channel=i.channel,
        recorded_at=i.recorded_at.astimezone(dt.UTC).isoformat(),
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


STATE = {  # the wire's call states; a call not yet in a queue shows as queued
    CallState.NEW: "queued",
    CallState.QUEUED: "queued",
    CallState.RINGING: "ringing",
    CallState.ANSWERED: "answered",
    CallState.ENDED: "ended",
}


def pop_of(
    call: Call,
    extension: str | None,
    caller: protocol.CallerInfo,
    households: tuple[protocol.HouseholdGroup, ...] = (),
    lookup_error: str = "",
    *,
    waited: float | None = None,
    repeat_calls: int = 0,
    uncertain: bool = False,
) -> protocol.ScreenPop:
    """The pop of a tracker call; ``extension`` is the operator it is for (ringing or
    answering), ``lookup_error`` "" or ``PENDING`` / ``timeout`` / ``unavailable``;
    ``waited``: the wait so far of a call still waiting (else its hold time is shown). Built
    in one go (it is on the path from the PBX event to the operator)."""
    wait = (call.hold_seconds or 0.0) if waited is None else waited
    return protocol.ScreenPop(
        call=protocol.CallInfo(
            linkedid=call.linkedid,
            queue=call.queue,
            state=STATE[call.state],
            entered_at=iso(call.first_seen_at),
            answered_at=iso(call.answered_at),
            ended_at=iso(call.ended_at),
            outcome=call.outcome.value if call.outcome is not None and not call.live else "",
            extension=extension,
            wait_seconds=wait,
        ),
        caller=caller,
        households=households,
        lookup_error=lookup_error,
        uncertain=uncertain,
        repeat_calls=repeat_calls,
    )
