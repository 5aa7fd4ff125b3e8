"""SQLAlchemy 2.0 models of everything the project stores.

Times are stored timezone-aware in UTC. Phone numbers live in their own table as E.164 text
(indexed) beside the raw value; one number may belong to many residents and to a household.
Capacity is enforced by the database: ``slots.booked`` is changed only by a conditional
``UPDATE ... WHERE booked < capacity`` and guarded by a CHECK constraint.
No column may ever hold a My Number (個人番号) or a 住民票コード.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_no: Mapped[str] = mapped_column(String(32), unique=True)  # 世帯番号
    address: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    residents: Mapped[list[Resident]] = relationship(back_populates="household")


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_no: Mapped[str] = mapped_column(String(32), unique=True)  # 宛名番号
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(Text)  # 氏名 as written, "family given" with one space
    name_kana: Mapped[str] = mapped_column(Text, default="")  # 氏名カナ as written
    name_key: Mapped[str] = mapped_column(Text, default="", index=True)  # folded kanji key
    kana_key: Mapped[str] = mapped_column(Text, default="", index=True)  # folded katakana key
    birth_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    sex: Mapped[str] = mapped_column(String(1), default="")  # "M", "F" or "" (unknown)
    address: Mapped[str] = mapped_column(Text, default="")
    barcode: Mapped[str] = mapped_column(String(16), unique=True)  # digits + Damm check digit
    status: Mapped[str] = mapped_column(String(16), default="active")  # active/moved/deceased
    review: Mapped[str] = mapped_column(Text, default="")  # why a person should check the row
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="residents")
    phones: Mapped[list[Phone]] = relationship(back_populates="resident")


class Phone(Base):
    """A phone number of a resident (their own) or of a household (a shared landline)."""

    __tablename__ = "phones"
    __table_args__ = (
        CheckConstraint("resident_id IS NOT NULL OR household_id IS NOT NULL", name="has_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str | None] = mapped_column(String(20), index=True)  # NULL: could not index
    raw: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="")  # landline/mobile/toll_free/ip/other
    flags: Mapped[str] = mapped_column(String(64), default="")  # e.g. "defaulted_area,review"
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)

    resident: Mapped[Resident | None] = relationship(back_populates="phones")


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    slots: Mapped[list[Slot]] = relationship(back_populates="venue")


class Slot(Base):
    """One time slot at a venue. ``booked`` counts active bookings; the DB keeps it <= capacity."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= capacity", name="within_capacity"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_slots_venue_start", "venue_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    venue: Mapped[Venue] = relationship(back_populates="slots")


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        # A resident holds at most one active booking per dose: never booked twice.
        Index(
            "uq_bookings_active_resident_dose",
            "resident_id",
            "dose",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    dose: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="booked")  # booked/cancelled/attended
    channel: Mapped[str] = mapped_column(String(16))  # phone/web/paper/assigned
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    call_linkedid: Mapped[str | None] = mapped_column(String(64))
    # Idempotency key sent by the client (migration 0002): a resend returns the first record.
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Checked in at the venue's reception (migration 0008): set once, by a conditional UPDATE.
    checked_in_at: Mapped[dt.datetime | None]
    checked_in_desk: Mapped[str | None] = mapped_column(String(64))
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    # Holds one of the slot's transport seats (``SlotSupport.transport_booked``; migration 0006).
    transport: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class CheckinScan(Base):
    """One barcode scan at a venue's reception, kept once per ``scan_id`` (the page's id for it):
    a resend returns the stored ``result`` instead of scanning again."""

    __tablename__ = "checkin_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    desk: Mapped[str] = mapped_column(String(64))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    barcode: Mapped[str] = mapped_column(String(64))  # as scanned (may be mistyped)
    outcome: Mapped[str] = mapped_column(String(24))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    scanned_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SlotSupport(Base):
    """What a slot offers residents who need help (移動支援): transport seats (counted like
    capacity, the database keeps ``transport_booked <= transport_seats``) and wheelchair access.
    No row: no transport, no wheelchair access."""

    __tablename__ = "slot_support"
    __table_args__ = (
        CheckConstraint(
            "transport_booked >= 0 AND transport_booked <= transport_seats", name="within_seats"
        ),
        CheckConstraint("pickup_minutes >= 0", name="pickup_non_negative"),
    )

    slot_id: Mapped[int] = mapped_column(
        ForeignKey("slots.id", ondelete="CASCADE"), primary_key=True
    )
    transport_seats: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    transport_booked: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    wheelchair: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # the pickup is this many minutes before the slot starts
    pickup_minutes: Mapped[int] = mapped_column(Integer, default=45, server_default=text("45"))


