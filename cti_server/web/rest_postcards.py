"""Postcards for supervisors: print a selection as a PDF, upload returned scans, work the review
queue (list, view with its images, accept with corrections, reject).

Reading and printing run off the event loop (worker threads). The paper libraries are imported
only inside the handlers: without the ``paper`` extra these routes answer 503
``paper_unavailable`` and the rest of the server runs. Every view of an item and every decision
is audited with the operator.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import zoneinfo
from pathlib import Path

from aiohttp import BodyPartReader, web

from cti_server import protocol
from cti_server.web.auth import MANAGERS, principal
from cti_server.web.board_app import BOARD
from cti_server.web.errors import ApiError, BadRequest, NotFoundError
from cti_server.web.keys import ENGINE, SESSIONS, SETTINGS
from cti_server.web.payloads import answer, review_item, scans_read
from cti_server.web.validate import MAX_INT, int_text, json_body, path_int, read_as
from registry.audit import AuditAction, audit

MAX_PRINT = 5000  # postcards per download; larger runs use `cti-registry postcards`
MAX_UPLOAD = 200 * 1024 * 1024  # bytes per upload request
UPLOAD_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf")


class PaperUnavailable(ApiError):
    status = 503
    error_id = "paper_unavailable"


def _paper() -> None:
    try:
        import registry.paper.printing
        import registry.paper.reader  # noqa: F401
    except ImportError as err:
        raise PaperUnavailable(
            "postcard printing and reading need the server's 'paper' extra",
            details={"missing": err.name or ""},
        ) from err


def _scan_dir(request: web.Request) -> Path:
    return Path(request.app[SETTINGS].scan_dir)


async def print_postcards(request: web.Request) -> web.Response:
    """POST /api/postcards/print {select, layout, as_of?}: the selection's postcards as a PDF."""
    _paper()
    from registry.errors import InvalidInput
    from registry.paper.printing import LAYOUTS, Postcard, pdf_bytes
    from registry.paper.select import postcards

    who = principal(request, *MANAGERS)
    req = read_as(protocol.PostcardPrintRequest, await json_body(request))
    spec = req.select or "all"
    layout = next(x for x in LAYOUTS if x == req.layout)  # read_as checked the choice
    tz = zoneinfo.ZoneInfo(request.app[SETTINGS].timezone)
    as_of = dt.date.fromisoformat(req.as_of) if req.as_of else dt.datetime.now(tz).date()
    cards: list[Postcard] = []
    try:
        async for card in postcards(request.app[ENGINE], spec, as_of=as_of):
            if len(cards) == MAX_PRINT:
                raise BadRequest("select", f"more than {MAX_PRINT} postcards: use "
                                 "`cti-registry postcards` for larger runs")  # fmt: skip
            cards.append(card)
    except InvalidInput as err:
        raise BadRequest("select", err.message) from err
    pdf = await asyncio.to_thread(pdf_bytes, cards, layout=layout)
    async with request.app[SESSIONS]() as session:
        await audit(session, AuditAction.POSTCARD_PRINT, operator_id=who.id,
                    details={"select": spec, "layout": layout, "count": len(cards)})  # fmt: skip
        await session.commit()
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="postcards.pdf"'},
    )


async def _save_uploads(request: web.Request, folder: Path) -> list[Path]:
    reader = await request.multipart()
    saved: list[Path] = []
    total = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.filename:
            continue
        suffix = Path(part.filename).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise BadRequest("file", f"{part.filename}: not a PNG, JPEG, TIFF or PDF scan")
        chunks = []
        while chunk := await part.read_chunk(1 << 20):
            total += len(chunk)
            if total > MAX_UPLOAD:
                raise BadRequest("file", f"uploads are limited to {MAX_UPLOAD >> 20} MB a request")
            chunks.append(chunk)
        data = b"".join(chunks)
        path = folder / f"{hashlib.sha256(data).hexdigest()}{suffix}"
        await asyncio.to_thread(_write, path, data)
        saved.append(path)
    if not saved:
        raise BadRequest("file", "no scan file in the upload (multipart field with a filename)")
    return saved


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def upload_scans(request: web.Request) -> web.Response:
    """POST /api/postcards/scans (multipart files): read them; each page applied or in review."""
    _paper()
    from registry.paper.pipeline import read_scans

    who = principal(request, *MANAGERS)
    scan_dir = _scan_dir(request)
    files = await _save_uploads(request, scan_dir / "uploads")
    report = await read_scans(request.app[SESSIONS], files, scan_dir=scan_dir)
    async with request.app[SESSIONS]() as session:
        await audit(session, AuditAction.SCAN_UPLOAD, operator_id=who.id,
                    details={"files": len(files), "pages": report.pages,
                             "outcomes": dict(report.outcomes)})  # fmt: skip
        await session.commit()
    request.app[BOARD].bookings_changed()  # the board's intents by channel
    return answer(scans_read(report))


