"""Postcard corpus for the paper tests and the bench (no tests here): residents with barcodes,
their printed postcards, and scans of them filled in and degraded as ``registry.paper.synth``
does, each with the outcome a correct reader must give.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.db import session_factory
from registry.models import Resident
from registry.normalize.barcode import make_barcode
from registry.paper import synth
from registry.paper.printing import Postcard, pdf_bytes
from registry.paper.synth import Filling, Scanning

YES_AM = {"wants_vaccination": "yes", "mobility": "none", "time_of_day": "am"}
YES_PICKUP = {"wants_vaccination": "yes", "mobility": "pickup", "time_of_day": "pm"}
NO = {"wants_vaccination": "no", "mobility": None, "time_of_day": None}


@dataclass(frozen=True)
class Case:
    """One postcard to scan and what must come of it."""

    name: str
    filling: Filling
    scanning: Scanning = field(default_factory=Scanning)
    expect: str = "applied"  # or the review reason that must be among the reasons
    barcode: str | None = None  # None: the resident's own (set when the corpus is built)
    known: bool = True  # False: a barcode no resident has


@dataclass
class Scan:
    case: Case
    barcode: str
    image: np.ndarray
    resident_id: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


def base_cases() -> list[Case]:
    """Every mark style and degradation applied cleanly, and every reason for review."""
    c = [
        Case("tick", Filling(YES_AM)),
        Case("circle", Filling(YES_PICKUP, style="circle")),
        Case("filled box", Filling(NO, style="fill")),
        Case("cross", Filling(YES_AM, style="cross")),
        Case("150 dpi rotated +5", Filling(YES_PICKUP), Scanning(dpi=150, angle=5.0)),
        Case("300 dpi rotated -5", Filling(YES_AM), Scanning(dpi=300, angle=-5.0)),
        Case("shifted and scaled", Filling(NO), Scanning(shift_mm=(-6, 6), scale=1.03)),
        Case("noisy JPEG", Filling(YES_PICKUP), Scanning(noise=10, jpeg_quality=60)),
        Case("upside down", Filling(YES_AM, style="circle"), Scanning(upside_down=True, angle=2)),
        Case("folded corner bl", Filling(YES_PICKUP), Scanning(fold="bl", angle=-2)),
        Case("folded corner tl", Filling(NO), Scanning(fold="tl")),
        Case("folded corner br", Filling(YES_AM, style="fill"), Scanning(fold="br", angle=3)),
        Case("no: follow-ups blank", Filling(NO, style="cross"), Scanning(dpi=240)),
        Case(
            "crossed-out answer",
            Filling(YES_AM, crossed_out={"wants_vaccination": "no"}),
            expect="several_marked",
        ),
        Case(
            "two marks",
            Filling(YES_PICKUP, also={"mobility": "wheelchair"}),
            expect="several_marked",
        ),
        Case(
            "faint pencil only",
            Filling({**YES_AM, "wants_vaccination": None}, faint={"wants_vaccination": "yes"}),
            expect="faint_mark",
        ),
        Case("erased mark", Filling(YES_AM, erased={"time_of_day": "pm"}), expect="faint_mark"),
        Case(
            "nothing marked", Filling({**YES_AM, "wants_vaccination": None}), expect="none_marked"
        ),
        Case("yes without time", Filling({**YES_AM, "time_of_day": None}), expect="none_marked"),
        Case("note written", Filling(YES_AM, note=True), expect="note_written"),
        Case("damaged QR", Filling(YES_AM), Scanning(damaged_qr=True), expect="no_barcode"),
        Case("unknown resident", Filling(YES_AM), expect="unknown_resident", known=False),
        Case("contradicts a phone answer", Filling(YES_AM), expect="contradicts_earlier"),
        Case(
            "wrong check digit", Filling(YES_AM), expect="bad_check_digit", barcode="123456789010"
        ),
    ]
    return c


async def add_residents(engine: AsyncEngine, n: int, *, first: int = 1) -> list[tuple[int, str]]:
    """``n`` residents with barcodes from serial ``first``: (resident id, barcode)."""
    out = []
    async with session_factory(engine)() as s:
        for i in range(first, first + n):
            r = Resident(
                person_no=f"P{i:06d}",
                name=f"山田 太郎{i}",
                name_kana="ヤマダ タロウ",
                birth_date=dt.date(1940, 1, 1) + dt.timedelta(days=i),
                address=f"京都府舞鶴市浜{i}番地",
                barcode=make_barcode(i),
            )
            s.add(r)
            await s.flush()
            out.append((r.id, r.barcode))
        await s.commit()
    return out


def render_answer_sides(barcodes: Sequence[str], dpi: int) -> list[np.ndarray]:
    cards = [Postcard(b, "山田 太郎", "京都府舞鶴市浜1番地") for b in barcodes]
    pages = list(synth.render_pages(pdf_bytes(cards), dpi))
    return pages[1::2]


def make_scans(
    cases: Sequence[Case], residents: Sequence[tuple[int, str]], *, seed: int = 1
) -> list[Scan]:
    """Scan every case: its resident is ``residents[i]`` (or a barcode nobody has)."""
    rng = random.Random(seed)
    scans = []
    plan = []
    for i, case in enumerate(cases):
        rid, code = residents[i]
        if case.barcode is not None:
            rid, code = None, case.barcode
        elif not case.known:
            rid, code = None, make_barcode(90_000_000 + i)
        plan.append((case, rid, code))
    by_dpi: dict[int, list[int]] = {}
    for i, (case, _, _) in enumerate(plan):
        by_dpi.setdefault(case.scanning.dpi, []).append(i)
    images: dict[int, np.ndarray] = {}
    for dpi, idx in by_dpi.items():
        for i, page in zip(idx, render_answer_sides([plan[i][2] for i in idx], dpi), strict=True):
            case = plan[i][0]
            filled = synth.fill_in(page, dpi, case.filling, rng)
            images[i] = synth.scan(filled, dpi, case.scanning, rng)
    for i, (case, rid, code) in enumerate(plan):
        scans.append(Scan(case, code, images[i], rid))
    return scans


def write_scans(scans: Sequence[Scan], folder: str, *, kinds: Sequence[str] = ("png",)) -> None:
    """One file per scan, cycling through ``kinds`` (png, jpg, tif); names keep the order."""
    for i, s in enumerate(scans):
        kind = kinds[i % len(kinds)]
        ok, buf = cv2.imencode(f".{kind}", s.image)
        assert ok
        with open(f"{folder}/{i:03d}.{kind}", "wb") as fh:
            fh.write(buf.tobytes())