class VenueDistance(Base):
    """How far a venue is from a district (町字), in metres: nearest venue first."""

    __tablename__ = "venue_distances"
    __table_args__ = (CheckConstraint("distance_m >= 0", name="non_negative"),)

    venue_id: Mapped[int] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    district: Mapped[str] = mapped_column(String(64), primary_key=True)
    distance_m: Mapped[int] = mapped_column(Integer)


class UnavailableDay(Base):
    """A day a resident said they cannot come (an assignment never puts them on it)."""

    __tablename__ = "unavailable_days"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MobilityRequest(Base):
    """A mobility-support (移動支援) request: pickup, wheelchair, companion."""

    __tablename__ = "mobility_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    pickup_address: Mapped[str] = mapped_column(Text)
    wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    companion: Mapped[bool] = mapped_column(Boolean, default=False)
    # the chosen configured options other than wheelchair and companion, as codes (migration 0014)
    other_options: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open/arranged/done/cancelled
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    call_linkedid: Mapped[str | None] = mapped_column(String(64))
    # Idempotency key sent by the client (migration 0002): a resend returns the first record.
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Intent(Base):
    """An intent confirmation (意向確認) as answered on a postcard, the web or the phone."""

    __tablename__ = "intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    wants_vaccination: Mapped[bool | None] = mapped_column(Boolean)
    needs_mobility: Mapped[bool | None] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(16))  # postcard_ocr/web/phone
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notes: Mapped[str] = mapped_column(Text, default="")
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    role: Mapped[str] = mapped_column(String(16))  # operator/supervisor/admin/kiosk/reception
    extension: Mapped[str | None] = mapped_column(String(32))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))  # reception's venue
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Tokens carry the generation they were issued under; bumping it revokes them all.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OperatorExtension(Base):
    """Extensions an operator may log in at besides ``operators.extension`` (the default)."""

    __tablename__ = "operator_extensions"

    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    extension: Mapped[str] = mapped_column(String(32), primary_key=True)


