"""One operator's own state, folded from their queue members and the after-call work.

An operator is an extension; the PBX knows them as one member per queue they belong to.
``operator_state`` gives the one state their console shows (受付可 / 休止 / 後処理 / 通話中 ...):
``in_call`` and ``ringing`` first (a member paused for after-call work while still talking is
talking), then after-call work (``AfterCall``, kept by the server, or a member paused with the
after-call reason the server does not know about, e.g. after a restart), then ``paused`` with
the first paused member's reason, ``unavailable`` when no device is reachable, else
``available``; ``logged_out`` when the extension is in no queue. Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cti_server.domain.agents import Member, MemberStatus


class OperatorStatus(StrEnum):
    AVAILABLE = "available"
    PAUSED = "paused"
    AFTER_CALL = "after_call"
    RINGING = "ringing"
    IN_CALL = "in_call"
    UNAVAILABLE = "unavailable"
    LOGGED_OUT = "logged_out"


@dataclass(frozen=True, slots=True)
class AfterCall:
    """After-call work of one operator: which call ended it began, and when it ends by itself
    (None: when the operator says 完了)."""

    linkedid: str
    started: dt.datetime
    until: dt.datetime | None


@dataclass(frozen=True, slots=True)
class OperatorState:
    status: OperatorStatus
    reason: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def operator_state(
    members: Sequence[Member], after_call: AfterCall | None, after_call_reason: str
) -> OperatorState:
    if not members:
        return OperatorState(OperatorStatus.LOGGED_OUT)
    for status, mine in ((MemberStatus.IN_CALL, OperatorStatus.IN_CALL),
                         (MemberStatus.RINGING, OperatorStatus.RINGING)):  # fmt: skip
        hit = [m for m in members if m.status is status]
        if hit:
            return OperatorState(mine, since=min(m.since for m in hit))
    paused = [m for m in members if m.paused]
    others = [m for m in paused if m.paused_reason != after_call_reason]
    if after_call is not None and not others:
        return OperatorState(
            OperatorStatus.AFTER_CALL, after_call_reason, after_call.started, after_call.until
        )
    if paused:
        first = (others or paused)[0]
        kind = OperatorStatus.PAUSED if others else OperatorStatus.AFTER_CALL
        return OperatorState(kind, first.paused_reason, first.since)
    if all(m.status is MemberStatus.UNAVAILABLE for m in members):
        return OperatorState(OperatorStatus.UNAVAILABLE, since=min(m.since for m in members))
    return OperatorState(OperatorStatus.AVAILABLE, since=max(m.since for m in members))
