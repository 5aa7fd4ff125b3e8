"""The resident card, decoded from GET /api/residents/{id} (``protocol.ResidentDetail``).

Times stay as the wire sends them (ISO-8601 with an offset, UTC from the server); the views show
them in Asia/Tokyo through ``dates.local_time``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from cti_server import protocol

from .dates import age_on, parse_iso_date, parse_iso_datetime, today_local
from .observable import Observable

_HALF_KANA = re.compile("[\uff61-\uff9f]+")


def full_width_kana(text: str) -> str:
    """Half-width katakana (ｶﾀｶﾅ, from old ledgers) as full-width (カタカナ); the rest unchanged."""
    return _HALF_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text or "")


@dataclass(frozen=True)
class Member:
    resident_id: int
    name: str
    name_kana: str
    birth_date: dt.date | None


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
    options: tuple[str, ...] = ()  # the option codes chosen (wheelchair, companion included)


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


@dataclass(frozen=True)
class ResidentCard:
    resident_id: int
    name: str
    name_kana: str
    birth_date: dt.date | None
    sex: str
    address: str
    household_no: str = ""  # 世帯番号
    person_no: str = ""  # 宛名番号
    barcode: str = ""  # はがき番号
    phones: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()
    intents: tuple[IntentLine, ...] = ()
    bookings: tuple[BookingLine, ...] = ()
    mobility: tuple[MobilityLine, ...] = ()
    calls: tuple[CallLine, ...] = ()

    def age(self, today: dt.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, today or today_local())

    def active_booking(self) -> BookingLine | None:
        for b in self.bookings:
            if b.status == "booked":
                return b
        return None

    def latest_intent(self) -> IntentLine | None:
        if not self.intents:
            return None
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        return max(self.intents, key=lambda i: parse_iso_datetime(i.recorded_at) or epoch)

    @classmethod
    def from_detail(cls, d: protocol.ResidentDetail) -> ResidentCard:
        return cls(
            resident_id=d.resident_id,
            name=full_width_kana(d.name),
            name_kana=full_width_kana(d.name_kana),
            birth_date=parse_iso_date(d.birth_date),
            sex=d.sex,
            address=d.address,
            household_no=d.household_no,
            person_no=d.person_no,
            barcode=d.barcode,
            phones=tuple(p.national for p in d.phones if p.national),
            members=tuple(
                Member(
                    m.resident_id,
                    full_width_kana(m.name),
                    full_width_kana(m.name_kana),
                    parse_iso_date(m.birth_date),
                )
                for m in d.members
            ),
            intents=tuple(
                IntentLine(i.wants_vaccination, i.needs_mobility, i.channel, i.recorded_at, i.notes)
                for i in d.intents
            ),
            bookings=tuple(booking_line(b) for b in d.bookings),
            mobility=tuple(
                MobilityLine(
                    m.request_id,
                    m.booking_id,
                    m.pickup_address,
                    m.wheelchair,
                    m.companion,
                    m.notes,
                    m.status,
                    m.options
                    or (("wheelchair",) if m.wheelchair else ())
                    + (("companion",) if m.companion else ()),
                )
                for m in d.mobility_requests
            ),
            calls=tuple(
                CallLine(c.linkedid, c.entered_at or c.updated_at, c.disposition, c.notes)
                for c in d.calls
            ),
        )


def booking_line(b: protocol.Booking) -> BookingLine:
    return BookingLine(
        booking_id=b.booking_id,
        slot_id=b.slot_id,
        venue_id=b.venue_id,
        venue_name=b.venue_name,
        starts_at=b.starts_at,
        ends_at=b.ends_at,
        status=b.status,
        dose=b.dose,
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
