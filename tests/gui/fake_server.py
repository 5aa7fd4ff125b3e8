"""An in-test fake of cti_server's REST + WebSocket contract (CONTRACTS.md), on aiohttp.

It runs in a background thread with its own event loop and a real TCP port, so the Qt client
under test talks to it over real HTTP and WebSocket. ``drop()`` closes every socket and stops
listening (the server is gone); ``restore()`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from cti_server import protocol

JST = dt.timezone(dt.timedelta(hours=9))
TOKEN = "tok-1"


def slot_dict(slot: protocol.SlotInfo) -> dict[str, Any]:
    return {**protocol.to_dict(slot), "remaining": slot.remaining}


@dataclass
class FakeState:
    residents: dict[int, dict[str, Any]] = field(default_factory=dict)
    venues: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[int, protocol.SlotInfo] = field(default_factory=dict)
    bookings: dict[int, dict[str, Any]] = field(default_factory=dict)
    mobility: dict[int, dict[str, Any]] = field(default_factory=dict)
    dispositions: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    watches: list[tuple[int, str]] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)


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
        r.add_get("/api/venues", self.venues)
        r.add_get("/api/venues/{vid}/slots", self.slots)
        r.add_post("/api/bookings", self.book)
        r.add_patch("/api/bookings/{bid}", self.change)
        r.add_delete("/api/bookings/{bid}", self.cancel)
        r.add_post("/api/mobility", self.create_mobility)
        r.add_put("/api/calls/{linkedid}/disposition", self.disposition)
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
    def _error(status: int, error: str, message: str) -> web.Response:
        return web.json_response({"error": error, "message": message, "details": {}}, status=status)

    async def login(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if body.get("password") != "pw":
            return self._error(401, "auth_failed", "wrong user name or password")
        operator = {
            "id": 7,
            "username": body["username"],
            "display_name": "Op",
            "role": "operator",
            "extension": "201",
        }
        return web.json_response({"token": TOKEN, "operator": operator})

    async def current(self, request: web.Request) -> web.Response:
        self._authorized(request)
        return web.json_response({"calls": []})

    async def search(self, request: web.Request) -> web.Response:
        self._authorized(request)
        name = request.query.get("name", "")
        self.state.searches.append(name)
        found = [
            {k: v for k, v in r.items() if k in protocol.Candidate.__dataclass_fields__}
            | {"score": 90.0, "reasons": ["name:kana 90"]}
            for r in self.state.residents.values()
            if name and (name in r["name"] or name in r["name_kana"])
        ]
        return web.json_response({"results": found})

    async def resident(self, request: web.Request) -> web.Response:
        self._authorized(request)
        await self._record(request)
        r = self.state.residents.get(int(request.match_info["rid"]))
        if r is None:
            return self._error(404, "not_found", "no such resident")
        bookings = [b for b in self.state.bookings.values() if b["resident_id"] == r["resident_id"]]
        mobility = [m for m in self.state.mobility.values() if m["resident_id"] == r["resident_id"]]
        return web.json_response({**r, "bookings": bookings, "mobility_requests": mobility})

    async def venues(self, request: web.Request) -> web.Response:
        self._authorized(request)
        return web.json_response({"venues": self.state.venues})

    async def slots(self, request: web.Request) -> web.Response:
        self._authorized(request)
        vid, day = int(request.match_info["vid"]), request.query["day"]
        found = [
            slot_dict(s)
            for s in self.state.slots.values()
            if s.venue_id == vid and s.starts_at[:10] == day
        ]
        return web.json_response({"slots": found})

    def _idempotent(self, request: web.Request) -> dict[str, Any] | None:
        key = request.headers.get("Idempotency-Key")
        return self.state.keys.get(key) if key else None

    async def book(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        if (seen := self._idempotent(request)) is not None:
            return web.json_response(seen, status=201)
        slot = self.state.slots[body["slot_id"]]
        if any(
            b["resident_id"] == body["resident_id"] and b["status"] == "booked"
            for b in self.state.bookings.values()
        ):
            return self._error(409, "already_booked", "already booked")
        if slot.remaining <= 0:
            return self._error(409, "slot_full", "the slot is full")
        self.state.slots[slot.slot_id] = protocol.SlotInfo(
            slot.slot_id,
            slot.venue_id,
            slot.starts_at,
            slot.ends_at,
            slot.capacity,
            slot.booked + 1,
        )
        venue = next(v["name"] for v in self.state.venues if v["id"] == slot.venue_id)
        booking = {
            "booking_id": len(self.state.bookings) + 100,
            "resident_id": body["resident_id"],
            "slot_id": slot.slot_id,
            "venue_id": slot.venue_id,
            "venue_name": venue,
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "dose": 1,
            "status": "booked",
            "channel": body.get("channel", "phone"),
            "call_linkedid": body.get("call"),
        }
        self.state.bookings[booking["booking_id"]] = booking
        self.state.keys[request.headers.get("Idempotency-Key", "")] = booking
        await self._broadcast(
            protocol.encode(protocol.SlotsChanged(slots=(self.state.slots[slot.slot_id],)))
        )
        return web.json_response(booking, status=201)

    async def change(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        booking = self.state.bookings[int(request.match_info["bid"])]
        booking["slot_id"] = body["slot_id"]
        return web.json_response(booking)

    async def cancel(self, request: web.Request) -> web.Response:
        self._authorized(request)
        await self._record(request)
        booking = self.state.bookings[int(request.match_info["bid"])]
        booking["status"] = "cancelled"
        return web.json_response(booking)

    async def create_mobility(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        if (seen := self._idempotent(request)) is not None:
            return web.json_response(seen, status=201)
        view = {"request_id": len(self.state.mobility) + 500, "status": "open", **body}
        self.state.mobility[view["request_id"]] = view
        self.state.keys[request.headers.get("Idempotency-Key", "")] = view
        return web.json_response(view, status=201)

    async def disposition(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await self._record(request)
        self.state.dispositions[request.match_info["linkedid"]] = body
        return web.json_response({"linkedid": request.match_info["linkedid"], **body})

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
