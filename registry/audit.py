"""The append-only audit log: who did what to which resident, during which call.

Writes (bookings, mobility requests, intents, dispositions) are audited by the registry functions
that make them. Reads are not: ``residents.resident_detail`` does not audit by itself, because only
the caller knows who is looking and during which call; the web layer calls ``audit(session,
"resident.view", operator_id=..., resident_id=..., call_linkedid=...)`` for every resident view.
The database refuses UPDATE and DELETE on ``audit_log`` (triggers of migration 0001).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.errors import InvalidInput
from registry.models import AuditEntry, utcnow
from registry.views import View, as_utc

log = logging.getLogger(__name__)

MAX_ACTION = 48


@dataclasses.dataclass(frozen=True)
class AuditView(View):
    entry_id: int
    at: dt.datetime
    operator_id: int | None
    action: str
    resident_id: int | None
    call_linkedid: str | None
    details: dict[str, Any]


async def audit(
    session: AsyncSession,
    action: str,
    *,
    operator_id: int | None,
    resident_id: int | None = None,
    call_linkedid: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry (in the caller's transaction; the caller commits)."""
    if not action or len(action) > MAX_ACTION:
        raise InvalidInput("action", f"action must be 1 to {MAX_ACTION} characters")
    payload = dict(details or {})
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as err:
        raise InvalidInput("details", f"details must be JSON-serializable: {err}") from err
    await session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            action=action,
            operator_id=operator_id,
            resident_id=resident_id,
            call_linkedid=call_linkedid,
            details=payload,
        )
    )
    log.debug("audit %s operator=%s call=%s", action, operator_id, call_linkedid)


async def audit_entries(
    session: AsyncSession,
    *,
    resident_id: int | None = None,
    operator_id: int | None = None,
    limit: int = 100,
) -> list[AuditView]:
    """The latest entries, newest first, optionally for one resident and/or one operator."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if resident_id is not None:
        stmt = stmt.where(AuditEntry.resident_id == resident_id)
    if operator_id is not None:
        stmt = stmt.where(AuditEntry.operator_id == operator_id)
    rows = (await session.scalars(stmt)).all()
    return [
        AuditView(
            entry_id=r.id,
            at=as_utc(r.at),
            operator_id=r.operator_id,
            action=r.action,
            resident_id=r.resident_id,
            call_linkedid=r.call_linkedid,
            details=dict(r.details),
        )
        for r in rows
    ]
