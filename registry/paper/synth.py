"""Filled-in, scanned postcards made up from the printed PDF: for tests, benchmarks and the demo.

A printed answer side is rendered (pypdfium2), marked as people mark paper (ticks, circles, filled
boxes, crosses, a crossed-out answer, faint pencil, an erased mark, a written note) and degraded
as scanners do (resolution, rotation, shift, scale, noise, blur, JPEG, a folded corner, upside
down, a damaged QR). Everything is drawn with opencv from a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from registry.paper import layout as L
from registry.paper.scans import decode_pages

STYLES = ("tick", "circle", "fill", "cross")
BED_MARGIN = 16.0  # mm of scanner bed around the card (a card shifted 6 mm and turned 5° fits)


@dataclass(frozen=True)
class Filling:
    """What a resident writes: one value per question (None: left blank) and the extras."""

    answers: Mapping[str, str | None]
    style: str = "tick"
    crossed_out: Mapping[str, str] = field(default_factory=dict)  # question -> value struck out
    faint: Mapping[str, str] = field(default_factory=dict)  # question -> value in faint pencil
    erased: Mapping[str, str] = field(default_factory=dict)  # question -> value rubbed out
    also: Mapping[str, str] = field(default_factory=dict)  # question -> a second value marked
    note: bool = False


@dataclass(frozen=True)
class Scanning:
    dpi: int = 200
    angle: float = 0.0  # degrees
    shift_mm: tuple[float, float] = (5.0, 5.0)  # card's place on the scanner bed
    scale: float = 1.0
    noise: float = 0.0  # Gaussian sigma in grey levels
    jpeg_quality: int | None = None
    fold: str | None = None  # "tl", "tr", "br", "bl": that corner folded over
    upside_down: bool = False
    damaged_qr: bool = False


def render_pages(pdf: bytes, dpi: int) -> Iterator[np.ndarray]:
    """Every page of a printed PDF as grey images."""
    yield from decode_pages(pdf, "printed.pdf", dpi=dpi)


class _Pen:
    def __init__(self, img: np.ndarray, dpi: int, rng: random.Random) -> None:
        self.img, self.k, self.rng = img, dpi / 25.4, rng

    def pt(self, x: float, y: float) -> tuple[int, int]:
        j = self.rng.uniform
        return (round((x + j(-0.3, 0.3)) * self.k), round((y + j(-0.3, 0.3)) * self.k))

    def width(self, mm_: float) -> int:
        return max(1, round(mm_ * self.k))

    def mark(self, cell: tuple[float, float, float, float], style: str, grey: int = 30) -> None:
        x, y, w, h = cell
        bx, by, s = x + 1.5, y + (h - L.BOX_SIZE) / 2, L.BOX_SIZE
        c, t = (grey,), self.width(self.rng.uniform(0.45, 0.8))
        if style == "tick":
            pts = [self.pt(bx + 0.6, by + 2.6), self.pt(bx + 2.0, by + s - 0.5),
                   self.pt(bx + s + 1.0, by - 1.0)]  # fmt: skip
            cv2.polylines(self.img, [np.array(pts)], False, c, t, cv2.LINE_AA)
        elif style == "circle":
            centre = self.pt(x + w * 0.4, y + h / 2)
            axes = (round(w * 0.42 * self.k), round(h * 0.42 * self.k))
            cv2.ellipse(self.img, centre, axes, self.rng.uniform(-8, 8), 0, 340, c, t, cv2.LINE_AA)
        elif style == "fill":
            corner = (bx + s - 0.4, by + s - 0.4)
            cv2.rectangle(self.img, self.pt(bx + 0.4, by + 0.4), self.pt(*corner), c, -1)
        else:  # cross
            cv2.line(self.img, self.pt(bx, by), self.pt(bx + s, by + s), c, t, cv2.LINE_AA)
            cv2.line(self.img, self.pt(bx + s, by), self.pt(bx, by + s), c, t, cv2.LINE_AA)

    def strike(self, cell: tuple[float, float, float, float]) -> None:
        x, y, w, h = cell
        for dy in (h / 2 - 0.6, h / 2 + 0.6):
            cv2.line(self.img, self.pt(x + 1, y + dy), self.pt(x + w - 2, y + dy), (30,),
                     self.width(0.4), cv2.LINE_AA)  # fmt: skip

    def smudge(self, cell: tuple[float, float, float, float]) -> None:
        x, y, _, h = cell
        centre = self.pt(x + 4.0, y + h / 2)
        cv2.ellipse(self.img, centre, (round(3 * self.k), round(2.5 * self.k)), 0, 0, 360,
                    (self.rng.randint(175, 195),), -1)  # fmt: skip

    def scribble(self, box: tuple[float, float, float, float]) -> None:
        x, y, _w, _h = box
        for line in range(2):
            pts = [self.pt(x + 4 + i * 3.0, y + 6 + line * 7 + self.rng.uniform(-2, 2))
                   for i in range(self.rng.randint(8, 20))]  # fmt: skip
            cv2.polylines(self.img, [np.array(pts)], False, (35,), self.width(0.5), cv2.LINE_AA)


def fill_in(page: np.ndarray, dpi: int, filling: Filling, rng: random.Random) -> np.ndarray:
    """A copy of a rendered answer side with the resident's marks on it."""
    img = page.copy()
    pen = _Pen(img, dpi, rng)
    for q in L.QUESTIONS:
        if q.key in filling.crossed_out:
            cell = q.option(filling.crossed_out[q.key]).cell
            pen.mark(cell, filling.style)
            pen.strike(cell)
        if q.key in filling.erased:
            pen.smudge(q.option(filling.erased[q.key]).cell)
        if q.key in filling.faint:
            pen.mark(q.option(filling.faint[q.key]).cell, "tick", grey=rng.randint(150, 180))
        for value in (filling.answers.get(q.key), filling.also.get(q.key)):
            if value is not None:
                pen.mark(q.option(value).cell, filling.style)
    if filling.note:
        pen.scribble(L.NOTE_BOX)
    return img


