"""REST for supervisors' postcards: a selection printed as a PDF download, scans uploaded and
read, the review queue listed, viewed with its images, accepted with corrections or rejected."""

from __future__ import annotations

import cv2
import pytest
from aiohttp import FormData
from sqlalchemy import select

from cti_server.web.app import create_app
from registry.db import session_factory
from registry.models import AuditEntry
from registry.paper.synth import Filling, Scanning
from tests.integration.web_helpers import FakeBridge, add_operator, auth, make_settings, token
from tests.paper_corpus import YES_AM, YES_PICKUP, Case, add_residents, make_scans


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client, tmp_path):
    settings = make_settings(db_url, scan_dir=str(tmp_path / "scans"))
    app = create_app(settings, engine=engine, bridge=FakeBridge(), load_name_index=False)
    client = await aiohttp_client(app)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    assert await add_operator(engine, "sv", "supervisor", None) == 2
    return app, client


async def sv(app):
    return auth(await token(app, 2, role="supervisor", ext=None))


async def op(app):
    return auth(await token(app, 1))


async def test_print_a_selection_as_pdf(ctx, engine):
    app, client = ctx
    await add_residents(engine, 3)
    resp = await client.post(
        "/api/postcards/print", json={"select": "all"}, headers=(await op(app))
    )
    assert resp.status == 403
    resp = await client.post(
        "/api/postcards/print", json={"select": "all", "layout": "a4x4"}, headers=(await sv(app))
    )
    assert resp.status == 200
    assert resp.content_type == "application/pdf"
    assert (await resp.read()).startswith(b"%PDF")
    resp = await client.post(
        "/api/postcards/print", json={"select": "ward:1"}, headers=(await sv(app))
    )
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "select"
    async with session_factory(engine)() as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == "postcard.print"))
        [entry] = rows.all()
    assert (entry.operator_id, entry.details["count"]) == (2, 3)


def _upload(scans) -> FormData:
    form = FormData()
    for i, s in enumerate(scans):
        ok, png = cv2.imencode(".png", s.image)
        assert ok
        form.add_field("file", png.tobytes(), filename=f"scan{i}.png", content_type="image/png")
    return form


async def test_upload_then_review_then_accept_and_reject(ctx, engine):
    app, client = ctx
    residents = await add_residents(engine, 3)
    cases = [
        Case("tick", Filling(YES_AM)),
        Case("note", Filling(YES_PICKUP, note=True), expect="note_written"),
        Case("damaged", Filling(YES_AM), Scanning(damaged_qr=True), expect="no_barcode"),
    ]
    scans = make_scans(cases, residents)
    resp = await client.post("/api/postcards/scans", data=_upload(scans), headers=(await sv(app)))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert [(r["status"], r["reasons"]) for r in body["results"]] == [
        ("applied", []),
        ("review", ["note_written"]),
        ("review", ["no_barcode"]),
    ]
    again = await client.post("/api/postcards/scans", data=_upload(scans), headers=(await sv(app)))
    assert (await again.json())["outcomes"] == {"already read": 3}

    resp = await client.get("/api/postcards/reviews", headers=(await sv(app)))
    items = (await resp.json())["reviews"]
    assert [i["reasons"][0]["code"] for i in items] == ["note_written", "no_barcode"]
    assert items[0]["note_image"] is True  # paths stay on the server
    note_id, damaged_id = items[0]["review_id"], items[1]["review_id"]
    assert (await client.get("/api/postcards/reviews", headers=(await op(app)))).status == 403

    resp = await client.get(f"/api/postcards/reviews/{note_id}", headers=(await sv(app)))
    assert (await resp.json())["resident_id"] == residents[1][0]
    resp = await client.get(
        f"/api/postcards/reviews/{note_id}/image?which=note", headers=(await sv(app))
    )
    assert resp.status == 200
    assert (await resp.read()).startswith(b"\x89PNG")
    resp = await client.get(f"/api/postcards/reviews/{note_id}/image", headers=(await sv(app)))
    assert (await resp.read()).startswith(b"\xff\xd8")  # the aligned card, JPEG

    answers = {"wants_vaccination": "yes", "mobility": "pickup", "time_of_day": "pm"}
    resp = await client.post(
        f"/api/postcards/reviews/{damaged_id}/accept",
        json={"answers": ["yes"]},
        headers=(await sv(app)),
    )
    assert (resp.status, (await resp.json())["details"]["field"]) == (400, "answers")
    resp = await client.post(
        f"/api/postcards/reviews/{damaged_id}/accept",
        json={"answers": answers},
        headers=(await sv(app)),
    )
    assert resp.status == 400  # no barcode was read: the reviewer must type it
    resp = await client.post(
        f"/api/postcards/reviews/{damaged_id}/accept",
        json={"answers": answers, "barcode": residents[2][1], "comment": "QR torn"},
        headers=(await sv(app)),
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "accepted"
    resp = await client.post(
        f"/api/postcards/reviews/{note_id}/reject",
        json={"comment": "call back"},
        headers=(await sv(app)),
    )
    assert (await resp.json())["status"] == "rejected"
    resp = await client.post(
        f"/api/postcards/reviews/{note_id}/reject", json={}, headers=(await sv(app))
    )
    assert resp.status == 409

    resp = await client.get(f"/api/residents/{residents[2][0]}", headers=(await op(app)))
    latest = (await resp.json())["intents"][0]
    assert (latest["channel"], latest["wants_vaccination"]) == ("postcard_ocr", True)
    async with session_factory(engine)() as s:
        actions = await s.scalars(select(AuditEntry.action).where(AuditEntry.operator_id == 2))
        done = set(actions.all())
    assert {"scan.upload", "review.view", "review.accept"} <= done
    assert "review.reject" in done


async def test_upload_refuses_other_files(ctx):
    app, client = ctx
    form = FormData()
    form.add_field("file", b"hello", filename="notes.txt", content_type="text/plain")
    resp = await client.post("/api/postcards/scans", data=form, headers=(await sv(app)))
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "file"


async def test_a_download_has_a_size_limit(ctx, engine, monkeypatch):
    from cti_server.web import rest_postcards

    app, client = ctx
    await add_residents(engine, 3)
    monkeypatch.setattr(rest_postcards, "MAX_PRINT", 2)
    resp = await client.post(
        "/api/postcards/print", json={"select": "all"}, headers=(await sv(app))
    )
    assert resp.status == 400
    assert "cti-registry postcards" in (await resp.json())["message"]
    resp = await client.post(
        "/api/postcards/print", json={"select": "resident:P000001"}, headers=(await sv(app))
    )
    assert resp.status == 200


def test_the_wire_offers_the_layouts_the_printer_knows():
    from cti_server.protocol import POSTCARD_LAYOUTS
    from registry.paper.printing import LAYOUTS

    assert POSTCARD_LAYOUTS == LAYOUTS
