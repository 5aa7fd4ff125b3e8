"""Two real ``cti-server`` processes on loopback, one PostgreSQL database and one Redis bus:
a pop reaches the operator whichever instance holds the socket, bookings and slot counts agree
on both, and an instance killed with SIGKILL mid-call loses nothing: its operator reconnects to
the other and gets the live call back, the call's end and record are not lost, and a booking
resent there with its key lands once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import aiohttp
import pytest
from sqlalchemy import func, select

from cti_server import protocol
from cti_server.sim.server import PbxSimulator
from registry.db import create_engine, session_factory
from registry.models import Booking, CallRecord
from registry.operators import create_operator
from registry.venues import create_slot, create_venue
from tests.conftest import _reset_pg
from tests.integration.instances import Instance, bus_env, server_env
from tests.integration.web_helpers import add_household

pytestmark = pytest.mark.postgres

JST = dt.timezone(dt.timedelta(hours=9))
LANDLINE = "+81773621234"
PASSWORD = "pw-123456"


@pytest.fixture
async def redis_up():
    redis = pytest.importorskip("redis.asyncio")
    probe = redis.from_url("redis://127.0.0.1:6379")
    try:
        await asyncio.wait_for(probe.ping(), 2)
    except (OSError, TimeoutError, redis.ConnectionError):
        pytest.fail("Redis is not running at 127.0.0.1:6379")
    finally:
        await probe.aclose()


@pytest.fixture
async def ledger(pg_url, redis_up):
    """The scratch database, emptied; three residents of one household, a slot for two, and
    two operators (1001 in the queue, 1002 not)."""
    await _reset_pg(pg_url)
    engine = create_engine(pg_url)
    residents = await add_household(engine, LANDLINE, names=("山田 太郎", "山田 花子", "山田 次郎"))
    async with session_factory(engine)() as s:
        venue = await create_venue(s, "中総合会館", "舞鶴市")
        day = dt.datetime.now(JST).date() + dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(10), JST)
        slot = await create_slot(s, venue.venue_id, start, start + dt.timedelta(minutes=30), 2)
        await create_operator(s, "op1", PASSWORD, role="operator", extension="1001")
        await create_operator(s, "op2", PASSWORD, role="operator", extension="1002")
        await s.commit()
    yield {
        "url": pg_url,
        "engine": engine,
        "residents": residents,
        "venue": venue.venue_id,
        "slot": slot.slot_id,
        "day": day.isoformat(),
    }
    await engine.dispose()


@contextlib.asynccontextmanager
async def simulator():
    sim = PbxSimulator(username="cti", secret="cti-secret", agents=1, speed=1.0)
    port = await sim.start("127.0.0.1", 0)
    try:
        yield sim, port
    finally:
        await sim.stop()


@contextlib.asynccontextmanager
async def instances(tmp_path, db_url, *ami_ports):
    """One instance per entry of ``ami_ports`` (None: no PBX link), on one bus."""
    bus = bus_env()
    started: list[Instance] = []
    try:
        for i, port in enumerate(ami_ports):
            inst = Instance(f"inst-{i}", server_env(db_url, port, **bus), tmp_path / f"var{i}")
            started.append(await inst.start())
        yield started
    finally:
        for inst in started:
            await inst.stop()


class Operator:
    """An operator's client: REST with a token, one WebSocket, reconnects to any instance."""

    def __init__(self, http: aiohttp.ClientSession, username: str) -> None:
        self.http, self.username = http, username
        self.token = ""
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.hello: protocol.Hello | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def log_in(self, inst: Instance) -> None:
        body = {"username": self.username, "password": PASSWORD}
        async with self.http.post(f"{inst.url}/api/login", json=body) as resp:
            assert resp.status == 200, await resp.text()
            self.token = (await resp.json())["token"]
        await self.connect(inst)

    async def connect(self, inst: Instance) -> None:
        self.ws = await self.http.ws_connect(f"{inst.url}/ws", headers=self.auth)
        self.hello = await self.next(protocol.Hello)

    async def next(self, cls: type, limit: float = 15.0, **match: object) -> object:
        assert self.ws is not None
        while True:
            msg = protocol.decode(await self.ws.receive_str(timeout=limit))
            if isinstance(msg, cls) and all(_field(msg, k) == v for k, v in match.items()):
                return msg

    async def pop(self, state: str, limit: float = 15.0) -> protocol.ScreenPop:
        while True:
            pop = await self.next(protocol.ScreenPop, limit)
            assert isinstance(pop, protocol.ScreenPop)
            if pop.call.state == state and pop.lookup_error != "pending":
                return pop

    async def closed(self, limit: float = 15.0) -> None:
        """The socket ends (its server went away)."""
        assert self.ws is not None
        while True:
            msg = await self.ws.receive(timeout=limit)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):  # fmt: skip
                return

    async def book(self, inst: Instance, resident: int, slot: int, key: str) -> tuple[int, dict]:
        body = {"resident_id": resident, "slot_id": slot}
        headers = {**self.auth, "Idempotency-Key": key}
        async with self.http.post(f"{inst.url}/api/bookings", json=body, headers=headers) as r:
            return r.status, await r.json()

    async def remaining(self, inst: Instance, venue: int, day: str) -> list[int]:
        url = f"{inst.url}/api/venues/{venue}/slots?day={day}"
        async with self.http.get(url, headers=self.auth) as resp:
            assert resp.status == 200, await resp.text()
            return [s["remaining"] for s in (await resp.json())["slots"]]


