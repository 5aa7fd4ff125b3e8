"""The residents' page (/r/) over real HTTP on SQLite and PostgreSQL: identification, the answer
stored as a ``web`` intent, the booking shown, a change request stored; and its guards: CSRF,
the per-address limit, the per-number lockout (which a stranger cannot turn against the
resident), the same answer for an unknown number and a wrong birth date, the audit of every
answer, the cookie's flags and the security headers."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from cti_server.web.app import create_app
from cti_server.web.resident_guard import RedisRequestLimit
from cti_server.web.rest_config import CAMPAIGN
from registry import campaign_config as cc
from registry import contact_requests, worklist_feeds
from registry import worklist as wl
from registry.audit import AuditAction, audit_entries
from registry.db import session_factory
from registry.intents import intents_of
from registry.models import Intent
from registry.operators import create_operator
from registry.worklist_policy import RetryPolicy
from tests.integration.resident_helpers import Ledger, csrf_of, seed, without_tokens
from tests.integration.web_helpers import auth, make_settings, token

# a window far longer than a test: a test never straddles two windows
PROXY = {"trusted_proxies": "127.0.0.1/32, ::1/128", "resident_window_seconds": 1e6}
REDIS = "redis://127.0.0.1:6379/0"


async def page(engine, db_url, aiohttp_client, **settings: Any) -> tuple[TestClient, Ledger]:
    ledger = await seed(engine)
    app = create_app(make_settings(db_url, **{**PROXY, **settings}), engine=engine,
                     load_name_index=False)  # fmt: skip
    return await aiohttp_client(app), ledger


async def start(client: TestClient, lang: str = "") -> str:
    resp = await client.get("/r/" + lang)
    assert resp.status == 200
    return csrf_of(await resp.text())


async def identify(
    client: TestClient, barcode: str, birth: str, ip: str = "203.0.113.5", csrf: str | None = None
) -> Any:
    token = csrf if csrf is not None else await start(client)
    return await client.post(
        "/r/", data={"csrf": token, "barcode": barcode, "birth": birth},
        headers={"X-Forwarded-For": ip}, allow_redirects=False,
    )  # fmt: skip


async def signed_in(client: TestClient, ledger: Ledger) -> str:
    resp = await identify(client, ledger.barcode, "昭和18年5月10日")
    assert resp.status == 303, await resp.text()
    assert resp.headers["Location"] == "/r/me"
    home = await client.get("/r/me")
    assert home.status == 200
    return await home.text()


async def test_a_resident_answers_and_sees_their_booking(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    home = await signed_in(client, ledger)
    assert "髙橋 一● 様" in home
    assert "一郎" not in home
    assert "P-000123" not in home
    assert ledger.barcode not in home
    assert "佐藤" not in home  # the neighbour booked in the same slot
    assert "2031年5月12日（月）10:00〜10:30" in home
    assert "中総合会館" in home
    assert "京都府舞鶴市余部下1167" in home
    form = await (await client.get("/r/answer")).text()
    fields = {"csrf": csrf_of(form), "nonce": "n-1", "wants_vaccination": "yes",
              "mobility": "wheelchair", "time_of_day": "am", "venue": str(ledger.venue_ids[1]),
              "note": "杖を使っています"}  # fmt: skip
    resp = await client.post("/r/answer", data=fields, allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/r/done/answer"
    again = await client.post("/r/answer", data=fields, allow_redirects=False)  # a resend
    assert again.status == 303
    done = await (await client.get("/r/done/answer")).text()
    assert "回答を受け付けました" in done
    assert "移動支援: 車いす" in done
    async with session_factory(engine)() as s:
        intents = await intents_of(s, ledger.resident_id)
    assert len(intents) == 1
    intent = intents[0]
    assert (intent.channel, intent.wants_vaccination, intent.needs_mobility) == ("web", True, True)
    assert intent.notes == (
        "移動支援: 車いす / 希望時間帯: 午前 / 希望会場: 西市民プラザ / 要望: 杖を使っています"
    )
    # the call center's resident card has it, channel web
    operator = await token(client.app, 7)
    card = await client.get(f"/api/residents/{ledger.resident_id}", headers=auth(operator))
    assert card.status == 200
    intents_seen = (await card.json())["intents"]
    assert [(i["channel"], i["notes"]) for i in intents_seen] == [("web", intent.notes)]


async def test_an_answer_with_a_missing_choice_is_refused_with_the_field_named(
    engine, db_url, aiohttp_client
):
    client, ledger = await page(engine, db_url, aiohttp_client)
    await signed_in(client, ledger)
    form = await (await client.get("/r/answer")).text()
    resp = await client.post("/r/answer", data={"csrf": csrf_of(form), "nonce": "n",
                                                "wants_vaccination": "yes"})  # fmt: skip
    assert resp.status == 422
    html = await resp.text()
    assert 'href="#mobility"' in html
    assert 'href="#time_of_day"' in html
    assert 'id="mobility-error"' in html
    assert 'aria-describedby="mobility-hint mobility-error"' in html
    assert re.search(r'id="wants_vaccination-yes"[^>]*checked', html)  # the answer kept
    async with session_factory(engine)() as s:
        assert await s.scalar(select(Intent.id)) is None
    fields = {"csrf": csrf_of(form), "nonce": "m", "wants_vaccination": "no"}
    no = await client.post("/r/answer", data=fields, allow_redirects=False)
    assert no.status == 303  # "no" needs no further answers


async def test_no_from_a_resident_with_a_booking_asks_the_call_center_to_cancel_it(
    engine, db_url, aiohttp_client
):
    """The seat is not kept silently for someone who will not come, nor given up unasked: a
    cancel request (with the page's address) goes to the callback worklist, and once the call
    center has reached the resident, the request is done. The answer is audited with its
    address too."""
    client, ledger = await page(engine, db_url, aiohttp_client)
    await signed_in(client, ledger)
    form = await (await client.get("/r/answer")).text()
    fields = {"csrf": csrf_of(form), "nonce": "no-1", "wants_vaccination": "no"}
    for _ in range(2):  # a resend asks once
        resp = await client.post("/r/answer", data=fields, allow_redirects=False)
        assert resp.status == 303
    async with session_factory(engine)() as s:
        asked = await contact_requests.open_requests(s)
        entries = await audit_entries(s, resident_id=ledger.resident_id)
        await worklist_feeds.from_venues_and_web(s, day=dt.date(2031, 5, 1), tz="Asia/Tokyo")
        await s.commit()
    assert [(r.resident_id, r.booking_id, r.kind, r.note) for r in asked] == [
        (ledger.resident_id, ledger.booking_id, "cancel", contact_requests.NO_LONGER_WANTED)
    ]
    recorded = [e for e in entries if e.action == AuditAction.INTENT_RECORD]
    assert [e.details["source"] for e in recorded] == ["127.0.0.1"]
    home = await (await client.get("/r/me")).text()  # the resident sees it is on its way
    assert "コールセンターからご連絡します" in home
    assert "接種を取りやめたい — " in home
    async with session_factory(engine)() as s:
        item = (await wl.list_items(s))[0]
        assert item.source_ref == f"web:contact:{asked[0].request_id}"
        op = await create_operator(s, "callback-op", "callback-op-pass", role="operator")
        await wl.claim(s, item.item_id, op.id, RetryPolicy())
        await wl.record_outcome(s, item.item_id, op.id, "reached", RetryPolicy())
        await s.commit()
    async with session_factory(engine)() as s:
        assert await contact_requests.open_requests(s) == []
    assert "コールセンターからご連絡します" not in await (await client.get("/r/me")).text()


async def test_a_change_request_is_stored_and_audited(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    home = await signed_in(client, ledger)
    fields = {"csrf": csrf_of(home), "booking_id": str(ledger.booking_id), "kind": "reschedule"}
    fields["note"] = "平日の午後がいいです"
    resp = await client.post("/r/change", data=fields, allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/r/done/change"
    # someone else's booking is refused, and nothing is stored for it
    fields = {"csrf": csrf_of(home), "booking_id": str(ledger.neighbour_booking_id)}
    other = await client.post("/r/change", data={**fields, "kind": "cancel"})
    assert other.status == 422
    async with session_factory(engine)() as s:
        open_ = await contact_requests.open_requests(s)
        entries = await audit_entries(s, resident_id=ledger.resident_id)
    assert [(r.resident_id, r.booking_id, r.kind, r.note, r.channel) for r in open_] == [
        (ledger.resident_id, ledger.booking_id, "reschedule", "平日の午後がいいです", "web")
    ]
    asked = [e for e in entries if e.action == AuditAction.CONTACT_REQUEST]
    assert len(asked) == 1
    assert asked[0].details["source"] == "127.0.0.1"


async def test_posts_without_the_session_token_are_refused(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    # no token at all
    resp = await identify(client, ledger.barcode, "1943-05-10", csrf="")
    assert resp.status == 403
    # the token of another session (another browser)
    client2, _ = client, None
    stolen = await start(client2)
    client.session.cookie_jar.clear()
    await start(client)  # a fresh session of its own
    resp = await identify(client, ledger.barcode, "1943-05-10", csrf=stolen)
    assert resp.status == 403
    # no cookie at all
    client.session.cookie_jar.clear()
    resp = await identify(client, ledger.barcode, "1943-05-10", csrf=stolen)
    assert resp.status == 403
    assert "有効期限" in await resp.text()
    async with session_factory(engine)() as s:
        assert await intents_of(s, ledger.resident_id) == []
        assert await audit_entries(s) == []  # refused before any identification


async def test_unknown_number_and_wrong_birth_date_get_the_same_answer(
    engine, db_url, aiohttp_client
):
    client, ledger = await page(engine, db_url, aiohttp_client)
    csrf = await start(client)
    unknown = await identify(client, ledger.unknown_barcode, "1943-05-11", csrf=csrf)
    wrong = await identify(client, ledger.barcode, "1943-05-11", csrf=csrf)
    assert unknown.status == wrong.status == 422
    a = without_tokens(await unknown.text()).replace(ledger.unknown_barcode, "N")
    b = without_tokens(await wrong.text()).replace(ledger.barcode, "N")
    assert a == b
    assert "はがきの番号または生年月日が登録内容と一致しません。" in a
    assert unknown.headers.keys() == wrong.headers.keys()
    async with session_factory(engine)() as s:
        entries = await audit_entries(s)
    tries = [e for e in entries if e.action == AuditAction.RESIDENT_IDENTIFY]
    assert [(e.resident_id, e.details["result"]) for e in reversed(tries)] == [
        (None, "refused"),
        (ledger.resident_id, "refused"),
    ]


async def test_a_mistyped_check_digit_is_a_typing_error_not_a_try(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    typo = ledger.barcode[:-2] + ledger.barcode[-1] + ledger.barcode[-2]  # adjacent swap
    resp = await identify(client, typo, "1943-05-10")
    assert resp.status == 422
    html = await resp.text()
    assert "打ち間違いがないか" in html
    assert 'href="#barcode"' in html
    spaced = " ".join(ledger.barcode[i : i + 4] for i in (0, 4, 8))
    spaced_resp = await identify(client, spaced, "S18.5.10")
    assert spaced_resp.status == 303
    async with session_factory(engine)() as s:
        tries = [e for e in await audit_entries(s) if e.action == AuditAction.RESIDENT_IDENTIFY]
    assert [e.details["result"] for e in tries] == ["ok"]


async def test_the_lockout_cannot_be_turned_against_the_resident(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    for _ in range(5):
        assert (
            await identify(client, ledger.barcode, "1943-01-01", ip="198.51.100.7")
        ).status == 422
    locked = await identify(client, ledger.barcode, "1943-05-10", ip="198.51.100.7")
    assert locked.status == 429  # even the right date, from the guessing address
    assert "あと1分ほど受け付けられません" in await locked.text()  # five failures: 30 s
    # ... and the same for a number nobody has: a lock does not tell a real number either
    for _ in range(5):
        await identify(client, ledger.unknown_barcode, "1943-01-01", ip="198.51.100.7")
    assert (
        await identify(client, ledger.unknown_barcode, "1943-01-01", ip="198.51.100.7")
    ).status == 429
    # the resident, from their own address, gets in
    home = await identify(client, ledger.barcode, "1943-05-10", ip="203.0.113.5")
    assert home.status == 303
    async with session_factory(engine)() as s:
        tries = [e for e in await audit_entries(s) if e.action == AuditAction.RESIDENT_IDENTIFY]
    results = [e.details["result"] for e in reversed(tries)]
    assert results.count("locked") == 2
    assert results[-1] == "ok"


async def test_guessing_from_many_addresses_slows_each_but_not_a_clean_one(
    engine, db_url, aiohttp_client
):
    client, ledger = await page(engine, db_url, aiohttp_client)
    for i in range(20):
        resp = await identify(client, ledger.barcode, "1943-01-01", ip=f"192.0.2.{i + 1}")
        assert resp.status == 422
    again = await identify(client, ledger.barcode, "1943-05-10", ip="192.0.2.3")
    assert again.status == 429  # a source that has failed on this number waits
    clean = await identify(client, ledger.barcode, "1943-05-10", ip="203.0.113.5")
    assert clean.status == 303


async def test_posts_per_address_are_limited(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client, resident_posts_per_ip=3)
    csrf = await start(client)
    for _ in range(3):
        resp = await identify(client, ledger.unknown_barcode, "1943-05-10", ip="198.51.100.9",
                              csrf=csrf)  # fmt: skip
        assert resp.status == 422
    busy = await identify(client, ledger.barcode, "1943-05-10", ip="198.51.100.9", csrf=csrf)
    assert busy.status == 429
    assert "短い時間に多くの送信があった" in await busy.text()
    other = await identify(client, ledger.barcode, "1943-05-10", ip="203.0.113.5", csrf=csrf)
    assert other.status == 303


async def test_a_direct_client_cannot_choose_its_address(engine, db_url, aiohttp_client):
    """Without trusted proxies, X-Forwarded-For is ignored: the limit holds on the peer."""
    client, ledger = await page(engine, db_url, aiohttp_client, trusted_proxies="",
                                resident_posts_per_ip=2)  # fmt: skip
    csrf = await start(client)
    for i in range(2):
        await identify(client, ledger.unknown_barcode, "1943-05-10", ip=f"10.0.0.{i}", csrf=csrf)
    resp = await identify(client, ledger.barcode, "1943-05-10", ip="10.0.0.9", csrf=csrf)
    assert resp.status == 429


async def test_headers_and_cookie_flags(engine, db_url, aiohttp_client):
    client, _ledger = await page(engine, db_url, aiohttp_client)
    resp = await client.get("/r/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Frame-Options"] == "DENY"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/r/" in cookie
    assert "Secure" not in cookie  # plain HTTP in the test
    client.session.cookie_jar.clear()
    https = await client.get("/r/", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in https.headers["Set-Cookie"]  # through the trusted proxy
    html = await https.text()
    assert "<script>" not in html
    assert " style=" not in html
    assert '<main id="main"' in html
    assert '<label for="barcode">' in html


async def test_english(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    html = await (await client.get("/r/?lang=en")).text()
    assert '<html lang="en">' in html
    assert "Postcard number (12 digits)" in html
    assert 'action="/r/?lang=en"' in html
    resp = await client.post("/r/?lang=en", data={"csrf": csrf_of(html),
                             "barcode": ledger.barcode, "birth": "1943/5/10"},
                             allow_redirects=False)  # fmt: skip
    assert resp.headers["Location"] == "/r/me?lang=en"
    home = await (await client.get("/r/me?lang=en")).text()
    assert "Mon 12 May 2031, 10:00–10:30" in home
    assert "Ask for a change" in home


async def test_pages_of_a_resident_need_an_identified_session(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    for path in ("/r/me", "/r/answer", "/r/done/answer"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 303, path
        assert resp.headers["Location"] == "/r/", path
    client.session.cookie_jar.update_cookies({"cti_resident": "W1siYSIsMSw5OTk5OTk5OTk5XQ.forged"})
    resp = await client.get("/r/me", allow_redirects=False)
    assert resp.status == 303
    home = await signed_in(client, ledger)
    out = await client.post("/r/logout", data={"csrf": csrf_of(home)})
    assert out.status == 200
    assert (await client.get("/r/me", allow_redirects=False)).status == 303


async def test_a_session_ended_by_the_resident_stays_ended_for_a_copy_of_its_cookie(
    engine, db_url, aiohttp_client
):
    """終了する on a shared computer: the cookie is signed, not stored, so its copy (the
    browser's, its history's) would open the page until it expires; it must not, on any
    instance, for a page or a post; a new identification gets a new session."""
    client, ledger = await page(engine, db_url, aiohttp_client)
    home = await signed_in(client, ledger)
    kept = client.session.cookie_jar.filter_cookies(client.make_url("/r/me"))
    form = await (await client.get("/r/answer")).text()
    out = await client.post("/r/logout", data={"csrf": csrf_of(home)})
    assert out.status == 200
    other = await aiohttp_client(
        create_app(make_settings(db_url, **PROXY), engine=engine, load_name_index=False)
    )
    for c in (client, other):
        c.session.cookie_jar.update_cookies(kept)
        for path in ("/r/me", "/r/answer", "/r/done/answer"):
            resp = await c.get(path, allow_redirects=False)
            assert (resp.status, resp.headers["Location"]) == (303, "/r/"), path
        fields = {"csrf": csrf_of(form), "nonce": "after-1", "wants_vaccination": "yes",
                  "mobility": "none", "time_of_day": "am"}  # fmt: skip
        post = await c.post("/r/answer", data=fields, allow_redirects=False)
        assert post.status == 403
    async with session_factory(engine)() as s:
        assert await intents_of(s, ledger.resident_id) == []
    assert "髙橋 一● 様" in await signed_in(client, ledger)  # in again, anew


async def test_instances_share_the_address_limit_and_the_session(engine, db_url, aiohttp_client):
    ledger = await seed(engine)
    settings = make_settings(db_url, redis_url=REDIS, resident_posts_per_ip=2, **PROXY)
    one = await aiohttp_client(create_app(settings, engine=engine, load_name_index=False))
    two = await aiohttp_client(create_app(settings, engine=engine, load_name_index=False))
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    csrf = await start(one)
    for _ in range(2):
        resp = await identify(one, ledger.unknown_barcode, "1943-05-10", ip=address, csrf=csrf)
        assert resp.status == 422
    two.session.cookie_jar.update_cookies(
        one.session.cookie_jar.filter_cookies(one.make_url("/r/"))
    )
    busy = await identify(two, ledger.barcode, "1943-05-10", ip=address, csrf=csrf)
    assert busy.status == 429  # the other instance counted the first two
    resident = address.rsplit(".", 1)[0] + ".251"  # another address (fresh in Redis too)
    resp = await identify(one, ledger.barcode, "1943-05-10", ip=resident, csrf=csrf)
    assert resp.status == 303
    cookie = one.session.cookie_jar.filter_cookies(one.make_url("/r/me"))
    two.session.cookie_jar.update_cookies(cookie)
    home = await two.get("/r/me")  # signed with the shared key: any instance reads it
    assert home.status == 200
    assert "髙橋 一● 様" in await home.text()


async def test_redis_down_does_not_stop_the_page():
    limit = RedisRequestLimit("redis://127.0.0.1:1/0", 1, 60.0)  # nothing listens there
    try:
        assert await limit.hit("10.0.0.1")
        assert await limit.hit("10.0.0.1")
    finally:
        await limit.close()


async def test_the_mobility_question_follows_the_intent_setting(engine, db_url, aiohttp_client):
    client, ledger = await page(engine, db_url, aiohttp_client)
    await signed_in(client, ledger)
    shown = await (await client.get("/r/answer")).text()
    assert 'name="mobility"' in shown  # true by default
    assert "5. " in shown
    async with session_factory(engine)() as s:
        await cc.put(s, cc.INTENT_QUESTIONS, {"needs_mobility": False}, version=0,
                     operator_id=None)  # fmt: skip
        await s.commit()
    client.app[CAMPAIGN].invalidate(cc.INTENT_QUESTIONS)  # what the save through REST does
    hidden = await (await client.get("/r/answer")).text()
    assert 'name="mobility"' not in hidden
    assert "4. " in hidden
    assert "5. " not in hidden
    fields = {"csrf": csrf_of(hidden), "nonce": "h-1", "wants_vaccination": "yes",
              "time_of_day": "pm", "mobility": "wheelchair"}  # fmt: skip
    resp = await client.post("/r/answer", data=fields, allow_redirects=False)
    assert resp.status == 303  # no mobility answer needed; one sent anyway is not taken
    async with session_factory(engine)() as s:
        (intent,) = await intents_of(s, ledger.resident_id)
    assert (intent.wants_vaccination, intent.needs_mobility) == (True, None)
    assert "移動支援" not in intent.notes
    async with session_factory(engine)() as s:
        await cc.put(s, cc.INTENT_QUESTIONS, {"needs_mobility": True}, version=1,
                     operator_id=None)  # fmt: skip
        await s.commit()
    client.app[CAMPAIGN].invalidate(cc.INTENT_QUESTIONS)
    assert 'name="mobility"' in await (await client.get("/r/answer")).text()
