"""Reading one scanned answer side: align by the corner marks, read the QR, measure the boxes.

1. The corner marks are the four solid squares at the extremes of the page's dark blobs; three
   are enough (a folded corner): the fourth is completed as a parallelogram. Their rectangle must
   have the card's proportions, else the page is ``not_aligned``.
2. The page is warped onto the template at ``PX_PER_MM``; the QR is looked for where it belongs
   and where it would be upside down (a landscape page tries both quarter turns), which settles
   the orientation. The printed digits are never read by OCR: no QR, no barcode.
3. Each option's cell is compared with the blank template (its print dilated, so the printed box
   and label do not count): the share of new dark ink gives ``marked``, light ink alone (pencil,
   an erased mark) gives ``faint``, neither gives ``blank``; each with a confidence in 0..1.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from registry.paper import layout as L

PX_PER_MM = 6.0
MASK_MARGIN = 0.5  # mm around printed lines and labels that a misaligned scan may shift
SEARCH_SIZE = 900  # pixels: the page is halved until it fits, then searched for the marks
DARK, LIGHT = 110, 205  # grey levels (paper white = 255) of ink and of pencil or an erased mark
BOX_MARGIN = 1.5  # mm around a tick box: the zone a tick or a cross falls in
BOX_MARKED = 0.05  # share of the box zone's free pixels in dark ink that makes a mark
CELL_MARKED = 0.06  # the same for the whole cell (box and label): a circle round the label
FAINT = 0.3  # dark ink above this fraction of a mark, or light ink of a mark: uncertain
NOTE_INK = 0.004  # share of the free-text field in dark ink: a note was written
SIDE_RATIO = (L.MARK_CENTERS[2][1] - L.MARK_CENTERS[1][1]) / (
    L.MARK_CENTERS[1][0] - L.MARK_CENTERS[0][0]
)


@dataclass(frozen=True)
class BoxReading:
    value: str
    state: str  # "marked", "blank" or "faint"
    ink: float
    light: float
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "state": self.state,
            "ink": round(self.ink, 4),
            "light": round(self.light, 4),
            "confidence": round(self.confidence, 3),
        }


@dataclass
class CardReading:
    aligned: bool
    barcode: str | None = None  # the QR's text as read (checked later)
    boxes: dict[str, tuple[BoxReading, ...]] = field(default_factory=dict)
    note_ink: float = 0.0
    card: np.ndarray | None = None  # the warped answer side, upright when the QR was found

    def states(self, key: str) -> dict[str, str]:
        return {b.value: b.state for b in self.boxes.get(key, ())}

    def note_crop(self) -> np.ndarray | None:
        if self.card is None:
            return None
        return self.card[_px_rect(L.NOTE_BOX)]


def _px_rect(box: tuple[float, float, float, float], inset: float = 0.0) -> tuple[slice, slice]:
    x, y, w, h = box
    p = PX_PER_MM
    return (
        slice(round((y + inset) * p), round((y + h - inset) * p)),
        slice(round((x + inset) * p), round((x + w - inset) * p)),
    )


@functools.lru_cache(maxsize=1)
def template_mask() -> np.ndarray:
    """What is printed where ink is measured (True: ignore): the tick boxes' and the note field's
    outlines and the options' labels, each widened by ``MASK_MARGIN``. Drawn from the layout and
    the font's metrics, not rendered, so it holds whatever fonts the server has."""
    from registry.paper.printing import label_box

    p, grow = PX_PER_MM, MASK_MARGIN
    mask = np.zeros((round(L.CARD_H * p), round(L.CARD_W * p)), np.uint8)
    line = max(1, round(2 * grow * p))

    def outline(box: tuple[float, float, float, float]) -> None:
        x, y, w, h = box
        cv2.rectangle(mask, (round(x * p), round(y * p)), (round((x + w) * p), round((y + h) * p)),
                      (1,), line)  # fmt: skip

    for q in L.QUESTIONS:
        for o in q.options:
            outline(o.box)
            x, y, w, h = label_box(o)
            top_left = (round((x - grow) * p), round((y - grow) * p))
            cv2.rectangle(mask, top_left, (round((x + w + grow) * p), round((y + h + grow) * p)),
                          (1,), -1)  # fmt: skip
    outline(L.NOTE_BOX)
    return mask.astype(bool)


# --- corner marks -------------------------------------------------------------------------------


