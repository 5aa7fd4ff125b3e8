"""cti_server.ami.translate: AMI field names -> domain events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cti_server.ami.frames import FrameParser, iter_file
from cti_server.ami.translate import HANDLERS, translate
from cti_server.domain import events as ev

AT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def _first(ami_fixtures: Path, name: str, event: str, **match: str) -> dict[str, str]:
    (path,) = ami_fixtures.glob(f"{name}-*.ami")
    return next(
        m for m in iter_file(path)
        if m.get("Event") == event and all(m.get(k) == v for k, v in match.items())
    )  # fmt: skip


def test_ring_no_answer_milliseconds_become_seconds(ami_fixtures: Path) -> None:
    (e,) = translate(_first(ami_fixtures, "02", "AgentRingNoAnswer"), AT)
    assert isinstance(e, ev.AgentNoAnswer)
    assert (e.ring_seconds, e.interface, e.linkedid) == (
        8.0,
        "Local/1001@operators/n",
        "1795734267.0",
    )


def test_agent_connect_has_caller_and_member(ami_fixtures: Path) -> None:
    (e,) = translate(_first(ami_fixtures, "02", "AgentConnect"), AT)
    assert isinstance(e, ev.CallAnswered)
    assert (e.hold_seconds, e.ring_seconds, e.member_name) == (11.0, 2.0, "Operator 1002 (田中)")
    assert (e.number, e.uniqueid, e.withheld) == ("0773621234", "1795734267.1", False)


def test_agent_complete_without_caller_snapshot_uses_dest_linkedid(ami_fixtures: Path) -> None:
    msg = _first(ami_fixtures, "01", "AgentComplete")
    bare = {k: v for k, v in msg.items() if k.startswith("Dest") or k in (
        "Event", "Queue", "Interface", "MemberName", "HoldTime", "TalkTime", "Reason")}  # fmt: skip
    (e,) = translate(bare, AT)
    assert isinstance(e, ev.CallCompleted)
    assert (e.linkedid, e.talk_seconds, e.reason) == ("1795734260.0", 5.0, "caller")


def test_withheld_from_queue_join_presentation(ami_fixtures: Path) -> None:
    (e,) = translate(_first(ami_fixtures, "04", "QueueCallerJoin"), AT)
    assert isinstance(e, ev.CallQueued)
    assert (e.number, e.presentation, e.withheld) == ("anonymous", "prohib", True)
    real = {
        **_first(ami_fixtures, "01", "QueueCallerJoin"),
        "ChanVariable": "CALLERID(pres)=prohib",
    }
    (e,) = translate(real, AT)
    assert isinstance(e, ev.CallQueued)
    assert (e.number, e.withheld) == ("0773621234", True)


def test_caller_only_from_the_first_channel(ami_fixtures: Path) -> None:
    (path,) = ami_fixtures.glob("05-*.ami")
    got = [
        e for m in iter_file(path) for e in translate(m, AT) if isinstance(e, ev.CallerIdentified)
    ]
    assert got == []  # the only NewCallerid is the operator leg's, carrying the DID
    (path,) = ami_fixtures.glob("01-*.ami")
    got = [
        e for m in iter_file(path) for e in translate(m, AT) if isinstance(e, ev.CallerIdentified)
    ]
    assert [(e.uniqueid, e.number) for e in got] == [("1795734260.0", "0773621234")]


def test_queue_status_members_use_name_and_location(ami_fixtures: Path) -> None:
    (e,) = translate(_first(ami_fixtures, "09", "QueueMember", Name="Operator 1001 (鈴木)"), AT)
    assert isinstance(e, ev.MemberState)
    assert (e.interface, e.member_name, e.in_call, e.device_status) == (
        "Local/1001@operators/n", "Operator 1001 (鈴木)", True, 2)  # fmt: skip


def test_resync_snapshot_items(ami_fixtures: Path) -> None:
    (entry,) = translate(_first(ami_fixtures, "09", "QueueEntry"), AT)
    assert isinstance(entry, ev.QueueEntrySeen)
    assert (entry.linkedid, entry.uniqueid, entry.position, entry.wait_seconds) == (
        "", "1795734342.5", 1, 2.0)  # fmt: skip
    (ch,) = translate(_first(ami_fixtures, "09", "CoreShowChannel", Application="Queue"), AT)
    assert isinstance(ch, ev.ChannelSeen)
    assert (ch.queue, ch.state, ch.duration_seconds, ch.dialed_by_queue) == (
        "vaccine",
        6,
        4.0,
        False,
    )
    (p,) = translate(_first(ami_fixtures, "09", "QueueParams"), AT)
    assert isinstance(p, ev.QueueParamsSeen)
    assert p.calls == 1
    (s,) = translate(_first(ami_fixtures, "09", "QueueSummary"), AT)
    assert isinstance(s, ev.QueueSummarySeen)
    assert (s.logged_in, s.available, s.callers, s.longest_hold_seconds) == (3, 1, 1, 2.0)


def test_pause_added_removed_shutdown_booted(ami_fixtures: Path) -> None:
    (p,) = translate(_first(ami_fixtures, "08", "QueueMemberPause", Paused="1"), AT)
    assert isinstance(p, ev.MemberPaused)
    assert (p.paused, p.reason) == (True, "休憩")
    (a,) = translate(_first(ami_fixtures, "08", "QueueMemberAdded"), AT)
    assert isinstance(a, ev.MemberState)
    assert a.membership == "dynamic"
    (r,) = translate(_first(ami_fixtures, "08", "QueueMemberRemoved"), AT)
    assert isinstance(r, ev.MemberRemoved)
    assert translate(_first(ami_fixtures, "10", "Shutdown"), AT) == [ev.PbxShutdown(True, AT)]
    assert translate(_first(ami_fixtures, "10", "FullyBooted"), AT) == [ev.PbxBooted(AT, 0.0)]


def test_uninteresting_events_give_nothing() -> None:
    assert translate({"Event": "VarSet", "Variable": "X"}, AT) == []
    assert translate({"Banner": "Asterisk Call Manager/11.0.0"}, AT) == []
    assert translate({"Response": "Success"}, AT) == []


@given(st.sampled_from(sorted(HANDLERS)), st.dictionaries(
    st.sampled_from(["Linkedid", "Uniqueid", "HoldTime", "RingTime", "Position", "Status",
                     "Duration", "ChanVariable", "CallerIDNum", "Wait", "Restart", "Uptime"]),
    st.text(max_size=12)))  # fmt: skip
def test_malformed_fields_never_raise(event: str, fields: dict[str, str]) -> None:
    out = translate({"Event": event, **fields}, AT)
    assert isinstance(out, list)


def _user_event(ami_fixtures: Path, name: str, *body: tuple[str, str]) -> dict[str, str]:
    """A dialplan ``UserEvent(name,Key: value,...)`` on the queue leg of a recorded call, in
    Asterisk 22's layout: Event, Privilege, the channel snapshot, UserEvent, then the body."""
    join = _first(ami_fixtures, name, "QueueCallerJoin")
    snapshot = [(k, v) for k, v in join.items() if k not in (
        "Event", "Privilege", "Queue", "Position", "Count")]  # fmt: skip
    pairs = [("Event", "UserEvent"), ("Privilege", "user,all"), *snapshot,
             ("UserEvent", "CtiCallback"), *body]  # fmt: skip
    raw = ("".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n").encode()
    (msg,) = FrameParser().feed(raw)
    return msg


def test_callback_user_event(ami_fixtures: Path) -> None:
    msg = _user_event(ami_fixtures, "01", ("Queue", "vaccine"), ("Reason", "key"))
    (e,) = translate(msg, AT)
    assert isinstance(e, ev.CallbackRequested)
    assert (e.linkedid, e.queue, e.reason, e.number, e.withheld) == (
        "1795734260.0", "vaccine", "key", "0773621234", False)  # fmt: skip
    assert (e.uniqueid, e.at) == (msg["Uniqueid"], AT)


def test_callback_user_event_of_a_withheld_caller(ami_fixtures: Path) -> None:
    msg = _user_event(ami_fixtures, "04", ("Queue", "vaccine"), ("Reason", "timeout"))
    (e,) = translate(msg, AT)
    assert isinstance(e, ev.CallbackRequested)
    assert (e.reason, e.withheld, e.presentation) == ("timeout", True, "prohib")


def test_other_and_malformed_user_events_give_nothing(ami_fixtures: Path) -> None:
    other = {**_user_event(ami_fixtures, "01"), "UserEvent": "SomethingElse"}
    assert translate(other, AT) == []
    no_call = {"Event": "UserEvent", "UserEvent": "CtiCallback", "Queue": "vaccine"}
    assert translate(no_call, AT) == []
