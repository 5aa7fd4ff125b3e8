"""Calls read from queue_log after a gap in the AMI link become ended tracker calls, marked
recovered, with the PBX's own times, the outcomes of live calls, the agent as the queue knows
it; and then the same call record fields a live call gets."""

from __future__ import annotations

import datetime as dt

from cti_server.ami.queue_log import QueueLogReader
from cti_server.config import Settings
from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.calls import Call, Caller, CallState, Outcome
from cti_server.domain.events import QueueCallLogged
from cti_server.domain.recovery import calls_from_log, corrections_from_log
from cti_server.recorder import record_of
from tests.unit.test_queue_log import SAMPLE, at

T0 = dt.datetime(2026, 12, 4, 1, 0, tzinfo=dt.UTC)
MEMBERS = [
    Member("vaccine", "Local/1002@operators/n", "Operator 1002 (田中)", MemberStatus.AVAILABLE, T0),
    Member("general", "PJSIP/1001", "Operator 1001 (鈴木)", MemberStatus.AVAILABLE, T0),
    Member("vaccine", "Local/1001@operators/n", "Operator 1001 (鈴木)", MemberStatus.AVAILABLE, T0),
]


def recovered(known: frozenset[str] = frozenset()):
    logged = QueueLogReader(SAMPLE).read(at(-10), at(400))
    calls = calls_from_log(logged, known=known, members=MEMBERS, short_abandon_seconds=5)
    return {c.linkedid: c for c in calls}


def test_logged_calls_become_ended_recovered_calls_with_the_pbx_times() -> None:
    calls = recovered()
    assert len(calls) == 8
    a = calls["1796346000.10"]
    assert (a.state, a.outcome, a.recovered, a.direction) == (
        CallState.ENDED, Outcome.ANSWERED, True, "inbound",
    )  # fmt: skip
    assert (a.first_seen_at, a.queued_at) == (at(0), at(0))
    assert (a.answered_at, a.ended_at) == (at(11), at(16))
    assert (a.queue, a.uniqueid, a.position, a.left_queue) == ("vaccine", "1796346000.10", 1, True)
    assert (a.agent_interface, a.agent_name) == ("Local/1002@operators/n", "Operator 1002 (田中)")
    assert (a.hold_seconds, a.talk_seconds, a.end_reason) == (11.0, 5.0, "caller")
    assert a.caller.number == "0773621234"
    assert calls["1796346030.22"].agent_interface == "Local/1001@operators/n"  # its own queue
    assert calls["1796346030.22"].caller.number == ""  # withheld: the PBX did not log it
    assert calls["1796346060.35"].agent_interface == "Operator 1003 (佐藤)"  # not a member now
    assert calls["1796346060.35"].caller.name == "山田 太郎"
    assert calls["1796346060.35"].end_reason == "transfer"


def test_outcomes_are_those_of_live_calls() -> None:
    calls = recovered()
    outcome = {lid: c.outcome for lid, c in calls.items()}
    assert outcome == {
        "1796346000.10": Outcome.ANSWERED,
        "1796346002.12": Outcome.ABANDONED,
        "1796346020.20": Outcome.SHORT_ABANDONED,  # 2 s < short_abandon_seconds
        "1796346030.22": Outcome.ANSWERED,
        "1796346041.31": Outcome.NO_AGENT,  # the queue's wait limit
        "1796346050.33": Outcome.NO_AGENT,  # nobody in the queue
        "1796346060.35": Outcome.ANSWERED,
        "1796346070.40": Outcome.ANSWERED,
    }
    assert calls["1796346002.12"].hold_seconds == 12
    assert calls["1796346002.12"].answered_at is None


def test_calls_already_known_are_left_out() -> None:
    calls = recovered(known=frozenset({"1796346000.10", "1796346050.33"}))
    assert "1796346000.10" not in calls
    assert "1796346050.33" not in calls
    assert len(calls) == 6


def test_a_recovered_call_gives_the_record_of_a_live_call_marked_recovered() -> None:
    settings = Settings()
    fields = record_of(recovered()["1796346000.10"], None, settings.extension_of, "0773")
    assert fields["recovered"] is True
    assert (fields["caller_e164"], fields["caller_status"]) == ("+81773621234", "number")
    assert (fields["entered_at"], fields["answered_at"], fields["ended_at"]) == (
        at(0), at(11), at(16),
    )  # fmt: skip
    assert (fields["queue"], fields["outcome"]) == ("vaccine", "answered")
    assert fields["extension"] == "1002"
    assert (fields["hold_seconds"], fields["talk_seconds"]) == (11.0, 5.0)
    other = record_of(recovered()["1796346060.35"], None, settings.extension_of, "0773")
    assert other["extension"] == "1003"  # from the member name, as for a live AgentConnect


