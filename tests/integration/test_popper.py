"""Screen-pop routing over real WebSockets: only the ringing extension, withheld never shown,
updates on answer and hang-up, reconnect gets the live call, slow clients are dropped."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import select

from cti_server import protocol
from cti_server.caller_lookup import Found
from cti_server.domain import events as ev
from cti_server.domain.changes import CallChanged
from cti_server.domain.tracker import Tracker
from cti_server.popper import Popper
from cti_server.recorder import record_of
from cti_server.web.app import create_app
from cti_server.web.keys import HUB, SERVICE
from registry.db import session_factory
from registry.find.matching import HouseholdMatch, ResidentMatch
from registry.models import CallRecord
from tests.integration.web_helpers import (
    FakeBridge,
    add_household,
    add_operator,
    answered,
    auth,
    completed,
    incoming,
    make_settings,
    new_linkedid,
    now,
    receive_pop,
    receive_type,
    ringing,
    token,
)

LANDLINE = "+81773621234"


@pytest.fixture
async def app_client(engine, db_url, aiohttp_client):
    app = create_app(
        make_settings(db_url), engine=engine, bridge=FakeBridge(), load_name_index=False
    )
    client = await aiohttp_client(app)
    return app, client


async def _connect(client, app, op_id: int, ext: str):
    ws = await client.ws_connect("/ws", headers=auth(await token(app, op_id, ext=ext)))
    hello = await receive_type(ws, protocol.Hello)
    assert hello.operator.extension == ext
    return ws


async def test_pop_goes_only_to_the_ringing_extension(app_client, engine):
    app, client = app_client
    resident_ids = await add_household(engine, LANDLINE)
    ws1 = await _connect(client, app, 1, "1001")
    ws2 = await _connect(client, app, 2, "1002")
    service = app[SERVICE]
    call1, call2 = new_linkedid(), new_linkedid()
    service.on_event(incoming(call1, "0773-62-1234", name="ヤマダ"))
    service.on_event(ringing(call1, "1001"))
    pop = await receive_pop(ws1)
    assert pop.call.linkedid == call1
    assert pop.call.state == "ringing"
    assert pop.call.extension == "1001"
    assert pop.call.queue == "vaccine"
    assert pop.caller.status == "number"
    assert pop.caller.e164 == LANDLINE
    assert pop.caller.display == "0773-62-1234"
    assert [m.resident_id for h in pop.households for m in h.members] == resident_ids
    # 1002's first pop is its own call: it never saw call 1
    service.on_event(incoming(call2, "09012345678"))
    service.on_event(ringing(call2, "1002"))
    pop2 = await receive_pop(ws2)
    assert pop2.call.linkedid == call2
    assert pop2.households == ()
    # answer and hang-up update the same operator
    service.on_event(answered(call1, "1001"))
    upd = await receive_pop(ws1, state="answered")
    assert (upd.call.state, upd.call.extension) == ("answered", "1001")
    assert upd.call.answered_at is not None
    service.on_event(completed(call1, "1001"))
    end = await receive_pop(ws1, state="ended")
    assert (end.call.state, end.call.outcome) == ("ended", "answered")
    await ws1.close()
    await ws2.close()


async def test_withheld_caller_never_shows_a_number(app_client, engine):
    app, client = app_client
    await add_household(engine, LANDLINE)
    ws = await _connect(client, app, 1, "1001")
    service = app[SERVICE]
    call = new_linkedid()
    # the trunk delivered the real number, but presentation is prohibited on the queue leg
    service.on_event(incoming(call, "0773621234", name="ヤマダ", withheld=True))
    service.on_event(ringing(call, "1001"))
    pop = await receive_type(ws, protocol.ScreenPop)
    assert pop.caller == protocol.CallerInfo(status="withheld")
    assert pop.households == ()
    raw = protocol.encode(pop)
    assert "621234" not in raw
    assert "ヤマダ" not in raw
    service.on_event(completed(call, "1001"))
    await receive_type(ws, protocol.ScreenPop)
    await service.recorder.flush()
    await ws.close()


async def test_anonymous_caller_is_withheld(app_client):
    app, client = app_client
    ws = await _connect(client, app, 1, "1001")
    call = new_linkedid()
    app[SERVICE].on_event(incoming(call, "anonymous", name="Anonymous"))
    app[SERVICE].on_event(ringing(call, "1001"))
    pop = await receive_type(ws, protocol.ScreenPop)
    assert pop.caller.status == "withheld"
    assert pop.caller.e164 is None
    assert pop.caller.display == ""
    assert pop.caller.name == ""
    await ws.close()


async def test_reconnecting_operator_gets_its_live_call(app_client, engine):
    app, client = app_client
    await add_household(engine, LANDLINE)
    ws = await _connect(client, app, 1, "1001")
    call = new_linkedid()
    app[SERVICE].on_event(incoming(call, "0773621234"))
    app[SERVICE].on_event(ringing(call, "1001"))
    await receive_type(ws, protocol.ScreenPop)
    app[SERVICE].on_event(answered(call, "1001"))
    await receive_pop(ws, state="answered")
    await ws.close()
    ws = await client.ws_connect("/ws", headers=auth(await token(app, 1, ext="1001")))
    assert isinstance(await receive_type(ws, protocol.Hello), protocol.Hello)
    pop = await receive_type(ws, protocol.ScreenPop)
    assert (pop.call.linkedid, pop.call.state) == (call, "answered")
    assert pop.households  # the cached lookup, not a new one
    resp = await client.get("/api/calls/current", headers=auth(await token(app, 1, ext="1001")))
    assert [c["call"]["linkedid"] for c in (await resp.json())["calls"]] == [call]
    await ws.close()


async def test_slow_client_is_dropped_not_queued_forever(engine, db_url, aiohttp_client):
    app = create_app(
        make_settings(db_url, ws_queue_size=4),
        engine=engine,
        bridge=FakeBridge(),
        load_name_index=False,
    )
    client = await aiohttp_client(app)
    ws = await _connect(client, app, 1, "1001")
    hub = app[HUB]
    (c,) = hub.clients
    # the client stops reading: what the socket buffers take is written at once, then the
    # transport pauses and messages wait in the queue, which overflows (without yielding)
    big = "x" * 65536
    for i in range(2000):
        if not c.offer(protocol.encode(protocol.Pong(nonce=f"{i}{big}"))):
            break
    assert c.dropped
    assert hub.drops == 1
    assert c not in hub.clients
    msg = await ws.receive(timeout=5)
    while msg.type.name == "TEXT":
        msg = await ws.receive(timeout=5)
    assert msg.type.name in ("CLOSE", "CLOSED", "CLOSING")
    await ws.close()


async def test_vanished_client_is_removed(app_client):
    app, client = app_client
    ws = await _connect(client, app, 1, "1001")
    await ws.close()
    for _ in range(100):
        if not app[HUB].clients:
            break
        await asyncio.sleep(0.01)
    assert not app[HUB].clients
    # a pop for that extension now goes nowhere and raises nothing
    call = new_linkedid()
    app[SERVICE].on_event(incoming(call, "0773621234"))
    app[SERVICE].on_event(ringing(call, "1001"))


async def test_every_call_is_recorded(app_client, engine):
    app, _client = app_client
    await add_household(engine, LANDLINE, names=("山田 太郎",))
    call = new_linkedid()
    service = app[SERVICE]
    service.on_event(incoming(call, "0773621234"))
    service.on_event(ringing(call, "1001"))
    service.on_event(answered(call, "1001"))
    service.on_event(completed(call, "1001"))
    await service.settle()
    async with session_factory(engine)() as s:
        rec = (await s.scalars(select(CallRecord))).one()
    assert rec.linkedid == call
    assert rec.caller_e164 == LANDLINE
    assert rec.caller_raw == "0773621234"
    assert rec.queue == "vaccine"
    assert rec.extension == "1001"
    assert rec.outcome == "answered"
    assert rec.match_count == 1
    assert rec.matched_resident_id is not None
    assert rec.answered_at is not None
    assert rec.ended_at is not None


async def test_the_record_names_the_operator_logged_in_on_the_extension(app_client, engine):
    app, client = app_client
    usual = await add_operator(engine, "usual", "operator", "1001")
    relief = await add_operator(engine, "relief", "operator", "1002")
    service = app[SERVICE]
    await service.load_extensions()  # by default 1001 is the usual operator's
    ws = await _connect(client, app, relief, "1001")  # the relief sits at 1001 today
    first, second = new_linkedid(), new_linkedid()
    service.on_event([*incoming(first, "0773621234"), ringing(first, "1001")])
    service.on_event(answered(first, "1001"))
    await receive_pop(ws, state="answered")
    service.on_event(completed(first, "1001"))
    (sat,) = app[HUB].clients
    app[HUB].remove(sat)  # the relief has left 1001
    assert not app[HUB].has_extension("1001")
    service.on_event([*incoming(second, "0773621234"), ringing(second, "1001")])
    service.on_event([answered(second, "1001"), completed(second, "1001")])
    await service.settle()
    await ws.close()
    async with session_factory(engine)() as s:
        recs = {r.linkedid: r.operator_id for r in await s.scalars(select(CallRecord))}
    assert recs == {first: relief, second: usual}  # nobody at 1001: its default operator


# ----------------------------------------------------------------- the popper alone, with fakes


class Pipeline:
    """The tracker and the popper, with fakes for ``send`` and the call records: pops sent, and
    record fields merged per Linkedid (what ``CallRecorder`` would write)."""

    def __init__(self, lookup=None) -> None:
        async def no_match(e164, since, linkedid):
            return Found([])

        self.settings = make_settings()
        self.tracker = Tracker(short_abandon_seconds=self.settings.short_abandon_seconds)
        self.popper = Popper(
            self.settings, self.tracker, lookup or no_match, self.send, self.record
        )
        self.pops: list[tuple[str, protocol.ScreenPop]] = []
        self.records: dict[str, dict] = {}

    def on_event(self, e: ev.DomainEvent) -> None:
        changes = self.tracker.apply(e)
        for ch in changes:
            if isinstance(ch, CallChanged):
                s = self.settings
                fields = record_of(ch.call, ch.before, s.extension_of, s.default_area_code)
                self.record(ch.call.linkedid, fields)
        self.popper.on_changes(changes)

    def send(self, ext: str, pop: protocol.ScreenPop) -> None:
        self.pops.append((ext, pop))

    def record(self, linkedid: str, fields: dict) -> None:
        merged = self.records.setdefault(linkedid, {})
        merged.update({k: v for k, v in fields.items() if v is not None or k not in merged})


def _caller_hangup(linkedid: str) -> ev.ChannelHungUp:
    return ev.ChannelHungUp(linkedid, linkedid, "Local/0773620000@from-trunk-1;1", 16, "", now())


async def test_late_agent_complete_still_gives_the_talk_time():
    out = Pipeline()
    call = new_linkedid()
    for e in [*incoming(call, "0773621234"), ringing(call, "1001"), answered(call, "1001")]:
        out.on_event(e)
    out.on_event(_caller_hangup(call))  # the caller leg hangs up before AgentComplete
    out.on_event(completed(call, "1001"))
    rec = out.records[call]
    assert (rec["outcome"], rec["talk_seconds"], rec["hold_seconds"]) == ("answered", 5.0, 1.0)
    await out.popper.close()


@pytest.mark.parametrize(("hold", "outcome"), [(3.0, "short_abandoned"), (12.0, "abandoned")])
async def test_late_queue_abandon_still_gives_the_hold_time(hold, outcome):
    out = Pipeline()
    call = new_linkedid()
    for e in incoming(call, "0773621234"):
        out.on_event(e)
    out.on_event(_caller_hangup(call))
    out.on_event(ev.CallAbandoned(call, "vaccine", 1, 1, hold, now()))
    assert (out.records[call]["outcome"], out.records[call]["hold_seconds"]) == (outcome, hold)
    await out.popper.close()


async def test_a_call_that_never_queued_is_not_queued_not_no_agent():
    out = Pipeline()
    call = new_linkedid()
    out.on_event(incoming(call, "0773621234")[0])  # the caller leg only: never in a queue
    out.on_event(_caller_hangup(call))
    assert out.records[call]["outcome"] == "not_queued"
    assert out.tracker.call(call).outcome.value == "not_queued"
    await out.popper.close()


async def test_pop_goes_at_once_and_is_updated_when_the_lookup_is_done():
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_lookup(e164, since, linkedid):
        started.set()
        await release.wait()
        return Found([
            HouseholdMatch(7, "H7", "addr", (ResidentMatch(1, "n", "k", None, "M", "a", 7, "H7",
                                                           100.0, ("own_phone",)),)),
        ])  # fmt: skip

    out = Pipeline(slow_lookup)
    call = new_linkedid()
    for e in incoming(call, "0773621234"):
        out.on_event(e)
    await asyncio.wait_for(started.wait(), 5)  # the lookup began at the first sight
    out.on_event(ringing(call, "1001"))
    ((ext, first),) = out.pops  # sent at once, not after the lookup
    assert (ext, first.call.state, first.lookup_error, first.households) == (
        "1001", "ringing", "pending", ()
    )  # fmt: skip
    release.set()
    await out.popper.drain()
    ext, upd = out.pops[-1]
    assert (ext, upd.call.state, upd.lookup_error) == ("1001", "ringing", "")
    assert [m.resident_id for h in upd.households for m in h.members] == [1]
    assert out.records[call]["matched_resident_id"] == 1
    assert out.popper.pops_before_lookup == 1
    await out.popper.close()


async def test_records_left_ongoing_are_closed_at_start_and_after_a_resync(engine):
    from cti_server.bootstrap import build_calls
    from cti_server.metrics import Metrics
    from cti_server.web.hub import Hub
    from registry.calls import get_call, upsert_call

    sessions = session_factory(engine)
    t0 = now()
    async with sessions() as s:
        await upsert_call(s, "old.1", queue="vaccine", entered_at=t0, outcome="ongoing")
        await upsert_call(s, "old.2", queue="vaccine", entered_at=t0, answered_at=t0,
                          outcome="ongoing")  # fmt: skip
        await upsert_call(s, "old.3", queue="vaccine", entered_at=t0, outcome="abandoned")
        await s.commit()
    settings = make_settings()
    tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
    service = build_calls(settings, tracker, sessions, Hub(8), Metrics())
    await service.start()  # a restart: nothing is live yet
    live, gone, ghost = new_linkedid(), new_linkedid(), "ghost.1"
    service.on_event(incoming(live, "0773621234"))
    service.on_event(incoming(gone, "09012345678"))  # ends while the link is down
    async with sessions() as s:  # another instance's, or lost: ongoing, not live here
        await upsert_call(s, ghost, queue="vaccine", entered_at=t0, outcome="ongoing")
        await s.commit()
    service.on_event(ev.ResyncStarted(now()))
    service.on_event(ev.QueueEntrySeen(live, live, "vaccine", 1, 1.0, "0773621234", "", now()))
    service.on_event(ev.ResyncCompleted(now()))
    await service.settle()
    async with sessions() as s:
        outcomes = {lid: (await get_call(s, lid)).outcome
                    for lid in ("old.1", "old.2", "old.3", ghost, live, gone)}  # fmt: skip
    assert outcomes == {"old.1": "unknown", "old.2": "answered", "old.3": "abandoned",
                        ghost: "unknown", live: "ongoing", gone: "unknown"}  # fmt: skip
    await service.close()


async def test_presentation_withheld_on_the_queue_leg_hides_what_the_trunk_showed():
    looked_up, started = [], asyncio.Event()

    async def lookup(e164, since, linkedid):
        looked_up.append(e164)
        started.set()
        await asyncio.Event().wait()  # still running when the caller turns out withheld

    out = Pipeline(lookup)
    call = new_linkedid()
    first, queued = incoming(call, "0773621234", name="ヤマダ")
    out.on_event(first)  # the caller leg: number allowed
    await asyncio.wait_for(started.wait(), 5)
    out.on_event(dataclasses.replace(queued, presentation="prohib", withheld=True))
    out.on_event(ringing(call, "1001"))
    ((ext, pop),) = out.pops
    assert (ext, pop.caller, pop.households, pop.lookup_error) == (
        "1001", protocol.CallerInfo(status="withheld"), (), ""
    )  # fmt: skip
    rec = out.records[call]
    assert (rec["caller_raw"], rec["caller_name_raw"], rec["caller_e164"]) == ("", "", "")
    assert rec["caller_status"] == "withheld"
    await out.popper.drain()  # the lookup was cancelled, nothing recorded from it
    assert "match_count" not in rec
    assert looked_up == ["+81773621234"]
    await out.popper.close()
