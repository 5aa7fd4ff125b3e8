"""The simulator's Originate (click-to-dial) over real TCP: the answer, then the events in the
order and with the keys Asterisk 22 sends them (the recorded streams' key order per event type;
OriginateResponse's Context/Exten form as main/manager.c writes it), and the tracker's outbound
call built from them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cti_server.ami.translate import StreamTranslator
from cti_server.domain import events as ev
from cti_server.domain.calls import Outcome
from cti_server.domain.tracker import Tracker
from cti_server.sim.originate import DialPlan
from cti_server.sim.server import PbxSimulator
from tests.integration.test_sim import OPEN, T0, connect, fixture_key_orders


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    s = PbxSimulator(speed=50.0, agents=2)
    await s.start("127.0.0.1", 0)
    yield s
    await s.stop()
    while OPEN:
        await OPEN.pop().close()


ORIGINATE_KEYS = ("Event", "Privilege", "ActionID", "Response", "Channel", "Context", "Exten",
                  "Reason", "Uniqueid", "CallerIDNum", "CallerIDName")  # fmt: skip


def _originate(c, **extra: str) -> None:  # type: ignore[no-untyped-def]
    fields = {"Action": "Originate", "Channel": "Local/1001@operators", "Context": "outbound",
              "Exten": "0773621234", "Priority": "1", "CallerID": '"舞鶴市" <0773620000>',
              "Timeout": "30000", "Async": "true", "ChannelId": "ctd-1",
              "ActionID": "o1"}  # fmt: skip
    fields.update(extra)
    c.send(**fields)


async def test_originate_answered_emits_asterisk_events(sim: PbxSimulator, ami_fixtures: Path):
    c = await connect(sim)
    sim.dial_plans["0773621234"] = DialPlan("answer", ring=1.0, talk=2.0)
    _originate(c)
    ack = await c.until(lambda m: m.get("ActionID") == "o1" and "Response" in m
                        and "Event" not in m)  # fmt: skip
    assert (ack["Response"], ack["Message"]) == ("Success", "Originate successfully queued")
    done = await c.until(lambda m: m.get("Event") == "Hangup" and m["Uniqueid"] == "ctd-1")
    assert done["Linkedid"] == "ctd-1"
    events = [m for m in c.msgs if "Event" in m and m.get("Linkedid", m.get("Uniqueid")) in
              ("ctd-1",)]  # fmt: skip
    names = [m["Event"] for m in events]
    assert names[:3] == ["Newchannel", "Newchannel", "NewCallerid"]
    assert names.index("OriginateResponse") < names.index("DialBegin") < names.index("DialEnd")
    resp = next(m for m in events if m["Event"] == "OriginateResponse")
    assert tuple(resp)[: len(ORIGINATE_KEYS)] == ORIGINATE_KEYS
    assert (resp["Response"], resp["Reason"], resp["Uniqueid"]) == ("Success", "4", "ctd-1")
    assert (resp["Channel"], resp["Exten"]) == ("Local/1001@operators-00000000;1", "0773621234")
    assert (resp["CallerIDNum"], resp["CallerIDName"]) == ("0773620000", "舞鶴市")
    end = next(m for m in events if m["Event"] == "DialEnd")
    assert (end["DialStatus"], end["DestExten"]) == ("ANSWER", "s")
    recorded = fixture_key_orders(ami_fixtures)
    for m in events:
        if m["Event"] in recorded and m["Event"] != "OriginateResponse":
            assert tuple(m) in recorded[m["Event"]], m["Event"]
    t, st = Tracker(), StreamTranslator()  # the server told the tracker first, then the stream
    t.apply(ev.OutboundDialled("ctd-1", "Local/1001@operators", "1001", "+81773621234", T0))
    for m in c.msgs:
        for e in st.translate(m, T0):
            t.apply(e)
    call = t.call("ctd-1")
    assert call is not None
    assert (call.outcome, call.caller.number) == (Outcome.OUTBOUND_ANSWERED, "+81773621234")
    assert call.answered_at is not None


async def test_operator_who_does_not_answer_fails_the_originate(sim: PbxSimulator):
    c = await connect(sim)
    sim.unanswered_extensions.add("1002")
    _originate(c, Channel="Local/1002@operators", Timeout="2000", ChannelId="ctd-2")
    resp = await c.until(lambda m: m.get("Event") == "OriginateResponse")
    assert (resp["Response"], resp["Reason"]) == ("Failure", "3")
    assert (resp["Channel"], resp["Uniqueid"]) == ("Local/1002@operators", "ctd-2")
    hangups = [m for m in c.msgs if m.get("Event") == "Hangup"]
    assert {m["Cause"] for m in hangups} == {"19"}


async def test_originate_refusals(sim: PbxSimulator):
    c = await connect(sim)
    c.send(Action="Originate", ActionID="x1", Context="outbound", Exten="1")
    bad = await c.until(lambda m: m.get("ActionID") == "x1")
    assert (bad["Response"], bad["Message"]) == ("Error", "Channel not specified")


def test_outbound_call_in_the_tracker_from_a_simulated_stream():
    """OutboundDialled, then OriginateResponse / DialEnd / Hangup as translated."""
    t, st = Tracker(), StreamTranslator()
    t.apply(ev.OutboundDialled("ctd-9", "Local/1001@operators", "鈴木", "+81773621234", T0))
    call = t.call("ctd-9")
    assert call is not None
    assert (call.state.value, call.ringing, call.caller.number) == (
        "ringing", ("Local/1001@operators",), "+81773621234")  # fmt: skip
    msgs = [
        {"Event": "NewCallerid", "Channel": "Local/1001@operators-00000000;1",
         "Uniqueid": "ctd-9", "Linkedid": "ctd-9", "CallerIDNum": "0773620000",
         "CallerIDName": "舞鶴市"},
        {"Event": "OriginateResponse", "Response": "Success", "Uniqueid": "ctd-9",
         "Reason": "4"},
        {"Event": "DialEnd", "Linkedid": "ctd-9", "DialStatus": "ANSWER"},
        {"Event": "Hangup", "Channel": "Local/1001@operators-00000000;1", "Uniqueid": "ctd-9",
         "Linkedid": "ctd-9", "Cause": "16", "Cause-txt": "Normal Clearing"},
    ]  # fmt: skip
    for i, m in enumerate(msgs):
        for e in st.translate(m, T0):
            t.apply(e)
        if i == 0:  # the city's own caller ID on the operator's leg is not the resident's
            assert t.call("ctd-9").caller.number == "+81773621234"
        if i == 2:
            assert t.call("ctd-9").state.value == "answered"
    ended = t.call("ctd-9")
    assert ended is not None
    assert ended.outcome is Outcome.OUTBOUND_ANSWERED
    assert t.calls == {}


def test_an_outbound_call_gone_in_a_resync_ends_unanswered():
    t = Tracker()
    t.apply(ev.OutboundDialled("ctd-7", "Local/1001@operators", "鈴木", "+81773621234", T0))
    t.apply(ev.ResyncStarted(T0))
    t.apply(ev.ResyncCompleted(T0))
    call = t.call("ctd-7")
    assert call is not None
    assert call.outcome is Outcome.OUTBOUND_UNANSWERED
