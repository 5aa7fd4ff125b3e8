"""The venue reception: its page (``/reception``, plain JS, for a tablet or a PC with a USB
barcode scanner) and the REST it calls.

A ``reception`` account is bound to one venue (its token carries it); supervisors and admins
name the venue (``?venue_id=``) to read the tally and the day's list. A check-in, a walk-in
and a search are the desk's alone. Every scan is stored once per ``scan_id`` and audited by
``registry.checkins``; the scans of all desks that arrive together are answered in one
transaction (``checkin_queue``); what a check-in changed is published (the board's tally
follows).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Callable

from aiohttp import web

from cti_server import protocol
from cti_server.domain.board.checkins import empty, venue_checkins
from cti_server.web.auth import MANAGERS, principal
from cti_server.web.board_app import BOARD, STATIC
from cti_server.web.checkin_queue import CHECKIN_QUEUE, add_checkin_queue
from cti_server.web.errors import BadRequest, Forbidden
from cti_server.web.keys import SESSIONS, SETTINGS
from cti_server.web.payloads import answer, of_view
from cti_server.web.slots import publish_changes
from cti_server.web.tokens import Principal
from cti_server.web.validate import json_body, read_as
from registry import checkins, venue_day
from registry.audit import AuditAction, audit
from registry.changes import taken
from registry.normalize.wareki import parse_date

Clock = Callable[[], dt.datetime]
CLOCK: web.AppKey[Clock] = web.AppKey("reception_clock")
DESK = "reception"
READERS = (DESK, *MANAGERS)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
CSV_COLUMNS = ("枠開始", "枠終了", "宛名番号", "氏名", "氏名カナ", "生年月日", "予約経路",
               "状態", "受付時刻", "受付窓口")  # fmt: skip
STATES_JA = {"checked_in": "受付済", "not_yet": "未受付", "no_show": "来場なし"}


def rules_of(request: web.Request) -> checkins.CheckinRules:
    s = request.app[SETTINGS]
    return checkins.CheckinRules(
        tz=s.timezone,
        early_minutes=s.reception_early_minutes,
        late_minutes=s.reception_late_minutes,
        walk_ins=s.reception_walk_ins,
    )


def venue_of(request: web.Request, who: Principal) -> int:
    """The desk's own venue; a supervisor's or admin's ``?venue_id=``."""
    if who.role == DESK:
        if who.venue_id is None:
            raise Forbidden("this reception account is not bound to a venue")
        return who.venue_id
    try:
        return int(request.query["venue_id"])
    except (KeyError, ValueError) as err:
        raise BadRequest("venue_id", "give the venue's id (an integer)") from err


def now_of(request: web.Request) -> dt.datetime:
    return request.app[CLOCK]()


def today(request: web.Request) -> dt.date:
    return now_of(request).astimezone(zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)).date()


