"""An answer taken on the phone is an intent like a postcard's: a returned postcard that says
otherwise goes to review, the pop's candidate shows the latest answer with its channel and date,
and the board counts residents by the channel of their latest answer. The demo's returned
postcards are printed, filled in, uploaded and read against a real server."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from aiohttp import FormData

from cti_server import demo_postcards, protocol
from cti_server.pop_view import candidate_of
from cti_server.web.app import create_app
from cti_server.web.board_app import BOARD
from registry.db import session_factory
from registry.figures import IntentChannels, intents_by_channel
from registry.find.flags import flagged
from registry.find.matching import HouseholdMatch, ResidentMatch
from registry.intents import record_intent
from registry.operators import create_operator
from tests.integration.web_helpers import FakeBridge, add_operator, auth, make_settings, token

cv2 = pytest.importorskip("cv2")

from registry.paper.synth import Filling  # noqa: E402
from tests.paper_corpus import NO, YES_AM, Case, add_residents, make_scans  # noqa: E402


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client, tmp_path):
    settings = make_settings(db_url, scan_dir=str(tmp_path / "scans"))
    app = create_app(settings, engine=engine, bridge=FakeBridge(), load_name_index=False)
    client = await aiohttp_client(app)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    assert await add_operator(engine, "sv", "supervisor", None) == 2
    return app, client


def _match(resident_id: int) -> HouseholdMatch:
    m = ResidentMatch(resident_id, "山田 太郎", "ヤマダ タロウ", None, "", "", None, "", 100.0, ())
    return HouseholdMatch(None, "", "", (m,))


async def test_a_phone_answer_is_seen_by_review_pop_and_board(ctx, engine):
    app, client = ctx
    residents = await add_residents(engine, 3)
    (rid, _), (other, _), _ = residents
    op = auth(await token(app, 1))
    resp = await client.post(
        f"/api/residents/{rid}/intents",
        json={"wants_vaccination": False, "needs_mobility": None},
        headers=op,
    )
    assert resp.status == 201
    assert (await resp.json())["channel"] == "phone"

    # the resident's postcard says yes: it contradicts the phone answer, so a person decides
    scans = make_scans([Case("yes", Filling(YES_AM)), Case("no", Filling(NO))], residents)
    form = FormData()
    for i, s in enumerate(scans):
        ok, png = cv2.imencode(".png", s.image)
        assert ok
        form.add_field("file", png.tobytes(), filename=f"s{i}.png", content_type="image/png")
    sv = auth(await token(app, 2, role="supervisor", ext=None))
    resp = await client.post("/api/postcards/scans", data=form, headers=sv)
    assert [(r["status"], r["reasons"]) for r in (await resp.json())["results"]] == [
        ("review", ["contradicts_earlier"]),
        ("applied", []),
    ]

    async with session_factory(engine)() as s:
        households = await flagged(s, [_match(rid), _match(other)])
        by_channel = await intents_by_channel(s)
    today = dt.date(2026, 5, 1)
    phone, postcard = (candidate_of(h.members[0], today) for h in households)
    assert phone.intent is not None
    assert postcard.intent is not None
    assert (phone.intent.channel, phone.intent.wants_vaccination) == ("phone", False)
    assert (postcard.intent.channel, postcard.intent.wants_vaccination) == ("postcard_ocr", False)
    assert phone.intent.recorded_at.endswith("+00:00")
    assert by_channel == IntentChannels(postcard=1, web=0, phone=1, none_yet=1)
    wire = protocol.from_dict(protocol.Candidate, protocol.to_dict(phone))
    assert wire.intent == phone.intent

    # a later phone answer is the current one: the postcard resident now counts as phone
    async with session_factory(engine)() as s:
        await record_intent(
            s, resident_id=other, wants_vaccination=True, needs_mobility=True, channel="phone"
        )
        await s.commit()
    board = app[BOARD]
    await board.reload_bookings()
    assert board.snapshot().intents == protocol.IntentsByChannel(0, 0, 2, 1)
    assert "phone" in board.snapshot().definitions["intents"].en


async def test_the_demo_prints_fills_and_reads_returned_postcards(ctx, engine, db_url, tmp_path):
    app, client = ctx
    await add_residents(engine, 6)
    async with session_factory(engine)() as s:
        await create_operator(s, "demo-sv", "demo-sv-pass", role="supervisor")
        await s.commit()
    folder = tmp_path / "postcards"
    base = str(client.make_url("")).rstrip("/")
    account = ("demo-sv", "demo-sv-pass")
    await asyncio.to_thread(demo_postcards.run, db_url, folder, base, account, 5)
    assert (folder / "printed.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((folder / "scans").iterdir())) == 5
    assert (folder / demo_postcards.DONE).exists()
    async with session_factory(engine)() as s:
        counted = await intents_by_channel(s)
    resp = await client.get(
        "/api/postcards/reviews", headers=auth(await token(app, 2, role="supervisor", ext=None))
    )
    in_review = len((await resp.json())["reviews"])
    assert counted.postcard + in_review == 5  # every postcard applied or in review, none lost
    assert counted.postcard >= 3
    # a second run does nothing (the marker): no postcard is read twice
    await asyncio.to_thread(demo_postcards.run, db_url, folder, base, account, 5)
    async with session_factory(engine)() as s:
        assert await intents_by_channel(s) == counted


def test_the_demo_skips_postcards_without_the_paper_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo_postcards, "PAPER_MODULES", ("no_such_paper_module",))
    demo_postcards.start("sqlite:///unused", tmp_path, "http://127.0.0.1:9", ("a", "b"), 5)
    out = capsys.readouterr().out
    assert "skipped" in out
    assert "no_such_paper_module" in out
    assert not (tmp_path / demo_postcards.DONE).exists()
