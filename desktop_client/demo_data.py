"""Invented sample data (no real person) for screenshots, the pop benchmark and tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cti_server.protocol import (
    Booking,
    CallerInfo,
    CallInfo,
    CallRecord,
    Candidate,
    ConfigEntry,
    HouseholdGroup,
    HouseholdMember,
    Intent,
    LatestIntent,
    MobilityRequest,
    PhoneLine,
    ResidentDetail,
    ScreenPop,
    SlotInfo,
    Venue,
)
from desktop_client.models.dates import today_local

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
    intent: LatestIntent | None = None,
) -> Candidate:
    b = dt.date.fromisoformat(birth)
    today = today_local()
    age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    hh_no = {11: "0012345", 12: "0012377"}[hh]
    ledger = {"person_no": f"20{rid:06d}", "household_no": hh_no, "barcode": f"10000000{rid:03d}0"}
    return Candidate(
        rid, name, kana, birth, age, sex, address, hh, score, reasons, **ledger, flags=flags,
        intent=intent,
    )  # fmt: skip


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
                    intent=LatestIntent(True, True, "postcard_ocr", "2024-04-02T01:00:00+00:00"),
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


def resident_detail(
    rid: int = 1, bookings: tuple[Booking, ...] = (), mobility: tuple[MobilityRequest, ...] = ()
) -> ResidentDetail:
    members = [m for g in households() for m in g.members if m.household_id == 11]
    me = next(m for g in households() for m in g.members if m.resident_id == rid)
    return ResidentDetail(
        resident_id=me.resident_id,
        person_no=me.person_no,
        name=me.name,
        name_kana=me.name_kana,
        birth_date=me.birth_date,
        age=me.age,
        sex=me.sex,
        address=me.address,
        barcode=me.barcode,
        status="active",
        review="",
        household_id=me.household_id,
        household_no=me.household_no,
        household_address=me.address,
        members=tuple(
            HouseholdMember(
                m.resident_id,
                m.name,
                m.name_kana,
                m.birth_date,
                m.age,
                m.sex,
                "active",
                m.person_no,
                m.barcode,
            )
            for m in members
            if m.resident_id != rid
        ),
        phones=(PhoneLine("0773-62-1234", "+81773621234", "landline", "", True),),
        intents=(Intent(1, rid, True, True, "postcard_ocr", "2024-04-02T01:00:00+00:00", ""),),
        bookings=bookings,
        mobility_requests=mobility,
        calls=(call_record("1699990000.7", "2024-04-10T00:12:00+00:00", rid),),
    )


def call_record(linkedid: str, at: str, resident_id: int | None = None) -> CallRecord:
    return CallRecord(
        linkedid=linkedid,
        caller_raw="0773621234",
        caller_name_raw="",
        presentation="allowed",
        caller_status="number",
        caller_e164="+81773621234",
        matched_resident_id=resident_id,
        match_count=2,
        queue="vaccine",
        operator_id=7,
        extension="201",
        entered_at=at,
        answered_at=at,
        ended_at=at,
        hold_seconds=12.0,
        talk_seconds=95.0,
        outcome="answered",
        disposition="inquiry",
        notes="会場までの送迎について質問",
        updated_at=at,
    )


def booking(
    booking_id: int, resident_id: int, slot: SlotInfo, status: str = "booked", **kw: Any
) -> Booking:
    venue = next(v.name for v in VENUES if v.id == slot.venue_id)
    now = dt.datetime.now(dt.UTC).isoformat()
    fields: dict[str, Any] = {
        "booking_id": booking_id,
        "resident_id": resident_id,
        "slot_id": slot.slot_id,
        "venue_id": slot.venue_id,
        "venue_name": venue,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "dose": 1,
        "status": status,
        "channel": "phone",
        "created_by": 7,
        "call_linkedid": None,
        "client_key": None,
        "created_at": now,
        "updated_at": now,
    }
    return Booking(**(fields | kw))


VENUES = (
    Venue(1, "舞鶴市総合文化会館", "舞鶴市字浜2021", True),
    Venue(2, "西舞鶴保健センター", "舞鶴市字南田辺1", True),
)


def slots(day: dt.date, venue_id: int = 1, first_id: int = 1) -> list[SlotInfo]:
    out = []
    for i, hour in enumerate((9, 10, 11, 13, 14, 15)):
        start = dt.datetime.combine(day, dt.time(hour), JST)
        booked = (3, 10, 7, 0, 9, 2)[i]
        out.append(
            SlotInfo(
                first_id + i,
                venue_id,
                start.astimezone(dt.UTC).isoformat(),  # as the server sends it: UTC
                (start + dt.timedelta(minutes=30)).astimezone(dt.UTC).isoformat(),
                10,
                booked,
            )
        )
    return out


MOBILITY_OPTIONS = [
    {"code": "wheelchair", "ja": "車椅子", "en": "Wheelchair"},
    {"code": "companion", "ja": "付き添い", "en": "Companion"},
    {"code": "stretcher", "ja": "ストレッチャー", "en": "Stretcher"},
    {"code": "oxygen", "ja": "酸素ボンベ持参", "en": "Brings oxygen"},
]


def config_history() -> tuple[ConfigEntry, ...]:
    """Versions of the mobility options an admin saved (newest first)."""
    return (
        ConfigEntry("mobility_options", 3, MOBILITY_OPTIONS, 3, "2026-12-04T01:12:00+00:00",
                    "管理者 山本"),
        ConfigEntry("mobility_options", 2, MOBILITY_OPTIONS[:3], 4, "2026-12-02T06:40:00+00:00",
                    "管理者 佐々木"),
        ConfigEntry("mobility_options", 1, MOBILITY_OPTIONS[:2], 3, "2026-11-28T00:05:00+00:00",
                    "管理者 山本"),
    )  # fmt: skip
