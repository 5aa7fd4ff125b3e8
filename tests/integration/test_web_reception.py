"""The reception REST over real HTTP on both databases: a desk bound to its venue checks in by
scan (each outcome, a resend), walks a resident in, searches by name and birth date, and the
day's list comes out as CSV; other roles are refused; the page is served with a strict CSP."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from cti_server import protocol
from cti_server.web.app import create_app
from cti_server.web.board_app import BOARD
from cti_server.web.checkin_queue import CHECKIN_QUEUE
from cti_server.web.rest_reception import CLOCK
from registry.audit import audit_entries, verify_chain
from registry.checkins import CheckinRules, Scan
from registry.db import session_factory
from registry.models import CheckinScan
from registry.normalize.barcode import make_barcode
from registry.venue_day import tally
from tests.integration.venue_day import TOKYO, build_day
from tests.integration.web_helpers import auth, make_settings, receive_type, token

DAY = dt.date(2026, 12, 4)


@pytest.fixture
async def desk(engine, db_url, aiohttp_client):
    app = create_app(make_settings(db_url), engine=engine, load_name_index=False)
    async with session_factory(engine)() as s:
        day = await build_day(s, DAY)
    app[CLOCK] = lambda: day.now
    client = await aiohttp_client(app)
    headers = auth(await token(app, 50, role="reception", ext=None, venue_id=day.venue))
    return client, headers, day, app


async def post_scan(client, headers, code: str, scan_id: str, desk: str = "受付1"):
    resp = await client.post("/api/reception/checkins", headers=headers,
                             json={"scan_id": scan_id, "barcode": code, "desk": desk})  # fmt: skip
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_scans_get_their_outcomes(desk):
    client, h, day, _ = desk
    ok = await post_scan(client, h, day.barcodes["mobility"], "a1")
    assert ok["outcome"] == "checked_in"
    assert ok["name"] == "佐藤 花●"
    assert ok["mobility_label"] == "送迎あり・車いす"
    assert ok["checked_in_at"].endswith("+00:00")
    again = await post_scan(client, h, day.barcodes["mobility"], "a2", desk="受付2")
    assert (again["outcome"], again["checked_in_desk"]) == ("already_checked_in", "受付1")
    resent = await post_scan(client, h, day.barcodes["mobility"], "a1")
    assert resent["replayed"] is True
    assert resent["outcome"] == "checked_in"
    assert (await post_scan(client, h, day.barcodes["other_venue"], "a3"))["outcome"] == (
        "wrong_venue")  # fmt: skip
    assert (await post_scan(client, h, day.barcodes["later"], "a4"))["outcome"] == "wrong_slot"
    assert (await post_scan(client, h, day.barcodes["tomorrow"], "a5"))["outcome"] == "wrong_day"
    none = await post_scan(client, h, day.barcodes["none"], "a6")
    assert none["outcome"] == "no_booking"
    assert [s["slot_id"] for s in none["walk_in_slots"]] == [day.slot_now]  # open for check-in
    unknown = await post_scan(client, h, make_barcode(123_456_789), "a7")
    assert unknown["outcome"] == "unknown_barcode"
    assert (await post_scan(client, h, day.mistyped(), "a8"))["outcome"] == "mistyped_barcode"
    info = await (await client.get("/api/reception", headers=h)).json()
    assert info["venue_id"] == day.venue
    assert info["tally"]["checked_in"] == 1
    assert info["tally"]["no_show"] == 1  # the 09:00 slot's resident
    assert info["now"].endswith("+00:00")


async def test_a_scan_id_reused_for_another_postcard_is_a_409(desk):
    client, h, day, _ = desk
    await post_scan(client, h, day.barcodes["mobility"], "b1")
    body = {"scan_id": "b1", "barcode": day.barcodes["ok"], "desk": "受付2"}
    resp = await client.post("/api/reception/checkins", headers=h, json=body)
    assert resp.status == 409
    err = await resp.json()
    assert err["error"] == "scan_id_reused"
    assert "佐藤" not in await resp.text()  # nothing of the first scan's answer
    assert (await post_scan(client, h, day.barcodes["ok"], "b2"))["outcome"] == "checked_in"


async def test_desks_scanning_at_once(desk, engine):
    """Scans posted at the same moment (answered together): one postcard at four desks gives
    one check-in and three ``already_checked_in`` naming that desk; a scan sent twice counts
    once; a malformed one is refused alone; every scan is stored and audited under the desk's
    account."""
    client, h, day, _ = desk
    race = day.barcodes["race"]
    posts = [post_scan(client, h, race, f"r{i}", desk=f"受付{i}") for i in range(1, 5)]
    posts += [post_scan(client, h, day.barcodes["ok"], "twice") for _ in range(2)]
    posts += [post_scan(client, h, day.barcodes["later"], "w1")]

    async def bad() -> int:
        body = {"scan_id": "", "barcode": race, "desk": "受付1"}
        resp = await client.post("/api/reception/checkins", headers=h, json=body)
        return resp.status

    *got, status = await asyncio.gather(*posts, bad())
    assert status == 400
    raced = got[:4]
    assert sorted(r["outcome"] for r in raced) == ["already_checked_in"] * 3 + ["checked_in"]
    first = next(r for r in raced if r["outcome"] == "checked_in")
    assert {(r["checked_in_desk"], r["checked_in_at"]) for r in raced} == {
        (first["checked_in_desk"], first["checked_in_at"])
    }
    assert [r["outcome"] for r in got[4:6]] == ["checked_in"] * 2
    assert sorted(r["replayed"] for r in got[4:6]) == [False, True]
    assert got[6]["outcome"] == "wrong_slot"
    ids = ["r1", "r2", "r3", "r4", "twice", "w1"]
    async with session_factory(engine)() as s:
        stored = await s.scalars(select(CheckinScan.scan_id).order_by(CheckinScan.scan_id))
        assert list(stored) == ids
        entries = [e for e in await audit_entries(s, limit=50) if e.action == "checkin.scan"]
        assert sorted(e.details["scan_id"] for e in entries) == ids
        assert {e.operator_id for e in entries} == {50}
        assert (await verify_chain(s)).ok


async def test_walk_in_then_the_day_as_csv(desk):
    client, h, day, _ = desk
    body = {"scan_id": "w1", "barcode": day.barcodes["none"], "slot_id": day.slot_now,
            "desk": "受付1"}  # fmt: skip
    resp = await client.post("/api/reception/walk-ins", headers=h, json=body)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["outcome"] == "checked_in"
    bad = await client.post("/api/reception/walk-ins", headers=h,
                            json={**body, "scan_id": "w2", "slot_id": day.slot_past})  # fmt: skip
    assert bad.status == 400
    assert (await bad.json())["details"]["field"] == "slot_id"
    resp = await client.get(f"/api/reception/day.csv?day={DAY}", headers=h)
    assert resp.status == 200
    raw = await resp.read()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["枠開始", "枠終了", "宛名番号", "氏名"]
    states = {r[3]: r[7] for r in rows[1:]}
    assert states["渡辺 五月"] == "受付済"
    assert states["山本 六子"] == "来場なし"
    assert states["田中 三郎"] == "未受付"


async def test_search_by_name_and_wareki_birth(desk):
    client, h, day, _ = desk
    resp = await client.get("/api/reception/search", headers=h,
                            params={"name": "たかはし", "birth": "S16.5.3"})  # fmt: skip
    assert resp.status == 200, await resp.text()
    found = (await resp.json())["candidates"]
    assert [c["barcode"] for c in found] == [day.barcodes["ok"]]
    assert found[0]["name"] == "髙橋 一●"
    bad = await client.get("/api/reception/search", headers=h,
                           params={"name": "高橋", "birth": "昭和99年"})  # fmt: skip
    assert bad.status == 400
    assert (await bad.json())["details"]["field"] == "birth"


async def test_roles_and_bad_input(desk):
    client, h, day, app = desk
    op = auth(await token(app, 51, role="operator"))
    resp = await client.post("/api/reception/checkins", headers=op,
                             json={"scan_id": "x", "barcode": "1", "desk": "d"})  # fmt: skip
    assert resp.status == 403
    sv = auth(await token(app, 52, role="supervisor", ext=None))
    resp = await client.get(f"/api/reception?venue_id={day.other}", headers=sv)
    assert resp.status == 200
    assert (await client.get("/api/reception", headers=sv)).status == 400
    resp = await client.post("/api/reception/checkins", headers=h, json={"barcode": "1"})
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] in ("scan_id", "desk")
    lonely = auth(await token(app, 53, role="reception", ext=None))
    assert (await client.get("/api/reception", headers=lonely)).status == 403


async def test_page_is_served_with_a_strict_csp(desk):
    client, *_ = desk
    resp = await client.get("/reception")
    assert resp.status == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    html = await resp.text()
    assert "<script>" not in html  # no inline script
    assert 'src="/reception-files/reception.js' in html


async def test_a_check_in_reaches_the_supervisor_board(engine, db_url, aiohttp_client):
    """The board's tally is today's (the real day): built on today's date, checked in there."""
    today = dt.datetime.now(TOKYO).date()
    async with session_factory(engine)() as s:
        day = await build_day(s, today)
    app = create_app(make_settings(db_url), engine=engine, load_name_index=False)
    app[CLOCK] = lambda: day.now
    client = await aiohttp_client(app)
    desk = auth(await token(app, 50, role="reception", ext=None, venue_id=day.venue))
    ws = await client.ws_connect("/ws", headers=auth(await token(app, 7, "supervisor", None)))
    await ws.send_str(protocol.encode(protocol.SubscribeBoard()))

    seen: list[protocol.Board] = []

    async def tally_of_venue() -> protocol.VenueCheckins:
        while True:
            seen.append((await receive_type(ws, protocol.BoardUpdate)).board)
            mine = [v for v in seen[-1].checkins if v.venue_id == day.venue]
            if mine:
                return mine[0]

    first = await tally_of_venue()
    assert (first.booked, first.checked_in) == (7, 0)
    assert seen[-1].definitions["no_show"].ja.startswith("予約あり・未受付・枠が終了")
    await post_scan(client, desk, day.barcodes["ok"], "b1")
    while (now := await tally_of_venue()).checked_in != 1:
        pass
    assert now.booked == 7
    assert [s.slot_id for s in now.slots] == [day.slot_past, day.slot_now, day.slot_later]
    await ws.close()


