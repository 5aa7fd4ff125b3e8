"""The operator card (resident_detail) and intents: complete, JSON-ready, and not self-audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import insert

from registry.audit import audit_entries
from registry.bookings import book_slot
from registry.calls import set_disposition, upsert_call
from registry.errors import InvalidInput, NotFound
from registry.intents import intents_of, record_intent
from registry.mobility import create_mobility_request
from registry.models import Phone
from registry.residents import age_on, resident_detail
from tests.integration.test_bookings import make_household, make_resident, make_slot

TODAY = dt.date(2026, 5, 1)


def test_age_on():
    assert age_on(dt.date(1940, 5, 1), TODAY) == 86
    assert age_on(dt.date(1940, 5, 2), TODAY) == 85
    assert age_on(dt.date(2000, 2, 29), dt.date(2021, 2, 28)) == 20
    assert age_on(dt.date(2000, 2, 29), dt.date(2021, 3, 1)) == 21
    assert age_on(None, TODAY) is None


async def test_detail_shows_everything_on_the_card(sessions):
    async with sessions() as s:
        hh = await make_household(s, "京都府舞鶴市北吸1044")
        rid = await make_resident(s, name="山田 花子", birth=dt.date(1940, 5, 2), household_id=hh)
        spouse = await make_resident(
            s, name="山田 太郎", birth=dt.date(1938, 1, 1), household_id=hh
        )
        await s.execute(
            insert(Phone),
            [
                {"e164": "+81773621234", "raw": "62-1234", "kind": "landline", "household_id": hh},
                {
                    "e164": "+819012345678",
                    "raw": "090-1234-5678",
                    "kind": "mobile",
                    "resident_id": rid,
                },
                {
                    "e164": "+818011112222",
                    "raw": "080-1111-2222",
                    "kind": "mobile",
                    "resident_id": spouse,
                },
                {"e164": None, "raw": "22-0000", "kind": "", "flags": "review", "resident_id": rid},
            ],
        )
        await record_intent(
            s, resident_id=rid, wants_vaccination=True, needs_mobility=True, channel="postcard_ocr"
        )
        booking = await book_slot(
            s, resident_id=rid, slot_id=await make_slot(s, 5), channel="phone"
        )
        await create_mobility_request(
            s,
            resident_id=rid,
            pickup_address="",
            wheelchair=True,
            companion=True,
            booking_id=booking.booking_id,
        )
        await upsert_call(
            s,
            "1.42",
            matched_resident_id=rid,
            caller_e164="+81773621234",
            entered_at=dt.datetime(2026, 4, 30, 1, tzinfo=dt.UTC),
            outcome="answered",
        )
        await set_disposition(s, "1.42", disposition="booked", notes="耳が遠い", operator_id=None)
        await s.commit()
        before = len(await audit_entries(s, resident_id=rid))
        d = await resident_detail(s, rid, today=TODAY)
        assert len(await audit_entries(s, resident_id=rid)) == before  # the web layer audits

    assert (d.resident_id, d.name, d.age, d.household_no != "") == (rid, "山田 花子", 85, True)
    assert d.household_address == "京都府舞鶴市北吸1044"
    assert [(m.resident_id, m.age) for m in d.members] == [(spouse, 88)]
    assert [(p.national, p.shared) for p in d.phones] == [
        ("0773-62-1234", True),
        ("090-1234-5678", False),
        ("22-0000", False),
    ]
    assert [(i.wants_vaccination, i.channel) for i in d.intents] == [(True, "postcard_ocr")]
    assert [(b.booking_id, b.venue_name) for b in d.bookings] == [
        (booking.booking_id, booking.venue_name)
    ]
    assert [m.booking_id for m in d.mobility_requests] == [booking.booking_id]
    assert [(c.linkedid, c.notes) for c in d.calls] == [("1.42", "耳が遠い")]
    data = d.to_dict()
    assert data["birth_date"] == "1940-05-02"
    assert data["bookings"][0]["starts_at"].endswith("+00:00")
    json.dumps(data)  # every field is JSON-serializable


async def test_detail_of_a_resident_without_household(sessions):
    async with sessions() as s:
        rid = await make_resident(s, birth=None)
        d = await resident_detail(s, rid)
        assert (d.household_id, d.members, d.phones, d.age) == (None, (), (), None)
        with pytest.raises(NotFound):
            await resident_detail(s, rid + 100)


async def test_intents_newest_first_and_validated(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        await record_intent(
            s, resident_id=rid, wants_vaccination=None, needs_mobility=None, channel="web"
        )
        await record_intent(
            s,
            resident_id=rid,
            wants_vaccination=False,
            needs_mobility=False,
            channel="phone",
            notes="辞退",
            call_linkedid="3.3",
        )
        got = await intents_of(s, rid)
        assert [(i.channel, i.wants_vaccination) for i in got] == [("phone", False), ("web", None)]
        for kwargs, field in [
            ({"channel": "fax", "wants_vaccination": True, "needs_mobility": None}, "channel"),
            (
                {"channel": "web", "wants_vaccination": "yes", "needs_mobility": None},
                "wants_vaccination",
            ),
        ]:
            with pytest.raises(InvalidInput) as info:
                await record_intent(s, resident_id=rid, **kwargs)
            assert info.value.field == field
        with pytest.raises(NotFound):
            await record_intent(
                s, resident_id=rid + 100, wants_vaccination=True, needs_mobility=None, channel="web"
            )


async def test_resident_by_barcode_finds_one_resident(sessions):
    from sqlalchemy import update

    from registry.models import Resident
    from registry.normalize.barcode import make_barcode
    from registry.residents import resident_by_barcode

    async with sessions() as s:
        hh = await make_household(s, "京都府舞鶴市北吸1044")
        rid = await make_resident(s, name="山田 花子", household_id=hh)
        code = make_barcode(7_000_123)
        await s.execute(update(Resident).where(Resident.id == rid).values(barcode=code))
        await s.commit()
        match = await resident_by_barcode(s, f" {code[:6]} {code[6:]} ")
        assert (match.resident_id, match.name, match.household_id) == (rid, "山田 花子", hh)
        assert (match.score, match.reasons) == (100.0, ("barcode",))
        assert match.household_no.startswith("H")
        with pytest.raises(NotFound):
            await resident_by_barcode(s, make_barcode(7_000_124))
        wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
        with pytest.raises(InvalidInput, match="check digit does not match") as err:
            await resident_by_barcode(s, wrong)
        assert err.value.field == "barcode"
        for bad in ("", "12345", code + "0", "abc" + code[3:]):
            with pytest.raises(InvalidInput) as err:
                await resident_by_barcode(s, bad)
            assert err.value.field == "barcode"
