"""operator_state: one state per operator from their queue members and the after-call work."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.operator_state import AfterCall, OperatorStatus, operator_state

T0 = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
ACW = "後処理"


def member(queue="vaccine", status=MemberStatus.AVAILABLE, paused=False, reason="", at=T0):
    return Member(queue, "Local/1001@operators/n", "Operator 1001", status, at, paused=paused,
                  paused_reason=reason)  # fmt: skip


def test_in_no_queue_is_logged_out():
    assert operator_state([], None, ACW).status is OperatorStatus.LOGGED_OUT


def test_a_call_wins_over_the_after_call_pause_armed_at_the_answer():
    m = member(status=MemberStatus.IN_CALL, paused=True, reason=ACW)
    assert operator_state([m], None, ACW).status is OperatorStatus.IN_CALL


def test_after_call_work_with_its_timer():
    until = T0 + dt.timedelta(seconds=30)
    m = member(status=MemberStatus.PAUSED, paused=True, reason=ACW)
    st = operator_state([m], AfterCall("1.1", T0, until), ACW)
    assert (st.status, st.reason, st.since, st.until) == (OperatorStatus.AFTER_CALL, ACW, T0,
                                                          until)  # fmt: skip


def test_after_call_pause_without_a_record_is_still_after_call():
    m = member(status=MemberStatus.PAUSED, paused=True, reason=ACW)
    st = operator_state([m], None, ACW)
    assert (st.status, st.until) == (OperatorStatus.AFTER_CALL, None)


def test_a_pause_with_another_reason_wins_over_after_call():
    m = member(status=MemberStatus.PAUSED, paused=True, reason="休憩")
    st = operator_state([m], AfterCall("1.1", T0, None), ACW)
    assert (st.status, st.reason) == (OperatorStatus.PAUSED, "休憩")


def test_available_unavailable_and_ringing_across_queues():
    a = member()
    b = replace(member(queue="general"), status=MemberStatus.UNAVAILABLE)
    assert operator_state([a, b], None, ACW).status is OperatorStatus.AVAILABLE
    assert operator_state([replace(a, status=MemberStatus.UNAVAILABLE), b], None,
                          ACW).status is OperatorStatus.UNAVAILABLE  # fmt: skip
    ringing = replace(b, status=MemberStatus.RINGING)
    assert operator_state([a, ringing], None, ACW).status is OperatorStatus.RINGING
