"""The review queue of returned postcards: list the open items, accept one (with the reviewer's
corrections) as an intent, or reject it. Every decision is audited with the operator. The
caller commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.errors import Conflict, InvalidInput, NotFound
from registry.intents import record_intent
from registry.models import PostcardReview, PostcardScan, Resident, utcnow
from registry.paper.rules import check_answers, check_barcode, intent_values
from registry.paper.store import CHANNEL
from registry.views import View, as_utc, opt_utc

log = logging.getLogger(__name__)

STATUSES = ("open", "accepted", "rejected")
MAX_COMMENT = 2000


@dataclasses.dataclass(frozen=True)
class ReviewView(View):
    review_id: int
    scan_id: int
    status: str
    reasons: list[dict[str, Any]]
    kind: str
    source: str
    page: int
    barcode: str | None
    resident_id: int | None
    answers: dict[str, Any]
    readings: dict[str, Any]
    note_image: str
    card_image: str
    created_at: dt.datetime
    resolved_by: int | None
    resolved_at: dt.datetime | None
    resolution: dict[str, Any]


def _view(r: PostcardReview, s: PostcardScan) -> ReviewView:
    return ReviewView(
        review_id=r.id,
        scan_id=s.id,
        status=r.status,
        reasons=list(r.reasons),
        kind=s.kind,
        source=s.source,
        page=s.page,
        barcode=s.barcode,
        resident_id=s.resident_id,
        answers=dict(s.answers),
        readings=dict(s.readings),
        note_image=s.note_image,
        card_image=s.card_image,
        created_at=as_utc(r.created_at),
        resolved_by=r.resolved_by,
        resolved_at=opt_utc(r.resolved_at),
        resolution=dict(r.resolution),
    )


async def list_reviews(
    session: AsyncSession, *, status: str = "open", after_id: int = 0, limit: int = 50
) -> list[ReviewView]:
    """Review items in the order they arrived (``after_id`` pages on)."""
    if status not in STATUSES:
        raise InvalidInput("status", f"status must be one of {', '.join(STATUSES)}")
    rows = await session.execute(
        select(PostcardReview, PostcardScan)
        .join(PostcardScan, PostcardScan.id == PostcardReview.scan_id)
        .where(PostcardReview.status == status, PostcardReview.id > after_id)
        .order_by(PostcardReview.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return [_view(row[0], row[1]) for row in rows]


async def _load(session: AsyncSession, review_id: int) -> tuple[PostcardReview, PostcardScan]:
    row = (
        await session.execute(
            select(PostcardReview, PostcardScan)
            .join(PostcardScan, PostcardScan.id == PostcardReview.scan_id)
            .where(PostcardReview.id == review_id)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"review item {review_id} not found", details={"review_id": review_id})
    return row[0], row[1]


async def get_review(session: AsyncSession, review_id: int) -> ReviewView:
    return _view(*await _load(session, review_id))


async def _open(session: AsyncSession, review_id: int) -> tuple[PostcardReview, PostcardScan]:
    review, scan = await _load(session, review_id)
    if review.status != "open":
        raise Conflict(
            f"review item {review_id} is already {review.status}",
            details={"review_id": review_id, "status": review.status},
        )
    return review, scan


def _comment(comment: object) -> str:
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise InvalidInput("comment", f"comment must be text of at most {MAX_COMMENT} characters")
    return comment.strip()


async def _resident(session: AsyncSession, scan: PostcardScan, barcode: str | None) -> int:
    if barcode is None:
        if scan.resident_id is None:
            raise InvalidInput("barcode", "give the postcard number printed on the card")
        return scan.resident_id
    code, why = check_barcode(barcode.replace(" ", "").replace("-", ""))
    if code is None:
        raise InvalidInput("barcode", why[0].as_dict()["message"])
    resident_id = await session.scalar(select(Resident.id).where(Resident.barcode == code))
    if resident_id is None:
        raise NotFound("no resident has this postcard number", details={"field": "barcode"})
    return resident_id


async def accept_review(
    session: AsyncSession,
    review_id: int,
    *,
    operator_id: int,
    answers: Mapping[str, Any],
    barcode: str | None = None,
    comment: str = "",
) -> ReviewView:
    """Record the reviewer's answers as the resident's intent (channel ``postcard_ocr``)."""
    review, scan = await _open(session, review_id)
    note = _comment(comment)
    try:
        checked = check_answers(answers)
    except ValueError as err:
        raise InvalidInput("answers", str(err)) from err
    resident_id = await _resident(session, scan, barcode)
    wants, needs, notes = intent_values(checked)
    intent = await record_intent(
        session,
        resident_id=resident_id,
        wants_vaccination=wants,
        needs_mobility=needs,
        channel=CHANNEL,
        notes=" / ".join(p for p in (notes, note) if p),
        operator_id=operator_id,
    )
    now = utcnow()
    scan.status, scan.intent_id, scan.resident_id = "applied", intent.intent_id, resident_id
    scan.answers = checked
    review.status, review.resolved_by, review.resolved_at = "accepted", operator_id, now
    review.resolution = {"answers": checked, "barcode": barcode, "comment": note}
    await audit(
        session,
        AuditAction.REVIEW_ACCEPT,
        operator_id=operator_id,
        resident_id=resident_id,
        details={
            "review_id": review.id,
            "scan_id": scan.id,
            "intent_id": intent.intent_id,
            "reasons": [r["code"] for r in review.reasons],
        },
    )
    await session.flush()
    log.info("postcard review %s accepted by operator %s", review.id, operator_id)
    return _view(review, scan)


async def reject_review(
    session: AsyncSession, review_id: int, *, operator_id: int, comment: str = ""
) -> ReviewView:
    """Close the item without an intent (a postcard that answers nothing, or not ours)."""
    review, scan = await _open(session, review_id)
    note = _comment(comment)
    scan.status = "rejected"
    review.status, review.resolved_by, review.resolved_at = "rejected", operator_id, utcnow()
    review.resolution = {"comment": note}
    await audit(
        session,
        AuditAction.REVIEW_REJECT,
        operator_id=operator_id,
        resident_id=scan.resident_id,
        details={"review_id": review.id, "scan_id": scan.id},
    )
    await session.flush()
    log.info("postcard review %s rejected by operator %s", review.id, operator_id)
    return _view(review, scan)