async def test_a_desk_logs_in_and_its_token_names_its_venue(desk, engine):
    from registry.operators import create_operator

    client, _, day, _ = desk
    async with session_factory(engine)() as s:
        await create_operator(s, "desk-north", "desk pass 1", role="reception",
                              venue_id=day.venue)  # fmt: skip
        await s.commit()
    resp = await client.post("/api/login", json={"username": "desk-north",
                                                 "password": "desk pass 1"})  # fmt: skip
    assert resp.status == 200, await resp.text()
    h = auth((await resp.json())["token"])
    info = await (await client.get("/api/reception", headers=h)).json()
    assert info["venue_id"] == day.venue
    assert (await post_scan(client, h, day.barcodes["ok"], "login-1"))["outcome"] == "checked_in"


async def test_todays_tally_after_each_scan_is_the_boards(engine, db_url, aiohttp_client):
    """The page asks for the tally after every scan: today's is the board's, which counts the
    scan as soon as it is answered (a walk-in's booking too, once reread), as the day's
    bookings do."""
    today = dt.datetime.now(TOKYO).date()
    async with session_factory(engine)() as s:
        day = await build_day(s, today)
    app = create_app(make_settings(db_url), engine=engine, load_name_index=False)
    app[CLOCK] = lambda: day.now
    client = await aiohttp_client(app)
    h = auth(await token(app, 50, role="reception", ext=None, venue_id=day.venue))

    async def info() -> dict:
        return (await (await client.get("/api/reception", headers=h)).json())["tally"]

    assert ((await info())["booked"], (await info())["checked_in"]) == (7, 0)
    for n, who in enumerate(("ok", "race", "mobility")):
        assert (await post_scan(client, h, day.barcodes[who], f"t{n}"))["outcome"] == "checked_in"
        now = await info()
        assert (now["booked"], now["checked_in"]) == (7, n + 1)
        held = next(v for v in app[BOARD].checkins if v.venue_id == day.venue)
        assert now == protocol.to_dict(held)
    resp = await client.post("/api/reception/walk-ins", headers=h, json={
        "scan_id": "w1", "barcode": day.barcodes["none"], "desk": "受付1",
        "slot_id": day.slot_now})  # fmt: skip
    assert (await resp.json())["outcome"] == "checked_in"
    now = await info()
    assert (now["booked"], now["checked_in"]) == (8, 4)
    async with session_factory(engine)() as s:
        rows = await tally(s, day=today, venue_id=day.venue)
    assert (sum(r.booked for r in rows), sum(r.checked_in for r in rows)) == (8, 4)


async def test_a_scan_taken_while_the_queue_goes_quiet_is_answered(desk, monkeypatch):
    """A scan that arrives while the queue gives its connection back (its task not yet ended,
    so none is started for it) is answered all the same."""
    _, _, day, app = desk
    queue = app[CHECKIN_QUEUE]
    real = queue._release
    releasing, go = asyncio.Event(), asyncio.Event()

    async def held_release() -> None:
        if not releasing.is_set():
            releasing.set()
            await go.wait()
        await real()

    monkeypatch.setattr(queue, "_release", held_release)
    rules = CheckinRules()

    def scan(code: str, scan_id: str) -> Scan:
        return Scan(scan_id, code, day.venue, "受付1", 50, now=day.now)

    first = await queue.check_in(scan(day.barcodes["ok"], "q1"), rules)
    assert first.outcome == "checked_in"
    await releasing.wait()
    second = asyncio.create_task(queue.check_in(scan(day.barcodes["race"], "q2"), rules))
    await asyncio.sleep(0)  # taken: in the queue's list, its task still giving back
    go.set()
    assert (await second).outcome == "checked_in"
