"""Invented sample data (no real person) for screenshots, the pop benchmark and tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cti_server.protocol import (
    CallerInfo,
    CallInfo,
    Candidate,
    HouseholdGroup,
    ScreenPop,
    SlotInfo,
)

JST = dt.timezone(dt.timedelta(hours=9))


def _cand(
    rid: int,
    name: str,
    kana: str,
    birth: str,
    sex: str,
    hh: int,
    reasons: tuple[str, ...],
    address: str,
    score: float = 95.0,
    flags: tuple[str, ...] = (),
) -> Candidate:
    b = dt.date.fromisoformat(birth)
    today = dt.date.today()
    age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    return Candidate(rid, name, kana, birth, age, sex, address, hh, score, reasons, flags)


ADDR_1 = "京都府舞鶴市字浜 1234番地"
ADDR_2 = "京都府舞鶴市字浜 1240番地の2"


def households() -> tuple[HouseholdGroup, ...]:
    return (
        HouseholdGroup(
            11,
            "0012345",
            ADDR_1,
            (
                _cand(
                    1,
                    "舞鶴 花子",
                    "マイヅル ハナコ",
                    "1942-04-01",
                    "F",
                    11,
                    ("household_landline",),
                    ADDR_1,
                ),
                _cand(
                    2,
                    "舞鶴 一郎",
                    "マイヅル イチロウ",
                    "1939-11-23",
                    "M",
                    11,
                    ("household_landline",),
                    ADDR_1,
                    flags=("booked", "mobility", "called"),
                ),
            ),
        ),
        HouseholdGroup(
            12,
            "0012377",
            ADDR_2,
            (
                _cand(
                    3,
                    "髙橋 正子",
                    "タカハシ マサコ",
                    "1950-02-14",
                    "F",
                    12,
                    ("own_mobile", "status:moved"),
                    ADDR_2,
                    80.0,
                ),
            ),
        ),
    )


def pop(
    linkedid: str = "1700000000.42",
    state: str = "ringing",
    caller: CallerInfo | None = None,
    wait: float = 35.0,
) -> ScreenPop:
    entered = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=wait)
    return ScreenPop(
        call=CallInfo(
            linkedid,
            "ワクチン予約",
            state,
            entered_at=entered.isoformat(),
            extension="201",
            wait_seconds=wait,
        ),
        caller=caller or CallerInfo("number", "+81773621234", "0773-62-1234", "landline"),
        households=households(),
    )


def resident_detail(rid: int = 1) -> dict[str, Any]:
    members = [m for g in households() for m in g.members if m.household_id == 11]
    me = next(m for g in households() for m in g.members if m.resident_id == rid)
    return {
        "resident_id": me.resident_id,
        "name": me.name,
        "name_kana": me.name_kana,
        "birth_date": me.birth_date,
        "age": me.age,
        "sex": me.sex,
        "address": me.address,
        "household_id": me.household_id,
        "household_no": "0012345",
        "household_address": me.address,
        "members": [
            {
                "resident_id": m.resident_id,
                "name": m.name,
                "name_kana": m.name_kana,
                "birth_date": m.birth_date,
                "age": m.age,
                "sex": m.sex,
                "status": "active",
            }
            for m in members
            if m.resident_id != rid
        ],
        "phones": [
            {
                "national": "0773-62-1234",
                "e164": "+81773621234",
                "kind": "landline",
                "flags": "",
                "shared": True,
            }
        ],
        "intents": [
            {
                "intent_id": 1,
                "resident_id": rid,
                "wants_vaccination": True,
                "needs_mobility": True,
                "channel": "postcard_ocr",
                "recorded_at": "2024-04-02T01:00:00+00:00",
                "notes": "",
            }
        ],
        "bookings": [],
        "mobility_requests": [],
        "calls": [
            {
                "linkedid": "1699990000.7",
                "entered_at": "2024-04-10T00:12:00+00:00",
                "disposition": "inquiry",
                "notes": "会場までの送迎について質問",
            }
        ],
    }


VENUES = [
    {"id": 1, "name": "舞鶴市総合文化会館", "address": "舞鶴市字浜2021", "active": True},
    {"id": 2, "name": "西舞鶴保健センター", "address": "舞鶴市字南田辺1", "active": True},
]


def slots(day: dt.date, venue_id: int = 1, first_id: int = 1) -> list[SlotInfo]:
    out = []
    for i, hour in enumerate((9, 10, 11, 13, 14, 15)):
        start = dt.datetime.combine(day, dt.time(hour), JST)
        booked = (3, 10, 7, 0, 9, 2)[i]
        out.append(
            SlotInfo(
                first_id + i,
                venue_id,
                start.isoformat(),
                (start + dt.timedelta(minutes=30)).isoformat(),
                10,
                booked,
            )
        )
    return out