class LoginFailure(Base):
    """Failed logins of one username (known or not) from one source address, decaying in time."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float] = mapped_column(default=0.0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(index=True)
    locked_until: Mapped[dt.datetime | None]


class ResidentSessionEnd(Base):
    """A residents' page session ended by the resident (終了する) before its cookie expires: the
    cookie is signed, not stored, so a copy of it (a shared computer's browser, its history)
    would open the page until ``expires_at`` without this row. Rows past it are pruned."""

    __tablename__ = "resident_session_ends"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class CallRecord(Base):
    """One call, keyed by the PBX's Linkedid; written by upsert so several servers agree."""

    __tablename__ = "call_records"

    linkedid: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller_raw: Mapped[str] = mapped_column(Text, default="")
    caller_name_raw: Mapped[str] = mapped_column(Text, default="")
    presentation: Mapped[str] = mapped_column(String(64), default="")
    caller_status: Mapped[str] = mapped_column(String(16), default="")  # number/withheld/...
    caller_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    matched_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    match_count: Mapped[int] = mapped_column(Integer, default=0)
    queue: Mapped[str] = mapped_column(String(64), default="", index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    extension: Mapped[str | None] = mapped_column(String(32))
    entered_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    hold_seconds: Mapped[float | None]
    talk_seconds: Mapped[float | None]
    outcome: Mapped[str] = mapped_column(String(24), default="ongoing")
    disposition: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # rebuilt from a PBX snapshot after a gap (restart, lost link): times are the snapshot's
    recovered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Append-only: triggers in the migrations refuse UPDATE, DELETE, a REPLACE (SQLite) and
    TRUNCATE (PostgreSQL). ``chain`` links each entry to the one before (``registry.audit``)."""

    __tablename__ = "audit_log"
    # the newest entry of an action (the last assignment run on the board; migration 0012)
    __table_args__ = (Index("ix_audit_log_action_id", "action", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    action: Mapped[str] = mapped_column(String(48))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    call_linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    chain: Mapped[str | None] = mapped_column(String(64))


class PostcardScan(Base):
    """One returned postcard as read: a scanned page, or a row of an AI-OCR service's CSV.

    ``image_hash`` (a page's pixels, or an OCR row's content) makes reading idempotent. Every
    scan ends ``applied`` (``intent_id`` set) or ``review`` (a ``PostcardReview`` says why), and a
    review ends ``applied`` or ``rejected``.
    """

    __tablename__ = "postcard_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    image_hash: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # scan/ocr
    source: Mapped[str] = mapped_column(Text)  # the scan file (or the OCR CSV)
    page: Mapped[int] = mapped_column(Integer)  # page in the file (line of the OCR CSV)
    barcode: Mapped[str | None] = mapped_column(String(32), index=True)  # as read; may be invalid
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # question -> value or null
    readings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per box: state, ink, ...
    note_image: Mapped[str] = mapped_column(Text, default="")  # PNG crop of the free-text field
    card_image: Mapped[str] = mapped_column(Text, default="")  # the aligned answer side (review)
    status: Mapped[str] = mapped_column(String(16), index=True)  # applied/review/rejected
    intent_id: Mapped[int | None] = mapped_column(ForeignKey("intents.id"))
    read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PostcardReview(Base):
    """Why a returned postcard needs a person, and what the person decided."""

    __tablename__ = "postcard_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("postcard_scans.id"), unique=True)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open/accepted/rejected
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution: Mapped[dict[str, Any]] = mapped_column(default=dict)  # answers given, comment


class ContactRequest(Base):
    """A resident's request to be contacted (a change of their booking asked for on the web);
    the call center's callback worklist takes the open ones."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    kind: Mapped[str] = mapped_column(String(16))  # reschedule/cancel/other
    note: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))  # web
    status: Mapped[str] = mapped_column(String(16), index=True)  # open/done
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WorkItem(Base):
    """One entry of the callback worklist (折り返しリスト): whom to call, why, and what to offer.

    ``source_ref`` names what put it there (``slot:12:booking:40``, ``call:<linkedid>``, ...) and
    is unique, so feeding the same cause twice adds nothing. A claim is one conditional UPDATE:
    two operators never hold the same item; ``claim_until`` lets a forgotten claim lapse.
    """

    __tablename__ = "worklist_items"
    __table_args__ = (
        CheckConstraint("resident_id IS NOT NULL OR phone IS NOT NULL", name="has_whom"),
        Index("ix_worklist_items_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_ref: Mapped[str] = mapped_column(String(128), unique=True)
    reason: Mapped[str] = mapped_column(String(24), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164 when it could be read
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # conflicts, booking, note
    proposed_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher is called first
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[dt.datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="open")  # open/claimed/done/exhausted
    outcome: Mapped[str] = mapped_column(String(24), default="")  # the last one recorded
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    claimed_at: Mapped[dt.datetime | None]
    claim_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None]


class WorkAttempt(Base):
    """One outcome recorded on a worklist item (the item's history)."""

    __tablename__ = "worklist_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("worklist_items.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    outcome: Mapped[str] = mapped_column(String(24))  # reached/no_answer/wrong_number/call_later
    call_later_at: Mapped[dt.datetime | None]
    call_linkedid: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class CampaignConfig(Base):
    """One version of one campaign setting an admin edits (wrap-up codes, the retry policy...).

    Append-only: ``registry.campaign_config`` only inserts, and the database's triggers refuse
    UPDATE and DELETE (migration 0014); the newest version of a key is
    its current value. ``(key, version)`` is unique, so two admins saving over the same version
    give one new version and one refusal.
    """

    __tablename__ = "campaign_config"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_campaign_config_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    value: Mapped[Any] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
