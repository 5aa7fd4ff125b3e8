"""Every recorded Asterisk stream, replayed through frames -> translate -> the call pipeline
(tracker, popper, call recorder on a real database, a fake hub that keeps what it was sent):
pops go to the extensions that rang or answered and to no other, a withheld caller is never
shown, and the stored records' outcomes are the conclusions of tests/fixtures/ami/README.md."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from cti_server import protocol
from cti_server.ami.frames import iter_file
from cti_server.ami.translate import StreamTranslator
from cti_server.bootstrap import build_calls
from cti_server.domain.tracker import Tracker
from cti_server.metrics import Metrics
from registry.calls import get_call
from tests.integration.web_helpers import add_household, make_settings
from tests.unit.test_tracker_fixtures import ANSWERED, BASE, FILES, path_of, readme_rows

LANDLINE = "+81773621234"


class FakeHub:
    """Keeps every pop it is asked to send, by extension."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, protocol.ScreenPop]] = []

    def send_to_extension(self, extension: str, msg: Any) -> int:
        self.sent.append((extension, msg))
        return 1

    def send_to_all(self, msg: Any) -> int:
        self.sent.append(("*", msg))
        return 1

    def pops_of(self, linkedid: str) -> list[tuple[str, protocol.ScreenPop]]:
        return [
            (ext, p)
            for ext, p in self.sent
            if isinstance(p, protocol.ScreenPop) and p.call.linkedid == linkedid
        ]


async def _replay(sessions, ami_fixtures, num: str, *, read: int = 1, hub=None, listeners=()):
    """Replay a recorded stream; ``read`` messages at a time inside ``service.reading()`` (as
    the bridge hands over the messages of one TCP read)."""
    settings = make_settings()
    tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
    hub = hub or FakeHub()
    service = build_calls(settings, tracker, sessions, hub, Metrics(), listeners=listeners)
    await service.start()
    st = StreamTranslator()
    msgs = list(iter_file(path_of(ami_fixtures, num)))
    for start in range(0, len(msgs), read):
        with service.reading():
            for i, msg in enumerate(msgs[start : start + read], start):
                service.on_event(st.translate(msg, BASE + dt.timedelta(milliseconds=10 * i)))
        await service.popper.drain()  # a lookup takes less than the gap between two reads
    await service.settle()
    await service.close()
    return hub


def _rung(row: tuple[str, ...]) -> list[str]:
    rung = row[6].strip()
    return [] if rung == "-" else [x.strip() for x in rung.split(",")]


def _withheld(row: tuple[str, ...]) -> bool:
    return row[2] == "anonymous" or row[4].startswith("prohib")


@pytest.mark.parametrize("read", [1, 7])
@pytest.mark.parametrize("num", FILES)
async def test_recorded_stream_drives_pops_and_records(sessions, engine, ami_fixtures, num, read):
    await add_household(engine, LANDLINE)
    hub = await _replay(sessions, ami_fixtures, num, read=read)
    for row in readme_rows(ami_fixtures)[num]:
        lid, number, outcome = row[1], row[2], row[8]
        answered = re.match(ANSWERED, outcome)
        pops = hub.pops_of(lid)
        rung = _rung(row)
        allowed = set(rung) | ({answered[1]} if answered else set())
        assert {ext for ext, _ in pops} == allowed, lid  # every one that rang; nobody else
        for ext in rung:
            assert any(e == ext and p.call.state == "ringing" for e, p in pops), (lid, ext)
        if pops:
            assert pops[-1][1].call.state == "ended"
        for _, pop in pops:
            if _withheld(row):
                assert pop.caller == protocol.CallerInfo(status="withheld")
                assert pop.households == ()
            elif number == "0773621234":
                assert pop.caller.e164 == LANDLINE
        if number == "0773621234" and rung:  # the lookup is done before the ringing ends
            assert any(p.households for _, p in pops), lid
        async with sessions() as s:
            rec = await get_call(s, lid)
        assert rec.queue == "vaccine"
        assert rec.ended_at is not None
        if _withheld(row):
            assert (rec.caller_status, rec.caller_e164) == ("withheld", "")
            assert rec.caller_name_raw == ""
        if row[4].startswith("prohib"):  # the caller's own channel said so: stored as said
            assert rec.presentation.startswith("prohib"), (lid, rec.presentation)
        if answered:
            assert rec.outcome == "answered"
            assert rec.extension == answered[1]
            assert (rec.hold_seconds, rec.talk_seconds) == (float(answered[2]), float(answered[3]))
        else:
            hold = float(re.match(r"ABANDONED after HoldTime (\d+) s", outcome)[1])
            assert rec.outcome == ("short_abandoned" if hold < 5 else "abandoned")
            assert rec.hold_seconds == hold
            assert rec.extension is None


async def test_an_operator_who_rang_out_gets_only_a_withdrawal(sessions, engine, ami_fixtures):
    """02: 1001 rings, does not answer, 1002 answers. 1001 gets one withdrawal (the pop no
    longer theirs) without the household's data, and nothing after it: not the answer, not the
    ended pop with the household."""
    await add_household(engine, LANDLINE)
    hub = await _replay(sessions, ami_fixtures, "02")
    pops = [p for ext, p in hub.pops_of("1795734267.0") if ext == "1001"]
    ringing = [p for p in pops if p.call.state == "ringing" and p.call.extension == "1001"]
    assert ringing
    assert any(p.households for p in ringing)  # while it rang them they saw the household
    after = pops[len(ringing) :]
    assert len(after) == 1, [(p.call.state, p.call.extension) for p in after]
    (withdrawal,) = after
    assert withdrawal.call.extension != "1001"
    assert withdrawal.households == ()
    assert withdrawal.call.state != "ended"


class Late:
    """A listener that notes how many pops had gone out each time it was told of changes."""

    def __init__(self, hub: FakeHub) -> None:
        self.hub = hub
        self.told: list[tuple[int, list[str]]] = []

    def on_changes(self, changes: list[Any]) -> None:
        calls = [c.call.state.value for c in changes if hasattr(c, "call")]
        self.told.append((len(self.hub.sent), calls))


async def test_the_pop_of_a_read_goes_out_before_other_listeners_hear_of_it(
    sessions, engine, ami_fixtures
):
    """The caller's channel events and the agent's ``AgentCalled`` in one read: the ringing pop
    is sent before any other listener (board, agent states, records) hears of the read, and
    they then hear of every change, in order, as when events come one by one."""
    await add_household(engine, LANDLINE)
    one_by_one, whole = Late(FakeHub()), Late(FakeHub())
    await _replay(sessions, ami_fixtures, "01", hub=one_by_one.hub, listeners=[one_by_one])
    hub = await _replay(sessions, ami_fixtures, "01", read=10_000, hub=whole.hub, listeners=[whole])
    assert [calls for _, calls in whole.told] == [calls for _, calls in one_by_one.told]
    assert whole.told[0][0] > 0  # the read's pops went out before the first one was told
    ringing = [p for _, p in hub.sent if isinstance(p, protocol.ScreenPop)]
    assert ringing
    assert ringing[0].call.state == "ringing"
