"""Mobility-support requests: defaults, idempotent resends, validated updates, audit."""

from __future__ import annotations

import pytest

from registry import campaign_config as cc
from registry.audit import audit_entries
from registry.bookings import book_slot
from registry.errors import Conflict, InvalidInput, NotFound
from registry.mobility import (
    create_mobility_request,
    list_mobility_requests,
    update_mobility_request,
)
from registry.models import MobilityRequest
from tests.integration.test_bookings import make_resident, make_slot


async def test_create_defaults_to_home_and_a_resend_creates_nothing(sessions):
    async with sessions() as s:
        rid = await make_resident(s, address="京都府舞鶴市浜1")
        slot = await make_slot(s, 1)
        booking = await book_slot(s, resident_id=rid, slot_id=slot, channel="phone")
        req = await create_mobility_request(
            s,
            resident_id=rid,
            pickup_address="",
            wheelchair=True,
            companion=False,
            booking_id=booking.booking_id,
            call_linkedid="5.5",
            client_key="m-1",
        )
        await s.commit()
    assert (req.pickup_address, req.wheelchair, req.status) == ("京都府舞鶴市浜1", True, "open")
    assert req.booking_id == booking.booking_id
    async with sessions() as s:
        again = await create_mobility_request(
            s,
            resident_id=rid,
            pickup_address="",
            wheelchair=True,
            companion=False,
            client_key="m-1",
        )
        assert again == req
        assert len(await list_mobility_requests(s, resident_id=rid)) == 1
        other = await make_resident(s)
        with pytest.raises(Conflict):
            await create_mobility_request(
                s,
                resident_id=other,
                pickup_address="x",
                wheelchair=False,
                companion=False,
                client_key="m-1",
            )


async def test_update_and_list_by_status(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        req = await create_mobility_request(
            s, resident_id=rid, pickup_address="舞鶴市字北吸", wheelchair=False, companion=True
        )
        changed = await update_mobility_request(
            s,
            req.request_id,
            status="arranged",
            notes="10時迎え",
            operator_id=None,
            call_linkedid="7.7",
        )
        await s.commit()
        assert (changed.status, changed.notes, changed.companion) == ("arranged", "10時迎え", True)
        assert [m.request_id for m in await list_mobility_requests(s, status="arranged")] == [
            req.request_id
        ]
        assert await list_mobility_requests(s, status="open") == []
        actions = [(e.action, e.call_linkedid) for e in await audit_entries(s, resident_id=rid)]
        assert actions == [("mobility.update", "7.7"), ("mobility.create", None)]


BAD_UPDATES = [
    ({"status": "lost"}, "status"),
    ({"wheelchair": "yes"}, "wheelchair"),
    ({"colour": "red"}, "colour"),
    ({"pickup_address": "  "}, "pickup_address"),
    ({"booking_id": 999}, "booking_id"),
]


async def test_bad_updates_name_the_field(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        req = await create_mobility_request(
            s, resident_id=rid, pickup_address="舞鶴市", wheelchair=False, companion=False
        )
        for changes, field in BAD_UPDATES:
            with pytest.raises(InvalidInput) as info:
                await update_mobility_request(s, req.request_id, **changes)
            assert info.value.field == field


async def test_create_checks_its_references(sessions):
    async with sessions() as s:
        rid = await make_resident(s, address="")
        with pytest.raises(NotFound):
            await create_mobility_request(
                s, resident_id=rid + 100, pickup_address="x", wheelchair=False, companion=False
            )
        with pytest.raises(InvalidInput) as info:
            await create_mobility_request(
                s, resident_id=rid, pickup_address="", wheelchair=False, companion=False
            )
        assert info.value.field == "pickup_address"
        with pytest.raises(InvalidInput) as info:
            await list_mobility_requests(s, status="nope")
        assert info.value.field == "status"


STRETCHER = [
    {"code": "wheelchair", "ja": "車椅子", "en": "Wheelchair"},
    {"code": "companion", "ja": "付き添い", "en": "Companion"},
    {"code": "stretcher", "ja": "ストレッチャー", "en": "Stretcher"},
]


async def _offer(s, value, version):
    await cc.put(s, cc.MOBILITY_OPTIONS, value, version=version, operator_id=None)
    await s.commit()


async def test_options_from_the_setting_map_onto_columns_and_the_rest(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        with pytest.raises(InvalidInput) as refused:
            await create_mobility_request(
                s, resident_id=rid, pickup_address="x", options=["stretcher"]
            )
        assert refused.value.field == "options"
        await _offer(s, STRETCHER, 0)
        req = await create_mobility_request(
            s, resident_id=rid, pickup_address="x", options=["stretcher", "wheelchair"]
        )
        await s.commit()
        assert (req.wheelchair, req.companion) == (True, False)
        assert req.options == ("wheelchair", "stretcher")
        row = await s.get(MobilityRequest, req.request_id)
        assert row is not None
        assert row.other_options == ["stretcher"]
        flags = await create_mobility_request(
            s, resident_id=rid, pickup_address="x", wheelchair=False, companion=True
        )
        assert flags.options == ("companion",)


async def test_an_option_removed_from_the_setting_stays_on_old_requests(sessions):
    async with sessions() as s:
        rid = await make_resident(s)
        await _offer(s, STRETCHER, 0)
        req = await create_mobility_request(
            s, resident_id=rid, pickup_address="x", options=["stretcher"]
        )
        await s.commit()
        await _offer(s, STRETCHER[:2], 1)
        with pytest.raises(InvalidInput, match="stretcher"):
            await create_mobility_request(
                s, resident_id=rid, pickup_address="x", options=["stretcher"]
            )
        kept = await update_mobility_request(s, req.request_id, options=["stretcher", "companion"])
        assert kept.options == ("companion", "stretcher")
        dropped = await update_mobility_request(s, req.request_id, options=["wheelchair"])
        assert (dropped.options, dropped.wheelchair, dropped.companion) == (
            ("wheelchair",), True, False)  # fmt: skip
        with pytest.raises(InvalidInput, match="stretcher"):
            await update_mobility_request(s, req.request_id, options=["stretcher"])
        listed = await list_mobility_requests(s, resident_id=rid)
        assert [m.options for m in listed] == [("wheelchair",)]
