"""REST for designated appointments: supervisors' dry run and commit, the call center's
"cannot come", slot offers, and the next resident waiting for a freed seat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cti_server import protocol
from cti_server.web.app import create_app
from registry.db import session_factory
from registry.models import AuditEntry, Booking
from tests.integration.assign_city import make_city
from tests.integration.web_helpers import FakeBridge, add_operator, auth, make_settings, token


@pytest.fixture
async def ctx(engine, db_url, aiohttp_client):
    app = create_app(make_settings(db_url), engine=engine, bridge=FakeBridge(),
                     load_name_index=False)  # fmt: skip
    client = await aiohttp_client(app)
    assert await add_operator(engine, "op1", "operator", "1001") == 1
    assert await add_operator(engine, "sv", "supervisor", None) == 2
    city = await make_city(session_factory(engine))
    return app, client, city


async def test_dry_run_then_commit_with_the_digest(ctx, engine) -> None:
    app, client, _ = ctx
    sv = auth(await token(app, 2, role="supervisor", ext=None))
    op = auth(await token(app, 1))
    resp = await client.post("/api/assignments/plan", json={}, headers=op)
    assert resp.status == 403
    resp = await client.post("/api/assignments/plan", json={"bands": "old"}, headers=sv)
    assert resp.status == 400
    assert (await resp.json())["details"]["field"] == "bands"
    resp = await client.post("/api/assignments/plan", json={"prefer": "nearest"}, headers=sv)
    assert resp.status == 200
    dry = protocol.from_dict(protocol.AssignmentReport, await resp.json())
    assert (dry.assigned, dry.committed, dry.nearest_share) == (3, False, 1.0)
    assert sum(row.residents for row in dry.per_day_venue) == 3
    resp = await client.post("/api/assignments/commit", json={"expect": "0" * 16}, headers=sv)
    assert resp.status == 409
    assert (await resp.json())["details"]["plan_changed"] is True
    resp = await client.post("/api/assignments/commit", json={"expect": dry.digest}, headers=sv)
    assert resp.status == 200
    done = protocol.from_dict(protocol.AssignmentReport, await resp.json())
    assert (done.committed, done.bookings_written, done.digest) == (True, 3, dry.digest)
    async with session_factory(engine)() as s:
        channels = (await s.scalars(select(Booking.channel))).all()
        audited = select(AuditEntry.operator_id).where(AuditEntry.action == "assignment.commit")
        commits = (await s.scalars(audited)).all()
    assert channels == ["assigned"] * 3
    assert commits == [2]
    resp = await client.post("/api/assignments/notices", json={}, headers=op)
    assert resp.status == 403
    resp = await client.post("/api/assignments/notices", json={"layout": "a4x4"}, headers=sv)
    assert resp.status == 200
    assert resp.content_type == "application/pdf"
    assert (await resp.read()).startswith(b"%PDF")
    async with session_factory(engine)() as s:
        printed = select(AuditEntry.details).where(AuditEntry.action == "notice.print")
        assert [d["notices"] for d in (await s.scalars(printed)).all()] == [3]


async def test_cannot_come_offers_and_next_waiting(ctx, engine) -> None:
    app, client, city = ctx
    sv = auth(await token(app, 2, role="supervisor", ext=None))
    op = auth(await token(app, 1))
    resp = await client.get(f"/api/slots/{city['mizo1']}/next-waiting?call=c-1", headers=op)
    waiting = protocol.from_dict(protocol.NextWaiting, await resp.json())
    assert waiting.resident is not None
    assert (waiting.resident.resident_id, waiting.resident.transport) == (city["rider"], True)
    resp = await client.get(f"/api/residents/{city['wife']}/slot-offers", headers=op)
    offers = protocol.from_dict(protocol.SlotOffers, await resp.json()).offers
    assert [o.slot_id for o in offers][:2] == [city["hama1"], city["hama2"]]
    assert (await client.post("/api/assignments/commit", json={}, headers=sv)).status == 200
    async with session_factory(engine)() as s:
        booking_id = await s.scalar(select(Booking.id).where(Booking.resident_id == city["wife"]))
    resp = await client.post(f"/api/bookings/{booking_id}/cannot-come", json={"call": "c-2"},
                             headers=op)  # fmt: skip
    assert resp.status == 200
    told = protocol.from_dict(protocol.CannotCome, await resp.json())
    assert told.booking.status == "cancelled"
    assert told.cancelled == (booking_id,)
    resp = await client.post(f"/api/bookings/{booking_id}/cannot-come", json={}, headers=op)
    assert resp.status == 409
    resp = await client.get("/api/slots/999999/next-waiting", headers=op)
    assert resp.status == 404
    async with session_factory(engine)() as s:
        views = (await s.scalars(select(AuditEntry.call_linkedid)
                                 .where(AuditEntry.action == "resident.view"))).all()  # fmt: skip
        told_by = select(AuditEntry.call_linkedid).where(AuditEntry.action == "booking.cannot_come")
        cannot = (await s.scalars(told_by)).all()
    assert views == ["c-1"]
    assert cannot == ["c-2"]
