"""Call records for the supervisor board: from the database or the tracker, and merged.

``record_from_stored`` (a stored call record, e.g. ``registry.views.CallView``) and
``record_from_call`` (a tracker ``Call``) give a ``figures.CallRecord``; ``merge(stored, live)``
combines the two. Merge rule (the database may hold what another instance saw, or what we saw
before a restart): the live tracker wins field by field, except that a missing value never
erases a known one, the earliest entry time is kept, and a final outcome from the database beats
the tracker's ``unknown`` (a call that ended while our AMI link was down). A stored ``unknown``
(closed after a restart: its end was not seen) is an ended call that counts as offered only; one
that had been answered counts as answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Protocol

from cti_server.domain.calls import Call, CallState
from cti_server.domain.figures import CallRecord, QueueFigures
from cti_server.protocol import BoardFigures

FINAL = frozenset({"answered", "abandoned", "short_abandoned", "no_agent"})
CLOSED = FINAL | {"unknown"}  # ended; "unknown": how it ended was not seen (counted as offered)


class StoredCall(Protocol):
    """What the board reads of a stored call record (``registry.views.CallView`` has it)."""

    @property
    def linkedid(self) -> str: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def entered_at(self) -> dt.datetime | None: ...
    @property
    def answered_at(self) -> dt.datetime | None: ...
    @property
    def ended_at(self) -> dt.datetime | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def hold_seconds(self) -> float | None: ...
    @property
    def talk_seconds(self) -> float | None: ...
    @property
    def extension(self) -> str | None: ...


def board_figures(f: QueueFigures | None) -> BoardFigures:
    """The wire figures of a queue or interval (zeros and nulls when nothing entered)."""
    if f is None:
        return BoardFigures()
    return BoardFigures(
        f.offered, f.answered, f.abandoned, f.short_abandoned, f.no_agent, f.answered_within_sl,
        f.abandoned_within_sl, f.service_level, f.avg_wait, f.p90_wait, f.avg_talk,
    )  # fmt: skip


def record_from_stored(v: StoredCall) -> CallRecord | None:
    """A stored call record as a figures record (None when it never entered a queue)."""
    if v.entered_at is None or not v.queue:
        return None
    outcome = v.outcome if v.outcome in CLOSED else ""
    if outcome in ("", "unknown") and v.answered_at is not None:
        outcome = "answered"  # answered, still talking (or ended unseen): it was answered
    return CallRecord(
        v.linkedid, v.queue, v.entered_at, outcome or "", v.answered_at, v.ended_at,
        v.hold_seconds, v.talk_seconds, v.extension or "",
    )  # fmt: skip


def record_from_call(
    call: Call, operator: str, entered_fallback: dt.datetime | None = None
) -> CallRecord | None:
    """A tracker call as a record; ``operator`` is the answering extension ("" if none).
    ``entered_fallback``: the stored entry time, for a call the tracker saw only in part."""
    entered = call.queued_at or entered_fallback
    if entered is None or not (call.queue or entered_fallback):
        return None
    if call.state is CallState.ENDED:
        outcome = call.outcome.value if call.outcome else "unknown"
    else:
        outcome = "answered" if call.answered_at is not None else ""
    if outcome == "not_queued":
        return None
    return CallRecord(
        call.linkedid, call.queue, entered, outcome, call.answered_at, call.ended_at,
        call.hold_seconds, call.talk_seconds, operator,
    )  # fmt: skip


def merge(old: CallRecord | None, new: CallRecord) -> CallRecord:
    """``new`` (live) over ``old`` (stored), field by field; see the module docstring."""
    if old is None:
        return new
    outcome = new.outcome  # the tracker's, "" while it holds the call live
    if new.outcome == "unknown" and old.outcome in FINAL:
        outcome = old.outcome
    return replace(
        new,
        queue=new.queue or old.queue,
        entered_at=min(old.entered_at, new.entered_at),
        outcome=outcome,
        answered_at=new.answered_at or old.answered_at,
        ended_at=new.ended_at or old.ended_at,
        hold_seconds=new.hold_seconds if new.hold_seconds is not None else old.hold_seconds,
        talk_seconds=new.talk_seconds if new.talk_seconds is not None else old.talk_seconds,
        operator=new.operator or old.operator,
    )
