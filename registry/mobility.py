"""Mobility-support (移動支援) requests: pickup address, the options chosen, status.

The options offered are the campaign setting ``mobility_options`` (``registry.campaign_config``);
a request stores the codes chosen. ``wheelchair`` and ``companion`` keep their own columns (the
assignment rules and the venue's reception read them); any other code goes to ``other_options``.
A code not offered is refused (``InvalidInput`` naming ``options``), except one the request already
has (an option removed from the setting since stays on the requests that chose it).

``client_key`` is the client's idempotency key: a resend returns the request the first one made.
Every change is audited with the operator and call. The caller commits.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry import campaign_config as cc
from registry.audit import AuditAction, audit
from registry.changes import MobilityChanged, note
from registry.errors import InvalidInput, NotFound
from registry.idempotency import earlier, sent_twice_at_once
from registry.models import Booking, MobilityRequest, Resident, utcnow
from registry.views import MobilityView, as_utc, check_choice

log = logging.getLogger(__name__)

STATUSES = ("open", "arranged", "done", "cancelled")
EDITABLE = frozenset(
    {"pickup_address", "wheelchair", "companion", "options", "notes", "status", "booking_id"}
)
COLUMN_OPTIONS = ("wheelchair", "companion")  # the codes stored as their own columns


def options_of(wheelchair: bool, companion: bool, other: list[str] | None) -> tuple[str, ...]:
    """The codes a request chose: ``wheelchair``, ``companion`` first, then the others."""
    flags = (("wheelchair",) if wheelchair else ()) + (("companion",) if companion else ())
    return flags + tuple(other or ())


async def offered_options(session: AsyncSession) -> tuple[str, ...]:
    """The codes of the mobility options the campaign offers now."""
    value = (await cc.current(session, cc.MOBILITY_OPTIONS)).value
    return tuple(str(o["code"]) for o in value)


def check_options(
    value: object, offered: tuple[str, ...], had: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The chosen codes, de-duplicated in order; one neither offered nor ``had`` is refused."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("options", "options must be a list of option codes")
    out: list[str] = []
    for code in value:
        if code not in offered and code not in had:
            raise InvalidInput(
                "options", f"unknown mobility option {code!r}; one of {', '.join(offered)}"
            )
        if code not in out:
            out.append(code)
    return tuple(out)


def option_columns(options: tuple[str, ...]) -> dict[str, Any]:
    """The columns that store ``options``."""
    return {
        "wheelchair": "wheelchair" in options,
        "companion": "companion" in options,
        "other_options": [o for o in options if o not in COLUMN_OPTIONS],
    }


def mobility_view(m: MobilityRequest) -> MobilityView:
    return MobilityView(
        request_id=m.id,
        resident_id=m.resident_id,
        booking_id=m.booking_id,
        pickup_address=m.pickup_address,
        wheelchair=m.wheelchair,
        companion=m.companion,
        options=options_of(m.wheelchair, m.companion, m.other_options),
        notes=m.notes,
        status=m.status,
        created_by=m.created_by,
        call_linkedid=m.call_linkedid,
        client_key=m.client_key,
        created_at=as_utc(m.created_at),
        updated_at=as_utc(m.updated_at),
    )


def _check_flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(field, f"{field} must be true or false")
    return value


def _check_text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, f"{field} must be text")
    return value.strip()


async def _check_booking(session: AsyncSession, booking_id: int | None, resident_id: int) -> None:
    if booking_id is None:
        return
    owner = await session.scalar(select(Booking.resident_id).where(Booking.id == booking_id))
    if owner != resident_id:
        raise InvalidInput("booking_id", "the booking does not exist or is not this resident's")


async def get_mobility_request(session: AsyncSession, request_id: int) -> MobilityView:
    rows = await session.scalars(
        select(MobilityRequest)
        .where(MobilityRequest.id == request_id)
        .execution_options(populate_existing=True)
    )
    m = rows.one_or_none()
    if m is None:
        raise NotFound(
            f"mobility request {request_id} not found", details={"request_id": request_id}
        )
    return mobility_view(m)


async def create_mobility_request(
    session: AsyncSession,
    *,
    resident_id: int,
    pickup_address: str,
    wheelchair: bool = False,
    companion: bool = False,
    options: tuple[str, ...] | list[str] = (),
    notes: str = "",
    booking_id: int | None = None,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
    client_key: str | None = None,
) -> MobilityView:
    """Record a request; an empty ``pickup_address`` means the resident's own address.

    The options chosen are ``options`` (codes) with ``wheelchair`` and ``companion`` added when
    those flags are true."""
    done = await earlier(session, MobilityRequest, client_key, resident_id)
    if done is not None:
        return await get_mobility_request(session, done.id)
    home = await session.scalar(select(Resident.address).where(Resident.id == resident_id))
    if home is None:
        raise NotFound(f"resident {resident_id} not found", details={"resident_id": resident_id})
    pickup = _check_text("pickup_address", pickup_address) or home.strip()
    if not pickup:
        raise InvalidInput("pickup_address", "a pickup address is needed")
    flags = options_of(
        _check_flag("wheelchair", wheelchair), _check_flag("companion", companion), None
    )
    chosen = check_options([*flags, *options], await offered_options(session), flags)
    values = {
        "resident_id": resident_id,
        "pickup_address": pickup,
        **option_columns(chosen),
        "notes": _check_text("notes", notes),
        "booking_id": booking_id,
        "status": "open",
        "created_by": operator_id,
        "call_linkedid": call_linkedid,
        "client_key": client_key,
    }
    await _check_booking(session, booking_id, resident_id)
    try:
        rid = await session.scalar(
            insert(MobilityRequest).values(**values).returning(MobilityRequest.id)
        )
    except IntegrityError as err:  # a concurrent resend with the same key; caller rolls back
        raise sent_twice_at_once() from err
    assert rid is not None
    await audit(
        session,
        AuditAction.MOBILITY_CREATE,
        operator_id=operator_id,
        resident_id=resident_id,
        call_linkedid=call_linkedid,
        details={"request_id": rid, "booking_id": booking_id},
    )
    log.info("mobility request %s created (operator %s, call %s)", rid, operator_id, call_linkedid)
    note(session, MobilityChanged(rid))
    return await get_mobility_request(session, rid)


async def update_mobility_request(
    session: AsyncSession,
    request_id: int,
    *,
    operator_id: int | None = None,
    call_linkedid: str | None = None,
    **changes: Any,
) -> MobilityView:
    """Change any of pickup_address, wheelchair, companion, options (every code chosen: the
    list given replaces the request's), notes, status, booking_id."""
    current = await get_mobility_request(session, request_id)
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in EDITABLE:
            raise InvalidInput(field, f"a mobility request has no editable field {field!r}")
        if field == "options":
            offered = await offered_options(session)
            values.update(option_columns(check_options(value, offered, current.options)))
        elif field in ("wheelchair", "companion"):
            values[field] = _check_flag(field, value)
        elif field == "status":
            values[field] = check_choice("status", value, STATUSES)
        elif field == "booking_id":
            await _check_booking(session, value, current.resident_id)
            values[field] = value
        else:
            values[field] = _check_text(field, value)
    if values.get("pickup_address") == "":
        raise InvalidInput("pickup_address", "a pickup address is needed")
    if not values:
        return current
    await session.execute(
        update(MobilityRequest)
        .where(MobilityRequest.id == request_id)
        .values(updated_at=utcnow(), **values)
    )
    await audit(
        session,
        AuditAction.MOBILITY_UPDATE,
        operator_id=operator_id,
        resident_id=current.resident_id,
        call_linkedid=call_linkedid,
        details={"request_id": request_id, "fields": sorted(values)},
    )
    log.info("mobility request %s updated: %s", request_id, ", ".join(sorted(values)))
    note(session, MobilityChanged(request_id))
    return await get_mobility_request(session, request_id)


async def list_mobility_requests(
    session: AsyncSession, *, status: str | None = None, resident_id: int | None = None
) -> list[MobilityView]:
    """Requests oldest first (a work list), filtered by status and/or resident."""
    stmt = select(MobilityRequest).order_by(MobilityRequest.created_at, MobilityRequest.id)
    if status is not None:
        stmt = stmt.where(MobilityRequest.status == check_choice("status", status, STATUSES))
    if resident_id is not None:
        stmt = stmt.where(MobilityRequest.resident_id == resident_id)
    rows = await session.scalars(stmt.execution_options(populate_existing=True))
    return [mobility_view(m) for m in rows.all()]


SUPPORT_LABELS = {"pickup": "送迎あり", "wheelchair": "車いす", "companion": "付き添い"}


async def support_needed(session: AsyncSession, resident_id: int) -> tuple[str, ...]:
    """What a resident's open or arranged mobility-support requests ask for, in a fixed order:
    ``pickup`` (a pickup address is on every request), ``wheelchair``, ``companion``."""
    rows = await session.execute(
        select(MobilityRequest.wheelchair, MobilityRequest.companion).where(
            MobilityRequest.resident_id == resident_id,
            MobilityRequest.status.in_(("open", "arranged")),
        )
    )
    found = rows.all()
    return support_of(bool(found), any(w for w, _ in found), any(c for _, c in found))


def support_of(any_request: bool, wheelchair: bool, companion: bool) -> tuple[str, ...]:
    """The needs in their fixed order, from whether there is a request and what it asks."""
    if not any_request:
        return ()
    return ("pickup",) + (("wheelchair",) if wheelchair else ()) + (
        ("companion",) if companion else ())  # fmt: skip


def support_label(needs: tuple[str, ...]) -> str:
    """The Japanese note shown at a venue's reception, e.g. ``送迎あり・車いす``."""
    return "・".join(SUPPORT_LABELS[n] for n in needs if n in SUPPORT_LABELS)
