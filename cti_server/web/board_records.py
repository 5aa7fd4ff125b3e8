"""Call records for the supervisor board: from the database or the tracker, and merged.

``record_from_view`` (a stored ``CallView``) and ``record_from_call`` (a tracker ``Call``) give
a ``figures.CallRecord``; ``merge(stored, live)`` combines the two. Merge rule (the database may
hold what another instance saw, or what we saw before a restart): the live tracker wins field by
field, except that a missing value never erases a known one, the earliest entry time is kept,
and a final outcome from the database beats the tracker's ``unknown`` (a call that ended while
our AMI link was down). A stored ``unknown`` (closed after a restart: its end was not seen) is
an ended call that counts as offered only; one that had been answered counts as answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from cti_server.domain.calls import Call, CallState
from cti_server.domain.figures import CallRecord, QueueFigures

FINAL = frozenset({"answered", "abandoned", "short_abandoned", "no_agent"})
CLOSED = FINAL | {"unknown"}  # ended; "unknown": how it ended was not seen (counted as offered)
FIGURE_KEYS = (
    "offered", "answered", "abandoned", "short_abandoned", "no_agent", "answered_within_sl",
    "service_level", "avg_wait", "p90_wait", "avg_talk",
)  # fmt: skip


def figure_dict(f: QueueFigures | None) -> dict[str, Any]:
    """The JSON-ready figures of a queue or interval (zeros and nulls when nothing entered)."""
    if f is None:
        return dict.fromkeys(FIGURE_KEYS, 0) | {
            "service_level": None, "avg_wait": None, "p90_wait": None, "avg_talk": None,
        }  # fmt: skip
    return {k: getattr(f, k) for k in FIGURE_KEYS}


def record_from_view(v: Any) -> CallRecord | None:
    """A ``registry.views.CallView`` as a figures record (None when it never entered a queue)."""
    if v.entered_at is None or not v.queue:
        return None
    outcome = v.outcome if v.outcome in CLOSED else ""
    if outcome in ("", "unknown") and v.answered_at is not None:
        outcome = "answered"  # answered, still talking (or ended unseen): it was answered
    return CallRecord(
        v.linkedid, v.queue, v.entered_at, outcome, v.answered_at, v.ended_at,
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
