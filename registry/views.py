"""Frozen views returned by the registry's operation modules (venues, bookings, calls, ...),
and the small input checks they share.

Views are plain values: no session, no lazy loading. Datetimes are timezone-aware UTC; ``to_dict()``
gives a JSON-ready dict (datetimes and dates as ISO 8601 strings, tuples as lists).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from registry.errors import InvalidInput


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored datetime as aware UTC (SQLite hands back naive UTC values)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def opt_utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


def jsonable(value: Any) -> Any:
    """``value`` with dataclasses, dates and tuples turned into JSON-ready types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


class View:
    """Base of the views: ``to_dict()`` gives a JSON-ready dict."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable(self)
        return out


@dataclasses.dataclass(frozen=True)
class VenueInfo(View):
    venue_id: int
    name: str
    address: str
    active: bool


@dataclasses.dataclass(frozen=True)
class SlotView(View):
    slot_id: int
    venue_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "remaining": self.remaining}


@dataclasses.dataclass(frozen=True)
class BookingView(View):
    booking_id: int
    resident_id: int
    slot_id: int
    venue_id: int
    venue_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    dose: int
    status: str  # booked / cancelled / attended
    channel: str  # phone / web / paper / assigned
    created_by: int | None
    call_linkedid: str | None
    client_key: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class MobilityView(View):
    request_id: int
    resident_id: int
    booking_id: int | None
    pickup_address: str
    wheelchair: bool
    companion: bool
    options: tuple[str, ...]  # the option codes chosen (wheelchair, companion included)
    notes: str
    status: str  # open / arranged / done / cancelled
    created_by: int | None
    call_linkedid: str | None
    client_key: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class IntentView(View):
    intent_id: int
    resident_id: int
    wants_vaccination: bool | None
    needs_mobility: bool | None
    channel: str  # postcard_ocr / web / phone
    recorded_at: dt.datetime
    notes: str


@dataclasses.dataclass(frozen=True)
class CallView(View):
    linkedid: str
    caller_raw: str
    caller_name_raw: str
    presentation: str
    caller_status: str
    caller_e164: str | None
    matched_resident_id: int | None
    match_count: int
    queue: str
    operator_id: int | None
    extension: str | None
    entered_at: dt.datetime | None
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    hold_seconds: float | None
    talk_seconds: float | None
    outcome: str
    disposition: str
    notes: str
    updated_at: dt.datetime
    recovered: bool = False  # rebuilt from a PBX snapshot after a gap


@dataclasses.dataclass(frozen=True)
class OperatorView(View):
    id: int
    username: str
    display_name: str
    role: str  # operator / supervisor / admin / kiosk
    extension: str | None  # the default one
    active: bool
    extensions: tuple[str, ...] = ()  # every extension allowed at log-in, the default first
    venue_id: int | None = None  # a reception account's venue


@dataclasses.dataclass(frozen=True)
class PhoneView(View):
    national: str  # "0773-62-1234"; the raw value when the number could not be indexed
    e164: str | None
    kind: str
    flags: str
    shared: bool  # a household's number (landline) rather than the resident's own


@dataclasses.dataclass(frozen=True)
class MemberView(View):
    """Another member of the resident's household."""

    resident_id: int
    name: str
    name_kana: str
    birth_date: dt.date | None
    age: int | None
    sex: str
    status: str
    person_no: str  # 宛名番号
    barcode: str  # はがき番号


@dataclasses.dataclass(frozen=True)
class ResidentDetail(View):
    """Everything the operator card shows about one resident."""

    resident_id: int
    person_no: str
    name: str
    name_kana: str
    birth_date: dt.date | None
    age: int | None
    sex: str
    address: str
    barcode: str
    status: str
    review: str
    household_id: int | None
    household_no: str
    household_address: str
    members: tuple[MemberView, ...]
    phones: tuple[PhoneView, ...]
    intents: tuple[IntentView, ...]
    bookings: tuple[BookingView, ...]
    mobility_requests: tuple[MobilityView, ...]
    calls: tuple[CallView, ...]


def aware_utc(field: str, value: dt.datetime) -> dt.datetime:
    """An input datetime as UTC; naive values are refused (their zone would be a guess)."""
    if not isinstance(value, dt.datetime):
        raise InvalidInput(field, f"{field} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, f"{field} must be timezone-aware")
    return value.astimezone(dt.UTC)


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidInput(field, f"{field} must be one of {', '.join(choices)}; got {value!r}")
    return value
