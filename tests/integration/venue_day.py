"""A venue day to check residents in against: two venues, today's and tomorrow's slots, and a
resident for every outcome of a scan. Shared by the store, REST and browser tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from registry.bookings import book_slot
from registry.mobility import create_mobility_request
from registry.models import Resident
from registry.normalize.barcode import make_barcode
from registry.normalize.names import kana_key, name_key
from registry.venues import create_slot, create_venue

TOKYO = ZoneInfo("Asia/Tokyo")
_serial = itertools.count(70_000)


@dataclasses.dataclass
class Day:
    now: dt.datetime  # 10:05 in Tokyo
    venue: int  # 北吸会場: where the desk is
    other: int  # 西会場
    slot_now: int  # 10:00-10:30 here
    slot_past: int  # 09:00-09:30 here (ended)
    slot_later: int  # 14:00-14:30 here
    slot_other: int  # 10:00-10:30 at the other venue
    slot_tomorrow: int
    residents: dict[str, int]
    barcodes: dict[str, str]

    def mistyped(self, key: str = "ok") -> str:
        """The barcode of ``key`` with two adjacent digits swapped (the check digit sees it)."""
        code = self.barcodes[key]
        i = next(i for i in range(len(code) - 1) if code[i] != code[i + 1])
        return code[:i] + code[i + 1] + code[i] + code[i + 2 :]


def tokyo(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), TOKYO).astimezone(dt.UTC)


async def resident(session: AsyncSession, name: str, kana: str, birth: dt.date) -> tuple[int, str]:
    serial = next(_serial)
    code = make_barcode(serial)
    rid = await session.scalar(
        insert(Resident)
        .values(
            person_no=f"R{serial:08d}", name=name, name_kana=kana, birth_date=birth, sex="F",
            address="京都府舞鶴市北吸1044", barcode=code, name_key=name_key(name),
            kana_key=kana_key(kana),
        )
        .returning(Resident.id)
    )  # fmt: skip
    assert rid is not None
    return rid, code


PEOPLE = {
    "ok": ("髙橋 一郎", "タカハシ イチロウ", dt.date(1941, 5, 3)),
    "mobility": ("佐藤 花子", "サトウ ハナコ", dt.date(1938, 1, 20)),
    "other_venue": ("鈴木 次郎", "スズキ ジロウ", dt.date(1945, 7, 7)),
    "later": ("田中 三郎", "タナカ サブロウ", dt.date(1950, 2, 11)),
    "tomorrow": ("伊藤 四郎", "イトウ シロウ", dt.date(1947, 9, 9)),
    "none": ("渡辺 五月", "ワタナベ サツキ", dt.date(1952, 5, 5)),
    "past": ("山本 六子", "ヤマモト ムツコ", dt.date(1944, 6, 6)),
    "race": ("中村 七海", "ナカムラ ナナミ", dt.date(1949, 3, 3)),
    "extra1": ("小林 八重", "コバヤシ ヤエ", dt.date(1943, 8, 8)),
    "extra2": ("加藤 九郎", "カトウ クロウ", dt.date(1946, 9, 19)),
}
BOOKED_AT = {
    "ok": "slot_now",
    "mobility": "slot_now",
    "other_venue": "slot_other",
    "later": "slot_later",
    "tomorrow": "slot_tomorrow",
    "past": "slot_past",
    "race": "slot_now",
    "extra1": "slot_now",
    "extra2": "slot_now",
}


async def build_day(session: AsyncSession, today: dt.date | None = None) -> Day:
    """The day (``today`` in Tokyo, by default the real one) with its clock at 10:05; commits."""
    day = today or dt.datetime.now(TOKYO).date()
    n = next(_serial)
    here = await create_venue(session, f"北吸会場{n}", "舞鶴市北吸")
    there = await create_venue(session, f"西会場{n}", "舞鶴市西")

    async def slot(venue: int, d: dt.date, hh: int, mm: int, cap: int = 20) -> int:
        start = tokyo(d, hh, mm)
        s = await create_slot(session, venue, start, start + dt.timedelta(minutes=30), cap)
        return s.slot_id

    slots = {
        "slot_now": await slot(here.venue_id, day, 10, 0),
        "slot_past": await slot(here.venue_id, day, 9, 0),
        "slot_later": await slot(here.venue_id, day, 14, 0),
        "slot_other": await slot(there.venue_id, day, 10, 0),
        "slot_tomorrow": await slot(here.venue_id, day + dt.timedelta(days=1), 10, 0),
    }
    residents, barcodes = {}, {}
    for key, (name, kana, birth) in PEOPLE.items():
        residents[key], barcodes[key] = await resident(session, name, kana, birth)
        if key in BOOKED_AT:
            await book_slot(session, resident_id=residents[key], slot_id=slots[BOOKED_AT[key]],
                            channel="assigned")  # fmt: skip
    await create_mobility_request(session, resident_id=residents["mobility"], pickup_address="",
                                  wheelchair=True, companion=False)  # fmt: skip
    await session.commit()
    return Day(
        now=tokyo(day, 10, 5), venue=here.venue_id, other=there.venue_id,
        residents=residents, barcodes=barcodes, **slots,
    )  # fmt: skip
