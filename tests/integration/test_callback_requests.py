"""Callers who ask to be called back from the queue (the dialplan's ``CtiCallback`` user event):
the tracker marks the call, the worklist feeder adds one ``callback_requested`` item (and no
``abandoned`` one for the same call), a withheld caller none; the ledger being down keeps the
item until it can be written. Domain events in, worklist rows out, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from cti_server.callbacks import Callbacks
from cti_server.domain import events as ev
from cti_server.domain.calls import CallState, Outcome
from cti_server.domain.changes import CallChanged
from cti_server.domain.tracker import Tracker
from cti_server.web.keys import BRIDGE, SERVICE
from cti_server.web.rest_worklist import CALLBACKS
from registry import worklist
from tests.integration.test_end_to_end import server, simulator, until
from tests.integration.web_helpers import auth, make_settings, token

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
LID = "1795734300.0"
QLEG = "1795734300.1"


def at(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def queued(number: str = "0773621234", withheld: bool = False) -> ev.CallQueued:
    pres = "prohib" if withheld else "allowed_not_screened"
    return ev.CallQueued(LID, QLEG, "vaccine", 1, 1, number, "", pres, withheld, at(0))


def asked(reason: str = "key", number: str = "0773621234", withheld: bool = False,
          s: float = 20) -> ev.CallbackRequested:  # fmt: skip
    pres = "prohib" if withheld else "allowed_not_screened"
    return ev.CallbackRequested(LID, QLEG, "vaccine", reason, number, "", pres, withheld, at(s))


def hung_up(s: float) -> ev.ChannelHungUp:
    return ev.ChannelHungUp(LID, QLEG, "Local/0773620000@from-trunk-00000000;2", 16,
                            "Normal Clearing", at(s))  # fmt: skip


def test_the_tracker_marks_the_call_once() -> None:
    t = Tracker()
    t.apply(queued())
    changes = t.apply(asked())
    (c,) = changes
    assert isinstance(c, CallChanged)
    assert c.before is not None
    assert (c.call.callback, c.before.callback, c.call.state) == ("key", "", CallState.QUEUED)
    assert t.apply(asked("timeout", s=21)) == []  # the first request counts
    t.apply(ev.CallLeftQueue(LID, "vaccine", 0, at(20)))
    (end,) = t.apply(hung_up(25))
    assert isinstance(end, CallChanged)
    assert (end.call.outcome, end.call.callback) == (Outcome.NO_AGENT, "key")


def test_a_request_for_an_unseen_or_ended_call() -> None:
    t = Tracker()
    (c,) = t.apply(asked("timeout"))
    assert isinstance(c, CallChanged)
    assert (c.call.caller.number, c.call.queue, c.call.callback) == ("0773621234", "vaccine",
                                                                     "timeout")  # fmt: skip
    t.apply(hung_up(25))
    assert t.ended[LID].callback == "timeout"
    t2 = Tracker()
    t2.apply(queued())
    t2.apply(hung_up(10))
    (late,) = t2.apply(asked(s=11))
    assert isinstance(late, CallChanged)
    assert late.call.state is CallState.ENDED
    assert late.call.callback == "key"
    assert late.before is not None
    assert not late.before.callback


def test_a_withheld_caller_has_no_number_to_call() -> None:
    t = Tracker()
    t.apply(queued("anonymous", withheld=True))
    (c,) = t.apply(asked(number="0773621234", withheld=True))
    assert isinstance(c, CallChanged)
    assert (c.call.callback, c.call.caller.number) == ("key", "")


class Counts:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, name: str) -> None:
        self.seen.append(name)


def feeder(sessions, db_url: str) -> tuple[Callbacks, Tracker, Counts]:
    tracker, counts = Tracker(), Counts()
    callbacks = Callbacks(make_settings(db_url), sessions, tracker.apply, lambda: None,
                          count=counts)  # fmt: skip
    return callbacks, tracker, counts


async def items(sessions) -> list[worklist.WorkItemView]:
    async with sessions() as s:
        return await worklist.list_items(s)


async def feed(callbacks: Callbacks, tracker: Tracker, *events: ev.DomainEvent) -> None:
    for e in events:
        callbacks.on_changes(tracker.apply(e))
    await callbacks.drain()


async def test_one_callback_item_and_no_abandoned_one(sessions, db_url) -> None:
    callbacks, tracker, counts = feeder(sessions, db_url)
    # the caller asked, then hung up still in the queue: abandoned, but already on the worklist
    await feed(callbacks, tracker, queued(), asked(), asked("timeout", s=30), hung_up(40))
    assert tracker.ended[LID].outcome is Outcome.ABANDONED
    (item,) = await items(sessions)
    assert (item.reason, item.source_ref, item.phone) == (
        "callback_requested", f"call:{LID}:callback", "+81773621234")  # fmt: skip
    assert item.detail == {"linkedid": LID, "queue": "vaccine", "reason": "key"}
    assert counts.seen == ["cti_callback_requests_total"]
    await feed(callbacks, tracker, asked(s=50))  # told again (a resent event): nothing new
    assert len(await items(sessions)) == 1
    await callbacks.close()


async def test_an_abandoned_caller_who_did_not_ask(sessions, db_url) -> None:
    callbacks, tracker, _ = feeder(sessions, db_url)
    await feed(callbacks, tracker, queued(), hung_up(40))
    assert [i.reason for i in await items(sessions)] == ["abandoned"]
    await callbacks.close()


async def test_a_withheld_caller_makes_no_item(sessions, db_url, caplog) -> None:
    callbacks, tracker, counts = feeder(sessions, db_url)
    with caplog.at_level(logging.INFO, logger="cti_server.callbacks"):
        await feed(callbacks, tracker, queued("anonymous", withheld=True),
                   asked(number="0773621234", withheld=True), hung_up(40))  # fmt: skip
    assert await items(sessions) == []
    assert counts.seen == ["cti_callback_requests_no_number_total"]
    assert any(LID in r.getMessage() for r in caplog.records)
    assert not any("0773621234" in r.getMessage() for r in caplog.records)
    await callbacks.close()


async def test_a_number_one_cannot_call_makes_no_item(sessions, db_url) -> None:
    callbacks, tracker, _ = feeder(sessions, db_url)
    await feed(callbacks, tracker, queued("110"), asked(number="110"))
    assert await items(sessions) == []
    assert callbacks.pending == {}  # settled, not kept for a retry
    await callbacks.close()


class Refusing:
    """A session factory whose ledger is down until ``up`` is set."""

    def __init__(self, sessions) -> None:
        self.sessions, self.up = sessions, False

    def __call__(self):
        if not self.up:
            raise ConnectionRefusedError("the ledger is down")
        return self.sessions()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_kept_while_the_ledger_is_down(sessions, db_url, caplog) -> None:
    ledger = Refusing(sessions)
    callbacks, tracker, _ = feeder(ledger, db_url)
    callbacks.retry_seconds = 0.05
    with caplog.at_level(logging.INFO, logger="cti_server.callbacks"):
        await feed(callbacks, tracker, queued(), asked())
    assert list(callbacks.pending) == [f"call:{LID}:callback"]
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warned
    assert all("0773621234" not in r.getMessage() for r in caplog.records)
    ledger.up = True
    await until(lambda: not callbacks.pending, "the kept item written")
    (item,) = await items(sessions)
    assert item.reason == "callback_requested"
    await callbacks.close()


async def test_press_1_through_the_pbx_and_the_server(engine, db_url) -> None:
    """Over real TCP AMI: a caller who presses 1 is one callback_requested item (no abandoned
    one), a withheld caller who presses 1 is none, a caller who just gives up is abandoned."""
    async with (
        simulator(agents=1) as (sim, port),
        server(engine, db_url, port) as (app, client),
    ):
        await until(lambda: app[BRIDGE].connected, "AMI login")
        sim.members[0].paused = True  # overload: nobody answers
        pressed = sim.place_call("0773621234", callback_after=6, patience=60)
        withheld = sim.place_call("anonymous", callback_after=6, patience=60)
        gave_up = sim.place_call("09012345678", patience=8)
        await sim.wait_idle()

        def ended(linkedid: str) -> bool:
            call = app[SERVICE].tracker.call(linkedid)
            return call is not None and not call.live

        await until(lambda: all(ended(p.linkedid) for p in (pressed, withheld, gave_up)),
                    "the calls end")  # fmt: skip
        await app[CALLBACKS].drain()
        headers = auth(await token(app, 1, ext="1001"))
        page = await (await client.get("/api/worklist", headers=headers)).json()
        metrics = await (await client.get("/metrics")).text()
    by_call = {(i["detail"]["linkedid"], i["reason"]): i for i in page["items"]}
    assert sorted(by_call) == sorted([(gave_up.linkedid, "abandoned"),
                                      (pressed.linkedid, "callback_requested")])  # fmt: skip
    item = by_call[(pressed.linkedid, "callback_requested")]
    assert item["phone"] == "+81773621234"
    assert item["detail"] == {"linkedid": pressed.linkedid, "queue": "vaccine", "reason": "key"}
    assert "cti_callback_requests_total 1.0" in metrics
    assert "cti_callback_requests_no_number_total 1.0" in metrics