def _mark_candidates(gray: np.ndarray) -> np.ndarray:
    """Centres and areas (x, y, area) of solid square blobs the size a corner mark may have."""
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    _, binary = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    short = min(gray.shape)
    lo, hi = 0.02 * short, 0.11 * short
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    ok = (
        (w >= lo) & (w <= hi) & (h >= lo) & (h <= hi)
        & (w <= 1.35 * h) & (h <= 1.35 * w) & (area >= 0.72 * w * h)
    )  # fmt: skip
    return np.column_stack([centroids[1:][ok], area[ok]]) if n > 1 else np.zeros((0, 3))


def _is_card(pts: np.ndarray) -> bool:
    """Four points in order TL, TR, BR, BL (image) form the marks' rectangle, either way round."""
    sides = [float(np.linalg.norm(pts[(i + 1) % 4] - pts[i])) for i in range(4)]
    if min(sides) <= 0:
        return False
    if abs(sides[0] - sides[2]) > 0.04 * max(sides) or abs(sides[1] - sides[3]) > 0.04 * max(sides):
        return False
    ratio = max(sides[0], sides[1]) / min(sides[0], sides[1])
    diag = [float(np.linalg.norm(pts[2] - pts[0])), float(np.linalg.norm(pts[3] - pts[1]))]
    return abs(ratio - SIDE_RATIO) < 0.06 * SIDE_RATIO and abs(diag[0] - diag[1]) < 0.03 * max(diag)


def find_marks(gray: np.ndarray) -> np.ndarray | None:
    """The corner marks' centres in image order TL, TR, BR, BL, or None."""
    cand = _mark_candidates(gray)
    if len(cand) < 3:
        return None
    xy = cand[:, :2]
    s, d = xy[:, 0] + xy[:, 1], xy[:, 0] - xy[:, 1]
    picks = [int(np.argmin(s)), int(np.argmax(d)), int(np.argmax(s)), int(np.argmin(d))]
    pts = xy[picks]
    areas = cand[picks, 2]
    if len(set(picks)) == 4 and _is_card(pts) and areas.max() < 1.4 * areas.min():
        return pts
    for missing in range(4):  # a folded or torn corner: complete the parallelogram
        keep = [i for i in range(4) if i != missing]
        if len({picks[i] for i in keep}) < 3 or areas[keep].max() > 1.4 * areas[keep].min():
            continue
        guess = pts.copy()
        a, b, c = (missing + 1) % 4, (missing + 2) % 4, (missing + 3) % 4
        guess[missing] = pts[a] + pts[c] - pts[b]
        if _is_card(guess):
            return guess
    return None


# --- warp, orientation and QR -------------------------------------------------------------------


def _warp(gray: np.ndarray, pts: np.ndarray) -> np.ndarray:
    dst = np.array(L.MARK_CENTERS, dtype=np.float32) * PX_PER_MM
    h = cv2.getPerspectiveTransform(pts.astype(np.float32), dst)
    size = (round(L.CARD_W * PX_PER_MM), round(L.CARD_H * PX_PER_MM))
    return cv2.warpPerspective(gray, h, size, flags=cv2.INTER_AREA, borderValue=255)


QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _qr_text(img: np.ndarray) -> str | None:
    found = zxingcpp.read_barcodes(img, formats=QR_ONLY)
    for r in found:
        if r.valid and r.text:
            return str(r.text)
    return None


def _qr_regions(card: np.ndarray) -> tuple[str | None, bool]:
    """The QR's text and whether the card is upside down (the QR found in the opposite corner)."""
    x, y, w, h = L.QR_BOX
    pad = 2.0
    box = (x - pad, y - pad, w + 2 * pad, h + 2 * pad)
    text = _qr_text(card[_px_rect(box)])
    if text is not None:
        return text, False
    flipped = (L.CARD_W - box[0] - box[2], L.CARD_H - box[1] - box[3], box[2], box[3])
    text = _qr_text(card[_px_rect(flipped)])
    return text, text is not None


