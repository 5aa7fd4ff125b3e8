"""Scans in, outcomes out: pages are read in worker threads (opencv and zxing release the GIL)
while the ledger is written in order on the event loop, one transaction per page.

A file that cannot be decoded is not dropped: it becomes a scan of its own (hashed by its bytes)
in review with the reason ``unreadable_file``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.errors import InvalidInput
from registry.models import PostcardScan
from registry.paper.reader import NOTE_INK, read_card
from registry.paper.rules import Reason
from registry.paper.scans import Page, read_pages, scan_files
from registry.paper.store import ScanInput, ScanOutcome, image_path, record_once

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass
class ReadReport:
    pages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # applied / review / already read
    reasons: Counter[str] = field(default_factory=Counter)
    results: list[tuple[str, int, ScanOutcome]] = field(default_factory=list)

    def add(self, source: str, page: int, outcome: ScanOutcome) -> None:
        self.pages += 1
        self.outcomes[outcome.status if outcome.new else "already read"] += 1
        if outcome.new:
            self.reasons.update(outcome.reasons)
        self.results.append((source, page, outcome))

    def summary(self) -> str:
        parts = [f"{n} {k}" for k, n in sorted(self.outcomes.items())]
        why = ", ".join(f"{k} {n}" for k, n in self.reasons.most_common())
        return f"{self.pages} pages: {', '.join(parts) or 'none'}" + (
            f" (review: {why})" if why else ""
        )


def read_page(page: Page, scan_dir: Path | None) -> ScanInput:
    """Read one page (CPU only; the free-text crop is written under ``scan_dir``)."""
    r = read_card(page.image)
    note_image = ""
    crop = r.note_crop()
    if crop is not None and scan_dir is not None:
        path = image_path(scan_dir, page.digest, "-note.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        ok, png = cv2.imencode(".png", crop)
        if ok:
            path.write_bytes(png.tobytes())
            note_image = str(path)
    card = r.card if r.card is not None else _thumbnail(page.image)
    ok, jpeg = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, 80])
    readings: dict[str, object] = {k: [b.as_dict() for b in v] for k, v in r.boxes.items()}
    readings["note_ink"] = round(r.note_ink, 4)
    return ScanInput(
        image_hash=page.digest,
        kind="scan",
        source=page.source,
        page=page.page,
        barcode_text=r.barcode,
        states={k: r.states(k) for k in r.boxes} if r.aligned else None,
        readings=readings,
        note_written=r.aligned and r.note_ink >= NOTE_INK,
        note_image=note_image,
        card_jpeg=jpeg.tobytes() if ok else None,
    )


def _thumbnail(image: np.ndarray) -> np.ndarray:
    scale = min(1.0, 1200 / max(image.shape))
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _unreadable(path: Path, err: Exception) -> ScanInput:
    digest = "file:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return ScanInput(
        image_hash=digest,
        kind="scan",
        source=str(path),
        page=1,
        barcode_text=None,
        states=None,
        reasons=(Reason("unreadable_file", detail=str(err)[:200]),),
    )


def _read_file(path: Path, scan_dir: Path | None, known: frozenset[str]) -> list[ScanInput]:
    """Every page of one file, read (a page whose digest is known is not read again)."""
    out = []
    try:
        for page in read_pages(path):
            if page.digest in known:
                out.append(ScanInput(page.digest, "scan", page.source, page.page, None, None))
            else:
                out.append(read_page(page, scan_dir))
    except (InvalidInput, OSError, ValueError) as err:
        log.warning("scan file %s cannot be read: %s", path, err)
        out.append(_unreadable(path, err))
    return out


async def _known(sessions: async_sessionmaker[AsyncSession]) -> frozenset[str]:
    async with sessions() as session:
        return frozenset((await session.scalars(select(PostcardScan.image_hash))).all())


async def read_scans(
    sessions: async_sessionmaker[AsyncSession],
    paths: Iterable[str | Path],
    *,
    scan_dir: Path | None,
    progress: Progress | None = None,
    workers: int = 2,
) -> ReadReport:
    """Read every page of the scans named (files or folders) into the ledger.

    Files are decoded and read in ``workers`` threads, a few ahead of the writes; pages are
    written in the order of the files and their pages.
    """
    report = ReadReport()
    loop = asyncio.get_running_loop()
    known = await _known(sessions)
    files = scan_files(paths)
    pending: list[Future[list[ScanInput]]] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="postcard") as pool:

        def submit() -> None:
            f = next(files, None)
            if f is not None:
                pending.append(pool.submit(_read_file, f, scan_dir, known))

        for _ in range(workers * 2):
            submit()
        while pending:
            scans = await asyncio.wrap_future(pending.pop(0), loop=loop)
            submit()
            for scan in scans:
                outcome = await record_once(sessions, scan, scan_dir=scan_dir)
                report.add(scan.source, scan.page, outcome)
                if progress is not None:
                    progress(1)
    return report
