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


async def _replay(sessions, ami_fixtures, num: str):
    settings = make_settings()
    tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
    hub = FakeHub()
    service = build_calls(settings, tracker, sessions, hub, Metrics())
    await service.start()
    st = StreamTranslator()
    for i, msg in enumerate(iter_file(path_of(ami_fixtures, num))):
        service.on_event(st.translate(msg, BASE + dt.timedelta(milliseconds=10 * i)))
        await service.popper.drain()  # a lookup takes less than the gap between two events
    await service.settle()
    await service.close()
    return hub


def _rung(row: tuple[str, ...]) -> list[str]:
    rung = row[6].strip()
    return [] if rung == "-" else [x.strip() for x in rung.split(",")]


def _withheld(row: tuple[str, ...]) -> bool:
    return row[2] == "anonymous" or row[4].startswith("prohib")


@pytest.mark.parametrize("num", FILES)
async def test_recorded_stream_drives_pops_and_records(sessions, engine, ami_fixtures, num):
    await add_household(engine, LANDLINE)
    hub = await _replay(sessions, ami_fixtures, num)
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