def _refine(gray: np.ndarray, pts: np.ndarray, half: float) -> np.ndarray:
    """Each mark's centre measured again at full resolution, in a window around its estimate
    (``half``: the mark's side in pixels, the window's half width); a completed corner stays."""
    out = pts.copy()
    for i, (x, y) in enumerate(pts):
        x0, y0 = max(0, round(x - half)), max(0, round(y - half))
        win = gray[y0 : round(y + half), x0 : round(x + half)]
        if win.size == 0:
            continue
        _, binary = cv2.threshold(win, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        n, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
        if n > 1:  # kept only if it is the mark: a solid square of the mark's size
            k = 1 + int(np.argmax(stats[1:, 4]))
            w, h, area = stats[k, 2], stats[k, 3], stats[k, 4]
            if 0.7 < w / h < 1.4 and 0.6 * half**2 < area < 1.5 * half**2:
                out[i] = (x0 + centroids[k][0], y0 + centroids[k][1])
    return out


def align(gray: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """The upright warped card (None if the marks are not found) and the QR text."""
    small, scale = gray, 1.0
    while max(small.shape) > SEARCH_SIZE:  # look for the marks at 70-150 dpi: fast, few specks
        small, scale = cv2.pyrDown(small), scale / 2
    pts = find_marks(small)
    if pts is None:
        return None, None
    pts = pts / scale
    side = float(np.linalg.norm(pts[1] - pts[0]))
    pts = _refine(gray, pts, side * L.MARK_SIZE / (L.MARK_CENTERS[1][0] - L.MARK_CENTERS[0][0]))
    landscape = float(np.linalg.norm(pts[1] - pts[0])) > float(np.linalg.norm(pts[2] - pts[1]))
    # a quarter turn either way: one of the two is upside down, which the QR settles
    card = _warp(gray, np.roll(pts, -1 if landscape else 0, axis=0))
    text, upside_down = _qr_regions(card)
    if text is None:  # no QR to tell: the way up whose print matches the template's
        upside_down = _print_match(card[::-1, ::-1]) > 1.3 * _print_match(card)
    if upside_down:
        card = np.ascontiguousarray(card[::-1, ::-1])
    return card, text


def _print_match(card: np.ndarray) -> float:
    """Share of dark pixels where the template prints boxes and labels."""
    return float((card[template_mask()] < 128).mean())


# --- marks in the boxes -------------------------------------------------------------------------


def _ink(card: np.ndarray, free: np.ndarray, rect: tuple[slice, slice]) -> tuple[float, float]:
    """Shares of the free (unprinted) pixels of ``rect`` in dark ink and in any ink."""
    region, mask = card[rect], free[rect]
    n = int(mask.sum())
    if n == 0:
        return 0.0, 0.0
    dark = int(((region < DARK) & mask).sum()) / n
    light = int(((region < LIGHT) & mask).sum()) / n
    return dark, light


def _score(box: tuple[float, float], cell: tuple[float, float]) -> tuple[float, float]:
    """Dark and light ink as multiples of the 'marked' level (box zone or whole cell)."""
    return (
        max(box[0] / BOX_MARKED, cell[0] / CELL_MARKED),
        max(box[1] / BOX_MARKED, cell[1] / CELL_MARKED),
    )


def _box(value: str, dark: float, light: float) -> BoxReading:
    """``dark``/``light``: ink as multiples of the level that makes a mark (1.0)."""
    if dark >= 1.0:
        return BoxReading(value, "marked", dark, light, min(1.0, 0.5 + (dark - 1.0)))
    if dark >= FAINT or light >= 1.0:
        return BoxReading(value, "faint", dark, light, 0.5)
    return BoxReading(value, "blank", dark, light, round(1.0 - max(dark / FAINT, light) / 2, 3))


def _normalized(card: np.ndarray) -> np.ndarray:
    """Paper made white (its 90th percentile to 255) and speckle removed."""
    white = max(64.0, float(np.percentile(card[::4, ::4], 90)))
    norm = cv2.convertScaleAbs(card, alpha=255.0 / white)
    return cv2.medianBlur(norm, 3)


def _zone(o: L.Option) -> tuple[slice, slice]:
    x, y, w, h = o.box
    return _px_rect((x - BOX_MARGIN, y - BOX_MARGIN, w + 2 * BOX_MARGIN, h + 2 * BOX_MARGIN))


def measure(card: np.ndarray) -> tuple[dict[str, tuple[BoxReading, ...]], float]:
    """Every option's reading and the free-text field's share of dark ink."""
    norm = _normalized(card)
    free = ~template_mask()
    boxes = {
        q.key: tuple(
            _box(o.value, *_score(_ink(norm, free, _zone(o)), _ink(norm, free, _px_rect(o.cell))))
            for o in q.options
        )
        for q in L.QUESTIONS
    }
    note, _ = _ink(norm, free, _px_rect(L.NOTE_BOX, inset=1.0))
    return boxes, note


def read_card(gray: np.ndarray) -> CardReading:
    """Read one scanned answer side (a 2-D uint8 array)."""
    card, text = align(gray)
    if card is None:
        return CardReading(aligned=False, barcode=_qr_text(gray))
    boxes, note = measure(card)
    return CardReading(aligned=True, barcode=text, boxes=boxes, note_ink=note, card=card)
