"""The operator card: everything about one resident in one frozen ``ResidentDetail``.

``resident_detail`` does NOT write to the audit log by itself: only the caller knows who is
looking and during which call. The web layer must call ``audit(session,
AuditAction.RESIDENT_VIEW, operator_id=..., resident_id=..., call_linkedid=...)`` for every
resident view it serves (and commit it).

``resident_by_barcode`` finds the resident of a postcard number (はがき番号: 11 digits and a Damm
check digit), read out over the phone or typed by a USB scanner.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.bookings import bookings_of
from registry.calls import calls_of_resident
from registry.errors import InvalidInput, NotFound
from registry.find.matching import ResidentMatch
from registry.intents import intents_of
from registry.mobility import list_mobility_requests
from registry.models import Household, Phone, Resident
from registry.normalize.barcode import SERIAL_DIGITS, is_valid_barcode
from registry.normalize.phone import normalize_caller_id
from registry.views import MemberView, PhoneView, ResidentDetail

log = logging.getLogger(__name__)

TZ = "Asia/Tokyo"


def age_on(birth: dt.date | None, today: dt.date) -> int | None:
    """Completed years on ``today`` (a 29 February birthday counts from 1 March in common years)."""
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def today_in(tz: str = TZ) -> dt.date:
    return dt.datetime.now(ZoneInfo(tz)).date()


def _national(p: Phone) -> str:
    if p.e164:
        shown = normalize_caller_id(p.e164).national
        if shown:
            return shown
    return p.raw


async def _phones(session: AsyncSession, r: Resident) -> tuple[PhoneView, ...]:
    owner = Phone.resident_id == r.id
    if r.household_id is not None:
        owner = or_(owner, (Phone.household_id == r.household_id) & Phone.resident_id.is_(None))
    rows = await session.scalars(select(Phone).where(owner).order_by(Phone.id))
    out: list[PhoneView] = []
    seen: set[str] = set()
    for p in rows.all():
        key = p.e164 or f"raw:{p.raw}"
        if key in seen:
            continue
        seen.add(key)
        out.append(
            PhoneView(
                national=_national(p),
                e164=p.e164,
                kind=p.kind,
                flags=p.flags,
                shared=p.resident_id is None,
            )
        )
    return tuple(out)


async def _members(session: AsyncSession, r: Resident, today: dt.date) -> tuple[MemberView, ...]:
    if r.household_id is None:
        return ()
    rows = await session.scalars(
        select(Resident)
        .where(Resident.household_id == r.household_id, Resident.id != r.id)
        .order_by(Resident.birth_date.is_(None), Resident.birth_date, Resident.id)
    )
    return tuple(
        MemberView(
            resident_id=m.id,
            name=m.name,
            name_kana=m.name_kana,
            birth_date=m.birth_date,
            age=age_on(m.birth_date, today),
            sex=m.sex,
            status=m.status,
            person_no=m.person_no,
            barcode=m.barcode,
        )
        for m in rows.all()
    )


async def resident_detail(
    session: AsyncSession,
    resident_id: int,
    *,
    today: dt.date | None = None,
    calls_limit: int = 20,
) -> ResidentDetail:
    """The card of ``resident_id`` (NotFound if absent); ages as of ``today`` in Asia/Tokyo."""
    r = await session.get(Resident, resident_id, populate_existing=True)
    if r is None:
        raise NotFound(f"resident {resident_id} not found", details={"resident_id": resident_id})
    today = today or today_in()
    household = None
    if r.household_id is not None:
        household = await session.get(Household, r.household_id)
    return ResidentDetail(
        resident_id=r.id,
        person_no=r.person_no,
        name=r.name,
        name_kana=r.name_kana,
        birth_date=r.birth_date,
        age=age_on(r.birth_date, today),
        sex=r.sex,
        address=r.address,
        barcode=r.barcode,
        status=r.status,
        review=r.review,
        household_id=r.household_id,
        household_no=household.household_no if household else "",
        household_address=household.address if household else "",
        members=await _members(session, r, today),
        phones=await _phones(session, r),
        intents=tuple(await intents_of(session, r.id)),
        bookings=tuple(await bookings_of(session, r.id)),
        mobility_requests=tuple(await list_mobility_requests(session, resident_id=r.id)),
        calls=tuple(await calls_of_resident(session, r.id, limit=calls_limit)),
    )


BARCODE_LENGTH = SERIAL_DIGITS + 1
_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u2212\u30fc")


def normalize_barcode(code: str) -> str:
    """Full-width digits to ASCII, spaces and dashes out; InvalidInput("barcode") if not 12
    digits, or if the check digit does not match."""
    if not isinstance(code, str):
        raise InvalidInput("barcode", "a postcard number is text of 12 digits")
    text = unicodedata.normalize("NFKC", code).translate(_SEPARATORS)
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput("barcode", "a postcard number has digits only")
    if len(text) != BARCODE_LENGTH:
        raise InvalidInput(
            "barcode",
            f"a postcard number has {BARCODE_LENGTH} digits; got {len(text)}",
            details={"length": len(text)},
        )
    if not is_valid_barcode(text):
        raise InvalidInput("barcode", "check digit does not match: a digit was probably misheard")
    return text


async def resident_by_barcode(session: AsyncSession, code: str) -> ResidentMatch:
    """The resident whose postcard carries ``code`` (score 100, reason "barcode").

    InvalidInput (field "barcode") for a malformed code or a wrong check digit; NotFound when the
    code is valid but belongs to no one in the ledger. Not audited: the caller audits the view.
    """
    barcode = normalize_barcode(code)
    r = await session.scalar(select(Resident).where(Resident.barcode == barcode))
    if r is None:
        raise NotFound("no resident has this postcard number", details={"field": "barcode"})
    household_no = ""
    if r.household_id is not None:
        household = await session.get(Household, r.household_id)
        household_no = household.household_no if household else ""
    reasons = ("barcode",) if r.status == "active" else ("barcode", f"status:{r.status}")
    return ResidentMatch(
        resident_id=r.id,
        name=r.name,
        name_kana=r.name_kana,
        birth_date=r.birth_date,
        sex=r.sex,
        address=r.address,
        household_id=r.household_id,
        household_no=household_no,
        score=100.0,
        reasons=reasons,
        person_no=r.person_no,
        barcode=r.barcode,
    )