def _fold(img: np.ndarray, corner: str, k: float, legs_mm: float) -> None:
    h, w = img.shape
    legs = legs_mm * k
    cx, cy = (0 if "l" in corner else w - 1), (0 if "t" in corner else h - 1)
    ax = (cx + legs if cx == 0 else cx - legs, cy)
    ay = (cx, cy + legs if cy == 0 else cy - legs)
    tri = np.array([(cx, cy), ax, ay], dtype=np.int32)
    cv2.fillPoly(img, [tri], (235,))
    cv2.line(img, tuple(map(int, ax)), tuple(map(int, ay)), (120,), 2, cv2.LINE_AA)


def scan(card: np.ndarray, dpi: int, how: Scanning, rng: random.Random) -> np.ndarray:
    """What a scanner makes of a filled-in card rendered at ``dpi``."""
    img = card.copy()
    k = dpi / 25.4
    if how.damaged_qr:
        x, y, w, h = L.QR_BOX
        cv2.rectangle(img, (round((x + 3) * k), round((y + 3) * k)),
                      (round((x + w - 3) * k), round((y + h / 2) * k)), (255,), -1)  # fmt: skip
    if how.fold:
        _fold(img, how.fold, k, rng.uniform(24, 28))
    if how.upside_down:
        img = img[::-1, ::-1].copy()
    bed_h, bed_w = round((L.CARD_H + 2 * BED_MARGIN) * k), round((L.CARD_W + 2 * BED_MARGIN) * k)
    m = cv2.getRotationMatrix2D((img.shape[1] / 2, img.shape[0] / 2), how.angle, how.scale)
    m[0, 2] += how.shift_mm[0] * k + (bed_w - img.shape[1]) / 2
    m[1, 2] += how.shift_mm[1] * k + (bed_h - img.shape[0]) / 2
    out = cv2.warpAffine(img, m, (bed_w, bed_h), flags=cv2.INTER_LINEAR, borderValue=250)
    if how.noise:
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0, how.noise, out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        out = cv2.GaussianBlur(out, (3, 3), 0.6)
    if how.jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, how.jpeg_quality])
        decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        assert ok
        assert decoded is not None
        out = decoded
    return out


def random_scanning(rng: random.Random, *, rough: bool = True) -> Scanning:
    """A scanner's usual variety: 150-300 dpi, up to ±5°, shifted, scaled, noisy, JPEG."""
    return Scanning(
        dpi=rng.choice((150, 200, 240, 300)),
        angle=rng.uniform(-5, 5) if rough else 0.0,
        shift_mm=(rng.uniform(-6, 6), rng.uniform(-6, 6)),
        scale=rng.uniform(0.97, 1.03) if rough else 1.0,
        noise=rng.uniform(2, 10) if rough else 0.0,
        jpeg_quality=rng.choice((None, 60, 75, 90)),
        upside_down=rough and rng.random() < 0.2,
    )


def random_answers(rng: random.Random) -> dict[str, str | None]:
    wants = rng.choice(("yes", "yes", "yes", "no"))
    if wants == "no":
        return {"wants_vaccination": "no", "mobility": None, "time_of_day": None}
    return {
        "wants_vaccination": "yes",
        "mobility": rng.choice(("none", "none", "pickup", "wheelchair", "companion")),
        "time_of_day": rng.choice(("am", "pm", "any")),
    }


def _demo_filling(rng: random.Random) -> Filling:
    """Mostly clean answers, sometimes what sends a postcard to review."""
    answers = random_answers(rng)
    style = rng.choice(STYLES)
    roll = rng.random()
    if roll < 0.05:
        return Filling(answers, style=style, note=True)
    if roll < 0.08:
        return Filling(answers, style=style, crossed_out={"wants_vaccination": "no"})
    if roll < 0.10:
        return Filling({**answers, "wants_vaccination": None}, faint={"wants_vaccination": "yes"})
    return Filling(answers, style=style)


def write_filled_scans(
    pdf: Path,
    folder: Path,
    *,
    count: int,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Fill in and scan the first ``count`` answer sides of a printed はがき PDF (demo data):
    PNG and JPEG files in ``folder``; the number of scans by how they were filled."""
    import pypdfium2

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    doc = pypdfium2.PdfDocument(str(pdf))
    counts: dict[str, int] = {}
    try:
        for i in range(min(count, len(doc) // 2)):
            how = random_scanning(rng)
            bitmap = doc[2 * i + 1].render(scale=how.dpi / 72, grayscale=True).to_numpy()
            page = np.array(bitmap[:, :, 0] if bitmap.ndim == 3 else bitmap)
            filling = _demo_filling(rng)
            img = scan(fill_in(page, how.dpi, filling, rng), how.dpi, how, rng)
            kind = "note" if filling.note else "crossed out" if filling.crossed_out else (
                "faint" if filling.faint else "clean")  # fmt: skip
            counts[kind] = counts.get(kind, 0) + 1
            suffix = ".jpg" if how.jpeg_quality else ".png"
            cv2.imwrite(str(folder / f"scan-{i + 1:05d}{suffix}"), img)
            if progress is not None:
                progress(1)
    finally:
        doc.close()
    return counts
