"""A queue seen now: who waits (and since when), member counts, and the PBX's own counters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.calls import Call, CallState
from cti_server.domain.events import QueueParamsSeen, QueueSummarySeen


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    linkedid: str
    queued_at: dt.datetime
    position: int  # position when it joined
    ringing: tuple[str, ...]  # interfaces ringing for it now


@dataclass(frozen=True, slots=True)
class QueueView:
    name: str
    waiting: tuple[WaitingCaller, ...]  # longest waiting first
    logged_in: int  # members in the queue (any state)
    available: int
    ringing: int
    in_call: int
    busy: int
    paused: int
    unavailable: int
    pbx_params: QueueParamsSeen | None = None  # last QueueStatus QueueParams (resync)
    pbx_summary: QueueSummarySeen | None = None  # last QueueSummary (resync)

    @property
    def calls_waiting(self) -> int:
        return len(self.waiting)

    def longest_wait(self, now: dt.datetime) -> float:
        """Seconds the longest-waiting caller has waited at ``now`` (0 when nobody waits)."""
        if not self.waiting:
            return 0.0
        return max(0.0, (now - self.waiting[0].queued_at).total_seconds())


def is_waiting(call: Call) -> bool:
    return (
        call.state in (CallState.QUEUED, CallState.RINGING)
        and not call.left_queue
        and call.queued_at is not None
    )


def build_view(
    name: str,
    calls: Iterable[Call],
    members: Iterable[Member],
    params: QueueParamsSeen | None = None,
    summary: QueueSummarySeen | None = None,
) -> QueueView:
    waiting = sorted(
        (
            WaitingCaller(c.linkedid, c.queued_at, c.position, c.ringing)
            for c in calls
            if c.queue == name and is_waiting(c) and c.queued_at is not None
        ),
        key=lambda w: w.queued_at,
    )
    counts = dict.fromkeys(MemberStatus, 0)
    total = 0
    for m in members:
        if m.queue == name:
            counts[m.status] += 1
            total += 1
    return QueueView(
        name,
        tuple(waiting),
        total,
        counts[MemberStatus.AVAILABLE],
        counts[MemberStatus.RINGING],
        counts[MemberStatus.IN_CALL],
        counts[MemberStatus.BUSY],
        counts[MemberStatus.PAUSED],
        counts[MemberStatus.UNAVAILABLE],
        params,
        summary,
    )
