"""Returned postcards into the ledger: each read postcard is applied as an intent or queued for
review, exactly once. No heavy imports: scans and OCR rows arrive here already read.

``record_scan`` is idempotent by the postcard's ``image_hash``: a page (or OCR row) seen before
returns its first outcome and changes nothing. A second, different scan of a postcard already
applied with the same answers is applied to the same intent (no second intent). The caller
commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.intents import record_intent
from registry.models import Intent, PostcardReview, PostcardScan, Resident, utcnow
from registry.paper.rules import (
    Answers,
    Reason,
    check_barcode,
    contradiction,
    decide_answers,
    intent_values,
)

log = logging.getLogger(__name__)

CHANNEL = "postcard_ocr"  # the intents' channel of every returned postcard (scanned or AI-OCR)


@dataclass(frozen=True)
class ScanInput:
    """One postcard as read, before the ledger is asked anything."""

    image_hash: str
    kind: str  # "scan" or "ocr"
    source: str
    page: int
    barcode_text: str | None
    states: Mapping[str, Mapping[str, str]] | None  # question -> option -> state; None: unread
    readings: Mapping[str, Any] = field(default_factory=dict)
    note_written: bool = False
    reasons: tuple[Reason, ...] = ()  # found while reading (e.g. an OCR field's low confidence)
    note_image: str = ""
    card_jpeg: bytes | None = None  # kept on disk only when the postcard goes to review


@dataclass(frozen=True)
class ScanOutcome:
    scan_id: int
    status: str  # applied / review / rejected
    reasons: tuple[str, ...]
    intent_id: int | None
    resident_id: int | None
    new: bool  # False: this page was read before, nothing changed


def image_path(scan_dir: Path, image_hash: str, suffix: str) -> Path:
    """Where a scan's images are kept: ``scan_dir/ab/abcdef...-note.png``."""
    return scan_dir / image_hash[:2] / f"{image_hash}{suffix}"


async def _earlier(session: AsyncSession, image_hash: str) -> ScanOutcome | None:
    row = await session.scalar(select(PostcardScan).where(PostcardScan.image_hash == image_hash))
    if row is None:
        return None
    review = await session.scalar(select(PostcardReview).where(PostcardReview.scan_id == row.id))
    codes = tuple(r["code"] for r in review.reasons) if review else ()
    return ScanOutcome(row.id, row.status, codes, row.intent_id, row.resident_id, new=False)


async def _latest_intent(session: AsyncSession, resident_id: int) -> Intent | None:
    return await session.scalar(
        select(Intent)
        .where(Intent.resident_id == resident_id)
        .order_by(Intent.recorded_at.desc(), Intent.id.desc())
        .limit(1)
    )


async def _same_postcard(session: AsyncSession, resident_id: int, answers: Answers) -> int | None:
    """The intent of an applied postcard of this resident with these very answers, if any."""
    rows = await session.execute(
        select(PostcardScan.answers, PostcardScan.intent_id).where(
            PostcardScan.resident_id == resident_id, PostcardScan.status == "applied"
        )
    )
    return next((intent for a, intent in rows if dict(a) == answers), None)


async def _judge(
    session: AsyncSession, scan: ScanInput
) -> tuple[int | None, str | None, Answers, list[Reason]]:
    if any(r.code == "unreadable_file" for r in scan.reasons):
        return None, None, {}, list(scan.reasons)
    code, reasons = check_barcode(scan.barcode_text)
    resident_id = None
    if code is not None:
        resident_id = await session.scalar(select(Resident.id).where(Resident.barcode == code))
        if resident_id is None:
            reasons.append(Reason("unknown_resident", detail=code))
    if scan.states is None:
        answers: Answers = {}
        reasons.append(Reason("not_aligned"))
    else:
        answers, why = decide_answers(scan.states)
        unread = {r.question for r in scan.reasons if r.code == "unknown_value"}
        reasons += [r for r in why if not (r.code == "none_marked" and r.question in unread)]
    reasons += scan.reasons
    if scan.note_written:
        reasons.append(Reason("note_written"))
    return resident_id, code, answers, reasons


async def _apply(
    session: AsyncSession, resident_id: int, answers: Answers, reasons: list[Reason]
) -> int | None:
    """The intent these answers make (or one an identical postcard made); None and a reason
    appended when they contradict the resident's latest answer."""
    same = await _same_postcard(session, resident_id, answers)
    if same is not None:
        return same
    latest = await _latest_intent(session, resident_id)
    wants, needs, notes = intent_values(answers)
    earlier = (latest.wants_vaccination, latest.needs_mobility) if latest else None
    clash = contradiction(earlier, (wants, needs))
    if clash is not None:
        reasons.append(clash)
        return None
    view = await record_intent(
        session,
        resident_id=resident_id,
        wants_vaccination=wants,
        needs_mobility=needs,
        channel=CHANNEL,
        notes=notes,
    )
    return view.intent_id


def _keep_card(scan: ScanInput, scan_dir: Path | None) -> str:
    """Write the aligned card for the reviewer; its path."""
    if scan.card_jpeg is None or scan_dir is None:
        return ""
    path = image_path(scan_dir, scan.image_hash, "-card.jpg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(scan.card_jpeg)
    return str(path)


async def record_scan(
    session: AsyncSession, scan: ScanInput, *, scan_dir: Path | None = None
) -> ScanOutcome:
    """Apply one read postcard as an intent, or queue it for review with its reasons."""
    done = await _earlier(session, scan.image_hash)
    if done is not None:
        return done
    resident_id, code, answers, reasons = await _judge(session, scan)
    intent_id = None
    if not reasons and resident_id is not None:
        intent_id = await _apply(session, resident_id, answers, reasons)
    status = "review" if reasons else "applied"
    card_image = _keep_card(scan, scan_dir) if reasons else ""
    scan_id = await session.scalar(
        insert(PostcardScan)
        .values(
            image_hash=scan.image_hash,
            kind=scan.kind,
            source=scan.source,
            page=scan.page,
            barcode=code or (scan.barcode_text or "")[:32] or None,
            resident_id=resident_id,
            answers=answers,
            readings=dict(scan.readings),
            note_image=scan.note_image,
            card_image=card_image,
            status=status,
            intent_id=intent_id,
            read_at=utcnow(),
        )
        .returning(PostcardScan.id)
    )
    assert scan_id is not None
    if reasons:
        await session.execute(
            insert(PostcardReview).values(
                scan_id=scan_id,
                reasons=[r.as_dict() for r in reasons],
                status="open",
                created_at=utcnow(),
                resolution={},
            )
        )
    log.info("postcard scan %s %s (%s)", scan_id, status, ",".join(r.code for r in reasons))
    codes = tuple(r.code for r in reasons)
    return ScanOutcome(scan_id, status, codes, intent_id, resident_id, new=True)


async def record_once(
    sessions: async_sessionmaker[AsyncSession], scan: ScanInput, *, scan_dir: Path | None = None
) -> ScanOutcome:
    """``record_scan`` in its own transaction; when another reader recorded the same page at the
    same moment (the unique hash refused ours), its outcome."""
    try:
        async with sessions() as session:
            outcome = await record_scan(session, scan, scan_dir=scan_dir)
            await session.commit()
            return outcome
    except IntegrityError:
        async with sessions() as session:
            done = await _earlier(session, scan.image_hash)
        if done is None:
            raise
        return done
