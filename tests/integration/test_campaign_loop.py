"""The campaign's whole loop on one ledger, through the doors its users take: the command line
(``cti-registry``, as IT and supervisors run it) and the real server over HTTP (the residents'
page, the call center's REST API).

Seeded ledger → intent postcards printed for the elderly → returned postcards filled in, scanned
and read back (intents with channel ``postcard_ocr``; the unsure ones to review) → assignment dry
run → commit with the dry run's digest → notices PDF and mail-merge CSV → a younger resident
answers on the web (channel ``web``) → a second assignment run seats only them → the call center
reschedules one assigned resident to another slot (seats moved, audited)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cti_server.web.app import create_app
from registry import cli
from registry.db import session_factory
from registry.intents import intents_of
from registry.models import AuditEntry, Booking, Intent, Resident, Slot
from registry.seed.load import seed_database
from tests.integration.resident_helpers import csrf_of
from tests.integration.web_helpers import auth, make_settings, token

pytest.importorskip("reportlab")
PROXY = {"trusted_proxies": "127.0.0.1/32, ::1/128", "resident_window_seconds": 1e6}


async def registry_cli(db_url: str, *args: str) -> tuple[int, str]:
    """``cti-registry --db URL ARGS`` in a thread (it runs its own event loop); its output."""
    out = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out):
            return cli.main(["--db", db_url, *map(str, args)])

    code = await asyncio.to_thread(run)
    return code, out.getvalue()


def merge_rows(folder: Path, pattern: str) -> list[dict[str, str]]:
    merge = next(folder.glob(pattern))
    return list(csv.DictReader(io.StringIO(merge.read_text(encoding="utf-8-sig"))))


async def count(engine: Any, stmt: Any) -> int:
    async with session_factory(engine)() as s:
        return int(await s.scalar(stmt) or 0)


async def test_the_campaign_loop_from_postcards_to_a_reschedule(
    engine, db_url, aiohttp_client, tmp_path: Path
):
    await seed_database(engine, 400, seed=5)
    assigned_q = select(func.count()).select_from(Booking).where(
        Booking.channel == "assigned", Booking.status == "booked")  # fmt: skip

    paper_q = select(func.count()).select_from(Intent).where(Intent.channel == "postcard_ocr")
    seeded = await count(engine, paper_q)  # the seed's earlier answers

    # intent postcards for the elderly, returned, scanned and read without typing
    code, out = await registry_cli(db_url, "postcards", tmp_path / "printed.pdf",
                                   "--select", "age:75-")  # fmt: skip
    assert code == 0, out
    printed = int(re.search(r"(\d+) postcards", out).group(1))  # type: ignore[union-attr]
    assert printed > 0
    code, out = await registry_cli(db_url, "fill-postcards", tmp_path / "printed.pdf",
                                   tmp_path / "scans", "--count", "12", "--seed", "2")  # fmt: skip
    assert code == 0, out
    code, out = await registry_cli(db_url, "read-postcards", tmp_path / "scans")
    assert code == 0, out
    read = re.search(r"(\d+) pages: (\d+) applied, (\d+) review", out)
    assert read is not None, out
    pages, applied, review = map(int, read.groups())
    assert pages == 12
    assert applied + review == 12
    assert applied > 0
    assert await count(engine, paper_q) == seeded + applied  # one intent per applied postcard

    # the assignment: a dry run writes nothing, the commit writes exactly what it showed
    code, out = await registry_cli(db_url, "assign", "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["committed"] is False
    assert plan["assigned"] > 0
    assert await count(engine, assigned_q) == 0
    code, out = await registry_cli(db_url, "assign", "--commit", "--expect", plan["digest"],
                                   "--json")  # fmt: skip
    assert code == 0, out
    done = json.loads(out)
    assert done["committed"] is True
    assert done["assigned"] == plan["assigned"]
    assert await count(engine, assigned_q) == plan["assigned"]
    assert sum(row["residents"] for row in plan["per_day_venue"]) == plan["assigned"]

    # the notices: one per assigned appointment, and the print shop's CSV
    code, out = await registry_cli(db_url, "notices", tmp_path / "notices.pdf")
    assert code == 0, out
    assert (tmp_path / "notices.pdf").stat().st_size > 10_000
    rows = await asyncio.to_thread(merge_rows, tmp_path, "notices*.utf8.csv")
    assert len(rows) == plan["assigned"]

    # a younger resident (no postcard) answers on the web
    app = create_app(make_settings(db_url, **PROXY), engine=engine, load_name_index=False)
    client = await aiohttp_client(app)
    async with session_factory(engine)() as s:
        no_intent = select(Intent.id).where(Intent.resident_id == Resident.id).exists()
        young = (await s.execute(
            select(Resident.id, Resident.barcode, Resident.birth_date)
            .where(~no_intent, Resident.birth_date > dt.date(1965, 1, 1),
                   Resident.status == "active")
            .order_by(Resident.id).limit(1)
        )).one()  # fmt: skip
    resident_id, barcode, birth = young
    form = await (await client.get("/r/")).text()
    resp = await client.post("/r/", data={"csrf": csrf_of(form), "barcode": barcode,
                                          "birth": birth.isoformat()},
                             headers={"X-Forwarded-For": "203.0.113.9"},
                             allow_redirects=False)  # fmt: skip
    assert resp.status == 303, await resp.text()
    form = await (await client.get("/r/answer")).text()
    answer = {"csrf": csrf_of(form), "nonce": "loop-1", "wants_vaccination": "yes",
              "mobility": "none", "time_of_day": "am"}  # fmt: skip
    resp = await client.post("/r/answer", data=answer, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    async with session_factory(engine)() as s:
        intents = await intents_of(s, resident_id)
    assert [(i.channel, i.wants_vaccination) for i in intents] == [("web", True)]

    # the next run seats the web answer, and nobody already assigned is moved
    second_run = dt.datetime.now(dt.UTC)
    code, out = await registry_cli(db_url, "assign", "--commit", "--json")
    assert code == 0, out
    again = json.loads(out)
    assert again["moved"] == 0
    assert again["assigned"] == 1
    async with session_factory(engine)() as s:
        web_booking = await s.scalar(select(Booking).where(
            Booking.resident_id == resident_id, Booking.status == "booked"))  # fmt: skip
    assert web_booking is not None
    assert web_booking.channel == "assigned"
    # ... and its notice alone is printed: those mailed after the first run are not again
    code, out = await registry_cli(db_url, "notices", tmp_path / "again.pdf",
                                   "--since", second_run.isoformat())  # fmt: skip
    assert code == 0, out
    rows = await asyncio.to_thread(merge_rows, tmp_path, "again*.utf8.csv")
    assert [next(iter(row.values())) for row in rows] == [barcode]
    code, out = await registry_cli(db_url, "notices", tmp_path / "none.pdf",
                                   "--since", dt.datetime.now(dt.UTC).isoformat())  # fmt: skip
    assert code == 0, out
    assert "nothing to print" in out
    assert not (tmp_path / "none.pdf").exists()  # no blank card for the print shop
    assert not (tmp_path / "none.csv").exists()

    # the call center moves one assigned resident to another slot at the same venue
    async with session_factory(engine)() as s:
        booking = await s.scalar(select(Booking).where(
            Booking.channel == "assigned", Booking.status == "booked",
            Booking.resident_id != resident_id).order_by(Booking.id).limit(1))  # fmt: skip
        assert booking is not None
        old = await s.get(Slot, booking.slot_id)
        assert old is not None
        target = await s.scalar(select(Slot).where(
            Slot.venue_id == old.venue_id, Slot.starts_at > old.starts_at,
            Slot.booked < Slot.capacity).order_by(Slot.starts_at).limit(1))  # fmt: skip
        assert target is not None
        before = (old.booked, target.booked)
    operator = auth(await token(app, 2))
    resp = await client.patch(f"/api/bookings/{booking.id}",
                              json={"slot_id": target.id, "call": "loop-call-1"},
                              headers=operator)  # fmt: skip
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["slot_id"] == target.id
    async with session_factory(engine)() as s:
        old_now, target_now = await s.get(Slot, old.id), await s.get(Slot, target.id)
        assert (old_now.booked, target_now.booked) == (before[0] - 1, before[1] + 1)  # type: ignore[union-attr]
        trail = (await s.execute(
            select(AuditEntry.action, AuditEntry.call_linkedid)
            .where(AuditEntry.resident_id == booking.resident_id).order_by(AuditEntry.id)
        )).all()  # fmt: skip
    assert ("booking.change", "loop-call-1") in [tuple(t) for t in trail]
