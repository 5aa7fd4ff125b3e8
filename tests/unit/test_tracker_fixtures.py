"""Every recorded Asterisk stream, replayed through frames -> translate -> Tracker, must give the
conclusions stated in tests/fixtures/ami/README.md (its per-call tables are parsed here)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from cti_server.ami.frames import Message, iter_file
from cti_server.ami.translate import StreamTranslator
from cti_server.domain import events as ev
from cti_server.domain.agents import MemberStatus, extension_of
from cti_server.domain.calls import Call, CallState, Outcome
from cti_server.domain.changes import CallChanged, Change, LinkChanged, MemberChanged
from cti_server.domain.tracker import Tracker

BASE = dt.datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
E164 = phonenumbers.PhoneNumberFormat.E164
FILES = [f"{n:02d}" for n in range(1, 12)]


@dataclass
class Replay:
    tracker: Tracker
    changes: list[Change] = field(default_factory=list)
    events: list[ev.DomainEvent] = field(default_factory=list)
    max_live: int = 0

    def feed(self, msgs: list[Message], start: int = 0) -> None:
        st = StreamTranslator()
        for i, msg in enumerate(msgs, start):
            for e in st.translate(msg, BASE + dt.timedelta(milliseconds=10 * i)):
                self.events.append(e)
                self.changes += self.tracker.apply(e)
                self.max_live = max(self.max_live, len(self.tracker.calls))

    def call_changes(self, linkedid: str) -> list[Call]:
        return [c.call for c in self.changes if isinstance(c, CallChanged)
                and c.call.linkedid == linkedid]  # fmt: skip


def path_of(ami_fixtures: Path, num: str) -> Path:
    (p,) = ami_fixtures.glob(f"{num}-*.ami")
    return p


def replay(ami_fixtures: Path, num: str, **kw: float) -> Replay:
    r = Replay(Tracker(**kw))
    r.feed(list(iter_file(path_of(ami_fixtures, num))))
    return r


ROW = re.compile(
    r"^\| (\d+) \| (\S+) \| `([^`]*)` \| `([^`]*)` \| (\S+) \| (\d+) "
    r"\| ([^|]+) \| ([^|]+) \| (.+) \|$"
)


ANSWERED = r"answered by (\d+) after HoldTime (\d+) s .*TalkTime (\d+) s, Reason (\w+)"


def readme_rows(ami_fixtures: Path) -> dict[str, list[tuple[str, ...]]]:
    rows: dict[str, list[tuple[str, ...]]] = {}
    current = ""
    for line in (ami_fixtures / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            current = line[4:6]
        elif m := ROW.match(line):
            rows.setdefault(current, []).append(m.groups())
    return rows


@pytest.mark.parametrize("num", FILES)
def test_every_call_matches_the_readme_table(ami_fixtures: Path, num: str) -> None:
    rows = readme_rows(ami_fixtures)[num]
    r = replay(ami_fixtures, num)
    assert r.tracker.calls == {}, "every recorded call has ended"
    assert len({c.call.linkedid for c in r.changes if isinstance(c, CallChanged)}) == len(rows)
    for _, lid, number, name, pres, pos, rung, no_answer, outcome in rows:
        call = r.tracker.call(lid)
        assert call is not None, lid
        assert call.state is CallState.ENDED
        assert (call.caller.raw_number, call.caller.raw_name) == (number, name)
        assert call.caller.presentation == pres
        assert call.queue == "vaccine"
        assert call.position == int(pos)
        want_rung = [] if rung.strip() == "-" else [x.strip() for x in rung.split(",")]
        assert [extension_of(i) for i in call.rung] == want_rung
        want_na = re.findall(r"(\d{4}) \(RingTime 8000 ms\)", no_answer)
        assert [extension_of(i) for i in call.no_answer] == want_na
        if m := re.match(ANSWERED, outcome):
            assert call.outcome is Outcome.ANSWERED
            assert extension_of(call.agent_interface) == m[1]
            assert (call.hold_seconds, call.talk_seconds) == (float(m[2]), float(m[3]))
            assert call.end_reason == m[4]
        else:
            m = re.match(r"ABANDONED after HoldTime (\d+) s", outcome)
            assert m is not None, outcome
            hold = float(m[1])
            assert call.hold_seconds == hold
            assert call.outcome is (Outcome.SHORT_ABANDONED if hold < 5 else Outcome.ABANDONED)
            assert call.agent_interface == ""


def test_01_answered_pops_only_at_ringing(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "01")
    states = r.call_changes("1795734260.0")
    ringing = [c for c in states if c.state is CallState.RINGING]
    assert ringing[0].ringing == ("Local/1001@operators/n",)
    assert ringing[0].ringing_names == ("Operator 1001 (鈴木)",)
    assert ringing[0].caller.number == "0773621234"
    assert states[-1].agent_name == "Operator 1001 (鈴木)"
    assert r.tracker.members[("vaccine", "Local/1001@operators/n")].status is MemberStatus.AVAILABLE
    statuses = [c.member.status for c in r.changes if isinstance(c, MemberChanged)]
    steps = [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] is not s]
    assert steps == [MemberStatus.RINGING, MemberStatus.IN_CALL, MemberStatus.AVAILABLE]


def test_02_ring_no_answer_is_seconds(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "02")
    (na,) = [e for e in r.events if isinstance(e, ev.AgentNoAnswer)]
    assert na.ring_seconds == 8.0


def test_04_withheld_never_shows_a_number(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "04")
    calls = r.call_changes("1795734299.0")
    assert all(c.caller.withheld and c.caller.number == "" for c in calls)
    assert calls[-1].caller.raw_number == "anonymous"


def test_05_empty_caller_id_never_takes_the_did(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "05")
    calls = r.call_changes("1795734306.0")
    assert all(c.caller.number == "" and not c.caller.withheld for c in calls)
    assert all(c.caller.raw_number == "<unknown>" for c in calls)
    assert not any(isinstance(e, ev.CallerIdentified) for e in r.events)


def test_06_same_subscriber_twice(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "06")
    a, b = (r.tracker.call(x) for x in ("1795734416.0", "1795734423.4"))
    assert a is not None
    assert b is not None
    e164 = {
        phonenumbers.format_number(phonenumbers.parse(c.caller.number, "JP"), E164) for c in (a, b)
    }
    assert e164 == {"+819012345678"}


def test_07_two_calls_at_once(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "07")
    assert r.max_live == 2
    q = [c for c in r.changes if isinstance(c, CallChanged) and c.call.state is CallState.ANSWERED]
    assert {c.call.agent_interface for c in q} == {
        "Local/1001@operators/n", "Local/1002@operators/n"
    }  # fmt: skip


def test_08_pause_reason_and_dynamic_member(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "08")
    m1001 = [c.member for c in r.changes if isinstance(c, MemberChanged)
             and c.member.interface == "Local/1001@operators/n"]  # fmt: skip
    assert (m1001[0].status, m1001[0].paused_reason) == (MemberStatus.PAUSED, "休憩")
    assert (m1001[-1].status, m1001[-1].paused, m1001[-1].paused_reason) == (
        MemberStatus.AVAILABLE, False, ""
    )  # fmt: skip
    m1004 = [c for c in r.changes if isinstance(c, MemberChanged)
             and c.member.interface == "Local/1004@operators/n"]  # fmt: skip
    assert m1004[0].member.membership == "dynamic"
    assert not m1004[0].removed
    assert m1004[0].member.name == "Operator 1004 (高橋)"
    assert m1004[-1].removed
    assert m1004[-1].member.status is MemberStatus.LOGGED_OUT
    assert ("vaccine", "Local/1004@operators/n") not in r.tracker.members
    call = r.tracker.call("1795734433.0")
    assert call is not None
    assert [extension_of(i) for i in call.rung] == ["1002"]


def _resync_index(msgs: list[Message]) -> int:
    return next(i for i, m in enumerate(msgs) if m.get("EventList") == "start")


def test_09_resync_mid_call(ami_fixtures: Path) -> None:
    msgs = list(iter_file(path_of(ami_fixtures, "09")))
    end = next(i for i, m in enumerate(msgs) if m.get("Event") == "QueueSummaryComplete")
    r = Replay(Tracker())
    r.feed(msgs[: end + 1])
    rep = r.tracker.last_resync
    assert rep is not None
    assert (rep.channels, rep.calls, rep.queue_entries) == (8, 2, 1)
    _check_rebuilt(r.tracker)
    r.feed(msgs[end + 1 :], start=end + 1)
    assert r.tracker.calls == {}


def _check_rebuilt(t: Tracker) -> None:
    view = t.queue_view("vaccine")
    assert view.pbx_params is not None
    assert view.pbx_params.calls == 1
    assert view.pbx_summary is not None
    s = view.pbx_summary
    assert (s.logged_in, s.available, s.callers) == (3, 1, 1)
    assert [w.linkedid for w in view.waiting] == ["1795734342.4"]
    assert view.waiting[0].position == 1
    m1001 = t.members[("vaccine", "Local/1001@operators/n")]
    assert m1001.in_call
    assert m1001.status is MemberStatus.IN_CALL
    talking, waiting = t.calls["1795734340.0"], t.calls["1795734342.4"]
    assert talking.state is CallState.ANSWERED
    assert talking.agent_interface == "Local/1001@operators/n"
    assert waiting.state is CallState.RINGING
    assert waiting.ringing == ("Local/1002@operators/n",)
    assert waiting.caller.number == "09012345678"


def test_09_reconnect_rebuilds_from_the_snapshot_alone(ami_fixtures: Path) -> None:
    """A fresh tracker that sees only the resync (events before it were lost) rebuilds both
    calls, and the call still ringing is ringing again (so it pops)."""
    msgs = list(iter_file(path_of(ami_fixtures, "09")))
    start = _resync_index(msgs)
    r = Replay(Tracker())
    r.feed(msgs[:1])  # banner
    r.feed(msgs[start:], start=start)
    rep = r.tracker.last_resync
    assert rep is not None
    assert rep.rebuilt == 2
    pops = [c for c in r.call_changes("1795734342.4") if c.ringing]
    assert pops[0].ringing == ("Local/1002@operators/n",)
    assert pops[0].caller.number == "09012345678"
    waiting = r.tracker.ended["1795734342.4"]
    assert waiting.outcome is Outcome.ABANDONED
    assert waiting.hold_seconds == 12
    assert waiting.rung == ("Local/1002@operators/n", "Local/1003@operators/n")
    talking = r.tracker.ended["1795734340.0"]
    assert talking.outcome is Outcome.ANSWERED
    assert talking.talk_seconds == 14


def test_09_calls_not_in_the_snapshot_end(ami_fixtures: Path) -> None:
    msgs = list(iter_file(path_of(ami_fixtures, "09")))
    start = _resync_index(msgs)
    t = Tracker()
    stale = ev.CallQueued("999.1", "999.2", "vaccine", 1, 1, "0773000000", "", "", False, BASE)
    t.apply(stale)
    r = Replay(t)
    r.feed(msgs[start:], start=start)
    assert t.ended["999.1"].outcome is Outcome.UNKNOWN
    assert t.last_resync is not None
    assert t.last_resync.vanished == 1


def test_10_restart_clears_state(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "10")
    assert r.tracker.calls == {}
    assert r.tracker.members == {}
    links = [c for c in r.changes if isinstance(c, LinkChanged)]
    assert [x.connected for x in links] == [True, False, True]
    assert links[1].reason == "pbx restart"
    removed = [c for c in r.changes if isinstance(c, MemberChanged) and c.removed]
    assert {c.member.interface for c in removed} == {"Local/1001@operators/n"}


def test_10_shutdown_mid_call_ends_the_call(ami_fixtures: Path) -> None:
    msgs = list(iter_file(path_of(ami_fixtures, "10")))
    cut = next(i for i, m in enumerate(msgs) if m.get("Event") == "AgentComplete")
    r = Replay(Tracker())
    r.feed(msgs[:cut])
    assert set(r.tracker.calls) == {"1795734356.0"}
    r.tracker.apply(ev.PbxShutdown(True, BASE + dt.timedelta(hours=1)))
    assert r.tracker.calls == {}
    assert r.tracker.ended["1795734356.0"].outcome is Outcome.ANSWERED


def test_11_burst_outcomes(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "11")
    ended = [r.tracker.ended[lid] for lid in r.tracker.ended]
    outcomes = [c.outcome for c in ended]
    assert len(ended) == 30
    assert outcomes.count(Outcome.ANSWERED) == 12
    assert outcomes.count(Outcome.ABANDONED) + outcomes.count(Outcome.SHORT_ABANDONED) == 18
    assert outcomes.count(Outcome.SHORT_ABANDONED) == 6  # HoldTime 4 s < 5 s
    rung_abandoned = [c for c in ended if c.outcome is not Outcome.ANSWERED and c.rung]
    assert len(rung_abandoned) == 3  # abandoned while an operator was ringing
    assert all(m.status is MemberStatus.AVAILABLE for m in r.tracker.members.values())
    assert r.tracker.queue_view("vaccine").calls_waiting == 0


def test_short_abandon_threshold_is_configurable(ami_fixtures: Path) -> None:
    r = replay(ami_fixtures, "11", short_abandon_seconds=0)
    assert not any(c.outcome is Outcome.SHORT_ABANDONED for c in r.tracker.ended.values())