def _field(msg: object, dotted: str) -> object:
    for part in dotted.split("__"):
        msg = getattr(msg, part)
    return msg


async def _healthy(http: aiohttp.ClientSession, inst: Instance, limit: float = 20.0) -> None:
    """The instance's PBX link is up (its /healthz says 200)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        async with http.get(f"{inst.url}/healthz") as resp:
            if resp.status == 200:
                return
        await asyncio.sleep(0.1)
    pytest.fail(f"{inst.server_id} never became healthy:\n" + "\n".join(inst.log[-20:]))


async def _record(engine, linkedid: str) -> CallRecord | None:
    async with session_factory(engine)() as s:
        return await s.get(CallRecord, linkedid)


async def _until_recorded(engine, linkedid: str, limit: float = 15.0) -> CallRecord:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        rec = await _record(engine, linkedid)
        if rec is not None and rec.outcome != "ongoing" and rec.ended_at is not None:
            return rec
        await asyncio.sleep(0.1)
    pytest.fail(f"call {linkedid} never recorded as ended: {rec and rec.outcome}")


async def test_pop_bookings_and_slots_across_instances_and_a_killed_web_instance(tmp_path, ledger):
    """A holds the PBX link, B does not: the operator on B is popped through the bus; bookings
    on both instances share one capacity; B killed mid-call: the operator reconnects to A and
    gets the live call back, and the booking B never answered lands once on A."""
    async with (
        simulator() as (sim, ami_port),
        instances(tmp_path, ledger["url"], ami_port, None) as (a, b),
        aiohttp.ClientSession() as http,
    ):
        await _healthy(http, a)
        op1, op2 = Operator(http, "op1"), Operator(http, "op2")
        await op1.log_in(b)  # ext 1001, the one in the queue, on the instance without the PBX
        await op2.log_in(a)
        assert op1.hello.server_id == "inst-1"
        assert op2.hello.server_id == "inst-0"

        answer, hangup = asyncio.Event(), asyncio.Event()
        plan = sim.place_call("0773621234", talk=120.0, ring=60.0, patience=600.0,
                              answer=answer, hangup=hangup)  # fmt: skip
        ringing = await op1.pop("ringing")
        assert ringing.call.linkedid == plan.linkedid
        assert ringing.caller.e164 == LANDLINE
        members = [m.resident_id for h in ringing.households for m in h.members]
        assert members == ledger["residents"]
        answer.set()
        await op1.pop("answered")

        # bookings on both instances share one slot of two; watchers on A hear B's bookings
        slot, venue, day = ledger["slot"], ledger["venue"], ledger["day"]
        assert op2.ws is not None
        await op2.ws.send_str(protocol.encode(protocol.WatchSlots(venue_id=venue, day=day)))
        r0, r1, r2 = ledger["residents"]
        status, first = await op1.book(b, r0, slot, "k-op1-r0")
        assert status == 201, first
        changed = await op2.next(protocol.SlotsChanged)
        assert [s.remaining for s in changed.slots if s.slot_id == slot] == [1]
        assert await op1.remaining(b, venue, day) == await op2.remaining(a, venue, day) == [1]

        # B dies mid-call (SIGKILL): its operator reconnects to A and the call comes back
        await b.kill()
        await op1.closed()
        await op1.connect(a)
        back = await op1.pop("answered")
        assert back.call.linkedid == plan.linkedid
        assert back.caller.e164 == LANDLINE
        assert back.households
        # the booking sent to B again (no answer seen): same key on A, the same booking
        status, again = await op1.book(a, r0, slot, "k-op1-r0")
        assert status in (200, 201)
        assert again["booking_id"] == first["booking_id"]
        status, second = await op2.book(a, r1, slot, "k-op2-r1")
        assert status == 201, second
        status, refused = await op2.book(a, r2, slot, "k-op2-r2")
        assert status == 409, refused
        assert refused["error"] == "slot_full", refused
        assert await op2.remaining(a, venue, day) == [0]

        hangup.set()
        ended = await op1.pop("ended")
        assert ended.call.linkedid == plan.linkedid
        rec = await _until_recorded(ledger["engine"], plan.linkedid)
        assert rec.outcome == "answered"
        assert rec.caller_e164 == LANDLINE
        async with session_factory(ledger["engine"])() as s:
            booked = await s.scalars(select(Booking.resident_id).where(Booking.slot_id == slot))
            assert sorted(booked.all()) == [r0, r1]


async def test_the_instance_holding_the_socket_killed_mid_call_loses_nothing(tmp_path, ledger):
    """Both instances hold a PBX link (the documented failover set-up): the operator's instance
    is killed while the call is answered; on the other one the live call comes back, its end
    reaches the operator and the call is recorded once, complete."""
    async with (
        simulator() as (sim, ami_port),
        instances(tmp_path, ledger["url"], ami_port, ami_port) as (a, b),
        aiohttp.ClientSession() as http,
    ):
        await _healthy(http, a)
        await _healthy(http, b)
        op1 = Operator(http, "op1")
        await op1.log_in(a)
        answer, hangup = asyncio.Event(), asyncio.Event()
        plan = sim.place_call("0773621234", talk=120.0, ring=60.0, patience=600.0,
                              answer=answer, hangup=hangup)  # fmt: skip
        assert (await op1.pop("ringing")).call.linkedid == plan.linkedid
        answer.set()
        await op1.pop("answered")

        await a.kill()
        await op1.closed()
        await op1.connect(b)
        assert op1.hello.server_id == "inst-1"
        back = await op1.pop("answered")
        assert back.call.linkedid == plan.linkedid
        assert back.households

        hangup.set()
        ended = await op1.pop("ended")
        assert ended.call.outcome == "answered"
        rec = await _until_recorded(ledger["engine"], plan.linkedid)
        assert rec.outcome == "answered"
        assert rec.answered_at is not None
        async with session_factory(ledger["engine"])() as s:
            n = await s.scalar(select(func.count()).select_from(CallRecord))
        assert n == 1


async def test_wrap_up_codes_saved_on_one_instance_are_used_at_once_by_the_other(tmp_path, ledger):
    """Both instances have read the codes (and cached them); an admin saves a new list on A;
    B answers with the new list and takes the new code in a wrap-up long before its cache time
    is over: the bus told it, and B told the operator's socket (``ConfigChanged``)."""
    async with session_factory(ledger["engine"])() as s:
        await create_operator(s, "adm", PASSWORD, role="admin")
        await s.commit()
    async with (
        instances(tmp_path, ledger["url"], None, None) as (a, b),
        aiohttp.ClientSession() as http,
    ):
        admin, op = Operator(http, "adm"), Operator(http, "op1")
        await admin.log_in(a)
        await op.log_in(b)

        async def codes(inst: Instance) -> list[str]:
            async with http.get(f"{inst.url}/api/dispositions", headers=op.auth) as resp:
                assert resp.status == 200, await resp.text()
                return [d["code"] for d in (await resp.json())["dispositions"]]

        assert "info_only" not in await codes(b)
        new = [{"code": "booked", "ja": "予約", "en": "Booked"},
               {"code": "info_only", "ja": "案内のみ", "en": "Information only"}]  # fmt: skip
        body = {"version": 0, "value": new}
        async with http.put(f"{a.url}/api/config/dispositions", json=body,
                            headers=admin.auth) as resp:  # fmt: skip
            assert resp.status == 200, await resp.text()
        told = await op.next(protocol.ConfigChanged)  # op's socket is on B: the bus carried it
        assert told == protocol.ConfigChanged("dispositions", 1)
        assert await codes(a) == ["booked", "info_only"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10.0  # the cache holds for 30 s without the bus
        while await codes(b) != ["booked", "info_only"]:
            assert loop.time() < deadline, "instance B never heard of the new codes"
            await asyncio.sleep(0.1)
        url = f"{b.url}/api/calls/1800.1/disposition"
        async with http.put(url, json={"codes": ["info_only"]}, headers=op.auth) as resp:
            assert resp.status == 200, await resp.text()
