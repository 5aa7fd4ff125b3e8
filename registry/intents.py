"""Intent confirmations (意向確認): wants vaccination? needs mobility support? From which channel.

Postcards read by OCR, web answers and phone answers are all kept; the newest is the current one.
Each record is audited. The caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.errors import InvalidInput, NotFound
from registry.idempotency import earlier, sent_twice_at_once
from registry.models import Intent, Resident, utcnow
from registry.views import IntentView, as_utc, check_choice

log = logging.getLogger(__name__)

CHANNELS = ("postcard_ocr", "web", "phone")


def intent_view(i: Intent) -> IntentView:
    return IntentView(
        intent_id=i.id,
        resident_id=i.resident_id,
        wants_vaccination=i.wants_vaccination,
        needs_mobility=i.needs_mobility,
        channel=i.channel,
        recorded_at=as_utc(i.recorded_at),
        notes=i.notes,
    )


def _check_answer(field: str, value: bool | None) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidInput(field, f"{field} must be true, false or unknown (null)")
    return value


async def record_intent(
    session: AsyncSession,
    *,
    resident_id: int,
    wants_vaccination: bool | None,
    needs_mobility: bool | None,
    channel: str,
    notes: str = "",
    operator_id: int | None = None,
    call_linkedid: str | None = None,
    client_key: str | None = None,
    source: str = "",
) -> IntentView:
    """Record one answer; ``None`` means the question was left unanswered. ``source``: where an
    answer without an operator came from (the residents' page: the client's address), for the
    audit.

    ``client_key`` is the client's idempotency key: a resend returns the answer the first made.
    """
    done = await earlier(session, Intent, client_key, resident_id)
    if done is not None:
        return intent_view(done)
    check_choice("channel", channel, CHANNELS)
    _check_answer("wants_vaccination", wants_vaccination)
    _check_answer("needs_mobility", needs_mobility)
    if not isinstance(notes, str):
        raise InvalidInput("notes", "notes must be text")
    if await session.scalar(select(Resident.id).where(Resident.id == resident_id)) is None:
        raise NotFound(f"resident {resident_id} not found", details={"resident_id": resident_id})
    try:
        intent_id = await session.scalar(
            insert(Intent)
            .values(
                resident_id=resident_id,
                wants_vaccination=wants_vaccination,
                needs_mobility=needs_mobility,
                channel=channel,
                notes=notes,
                recorded_at=utcnow(),
                client_key=client_key,
            )
            .returning(Intent.id)
        )
    except IntegrityError as err:  # a concurrent resend with the same key; caller rolls back
        raise sent_twice_at_once() from err
    assert intent_id is not None
    await audit(
        session,
        AuditAction.INTENT_RECORD,
        operator_id=operator_id,
        resident_id=resident_id,
        call_linkedid=call_linkedid,
        details={"intent_id": intent_id, "channel": channel}
        | ({"source": source} if source else {}),
    )
    log.info("intent %s recorded via %s", intent_id, channel)
    rows = await session.scalars(
        select(Intent).where(Intent.id == intent_id).execution_options(populate_existing=True)
    )
    return intent_view(rows.one())


async def latest_intents(session: AsyncSession, ids: Iterable[int]) -> dict[int, IntentView]:
    """The newest answer of each resident in ``ids`` that has one (any channel)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Intent)
        .where(Intent.resident_id.in_(wanted))
        .order_by(Intent.resident_id, Intent.recorded_at.desc(), Intent.id.desc())
    )
    latest: dict[int, IntentView] = {}
    for i in rows.all():
        if i.resident_id not in latest:
            latest[i.resident_id] = intent_view(i)
    return latest


async def intents_of(session: AsyncSession, resident_id: int) -> list[IntentView]:
    """The resident's answers, newest first."""
    rows = await session.scalars(
        select(Intent)
        .where(Intent.resident_id == resident_id)
        .order_by(Intent.recorded_at.desc(), Intent.id.desc())
        .execution_options(populate_existing=True)
    )
    return [intent_view(i) for i in rows.all()]
