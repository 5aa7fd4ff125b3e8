"""Assignment against the real databases: the dry run writes nothing, the commit writes bookings
`assigned` in bulk within the database's limits, and the call center's changes keep the seats."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.assign.changes import cannot_come, next_waiting, suggest_slots
from registry.assign.run import _write, run_assignment
from registry.assign.solver import Placement, Rules
from registry.assign.support import set_slot_support, slot_support
from registry.audit import audit_entries
from registry.bookings import book_slot, bookings_of, change_booking
from registry.cli import main
from registry.errors import Conflict, NoTransportSeat
from registry.models import Booking, Resident, Slot
from tests.integration.assign_city import add_slot, make_city

RULES = Rules(as_of=dt.date(2026, 12, 1))


@pytest.fixture
async def city(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    return await make_city(sessions)


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)


async def test_dry_run_writes_nothing_and_commit_writes_the_same_plan(sessions, city) -> None:
    async with sessions() as s:
        dry = await run_assignment(s, RULES)
        await s.commit()
        assert await _count(s) == 0
    assert (dry.candidates, dry.assigned, dry.not_assigned) == (3, 3, 0)
    assert dry.nearest_share == 1.0
    assert dry.households == 1
    assert dry.households_split == 0
    assert dry.with_transport == 1
    async with sessions() as s:
        done = await run_assignment(s, RULES, commit=True, expect=dry.digest)
        await s.commit()
    assert done.committed
    assert done.bookings_written == 3
    assert done.digest == dry.digest
    async with sessions() as s:
        husband = await bookings_of(s, city["husband"])
        wife = await bookings_of(s, city["wife"])
        rider = await bookings_of(s, city["rider"])
        assert husband[0].slot_id == wife[0].slot_id == city["hama1"]
        assert husband[0].channel == "assigned"
        assert rider[0].slot_id == city["mizo1"]
        assert (await slot_support(s, city["mizo1"])).transport_booked == 1
        assert await s.scalar(select(Slot.booked).where(Slot.id == city["hama1"])) == 2
        actions = [e.action for e in await audit_entries(s, limit=10)]
        assert actions.count("booking.create") == 3
        assert "assignment.commit" in actions
        again = await run_assignment(s, RULES)  # nobody is moved by a second run
        assert again.candidates == 0


async def test_a_plan_that_changed_since_the_dry_run_is_refused(sessions, city) -> None:
    async with sessions() as s:
        dry = await run_assignment(s, RULES)
        await book_slot(s, resident_id=city["wife"], slot_id=city["hama2"], channel="phone")
        await s.commit()
    async with sessions() as s:
        with pytest.raises(Conflict) as err:
            await run_assignment(s, RULES, commit=True, expect=dry.digest)
        assert err.value.details["plan_changed"] is True
        await s.rollback()
        assert await _count(s) == 1


async def test_the_database_refuses_an_overfilled_slot(sessions, city) -> None:
    async with sessions() as s:
        too_many = [Placement(city[k], city["hama1"], 1, False) for k in ("husband", "wife", "no")]
        with pytest.raises(IntegrityError):
            await _write(s, too_many, None)
        await s.rollback()
    async with sessions() as s:
        rides = [Placement(city[k], city["mizo1"], 1, True) for k in ("husband", "rider")]
        with pytest.raises(IntegrityError):
            await _write(s, rides, None)
        await s.rollback()
        assert await _count(s) == 0


async def test_cannot_come_keeps_the_day_away_and_frees_the_seats(sessions, city) -> None:
    async with sessions() as s:
        await run_assignment(s, RULES, commit=True)
        await s.commit()
        rider = (await bookings_of(s, city["rider"]))[0]
        other_day = await add_slot(s, city["mizo"], 24, 3, transport_seats=2)
        await s.commit()
    async with sessions() as s:
        told = await cannot_come(s, rider.booking_id, call_linkedid="call-1")
        await s.commit()
    assert told.booking.status == "cancelled"
    assert told.cancelled == (rider.booking_id,)
    assert [o.slot_id for o in told.suggestions] == [other_day]  # the same day is not offered
    async with sessions() as s:
        assert (await slot_support(s, city["mizo1"])).transport_booked == 0
        waiting = await next_waiting(s, city["mizo1"], as_of=RULES.as_of)
        assert waiting is None  # the rider cannot come that day; nobody else waits
        report = await run_assignment(s, RULES, commit=True)
        await s.commit()
        assert report.assigned == 1
        assert (await bookings_of(s, city["rider"]))[-1].slot_id == other_day


async def test_a_booking_with_transport_moves_only_to_a_slot_with_a_seat(sessions, city) -> None:
    async with sessions() as s:
        await run_assignment(s, RULES, commit=True)
        await s.commit()
        rider = (await bookings_of(s, city["rider"]))[0]
        plain = await add_slot(s, city["mizo"], 3, 5)
        rides = await add_slot(s, city["mizo"], 4, 5, transport_seats=1)
        await s.commit()
    async with sessions() as s:
        with pytest.raises(NoTransportSeat):
            await change_booking(s, rider.booking_id, plain)
        await s.rollback()
        moved = await change_booking(s, rider.booking_id, rides)
        await s.commit()
        assert moved.slot_id == rides
        assert (await slot_support(s, rides)).transport_booked == 1
        assert (await slot_support(s, city["mizo1"])).transport_booked == 0


async def test_next_waiting_is_the_oldest_who_fits_the_freed_seat(sessions, city) -> None:
    async with sessions() as s:
        first = await next_waiting(s, city["hama1"], as_of=RULES.as_of)
        assert first is not None
        assert first.resident_id == city["husband"]
        rides = await next_waiting(s, city["mizo1"], as_of=RULES.as_of)
        assert rides is not None
        assert rides.resident_id == city["rider"]
        assert rides.transport
        offers = await suggest_slots(s, city["husband"])
        assert [o.slot_id for o in offers] == [city["hama1"], city["hama2"], city["mizo1"]]
        assert offers[0].distance_m == 300


async def test_slot_support_never_drops_below_the_seats_taken(sessions, city) -> None:
    async with sessions() as s:
        await run_assignment(s, RULES, commit=True)
        await s.commit()
        with pytest.raises(Conflict):
            await set_slot_support(s, city["mizo1"], transport_seats=0)
        view = await set_slot_support(s, city["mizo1"], transport_seats=3, wheelchair=False)
        assert (view.transport_seats, view.transport_booked, view.wheelchair) == (3, 1, False)


async def _cli(*argv: str) -> int:
    """``cti-registry`` in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(main, list(argv))


