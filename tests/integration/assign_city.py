"""A small city for the assignment tests: two venues, their distances, three slots and four
residents (no tests here)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.assign.support import set_distances, set_slot_support
from registry.intents import record_intent
from registry.venues import create_slot, create_venue
from tests.integration.test_bookings import make_household, make_resident

# 10:00 in Tokyo two days from now: the hour offsets the tests add (-1 to +5) stay on one
# Tokyo calendar day whatever the time the suite runs, so "the same number of days later" holds
_DAY = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
START = dt.datetime(_DAY.year, _DAY.month, _DAY.day, 1, 0, tzinfo=dt.UTC)


async def add_slot(session: AsyncSession, venue: int, hours: int, capacity: int, **support) -> int:
    begin = START + dt.timedelta(hours=hours)
    s = await create_slot(session, venue, begin, begin + dt.timedelta(minutes=30), capacity)
    if support:
        await set_slot_support(session, s.slot_id, **support)
    return s.slot_id


async def _wants(session: AsyncSession, rid: int, *, mobility: bool = False) -> None:
    await record_intent(session, resident_id=rid, wants_vaccination=True,
                        needs_mobility=mobility, channel="postcard_ocr")  # fmt: skip


async def make_city(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Two venues (浜 near, 溝尻 far for 浜 residents), four residents who want it (a couple in
    浜, a 溝尻 resident needing transport, one who said no)."""
    async with sessions() as s:
        hama = (await create_venue(s, "浜会場", "京都府舞鶴市字浜2021")).venue_id
        mizo = (await create_venue(s, "溝尻会場", "京都府舞鶴市字溝尻1")).venue_id
        await set_distances(s, [(hama, "浜", 300), (hama, "溝尻", 4000), (mizo, "浜", 4500),
                                (mizo, "溝尻", 200)])  # fmt: skip
        ids = {
            "hama1": await add_slot(s, hama, 0, 2),
            "hama2": await add_slot(s, hama, 1, 2),
            "mizo1": await add_slot(s, mizo, 0, 3, transport_seats=1, wheelchair=True),
        }
        hh = await make_household(s, "京都府舞鶴市浜100")
        ids["husband"] = await make_resident(s, birth=dt.date(1938, 5, 1), household_id=hh,
                                             address="京都府舞鶴市浜100")  # fmt: skip
        ids["wife"] = await make_resident(s, birth=dt.date(1941, 2, 3), household_id=hh,
                                          address="京都府舞鶴市浜100")  # fmt: skip
        ids["rider"] = await make_resident(
            s, birth=dt.date(1935, 1, 1), address="京都府舞鶴市溝尻5"
        )
        ids["no"] = await make_resident(s, birth=dt.date(1930, 1, 1), address="京都府舞鶴市浜7")
        for key in ("husband", "wife"):
            await _wants(s, ids[key])
        await _wants(s, ids["rider"], mobility=True)
        await record_intent(s, resident_id=ids["no"], wants_vaccination=False,
                            needs_mobility=None, channel="web")  # fmt: skip
        ids.update(hama=hama, mizo=mizo)
        await s.commit()
    return ids
