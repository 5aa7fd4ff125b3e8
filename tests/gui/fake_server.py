"""An in-test fake of cti_server's REST + WebSocket contract, on aiohttp; its answers are the
typed bodies of ``cti_server.protocol``, as the real server's are.

It runs in a background thread with its own event loop and a real TCP port, so the Qt client
under test talks to it over real HTTP and WebSocket. ``drop()`` closes every socket and stops
listening (the server is gone); ``restore()`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from cti_server import protocol
from desktop_client import demo_data

JST = dt.timezone(dt.timedelta(hours=9))
TOKEN = "tok-1"


def answer(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(protocol.to_dict(payload), status=status)


def tokyo_day(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(JST).date().isoformat()


def _candidate(r: protocol.ResidentDetail) -> protocol.Candidate:
    return protocol.Candidate(
        r.resident_id, r.name, r.name_kana, r.birth_date, r.age, r.sex, r.address,
        r.household_id, 90.0, ("name:kana 90",), r.person_no, r.household_no, r.barcode,
    )  # fmt: skip


@dataclass
class FakeState:
    residents: dict[int, protocol.ResidentDetail] = field(default_factory=dict)
    venues: list[protocol.Venue] = field(default_factory=list)
    slots: dict[int, protocol.SlotInfo] = field(default_factory=dict)
    bookings: dict[int, protocol.Booking] = field(default_factory=dict)
    mobility: dict[int, protocol.MobilityRequest] = field(default_factory=dict)
    intents: list[protocol.Intent] = field(default_factory=list)
    dispositions: dict[str, dict[str, Any]] = field(default_factory=dict)
    linked: dict[str, int] = field(default_factory=dict)  # call -> confirmed resident
    started: set[int] = field(default_factory=set)  # slots the fake refuses as started
    keys: dict[str, Any] = field(default_factory=dict)  # Idempotency-Key -> the answer
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    watches: list[tuple[int, str]] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    tied_beyond: int = 0  # what a search says of residents as good as its last, not listed
    later: tuple[protocol.LaterDose, ...] = ()  # what a change or cancel says of later doses
    config: dict[str, protocol.ConfigEntry] = field(default_factory=dict)  # GET /api/config


class FakeServer:
    def __init__(self, state: FakeState) -> None:
        self.state = state
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    # ------------------------------------------------------------------ control (test thread)
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        self._call(self._start())

    def stop(self) -> None:
        self._call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def drop(self) -> None:
        self._call(self._stop())

    def restore(self) -> None:
        self._call(self._start())

    def push(self, msg: Any) -> None:
        self._call(self._broadcast(protocol.encode(msg)))

    def connected(self) -> int:
        return len(self._sockets)

    def posts(self, path: str) -> list[tuple[str, str, dict[str, str], Any]]:
        return [r for r in self.state.requests if r[0] == "POST" and r[1] == path]

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    # ------------------------------------------------------------------ lifecycle (loop thread)
    async def _start(self) -> None:
        app = web.Application()
        self._routes(app)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _broadcast(self, text: str) -> None:
        for ws in list(self._sockets):
            await ws.send_str(text)

    def _routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/login", self.login)
        r.add_get("/api/calls/current", self.current)
        r.add_get("/api/residents/search", self.search)
        r.add_get("/api/residents/{rid}", self.resident)
        r.add_post("/api/residents/{rid}/intents", self.record_intent)
        r.add_get("/api/venues", self.venues)
        r.add_get("/api/venues/{vid}/slots", self.slots)
        r.add_post("/api/bookings", self.book)
        r.add_patch("/api/bookings/{bid}", self.change)
        r.add_delete("/api/bookings/{bid}", self.cancel)
        r.add_post("/api/mobility", self.create_mobility)
        r.add_put("/api/calls/{linkedid}/disposition", self.disposition)
        r.add_post("/api/calls/{linkedid}/resident", self.link_resident)
        r.add_get("/api/dispositions", self.list_dispositions)
        r.add_get("/api/config", self.list_config)
        r.add_get("/ws", self.ws)

    # ------------------------------------------------------------------ handlers
    async def _record(self, request: web.Request) -> Any:
        body = await request.json() if request.can_read_body else None
        self.state.requests.append((request.method, request.path, dict(request.headers), body))
        return body

    @staticmethod
    def _authorized(request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPUnauthorized(
                text='{"error":"unauthorized","message":"log in"}', content_type="application/json"
            )

    @staticmethod
    def _error(
        status: int, error: str, message: str, details: dict[str, Any] | None = None
    ) -> web.Response:
        body = {"error": error, "message": message, "details": details or {}}
        return web.json_response(body, status=status)

    async def login(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if body.get("password") != "pw":
            return self._error(401, "auth_failed", "wrong user name or password")
        operator = protocol.OperatorInfo(7, body["username"], "Op", "operator", "201")
        return answer(protocol.LoginResult(TOKEN, 3600, operator))

    async def current(self, request: web.Request) -> web.Response:
        self._authorized(request)
        return answer(protocol.CurrentCalls(calls=()))

    async def search(self, request: web.Request) -> web.Response:
        self._authorized(request)
        name = request.query.get("name", "")
        self.state.searches.append(name)
        found = tuple(
            _candidate(r)
            for r in self.state.residents.values()
            if name and (name in r.name or name in r.name_kana)
        )
        return answer(protocol.SearchResults(results=found, tied_beyond=self.state.tied_beyond))

    async def resident(self, request: web.Request) -> web.Response:
        self._authorized(request)
        await self._record(request)
        r = self.state.residents.get(int(request.match_info["rid"]))
        if r is None:
            return self._error(404, "not_found", "no such resident")
        bookings = tuple(b for b in self.state.bookings.values() if b.resident_id == r.resident_id)
        mobility = tuple(m for m in self.state.mobility.values() if m.resident_id == r.resident_id)
        intents = tuple(i for i in self.state.intents if i.resident_id == r.resident_id)
        return answer(
            dataclasses.replace(
                r, bookings=bookings, mobility_requests=mobility, intents=intents or r.intents
            )
        )

    async def venues(self, request: web.Request) -> web.Response:
        self._authorized(request)
        return answer(protocol.VenueList(venues=tuple(self.state.venues)))

    async def slots(self, request: web.Request) -> web.Response:
        self._authorized(request)
        vid, day = int(request.match_info["vid"]), request.query["day"]
        found = tuple(
            s
            for s in self.state.slots.values()
            if s.venue_id == vid and tokyo_day(s.starts_at) == day
        )
        return answer(protocol.SlotList(slots=found))

    def _idempotent(self, request: web.Request) -> Any:
        key = request.headers.get("Idempotency-Key")
        return self.state.keys.get(key) if key else None

    async def book(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        if (seen := self._idempotent(request)) is not None:
            return answer(seen, status=201)
        slot = self.state.slots[body["slot_id"]]
        if any(
            b.resident_id == body["resident_id"] and b.status == "booked"
            for b in self.state.bookings.values()
        ):
            return self._error(409, "already_booked", "already booked")
        if slot.remaining <= 0:
            return self._error(409, "slot_full", "the slot is full")
        if slot.slot_id in self.state.started:
            return self._error(409, "slot_started", f"slot {slot.slot_id} has already started")
        self.state.slots[slot.slot_id] = protocol.SlotInfo(
            slot.slot_id,
            slot.venue_id,
            slot.starts_at,
            slot.ends_at,
            slot.capacity,
            slot.booked + 1,
        )
        booking = demo_data.booking(
            len(self.state.bookings) + 100,
            body["resident_id"],
            slot,
            channel=body.get("channel", "phone"),
            call_linkedid=body.get("call"),
        )
        self.state.bookings[booking.booking_id] = booking
        self.state.keys[request.headers.get("Idempotency-Key", "")] = booking
        await self._broadcast(
            protocol.encode(protocol.SlotsChanged(slots=(self.state.slots[slot.slot_id],)))
        )
        return answer(booking, status=201)

    async def change(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        bid = int(request.match_info["bid"])
        slot = self.state.slots[body["slot_id"]]
        booking = demo_data.booking(bid, self.state.bookings[bid].resident_id, slot)
        self.state.bookings[bid] = booking
        return answer(self._with_later(booking))

    async def cancel(self, request: web.Request) -> web.Response:
        self._authorized(request)
        await self._record(request)
        bid = int(request.match_info["bid"])
        booking = dataclasses.replace(self.state.bookings[bid], status="cancelled")
        self.state.bookings[bid] = booking
        return answer(self._with_later(booking))

    def _with_later(self, booking: protocol.Booking) -> protocol.BookingChanged:
        return protocol.BookingChanged(**dataclasses.asdict(booking), later=self.state.later)

    async def create_mobility(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        if (seen := self._idempotent(request)) is not None:
            return answer(seen, status=201)
        if len(body.get("notes", "")) > 2000:  # as the real server's validation says it
            msg = "notes: longer than 2000 characters"
            return self._error(400, "invalid_input", msg, {"field": "notes"})
        now = dt.datetime.now(dt.UTC).isoformat()
        view = protocol.MobilityRequest(
            request_id=len(self.state.mobility) + 500,
            resident_id=body["resident_id"],
            booking_id=body.get("booking_id"),
            pickup_address=body["pickup_address"],
            wheelchair=body.get("wheelchair", False),
            companion=body.get("companion", False),
            notes=body.get("notes", ""),
            status="open",
            created_by=7,
            call_linkedid=body.get("call"),
            client_key=request.headers.get("Idempotency-Key"),
            created_at=now,
            updated_at=now,
        )
        self.state.mobility[view.request_id] = view
        self.state.keys[request.headers.get("Idempotency-Key", "")] = view
        return answer(view, status=201)

    async def record_intent(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        intent = protocol.Intent(
            intent_id=len(self.state.intents) + 900,
            resident_id=int(request.match_info["rid"]),
            wants_vaccination=body.get("wants_vaccination"),
            needs_mobility=body.get("needs_mobility"),
            channel="phone",
            recorded_at=dt.datetime.now(dt.UTC).isoformat(),
            notes=body.get("notes", ""),
        )
        self.state.intents.append(intent)
        return answer(intent, status=201)

    async def disposition(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        self.state.dispositions[request.match_info["linkedid"]] = body
        codes = tuple(body.get("codes") or str(body.get("disposition", "")).split(","))
        linkedid = request.match_info["linkedid"]
        return answer(protocol.Disposition(linkedid, ",".join(codes), body.get("notes", ""), codes))

    async def link_resident(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        self.state.linked[request.match_info["linkedid"]] = body["resident_id"]
        return answer(protocol.CallResident(request.match_info["linkedid"], body["resident_id"]))

    async def list_dispositions(self, request: web.Request) -> web.Response:
        from cti_server.dispositions import DEFAULT

        self._authorized(request)
        items = tuple(protocol.WrapUpCode(d.code, d.label_ja, d.label_en) for d in DEFAULT)
        return answer(protocol.WrapUpCodes(items))

    async def list_config(self, request: web.Request) -> web.Response:
        """The campaign settings the test put in ``state.config`` (none: the defaults)."""
        self._authorized(request)
        return answer(protocol.ConfigList(tuple(self.state.config.values())))

    async def ws(self, request: web.Request) -> web.StreamResponse:
        self._authorized(request)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        operator = protocol.OperatorInfo(7, "op", "Op", "operator", "201")
        await ws.send_str(
            protocol.encode(
                protocol.Hello(
                    protocol.PROTOCOL_VERSION,
                    "fake",
                    operator,
                    dt.datetime.now(dt.UTC).isoformat(),
                    {"vaccine": "ワクチン予約"},
                )
            )
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                m = protocol.decode(msg.data)
                if isinstance(m, protocol.Ping):
                    await ws.send_str(protocol.encode(protocol.Pong(nonce=m.nonce)))
                elif isinstance(m, protocol.WatchSlots):
                    self.state.watches.append((m.venue_id, m.day))
        finally:
            self._sockets.discard(ws)
        return ws