def _query_int(request: web.Request, name: str, default: int, hi: int) -> int:
    return int_text(request.query.get(name, str(default)), name, 0, hi)


async def list_reviews(request: web.Request) -> web.Response:
    """GET /api/postcards/reviews?status=open&after=0&limit=50 (oldest first)."""
    from registry.paper.review import list_reviews as listing

    principal(request, *MANAGERS)
    status = request.query.get("status", "open")
    after = _query_int(request, "after", 0, MAX_INT)
    limit = _query_int(request, "limit", 50, 200) or 50
    async with request.app[SESSIONS]() as session:
        items = await listing(session, status=status, after_id=after, limit=limit)
    return answer(protocol.ReviewList(reviews=tuple(review_item(i) for i in items)))


async def get_review(request: web.Request) -> web.Response:
    """GET /api/postcards/reviews/{review_id}: one item (audited as a view of the resident)."""
    from registry.paper.review import get_review as one

    who = principal(request, *MANAGERS)
    review_id = path_int(request, "review_id")
    async with request.app[SESSIONS]() as session:
        item = await one(session, review_id)
        await audit(session, AuditAction.REVIEW_VIEW, operator_id=who.id,
                    resident_id=item.resident_id, details={"review_id": review_id})  # fmt: skip
        await session.commit()
    return answer(review_item(item))


async def review_image(request: web.Request) -> web.StreamResponse:
    """GET /api/postcards/reviews/{review_id}/image?which=card|note: the scan crop."""
    from registry.paper.review import get_review as one

    principal(request, *MANAGERS)
    which = request.query.get("which", "card")
    if which not in ("card", "note"):
        raise BadRequest("which", "must be card or note")
    async with request.app[SESSIONS]() as session:
        item = await one(session, path_int(request, "review_id"))
    name = item.card_image if which == "card" else item.note_image
    if not name or not await asyncio.to_thread(Path(name).is_file):
        raise NotFoundError(f"no {which} image for this item")
    return web.FileResponse(Path(name))


async def accept_review(request: web.Request) -> web.Response:
    """POST /api/postcards/reviews/{id}/accept {answers: {...}, barcode?, comment?}."""
    from registry.paper.review import accept_review as accept

    who = principal(request, *MANAGERS)
    req = read_as(protocol.ReviewAcceptance, await json_body(request))
    async with request.app[SESSIONS]() as session:
        item = await accept(
            session,
            path_int(request, "review_id"),
            operator_id=who.id,
            answers=req.answers,
            barcode=req.barcode or None,
            comment=req.comment,
        )
        await session.commit()
    request.app[BOARD].bookings_changed()  # the board's intents by channel
    return answer(review_item(item))


async def reject_review(request: web.Request) -> web.Response:
    """POST /api/postcards/reviews/{id}/reject {comment?}."""
    from registry.paper.review import reject_review as reject

    who = principal(request, *MANAGERS)
    req = read_as(protocol.ReviewRejection, await json_body(request))
    async with request.app[SESSIONS]() as session:
        item = await reject(session, path_int(request, "review_id"), operator_id=who.id,
                            comment=req.comment)  # fmt: skip
        await session.commit()
    return answer(review_item(item))


def add_postcard_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/postcards/print", print_postcards)
    r.add_post("/api/postcards/scans", upload_scans)
    r.add_get("/api/postcards/reviews", list_reviews)
    r.add_get("/api/postcards/reviews/{review_id}", get_review)
    r.add_get("/api/postcards/reviews/{review_id}/image", review_image)
    r.add_post("/api/postcards/reviews/{review_id}/accept", accept_review)
    r.add_post("/api/postcards/reviews/{review_id}/reject", reject_review)
