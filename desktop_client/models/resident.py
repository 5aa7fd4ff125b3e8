"""The resident card, parsed tolerantly from GET /api/residents/{id}."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .dates import age_on, parse_iso_date
from .observable import Observable

_HALF_KANA = re.compile("[\uff61-\uff9f]+")


def full_width_kana(text: str) -> str:
    """Half-width katakana (ｶﾀｶﾅ, from old ledgers) as full-width (カタカナ); the rest unchanged."""
    return _HALF_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text or "")


def _pick(d: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


@dataclass(frozen=True)
class Member:
    resident_id: int
    name: str
    name_kana: str
    birth_date: dt.date | None
    relation: str = ""


@dataclass(frozen=True)
class BookingLine:
    booking_id: int
    slot_id: int
    venue_id: int | None
    venue_name: str
    starts_at: str
    ends_at: str
    status: str
    dose: int = 1


@dataclass(frozen=True)
class MobilityLine:
    request_id: int
    booking_id: int | None
    pickup_address: str
    wheelchair: bool
    companion: bool
    notes: str
    status: str


@dataclass(frozen=True)
class IntentLine:
    wants_vaccination: bool | None
    needs_mobility: bool | None
    channel: str
    recorded_at: str
    notes: str = ""


@dataclass(frozen=True)
class CallLine:
    linkedid: str
    at: str
    disposition: str
    notes: str
    operator: str = ""


@dataclass(frozen=True)
class ResidentCard:
    resident_id: int
    name: str
    name_kana: str
    birth_date: dt.date | None
    sex: str
    address: str
    household_no: str = ""
    person_no: str = ""  # 宛名番号
    phones: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()
    intents: tuple[IntentLine, ...] = ()
    bookings: tuple[BookingLine, ...] = ()
    mobility: tuple[MobilityLine, ...] = ()
    calls: tuple[CallLine, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def age(self, today: dt.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, today or dt.date.today())

    def active_booking(self) -> BookingLine | None:
        for b in self.bookings:
            if b.status == "booked":
                return b
        return None

    def latest_intent(self) -> IntentLine | None:
        return max(self.intents, key=lambda i: i.recorded_at) if self.intents else None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ResidentCard:
        res = d.get("resident") if isinstance(d.get("resident"), dict) else d
        house = d.get("household") if isinstance(d.get("household"), dict) else {}
        members = _pick(d, "members", "household_members", default=None)
        if members is None:
            members = house.get("members", [])
        phones = [
            p if isinstance(p, str) else _pick(p, "national", "display", "raw", default="")
            for p in _pick(d, "phones", default=[])
        ]
        return cls(
            resident_id=int(_pick(res, "id", "resident_id")),
            name=full_width_kana(_pick(res, "name", default="")),
            name_kana=full_width_kana(_pick(res, "name_kana", default="")),
            birth_date=parse_iso_date(_pick(res, "birth_date")),
            sex=_pick(res, "sex", default=""),
            address=_pick(res, "address", default=""),
            household_no=_pick(res, "household_no", default=house.get("household_no", "")),
            person_no=str(_pick(res, "person_no", default="")),
            phones=tuple(p for p in phones if p),
            members=tuple(_member(m) for m in members),
            intents=tuple(_intent(i) for i in _pick(d, "intents", default=[])),
            bookings=tuple(_booking(b) for b in _pick(d, "bookings", default=[])),
            mobility=tuple(
                _mobility(m) for m in _pick(d, "mobility_requests", "mobility", default=[])
            ),
            calls=tuple(_call(c) for c in _pick(d, "calls", "previous_calls", default=[])),
            raw=d,
        )


def _member(m: dict[str, Any]) -> Member:
    return Member(
        resident_id=int(_pick(m, "resident_id", "id")),
        name=full_width_kana(_pick(m, "name", default="")),
        name_kana=full_width_kana(_pick(m, "name_kana", default="")),
        birth_date=parse_iso_date(_pick(m, "birth_date")),
        relation=_pick(m, "relation", default=""),
    )


def _booking(b: dict[str, Any]) -> BookingLine:
    slot = b.get("slot") if isinstance(b.get("slot"), dict) else {}
    return BookingLine(
        booking_id=int(_pick(b, "booking_id", "id")),
        slot_id=int(_pick(b, "slot_id", default=slot.get("slot_id", 0))),
        venue_id=_pick(b, "venue_id", default=slot.get("venue_id")),
        venue_name=_pick(b, "venue_name", "venue", default=""),
        starts_at=_pick(b, "starts_at", default=slot.get("starts_at", "")),
        ends_at=_pick(b, "ends_at", default=slot.get("ends_at", "")),
        status=_pick(b, "status", default="booked"),
        dose=int(_pick(b, "dose", default=1)),
    )


def _mobility(m: dict[str, Any]) -> MobilityLine:
    return MobilityLine(
        request_id=int(_pick(m, "request_id", "id")),
        booking_id=_pick(m, "booking_id"),
        pickup_address=_pick(m, "pickup_address", default=""),
        wheelchair=bool(_pick(m, "wheelchair", default=False)),
        companion=bool(_pick(m, "companion", default=False)),
        notes=_pick(m, "notes", default=""),
        status=_pick(m, "status", default="open"),
    )


def _intent(i: dict[str, Any]) -> IntentLine:
    return IntentLine(
        wants_vaccination=_pick(i, "wants_vaccination"),
        needs_mobility=_pick(i, "needs_mobility"),
        channel=_pick(i, "channel", default=""),
        recorded_at=_pick(i, "recorded_at", default=""),
        notes=_pick(i, "notes", default=""),
    )


def _call(c: dict[str, Any]) -> CallLine:
    return CallLine(
        linkedid=_pick(c, "linkedid", default=""),
        at=_pick(c, "entered_at", "at", "answered_at", default=""),
        disposition=_pick(c, "disposition", default=""),
        notes=_pick(c, "notes", default=""),
        operator=str(_pick(c, "operator", "operator_name", default="")),
    )


class ResidentModel(Observable):
    """The card on screen (None until a resident is confirmed)."""

    def __init__(self) -> None:
        super().__init__()
        self.card: ResidentCard | None = None
        self.loading = False
        self.error = ""

    def set_card(self, card: ResidentCard | None, error: str = "") -> None:
        self.card = card
        self.loading = False
        self.error = error
        self.changed()
