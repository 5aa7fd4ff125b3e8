"""A small ledger for the residents' page tests: 髙橋 一郎 (born 1943-05-10) with an assigned
booking, a neighbour with a booking of her own, and the page's forms read from its HTML."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy.ext.asyncio import AsyncEngine

from registry.db import session_factory
from registry.models import Booking, Household, Resident, Slot, Venue
from registry.normalize.barcode import make_barcode

BIRTH = dt.date(1943, 5, 10)
SLOT_START = dt.datetime(2031, 5, 12, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo, a Monday


@dataclasses.dataclass(frozen=True)
class Ledger:
    resident_id: int
    barcode: str
    neighbour_id: int
    neighbour_barcode: str
    booking_id: int
    neighbour_booking_id: int
    venue_ids: tuple[int, int]
    unknown_barcode: str  # a valid check digit, nobody's


async def seed(engine: AsyncEngine) -> Ledger:
    async with session_factory(engine)() as s:
        h = Household(household_no="H-WEB-1", address="京都府舞鶴市北吸1044")
        s.add(h)
        await s.flush()
        people = [
            Resident(person_no="P-000123", household_id=h.id, name="髙橋 一郎",
                     name_kana="タカハシ イチロウ", birth_date=BIRTH, sex="M",
                     address=h.address, barcode=make_barcode(4711)),
            Resident(person_no="P-000124", name="佐藤 花子", name_kana="サトウ ハナコ",
                     birth_date=dt.date(1950, 1, 2), sex="F", address="京都府舞鶴市浜1",
                     barcode=make_barcode(4712)),
        ]  # fmt: skip
        s.add_all(people)
        venues = [
            Venue(name="中総合会館", address="京都府舞鶴市余部下1167"),
            Venue(name="西市民プラザ", address="京都府舞鶴市字浜1"),
        ]
        s.add_all(venues)
        await s.flush()
        ends = SLOT_START + dt.timedelta(minutes=30)
        slot = Slot(
            venue_id=venues[0].id, starts_at=SLOT_START, ends_at=ends, capacity=10, booked=2
        )
        s.add(slot)
        await s.flush()
        own = Booking(resident_id=people[0].id, slot_id=slot.id, channel="assigned")
        other = Booking(resident_id=people[1].id, slot_id=slot.id, channel="phone")
        s.add_all([own, other])
        await s.commit()
        return Ledger(people[0].id, people[0].barcode, people[1].id, people[1].barcode,
                      own.id, other.id, (venues[0].id, venues[1].id),
                      make_barcode(9999))  # fmt: skip


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def without_tokens(html: str) -> str:
    """The page with its per-session values blanked (to compare two answers)."""
    return re.sub(r'name="(csrf|nonce)" value="[^"]+"', r'name="\1" value=""', html)