def _qr_codes(pdf_path: Path) -> list[str]:
    import pypdfium2
    import zxingcpp

    pdf = pypdfium2.PdfDocument(str(pdf_path))
    found = []
    for k in range(1, len(pdf), 2):  # the back sides
        image = pdf[k].render(scale=200 / 72).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image)]
    return found


async def test_cli_assigns_then_prints_notices_whose_qr_reads_back(
    sessions, city, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _cli("--db", db_url, "assign", "--json") == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["assigned"], dry["committed"]) == (3, False)
    code = await _cli("--db", db_url, "assign", "--commit", "--expect", dry["digest"])
    assert code == 0
    assert "3 bookings written, 0 cancelled" in capsys.readouterr().out
    out = tmp_path / "notices.pdf"
    code = await _cli("--db", db_url, "notices", str(out), "--call-center", "0773-99-0000")
    assert code == 0
    assert "3 notices" in capsys.readouterr().out
    async with sessions() as s:
        barcodes = {
            rid: await s.scalar(select(Resident.barcode).where(Resident.id == rid))
            for rid in (city["husband"], city["wife"], city["rider"])
        }
        assert "notice.print" in [e.action for e in await audit_entries(s, limit=3)]
    assert sorted(_qr_codes(out)) == sorted(barcodes.values())
    rows = list(csv.reader(io.StringIO((tmp_path / "notices.csv").read_bytes().decode("cp932"))))
    header, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[0] == "はがき番号"
    assert len(body) == 3
    rider = body[barcodes[city["rider"]]]
    assert rider["会場"] == "溝尻会場"
    assert rider["送迎場所"] == "京都府舞鶴市溝尻5"
    assert rider["送迎時刻"]
    assert not body[barcodes[city["wife"]]]["送迎時刻"]
    utf8 = (tmp_path / "notices.utf8.csv").read_bytes()
    assert utf8.startswith(b"\xef\xbb\xbf")
    assert "溝尻会場" in utf8.decode("utf-8-sig")


async def test_assigned_residents_move_only_when_asked(sessions, city) -> None:
    async with sessions() as s:
        await run_assignment(s, RULES, commit=True)
        await s.commit()
        rider = (await bookings_of(s, city["rider"]))[0]
        earlier = await add_slot(s, city["hama"], -1, 2)  # nearer in time, same venue
        await s.commit()
    async with sessions() as s:
        assert (await run_assignment(s, RULES)).candidates == 0  # not asked: nobody moves
        dry = await run_assignment(s, RULES, move_assigned=True)
        assert (dry.candidates, dry.moved, dry.unseated) == (3, 2, 0)
        done = await run_assignment(s, RULES, commit=True, expect=dry.digest, move_assigned=True)
        await s.commit()
    assert (done.bookings_cancelled, done.bookings_written) == (2, 2)
    async with sessions() as s:
        for key in ("husband", "wife"):
            both = await bookings_of(s, city[key])
            assert {(b.slot_id, b.status) for b in both} == {
                (city["hama1"], "cancelled"),
                (earlier, "booked"),
            }
        assert await bookings_of(s, city["rider"]) == [rider]  # unchanged: not rewritten
        assert await s.scalar(select(Slot.booked).where(Slot.id == city["hama1"])) == 0
        assert await s.scalar(select(Slot.booked).where(Slot.id == earlier)) == 2
        assert (await slot_support(s, city["mizo1"])).transport_booked == 1
        reasons = [e.details.get("reason") for e in await audit_entries(s, limit=10)
                   if e.action == "booking.cancel"]  # fmt: skip
        assert reasons == ["reassigned", "reassigned"]
