"""A resident on the web page: who they are (postcard number + birth date) and what they may see.

- ``identify`` answers the resident's id, or None for an unknown number, a wrong birth date or
  a resident no longer active: the same answer and the same work (one lookup, two failure
  counts, one audit entry) either way, so the answers do not tell which numbers exist.
- Failures are counted per (number, source address) in the decaying lockout of
  ``registry.lockout`` (its table, under the key ``web:<number>``): five failures lock that pair,
  doubling up to an hour. A source with no failures for a number is never locked, so nobody can
  lock a resident out from elsewhere. Failures are also counted for the number across every
  source (source ``*``); while that count is at ``UNDER_ATTACK`` or more, a source that has
  failed once on the number must wait (guessing from many addresses slows down; a clean source
  still gets in).
- ``own_record`` is what the page shows: the name masked (``髙橋 一●``), the latest answer, the
  resident's bookings with their venue, the requests they sent that are not answered yet; no
  ledger number, nothing of anyone else. Audited.
- ``end_session`` keeps the id of a session the resident ended (the page's cookie is signed,
  not stored) until the cookie would have expired; ``session_ended`` tells the page.

The caller commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import lockout
from registry.audit import AuditAction, audit
from registry.bookings import bookings_of
from registry.contact_requests import ContactRequestView, open_requests
from registry.errors import AccountLocked, NotFound
from registry.intents import intents_of
from registry.models import LoginFailure, Resident, ResidentSessionEnd, Venue
from registry.normalize.names import mask_name
from registry.views import BookingView, IntentView

KEY_PREFIX = "web:"
ALL_SOURCES = "*"
UNDER_ATTACK = 20  # failures on one number, every source together (decaying)


async def _score(session: AsyncSession, key: str, source: str, now: dt.datetime) -> float:
    row = await session.scalar(
        select(LoginFailure)
        .where(LoginFailure.username == key, LoginFailure.source == source)
        .execution_options(populate_existing=True)
    )
    return 0.0 if row is None else lockout.decayed(row.score, row.last_failure_at, now)


async def check_allowed(session: AsyncSession, barcode: str, source: str, now: dt.datetime) -> None:
    """``AccountLocked`` while this source may not try this number."""
    key = KEY_PREFIX + barcode
    await lockout.check(session, key, source, now)
    attacked = math.ceil(await _score(session, key, ALL_SOURCES, now) - 1e-9) >= UNDER_ATTACK
    if attacked and await _score(session, key, source, now) > 0.0:
        raise AccountLocked(now + lockout.BASE_LOCK)


@dataclasses.dataclass(frozen=True)
class Identification:
    resident_id: int | None  # None: not identified
    locked_until: dt.datetime | None = None  # set when this source may not try yet


async def identify(
    session: AsyncSession, barcode: str, birth: dt.date, source: str, now: dt.datetime
) -> Identification:
    """Who the resident is if ``barcode`` and ``birth`` are theirs. Every try is audited."""
    key = KEY_PREFIX + barcode
    r = await session.scalar(select(Resident).where(Resident.barcode == barcode))
    try:
        await check_allowed(session, barcode, source, now)
    except AccountLocked as err:
        await _audit_try(session, r, "locked", source)
        return Identification(None, err.until)
    ok = r is not None and r.status == "active" and r.birth_date == birth
    if ok:
        await lockout.clear(session, key, source)
    else:
        await lockout.record_failure(session, key, source, now)
        await lockout.record_failure(session, key, ALL_SOURCES, now)
    await _audit_try(session, r, "ok" if ok else "refused", source)
    return Identification(r.id if ok and r is not None else None)


async def end_session(
    session: AsyncSession, sid: str, expires_at: dt.datetime, now: dt.datetime
) -> None:
    """The session ``sid`` (its cookie valid until ``expires_at``) is over; the ends of
    sessions that have expired anyway are dropped."""
    await session.execute(delete(ResidentSessionEnd).where(ResidentSessionEnd.expires_at < now))
    if expires_at > now and await session.get(ResidentSessionEnd, sid) is None:
        session.add(ResidentSessionEnd(sid=sid, expires_at=expires_at))
        await session.flush()


async def session_ended(session: AsyncSession, sid: str) -> bool:
    return await session.get(ResidentSessionEnd, sid) is not None


async def _audit_try(session: AsyncSession, r: Resident | None, result: str, source: str) -> None:
    await audit(
        session,
        AuditAction.RESIDENT_IDENTIFY,
        operator_id=None,
        resident_id=None if r is None else r.id,
        details={"result": result, "channel": "web", "source": source},
    )


@dataclasses.dataclass(frozen=True)
class OwnBooking:
    booking: BookingView
    venue_address: str


@dataclasses.dataclass(frozen=True)
class OwnRecord:
    masked_name: str
    intent: IntentView | None
    bookings: tuple[OwnBooking, ...]  # active ones, by start
    requests: tuple[ContactRequestView, ...] = ()  # asked on the page, not yet answered


async def own_record(session: AsyncSession, resident_id: int, source: str) -> OwnRecord:
    """What the resident's page shows of them (audited as ``resident.self_view``)."""
    r = await session.get(Resident, resident_id, populate_existing=True)
    if r is None:
        raise NotFound(f"resident {resident_id} not found", details={"resident_id": resident_id})
    intents = await intents_of(session, resident_id)
    active = [b for b in await bookings_of(session, resident_id) if b.status == "booked"]
    venue_ids = {b.venue_id for b in active}
    rows = await session.execute(select(Venue.id, Venue.address).where(Venue.id.in_(venue_ids)))
    addresses: dict[int, str] = {int(i): str(a) for i, a in rows.all()}
    await audit(
        session,
        AuditAction.RESIDENT_SELF_VIEW,
        operator_id=None,
        resident_id=resident_id,
        details={"channel": "web", "source": source},
    )
    asked = await open_requests(session, resident_id=resident_id)
    return OwnRecord(
        masked_name=mask_name(r.name),
        intent=intents[0] if intents else None,
        bookings=tuple(OwnBooking(b, addresses.get(b.venue_id, "")) for b in active),
        requests=tuple(asked),
    )
