"""Calls that began and ended while the AMI link was down, rebuilt from Asterisk's queue_log,
end to end over real TCP: the PBX simulator (AMI, and the queue_log it writes) -> AmiBridge ->
server -> call records and the board.

The simulator's caller is a Local channel pair like the recorded Asterisk's: the ``;2`` half runs
``Queue()``, so queue_log names the call by that channel's Uniqueid, not by the Linkedid (the
``;1`` half). With a SIP trunk the channel in ``Queue()`` is the first one and the two are equal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from cti_server.web.board_app import BOARD
from cti_server.web.keys import BRIDGE, SERVICE
from cti_server.web.rest_worklist import CALLBACKS
from registry import worklist
from registry.calls import calls_between, get_call
from registry.db import session_factory
from tests.integration.test_end_to_end import server, simulator, until

DAY = dt.timedelta(days=1)


def logged(path: Path, callid: str) -> dict[str, tuple[dt.datetime, list[str]]]:
    """The queue_log lines of one call, by event: (time, data fields)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("|")
        if f[1] == callid:
            out[f[4]] = (dt.datetime.fromtimestamp(int(f[0]), dt.UTC), f[5:])
    return out


@contextlib.asynccontextmanager
async def linked(engine, db_url, qlog: Path, *, recover: bool = True):
    """The simulator writing ``qlog`` and a server logged in to it (reading ``qlog`` after a
    gap when ``recover``): yields (simulator, app) once the PBX link is up."""
    kw = {"ami_queue_log": str(qlog), "short_abandon_seconds": 1} if recover else {}
    async with (
        simulator(agents=1, speed=1.0, queue_log=qlog) as (sim, port),
        server(engine, db_url, port, ami_auth_retry_seconds=0.2, **kw) as (app, _),
    ):
        await until(lambda: app[SERVICE].tracker.connected, "the PBX link")
        yield sim, app


async def gap(app, sim, place):
    """Take the link down (the PBX refuses the login, as while it restarts), run ``place()``'s
    calls to their end, bring the link back; returns the plans once the resync is done."""
    service = app[SERVICE]
    good, sim.secret = sim.secret, "changed"
    sim.drop_connections()
    await until(lambda: app[BRIDGE].state == "auth_failed", "the refused login")
    plans = place()
    await sim.wait_idle()
    sim.secret = good
    await until(
        lambda: (
            service.tracker.last_resync is not None
            and service.tracker.last_resync.lost_at is not None
        ),
        "the resync after the gap",
    )
    await service.settle()
    return plans


async def all_records(engine):
    now = dt.datetime.now(dt.UTC)
    async with session_factory(engine)() as s:
        return await calls_between(s, now - DAY, now + DAY)


async def worklist_refs(engine) -> list[str]:
    async with session_factory(engine)() as s:
        return sorted(i.source_ref for i in await worklist.list_items(s))


