"""Junk at every route, over real TCP, on SQLite and PostgreSQL: never a 500.

The server runs in a thread of its own (its own event loop and engine) so that hypothesis can
drive it from a plain test with ``http.client``, which sends bytes as given (a non-ASCII byte in a
header, a lone surrogate escaped in JSON, a body nested 100 000 deep). Every route of the app's
router is walked; a route that takes a JSON body gets its request type's fields filled with junk
(integers beyond int64, lone surrogates, NUL, years 0001 and 9999, deep lists, floats, lookalike
digits), path parameters and query strings the same. Each answer must be below 500, and a 400 must
name the field. The counts of requests tried and of 500s are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import json
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti_server.web.app import create_app
from cti_server.web.openapi import OPERATIONS
from registry.db import create_engine, migrate
from tests.integration.web_helpers import FakeBridge, add_household, make_settings, token

DEEP = 100_000
JUNK_INTS = [2**31, 2**63, -(2**63) - 1, 10**40, -1, 0, 1.5, 1e308, True]
JUNK_TEXT = [
    "\ud800",
    "a\udfffb",
    "a\x00b",
    "\x00",
    "1_0",
    "\u0661",  # Arabic-Indic one
    "\uff11",  # fullwidth one
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59-14:00",
    "_",
    "",
    " ",
    "x" * 3000,
    "２０２５-０１-０１",
    "NaN",
]
JUNK_PATH = [
    "1_0",
    "%D9%A1",
    "%EF%BC%91",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999",
    "-1",
    "0",
    "%00",
    "%ED%A0%80",
    "%FF",
    "+5",
    "%205",
    "abc",
    "1e3",
]
TOKEN_JUNK = ["\xe9", "abc.\xff.def", "é" * 10, "\udc80"]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


junk_value = st.recursive(
    st.one_of(
        st.sampled_from(JUNK_INTS),
        st.sampled_from(JUNK_TEXT),
        st.integers(),
        st.text(max_size=30),
        st.none(),
        st.booleans(),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
path_value = st.one_of(st.sampled_from(JUNK_PATH), st.integers().map(str), st.just("1"))


class ServerThread:
    """The app on port 0 in a thread with its own loop and engine."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.port = 0
        self.token = ""
        self.app: web.Application | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as err:  # reported by start()
            self.error = err
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        engine = create_engine(self.db_url)
        await migrate(engine)
        await add_household(engine, "+81773621234")
        app = create_app(make_settings(self.db_url), engine=engine, bridge=FakeBridge())
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self.app = app
        self.token = await token(app, 1, role="admin", ext="1001")
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()
        await engine.dispose()

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(60)
        if self.error is not None:
            raise self.error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def server(db_url: str) -> Iterator[ServerThread]:
    srv = ServerThread(db_url).start()
    yield srv
    srv.stop()


class Probe:
    def __init__(self, srv: ServerThread) -> None:
        self.srv = srv
        self.tried = 0
        self.failures: list[tuple[str, str, int, str]] = []
        self.unnamed: list[tuple[str, str, str]] = []

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=60)
        hdrs: dict[str, Any] = {"Content-Type": "application/json"}
        if auth:
            hdrs["Authorization"] = f"Bearer {self.srv.token}"
        hdrs.update(headers or {})
        hdrs["Content-Length"] = str(len(body or b""))
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v)
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self.tried += 1
        if resp.status >= 500:
            self.failures.append((method, path, resp.status, data[:200].decode(errors="replace")))
        elif resp.status == 400:
            try:
                field = json.loads(data).get("details", {}).get("field")
            except ValueError:
                field = None
            if not field:
                self.unnamed.append((method, path, data[:200].decode(errors="replace")))
        return resp.status


def _routes(app: web.Application) -> list[tuple[str, str]]:
    out = []
    for r in app.router.routes():
        if r.method in ("HEAD", "*") or r.resource is None:
            continue
        out.append((r.method, r.resource.canonical))
    return sorted(set(out))


def _request_type(method: str, path: str) -> Any:
    for op in OPERATIONS:
        if op.method == method.lower() and op.path == path:
            return op.request
    return None


def _fill(path: str, values: list[str]) -> str:
    parts = path.split("/")
    it = iter(values)
    return "/".join(next(it, "1") if p.startswith("{") else p for p in parts)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


def _fields(cls: Any) -> list[str]:
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return []


def _query_names(method: str, path: str) -> list[str]:
    for op in OPERATIONS:
        if op.method == method.lower() and op.path == path:
            return [p.name for p in op.params if p.where == "query"] or ["x"]
    return ["token", "x"]