def _scanned(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None  # read_as checked the format


def tally_of(rows: list[venue_day.SlotTally], venue_id: int, name: str, day: dt.date) -> (
    protocol.VenueCheckins
):  # fmt: skip
    found = venue_checkins(rows, day)
    return found[0] if found else empty(venue_id, name, day)


def board_tally(request: web.Request, venue_id: int, day: dt.date) -> (
    protocol.VenueCheckins | None
):  # fmt: skip
    """The venue's tally as the board holds it (kept current by check-ins, rereads on other
    changes and every minute), if the board's day is ``day``, no reread is under way (a
    walk-in's booking) and the venue has slots then."""
    board = request.app[BOARD]
    if board.today.day != day or board.rereading:
        return None
    return next((v for v in board.checkins if v.venue_id == venue_id), None)


async def reception_info(request: web.Request) -> web.Response:
    """GET /api/reception: the venue, today, walk-ins allowed, and the tally. The page asks
    after every scan: today's tally comes from the board's (no query), another day's or a
    venue without slots today from the database."""
    who = principal(request, *READERS)
    venue_id = venue_of(request, who)
    day = today(request)
    tz = request.app[SETTINGS].timezone
    held = board_tally(request, venue_id, day)
    if held is not None:
        name, found = held.venue, held
    else:
        async with request.app[SESSIONS]() as session:
            name = await venue_day.venue_name(session, venue_id)
            rows = await venue_day.tally(session, day=day, tz=tz, venue_id=venue_id,
                                         now=now_of(request))  # fmt: skip
        found = tally_of(rows, venue_id, name, day)
    return answer(
        protocol.Reception(
            venue_id=venue_id, venue_name=name, day=day.isoformat(), tz=tz,
            now=now_of(request).isoformat(),
            walk_ins=request.app[SETTINGS].reception_walk_ins,
            tally=found,
        )
    )  # fmt: skip


async def post_checkin(request: web.Request) -> web.Response:
    """POST /api/reception/checkins: one scan, answered once per scan id."""
    who = principal(request, DESK)
    venue_id = venue_of(request, who)
    req = read_as(protocol.CheckinRequest, await json_body(request))
    scan = checkins.Scan(
        scan_id=req.scan_id, barcode=req.barcode, venue_id=venue_id, desk=req.desk,
        operator_id=who.id, scanned_at=_scanned(req.scanned_at), now=now_of(request),
    )  # fmt: skip
    # answered with the other desks' scans that arrive meanwhile, in one transaction
    result = await request.app[CHECKIN_QUEUE].check_in(scan, rules_of(request))
    return answer(of_view(protocol.Checkin, result))


async def post_walk_in(request: web.Request) -> web.Response:
    """POST /api/reception/walk-ins: book into an offered slot and check in."""
    who = principal(request, DESK)
    venue_id = venue_of(request, who)
    req = read_as(protocol.WalkInRequest, await json_body(request))
    async with request.app[SESSIONS]() as session:
        try:
            result = await checkins.walk_in(
                session, scan_id=req.scan_id, barcode=req.barcode, slot_id=req.slot_id,
                venue_id=venue_id, desk=req.desk, operator_id=who.id, rules=rules_of(request),
                scanned_at=_scanned(req.scanned_at), now=now_of(request),
            )  # fmt: skip
        except Exception:
            await session.rollback()
            raise
        await session.commit()
        changes = taken(session)
    await publish_changes(request.app, changes)
    return answer(of_view(protocol.Checkin, result))


async def desk_search(request: web.Request) -> web.Response:
    """GET /api/reception/search?name=&birth=: for a resident who forgot the postcard."""
    who = principal(request, DESK)
    venue_id = venue_of(request, who)
    name = request.query.get("name", "").strip()
    if not 1 <= len(name) <= 100:
        raise BadRequest("name", "give the name (1 to 100 characters)")
    try:
        birth = parse_date(request.query.get("birth", ""))
    except ValueError as err:
        raise BadRequest("birth", f"not a birth date: {err}") from err
    async with request.app[SESSIONS]() as session:
        found = await venue_day.desk_search(
            session, name=name, birth=birth, venue_id=venue_id, day=today(request),
            tz=request.app[SETTINGS].timezone,
        )  # fmt: skip
        await audit(session, AuditAction.RESIDENT_SEARCH, operator_id=who.id,
                    details={"fields": ["birth", "name"], "venue_id": venue_id,
                             "results": [c.resident_id for c in found]})  # fmt: skip
        await session.commit()
    return answer(
        protocol.DeskSearchResults(
            candidates=tuple(of_view(protocol.DeskCandidate, c) for c in found)
        )
    )


async def day_csv(request: web.Request) -> web.Response:
    """GET /api/reception/day.csv?day=: the venue day's list (UTF-8 with BOM, for Excel)."""
    who = principal(request, *READERS)
    venue_id = venue_of(request, who)
    try:
        day = dt.date.fromisoformat(request.query["day"]) if "day" in request.query else today(
            request)  # fmt: skip
    except ValueError as err:
        raise BadRequest("day", "expected a date YYYY-MM-DD") from err
    tz = request.app[SETTINGS].timezone
    zone = zoneinfo.ZoneInfo(tz)
    async with request.app[SESSIONS]() as session:
        await venue_day.venue_name(session, venue_id)
        rows = await venue_day.day_list(session, day=day, venue_id=venue_id, tz=tz,
                                        now=now_of(request))  # fmt: skip
        await audit(session, AuditAction.CHECKIN_EXPORT, operator_id=who.id,
                    details={"venue_id": venue_id, "day": day.isoformat(),
                             "rows": len(rows)})  # fmt: skip
        await session.commit()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)

    def hm(t: dt.datetime | None) -> str:
        return t.astimezone(zone).strftime("%H:%M") if t else ""

    for r in rows:
        w.writerow((hm(r.starts_at), hm(r.ends_at), r.person_no, r.name, r.name_kana,
                    r.birth_date.isoformat() if r.birth_date else "", r.channel,
                    STATES_JA[r.state], hm(r.checked_in_at), r.checked_in_desk))  # fmt: skip
    name = f"reception-{venue_id}-{day.isoformat()}.csv"
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def reception_page(request: web.Request) -> web.FileResponse:
    """The desk's page; it logs in (or takes ``?token=``) and talks to the REST above."""
    return web.FileResponse(STATIC / "reception.html", headers=PAGE_HEADERS)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def add_reception_routes(app: web.Application) -> None:
    """The page, its files and its REST; ``app[CLOCK]`` may be replaced before start (tests)."""
    app[CLOCK] = utc_now
    add_checkin_queue(app)
    r = app.router
    r.add_get("/reception", reception_page)
    r.add_static("/reception-files/", STATIC, append_version=True)
    r.add_get("/api/reception", reception_info)
    r.add_post("/api/reception/checkins", post_checkin)
    r.add_post("/api/reception/walk-ins", post_walk_in)
    r.add_get("/api/reception/search", desk_search)
    r.add_get("/api/reception/day.csv", day_csv)