async def test_a_call_wholly_inside_a_gap_is_rebuilt_from_queue_log(engine, db_url, tmp_path):
    qlog = tmp_path / "queue_log"
    async with linked(engine, db_url, qlog) as (sim, app):
        service = app[SERVICE]
        seen = sim.place_call("0773629876", talk=0.2, ring=0.2)  # followed live, before the gap
        await sim.wait_idle()
        await until(lambda: seen.linkedid in service.tracker.ended, "the live call's end")

        def place():
            answered = sim.place_call("0773621234", talk=1.0, ring=0.5)
            abandoned = sim.place_call("09012345678", patience=1.5)  # the one agent is busy
            keyed = sim.place_call("0757001234", patience=10, callback_after=0.5)  # pressed 1
            timed_out = sim.place_call(  # the wait limit, which the dialplan turns into a request
                "0757005678", patience=10, callback_after=0.6, callback_reason="timeout"
            )
            return answered, abandoned, keyed, timed_out

        answered, abandoned, keyed, timed_out = await gap(app, sim, place)
        await app[CALLBACKS].drain()
        assert answered.linkedid not in service.tracker.ended  # not seen by the tracker
        callid = answered.channels[1].uniqueid  # the channel in Queue()
        lines = logged(qlog, callid)
        async with session_factory(engine)() as s:
            rec = await get_call(s, callid)
            gone = await get_call(s, abandoned.channels[1].uniqueid)
        assert rec.recovered is True
        assert (rec.outcome, rec.queue, rec.extension) == ("answered", "vaccine", "1001")
        assert rec.caller_e164 == "+81773621234"
        assert rec.entered_at == lines["ENTERQUEUE"][0]
        assert rec.answered_at == lines["CONNECT"][0]
        assert rec.ended_at == lines["COMPLETECALLER"][0]
        assert rec.hold_seconds == float(lines["CONNECT"][1][0])
        assert rec.talk_seconds == float(lines["COMPLETECALLER"][1][1])
        assert (gone.recovered, gone.outcome, gone.answered_at) == (True, "abandoned", None)
        assert gone.ended_at == logged(qlog, gone.linkedid)["ABANDON"][0]
        # on the callback worklist as live ones: the caller who gave up, the one who pressed 1,
        # the one whose wait limit the dialplan turned into a request (its CTICALLBACK line)
        key_id, timeout_id = keyed.channels[1].uniqueid, timed_out.channels[1].uniqueid
        assert "EXITWITHKEY" in logged(qlog, key_id)
        assert logged(qlog, timeout_id)["CTICALLBACK"][1] == ["timeout"]
        refs = [f"call:{gone.linkedid}:abandoned", f"call:{key_id}:callback",
                f"call:{timeout_id}:callback"]  # fmt: skip
        assert await worklist_refs(engine) == sorted(refs)
        # they count on the board as stored records do, and popped nobody
        board = app[BOARD]
        assert board.today.records[callid].outcome == "answered"
        assert board.today.records[gone.linkedid].outcome == "abandoned"
        assert service.popper.current_pops("1001") == []
        # the call followed live is not doubled under its queue leg's Uniqueid
        ids = [r.linkedid for r in await all_records(engine)]
        assert seen.channels[1].uniqueid not in ids
        assert sorted(ids) == sorted([seen.linkedid, callid, gone.linkedid, key_id, timeout_id])
        # a second pass over the same gap (another resync) writes nothing
        report = service.tracker.last_resync
        assert await service.recover_gap(report.lost_at, report.back_at) == 0
        await service.settle()
        await app[CALLBACKS].drain()
        assert sorted(r.linkedid for r in await all_records(engine)) == sorted(ids)
        assert await worklist_refs(engine) == sorted(refs)


async def test_without_the_setting_a_gap_leaves_no_record(engine, db_url, tmp_path):
    qlog = tmp_path / "queue_log"
    async with linked(engine, db_url, qlog, recover=False) as (sim, app):
        service = app[SERVICE]
        assert service.recover_gap is None
        (answered,) = await gap(app, sim, lambda: [sim.place_call("0773621234", talk=0.5)])
        assert "CONNECT" in logged(qlog, answered.channels[1].uniqueid)
        assert await all_records(engine) == []


async def test_calls_live_at_the_loss_that_ended_in_the_gap_get_the_logged_end(
    engine, db_url, tmp_path
):
    """Live when the link went down, gone at the resync: the tracker ends them at the loss
    (``answered``, or ``unknown`` for a waiting one); the queue log says how and when."""
    qlog = tmp_path / "queue_log"
    async with linked(engine, db_url, qlog) as (sim, app):
        service = app[SERVICE]
        t = service.tracker
        talker = sim.place_call("0773621234", talk=2.5, ring=0.2)
        await until(lambda: (c := t.call(talker.linkedid)) and c.answered_at, "the answer")
        waiter = sim.place_call("09012345678", patience=2.0)  # the one agent is busy
        await until(lambda: (c := t.call(waiter.linkedid)) and c.queued_at, "the queued call")
        await gap(app, sim, lambda: None)
        await app[CALLBACKS].drain()
        talked = logged(qlog, talker.channels[1].uniqueid)
        gave_up = logged(qlog, waiter.channels[1].uniqueid)
        async with session_factory(engine)() as s:
            a = await get_call(s, talker.linkedid)
            b = await get_call(s, waiter.linkedid)
        assert (a.outcome, a.ended_at) == ("answered", talked["COMPLETECALLER"][0])
        assert a.talk_seconds == float(talked["COMPLETECALLER"][1][1])
        assert (b.outcome, b.ended_at) == ("abandoned", gave_up["ABANDON"][0])
        assert b.hold_seconds == float(gave_up["ABANDON"][1][2])
        ids = sorted(r.linkedid for r in await all_records(engine))
        assert ids == sorted([talker.linkedid, waiter.linkedid])  # not again by queue leg
        board = app[BOARD]
        assert board.today.records[waiter.linkedid].outcome == "abandoned"
        assert len(board.today.records) == 2
        assert await worklist_refs(engine) == [f"call:{waiter.linkedid}:abandoned"]