def _fixed_cases(probe: Probe, routes: list[tuple[str, str]]) -> None:
    """The named bad inputs, at every route."""
    for method, path in routes:
        for pv in JUNK_PATH:
            probe.send(method, _fill(path, [pv, pv]), b"{}")
        target = _fill(path, [])
        probe.send(method, target, _nested(DEEP).encode())
        probe.send(method, target, ('{"a":' * 5000 + "1" + "}" * 5000).encode())
        probe.send(method, target, b'{"x": "\\ud800"}')
        for tok in TOKEN_JUNK:
            probe.send(method, target, b"{}", {"Authorization": f"Bearer {tok}"}, auth=False)
        for name in _query_names(method, path):
            for text in JUNK_TEXT:
                q = urllib.parse.quote(text.encode("utf-8", "surrogatepass"))
                probe.send(method, f"{target}?{name}={q}", b"{}")
        for field in _fields(_request_type(method, path)):
            for junk in [*JUNK_INTS, *JUNK_TEXT, [1], {"a": 1}]:
                probe.send(method, target, _json({field: junk}))
    for body in (
        {"username": "a\x00b", "password": "x" * 10},
        {"username": "\ud800", "password": "x" * 10},
        {"username": "operator1", "password": "a\x00bcdefgh"},
        {"username": "operator1", "password": "\udc80abcdefgh"},
        {"username": "operator1", "password": "x" * 10, "extension": "\x00"},
    ):
        probe.send("POST", "/api/login", _json(body), auth=False)


def _probe_all(srv: ServerThread) -> Probe:
    assert srv.app is not None
    probe = Probe(srv)
    routes = _routes(srv.app)
    assert len(routes) > 20
    _fixed_cases(probe, routes)

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(
        route=st.sampled_from(routes),
        path_values=st.lists(path_value, min_size=2, max_size=2),
        body=st.dictionaries(st.text(max_size=12), junk_value, max_size=4),
        field_values=st.lists(junk_value, min_size=8, max_size=8),
        query=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=20)), max_size=3),
    )
    def run(route, path_values, body, field_values, query) -> None:  # type: ignore[no-untyped-def]
        method, path = route
        data = dict(body)
        data.update(zip(_fields(_request_type(method, path)), field_values, strict=False))
        names = _query_names(method, path)
        qs = urllib.parse.urlencode(
            [(names[i % len(names)], v.encode("utf-8", "surrogatepass")) for i, (_, v) in
             enumerate(query)]
        )  # fmt: skip
        target = _fill(path, path_values) + (f"?{qs}" if qs else "")
        probe.send(method, target, _json(data))

    run()
    return probe


ws_message = st.one_of(
    st.builds(lambda v: json.dumps({"type": "ping", "nonce": v}), junk_value),
    st.builds(lambda t, v: json.dumps({"type": t, "venue_id": v, "day": v, "state": v}),
              st.sampled_from(["watch_slots", "set_agent_state", "subscribe_board",
                               "pause_agent", "pong", "nope"]), junk_value),
    st.builds(lambda d: "[" * d + "]" * d, st.integers(900, 2000)),
    st.sampled_from(['{"type":"ping","nonce":"\\ud800"}', "\x00", "{", "null", "[]", ""]),
    st.text(max_size=50),
)  # fmt: skip


async def _socket_junk(srv: ServerThread, messages: list[str]) -> tuple[int, int]:
    """Send every message on one socket; after each, a ping must still get its pong. The
    messages sent and the sockets lost."""
    import aiohttp

    from cti_server.config import Settings

    lost = 0
    url = f"http://127.0.0.1:{srv.port}/ws"
    headers = {"Authorization": f"Bearer {srv.token}"}
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url, headers=headers)
        for i, text in enumerate(messages):
            await ws.send_str(text)
            await ws.send_str(json.dumps({"type": "ping", "nonce": f"n{i}"}))
            while True:
                try:  # a socket whose writer died says nothing more: lost too
                    msg = await ws.receive(timeout=10)
                except TimeoutError:
                    msg = None
                if msg is None or msg.type != aiohttp.WSMsgType.TEXT:
                    too_big = (
                        len(text.encode("utf-8", "surrogatepass")) > Settings().ws_max_message_bytes
                    )
                    if not (too_big and msg is not None and msg.data == 1009):
                        lost += 1  # (a message over the cap is closed with 1009 by design)
                    await ws.close()
                    ws = await session.ws_connect(url, headers=headers)
                    break
                if json.loads(msg.data) == {"type": "pong", "nonce": f"n{i}"}:
                    break
        await ws.close()
    return len(messages), lost


def test_no_socket_message_breaks_the_socket(server: ServerThread, db_url: str) -> None:
    messages: list[str] = []

    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(ws_message)
    def collect(text: str) -> None:
        messages.append(text)

    collect()
    sent, lost = asyncio.run(_socket_junk(server, messages))
    dialect = db_url.split(":", 1)[0]
    print(f"\nws fuzz {dialect}: {sent} bad messages sent, {lost} sockets lost")  # noqa: T201
    assert lost == 0


def test_no_route_answers_500_to_junk(server: ServerThread, db_url: str) -> None:
    probe = _probe_all(server)
    dialect = db_url.split(":", 1)[0]
    report = [f"fuzz {dialect}: {probe.tried} bad inputs tried, {len(probe.failures)} gave 5xx"]
    report += [f"  5xx {failure}" for failure in probe.failures[:40]]
    report += [f"  400 without a field {unnamed}" for unnamed in probe.unnamed[:10]]
    print("\n" + "\n".join(report))  # noqa: T201 -- the counts are the probe's result
    assert probe.failures == []
    assert probe.unnamed == []
