"""AgentStates.push: an operator is told their status when it changes, once, whatever the cause."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from cti_server import protocol
from cti_server.agent_state import AgentStates
from cti_server.config import Settings
from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.changes import MemberChanged

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


class Tracker:
    def __init__(self, *members: Member) -> None:
        self.members = {(m.queue, m.interface): m for m in members}

    def put(self, m: Member) -> Member:
        self.members[(m.queue, m.interface)] = m
        return m


def states(tracker: Tracker) -> tuple[AgentStates, list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []
    agents = AgentStates(
        Settings(after_call_enabled=False),
        tracker,
        lambda ext, msg: sent.append((ext, msg)),
        lambda: None,
        connected=lambda ext: True,
        clock=lambda: T0,
    )
    return agents, sent


def member(queue: str, status: MemberStatus = MemberStatus.AVAILABLE, **kw: Any) -> Member:
    return Member(queue, "PJSIP/1001", "1001", status, T0, **kw)


def test_a_status_is_sent_once_and_again_only_when_it_changes() -> None:
    tracker = Tracker(member("q1"), member("q2"))
    agents, sent = states(tracker)

    agents.push("1001")
    agents.push("1001")  # nothing changed: nothing sent
    assert [(e, m.state, m.by) for e, m in sent] == [("1001", "available", "")]

    # a change the status is not made of (a call taken is counted): still nothing sent
    busy = tracker.put(dataclasses.replace(tracker.members[("q1", "PJSIP/1001")], calls_taken=3))
    agents.on_changes([MemberChanged(busy)])
    assert len(sent) == 1

    paused = member("q1", paused=True, paused_reason="休憩", status=MemberStatus.PAUSED)
    agents.on_changes([MemberChanged(tracker.put(paused))])
    assert [(m.state, m.reason, m.by) for _, m in sent[1:]] == [("paused", "休憩", "pbx")]


def test_who_made_the_change_alone_is_a_change() -> None:
    """The members stay as they were; only the one who acted differs: the operator is told."""
    agents, sent = states(Tracker(member("q1")))
    agents.push("1001")
    agents.finish_after_call("1001", "self")  # 完了 with no after-call pause to lift
    assert [(m.state, m.by) for _, m in sent] == [("available", ""), ("available", "self")]
    agents.push("1001")
    assert len(sent) == 2
    assert isinstance(sent[-1][1], protocol.AgentStatus)
    assert agents.status("1001") == sent[-1][1]