def one(number: str, name: str = "", **kw) -> QueueCallLogged:
    return QueueCallLogged("1796346500.70", "vaccine", number, name, at(500), at(510), **kw)


def rebuilt(q: QueueCallLogged):
    (call,) = calls_from_log([q], known=(), members=MEMBERS, short_abandon_seconds=5)
    return call


def test_an_anonymous_caller_is_recorded_withheld_as_a_live_one() -> None:
    """Asterisk logs the channel's number verbatim: ``anonymous`` is a withheld caller (as the
    AMI translator takes it), nothing of whom is stored; an empty one says nothing more."""
    settings = Settings()
    for raw in ("anonymous", "Anonymous"):
        call = rebuilt(one(raw, "Anonymous 山田", ended="abandoned", hold_seconds=9.0))
        assert call.caller.withheld is True
        assert (call.caller.number, call.caller.name) == ("", "")
        fields = record_of(call, None, settings.extension_of, "0773")
        assert (fields["caller_status"], fields["caller_e164"]) == ("withheld", "")
        assert fields["caller_name_raw"] == ""
    empty = rebuilt(one("", ended="abandoned", hold_seconds=9.0))
    assert empty.caller.withheld is False
    fields = record_of(empty, None, settings.extension_of, "0773")
    assert fields["caller_status"] == "unavailable"


def test_a_key_pressed_to_leave_the_queue_is_a_callback_request_as_live() -> None:
    """The dialplan's CtiCallback user event says ``key``; the queue log's EXITWITHKEY gives
    the key: the recovered call asks for a callback the same way. A timeout alone does not;
    the dialplan's own ``CTICALLBACK`` line says when it turned one into a request."""
    keyed = rebuilt(one("0773621234", ended="left", end_reason="key", hold_seconds=40, key="1"))
    assert (keyed.callback, keyed.outcome) == ("key", Outcome.NO_AGENT)
    timeout = rebuilt(one("0773621234", ended="left", end_reason="timeout", hold_seconds=300))
    assert timeout.callback == ""
    asked = one("0773621234", ended="left", end_reason="timeout", hold_seconds=300,
                callback="timeout")  # fmt: skip
    assert rebuilt(asked).callback == "timeout"  # the dialplan logged the request
    assert rebuilt(one("0773621234", ended="abandoned", hold_seconds=30)).callback == ""


def _vanished(lid: str, outcome: Outcome, ended_at: dt.datetime, **kw) -> Call:
    """A call the tracker knew, closed at the resync after the gap."""
    return Call(
        lid, CallState.ENDED, Caller("0773621234"), at(0), queue="vaccine", uniqueid=lid,
        queued_at=at(0), ended_at=ended_at, outcome=outcome, **kw,
    )  # fmt: skip


def test_a_call_that_vanished_in_the_gap_gets_the_logged_end() -> None:
    """Live at the loss, gone at the resync: closed ``unknown`` at the reconnect time; the queue
    log knows it was answered by 1002 and ended at +16 s."""
    logged = QueueLogReader(SAMPLE).read(at(-10), at(400))
    lost, back = at(5), at(300)
    gone = _vanished("1796346000.10", Outcome.UNKNOWN, back)
    before_gap = _vanished("1796346002.12", Outcome.ABANDONED, at(3))  # ended live, pre-gap
    at_loss = _vanished("1796346070.40", Outcome.ANSWERED, lost, answered_at=at(72))
    fixed = corrections_from_log(
        logged, [gone, before_gap, at_loss], lost_at=lost, back_at=back, members=MEMBERS,
        short_abandon_seconds=5,
    )  # fmt: skip
    by_id = {new.linkedid: (new, old) for new, old in fixed}
    assert set(by_id) == {"1796346000.10", "1796346070.40"}  # the live end stands
    new, old = by_id["1796346000.10"]
    assert old is gone
    assert (new.outcome, new.answered_at, new.ended_at) == (Outcome.ANSWERED, at(11), at(16))
    assert (new.agent_interface, new.hold_seconds, new.talk_seconds) == (
        "Local/1002@operators/n", 11.0, 5.0,
    )  # fmt: skip
    assert new.ended_at != back
    new, _ = by_id["1796346070.40"]
    assert new.answered_at == at(72)  # what was seen live is kept
    assert new.ended_at > lost
    assert not corrections_from_log(
        logged, [before_gap], lost_at=lost, back_at=back, members=MEMBERS,
        short_abandon_seconds=5,
    )  # fmt: skip
