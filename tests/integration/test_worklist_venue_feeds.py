"""No-shows and residents' web requests reach the callback worklist, once each."""

from __future__ import annotations

import datetime as dt

from registry import contact_requests, worklist
from registry.worklist_feeds import from_venues_and_web
from tests.integration.venue_day import build_day

DAY = dt.date(2026, 12, 4)


async def test_no_shows_and_web_requests_are_fed_once(sessions):
    async with sessions() as s:
        day = await build_day(s, DAY)
    async with sessions() as s:
        await contact_requests.add(s, resident_id=day.residents["later"], kind="reschedule",
                                   note="別の日に", source="test")  # fmt: skip
        await s.commit()
    for _ in range(2):  # the sweep runs again and again: nothing is added twice
        async with sessions() as s:
            await from_venues_and_web(s, day=DAY, tz="Asia/Tokyo", now=day.now)
            await s.commit()
    async with sessions() as s:
        items = await worklist.list_items(s)
    by_reason = sorted((i.reason, i.resident_id) for i in items)
    assert by_reason == sorted([("no_show", day.residents["past"]),
                                ("web_request", day.residents["later"])])  # fmt: skip
