"""Postcards as a print-ready PDF (reportlab): はがき pages or A4 sheets of four with crop marks.

Each postcard is an address side (name and address; no ledger number) and a back side: for the
intent postcard (``INTENT``) the answer side (the ``layout`` template: corner marks, questions
with tick boxes, a free-text field, the barcode as a QR code and as digits); other kinds of card
(``CardKind``: the appointment notices of ``notices``) bring their own. The fixed part of the
back side is one PDF form drawn once per file, so a page costs little; pages are written as they
come, and ``PostcardWriter`` starts a new file every
``per_file`` postcards, so memory stays bounded for any batch (reportlab keeps a file's pages
until it is saved). Fonts are reportlab's built-in CID fonts (no font files).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import segno
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from registry.paper import layout as L

log = logging.getLogger(__name__)

GOTHIC, MINCHO = "HeiseiKakuGo-W5", "HeiseiMin-W3"
Layout = Literal["hagaki", "a4x4"]
LAYOUTS: tuple[Layout, ...] = ("hagaki", "a4x4")
DEFAULT_SENDER = "舞鶴市 健康づくり課 新型コロナワクチン接種担当"
A4_MARGIN_X = (L.A4_W - 2 * L.CARD_W) / 2  # 5 mm each side
A4_MARGIN_Y = (L.A4_H - 2 * L.CARD_H) / 2  # 0.5 mm: four はがき fill an A4 sheet
_FORM = "answer_template"
QR_MASK = 2  # a fixed mask: segno's scoring of all eight was most of the printing time
LABEL_PT = 10


@dataclass(frozen=True)
class Postcard:
    barcode: str
    name: str
    address: str


def _fonts() -> None:
    rl_config.useA85 = 0  # binary (compressed) streams: smaller files, no ASCII85 pass
    for name in (GOTHIC, MINCHO):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(name))


def _y(y_mm: float) -> float:
    """Card millimetres from the top -> points from the card's bottom edge."""
    return float((L.CARD_H - y_mm) * mm)


def _rect(c: Canvas, box: tuple[float, float, float, float], *, fill: bool = False) -> None:
    x, y, w, h = box
    c.rect(x * mm, _y(y + h), w * mm, h * mm, stroke=0 if fill else 1, fill=1 if fill else 0)


def label_origin(o: L.Option) -> tuple[float, float]:
    """Where an option's label starts: x and baseline y in mm."""
    bx, by, bw, bh = o.box
    return bx + bw + 1.8, by + bh - 0.9


def label_box(o: L.Option) -> tuple[float, float, float, float]:
    """The rectangle (mm) an option's printed label covers, from the font's metrics alone."""
    _fonts()
    x, base = label_origin(o)
    width = pdfmetrics.stringWidth(o.label, GOTHIC, LABEL_PT) / mm
    size = LABEL_PT * 25.4 / 72
    return x, base - 0.9 * size, width, 1.05 * size


def draw_template(c: Canvas) -> None:
    """The fixed part of the answer side: marks, questions, boxes, labels, the note field."""
    c.setFillGray(0)
    for cx, cy in L.MARK_CENTERS:
        half = L.MARK_SIZE / 2
        _rect(c, (cx - half, cy - half, L.MARK_SIZE, L.MARK_SIZE), fill=True)
    c.setFont(GOTHIC, 11)
    c.drawString(13 * mm, _y(21), "接種の意向確認")
    c.setFont(GOTHIC, 7)
    for i, line in enumerate(
        (
            "あてはまる□に ✓ を1つ記入してください。",
            "まちがえたときは二重線で消し、正しい□に",
            "記入してください。",
        )
    ):
        c.drawString(13 * mm, _y(28 + 4 * i), line)
    c.setLineWidth(0.6)
    for q in L.QUESTIONS:
        c.setFont(GOTHIC, 8.5)
        c.drawString(10 * mm, _y(q.text_y), q.text)
        c.setFont(GOTHIC, LABEL_PT)
        for o in q.options:
            _rect(c, o.box)
            x, base = label_origin(o)
            c.drawString(x * mm, _y(base), o.label)
    c.setFont(GOTHIC, 7)
    x, y, _w, _h = L.NOTE_BOX
    c.drawString(x * mm, _y(y - 1.2), "4. ご連絡事項（電話番号の変更など）")
    c.setLineWidth(0.4)
    _rect(c, L.NOTE_BOX)


def draw_qr(c: Canvas, barcode: str, box: tuple[float, float, float, float] = L.QR_BOX) -> None:
    """The barcode as a QR code filling ``box`` (mm from the card's top-left, quiet zone in)."""
    qr = segno.make(barcode, error="h", micro=False, boost_error=False, mask=QR_MASK)
    rows = [list(r) for r in qr.matrix]
    n = len(rows) + 4  # 2-module quiet zone on each side
    x0, y0, w, _ = box
    m = w / n
    path = c.beginPath()
    for j, row in enumerate(rows):
        i = 0
        while i < len(row):
            if not row[i]:
                i += 1
                continue
            start = i
            while i < len(row) and row[i]:
                i += 1
            path.rect(
                (x0 + (start + 2) * m) * mm, _y(y0 + (j + 3) * m), (i - start) * m * mm, m * mm
            )
    c.drawPath(path, stroke=0, fill=1)


def draw_answer_side(c: Canvas, card: Postcard) -> None:
    c.doForm(_FORM)
    draw_qr(c, card.barcode)
    c.setFont("Courier-Bold", 9)
    cx, base = L.DIGITS_AT
    c.drawCentredString(cx * mm, _y(base), L.format_digits(card.barcode))


def wrap(text: str, width: int) -> Iterator[str]:
    while text:
        yield text[:width]
        text = text[width:]


def _postal_frame(c: Canvas) -> None:
    """The 料金後納 mark and the seven postal-code boxes of a Japanese postcard (codes are not in
    the ledger: the boxes stay empty for the print shop's address data or for hand)."""
    c.setLineWidth(0.5)
    _rect(c, (8, 8, 16, 18))
    c.setFont(GOTHIC, 7)
    c.drawCentredString(16 * mm, _y(15), "料金後納")
    c.drawCentredString(16 * mm, _y(19.5), "郵便")
    for k in range(7):
        _rect(c, (44.6 + 7.0 * k + (1.5 if k > 2 else 0), 12, 5.7, 8))


INTENT_FOOTER = "新型コロナワクチン接種 意向確認はがき（裏面にご記入のうえご返送ください）"


def draw_address_side(c: Canvas, card: Any, sender: str, footer: str = INTENT_FOOTER) -> None:
    """Name and address (``card.name``, ``card.address``), the postal frame, a line on what the
    card is, and the sender."""
    c.setFillGray(0)
    _postal_frame(c)
    c.setFont(MINCHO, 11)
    for i, line in enumerate(wrap(card.address, 22)):
        c.drawString(14 * mm, _y(34 + 6 * i), line)
    c.setFont(MINCHO, 18)
    c.drawString(20 * mm, _y(70), f"{card.name}　様")
    c.setFont(GOTHIC, 7)
    c.drawString(10 * mm, _y(128), footer)
    c.setFont(GOTHIC, 8)
    c.drawString(10 * mm, _y(136), sender)


def _crop_marks(c: Canvas) -> None:
    """Cut lines of a 2x2 sheet: ticks in the side margins and at the top and bottom edges."""
    c.setLineWidth(0.25)
    x_cuts = [A4_MARGIN_X + k * L.CARD_W for k in range(3)]
    y_cuts = [A4_MARGIN_Y + k * L.CARD_H for k in range(3)]
    for y in y_cuts:
        c.line(0, (L.A4_H - y) * mm, (A4_MARGIN_X - 1) * mm, (L.A4_H - y) * mm)
        c.line((L.A4_W - A4_MARGIN_X + 1) * mm, (L.A4_H - y) * mm, L.A4_W * mm, (L.A4_H - y) * mm)
    for x in x_cuts:
        c.line(x * mm, 0, x * mm, A4_MARGIN_Y * mm)
        c.line(x * mm, (L.A4_H - A4_MARGIN_Y) * mm, x * mm, L.A4_H * mm)


@dataclass(frozen=True)
class CardKind:
    """What a kind of postcard prints: the PDF title, the address side's footer line, the fixed
    part of the back side (drawn once per file as a form) and the back side of one card."""

    title: str
    footer: str
    template: Callable[[Canvas], None]
    back: Callable[[Canvas, Any], None]


INTENT = CardKind("意向確認はがき", INTENT_FOOTER, draw_template, draw_answer_side)


def draw_form(c: Canvas) -> None:
    """Place the back side's fixed part (the form of the file being written)."""
    c.doForm(_FORM)


class PostcardWriter:
    """Write postcards to ``path`` (``OUT.pdf``; ``OUT-002.pdf``... after ``per_file`` cards).

    For duplex printing (long-edge flip) each address page or sheet is followed by its answer
    side; on A4 the back sheet has its columns swapped so each answer backs its address.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        layout: Layout = "hagaki",
        sender: str = DEFAULT_SENDER,
        per_file: int = 5000,
        kind: CardKind = INTENT,
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
        _fonts()
        self.base, self.layout, self.sender, self.kind = Path(path), layout, sender, kind
        self.per_file = max(4, per_file - per_file % 4) if layout == "a4x4" else max(1, per_file)
        self.files: list[Path] = []
        self.count = 0
        self._canvas: Canvas | None = None
        self._in_file = 0
        self._sheet: list[Any] = []

    def __enter__(self) -> PostcardWriter:
        return self

    def __exit__(
        self, tp: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _file_path(self) -> Path:
        return self.file_of(len(self.files) * self.per_file)

    def file_of(self, index: int) -> Path:
        """The file the ``index``-th postcard (from 0) is printed in."""
        n = index // self.per_file + 1
        return self.base if n == 1 else self.base.with_name(f"{self.base.stem}-{n:03d}.pdf")

    def page_of(self, index: int) -> int:
        """The page (from 1) of that file holding the postcard's address side."""
        n = index % self.per_file
        return 2 * n + 1 if self.layout == "hagaki" else 2 * (n // 4) + 1

    def _open(self) -> Canvas:
        if self._canvas is None or self._in_file >= self.per_file:
            self._save()
            path = self._file_path()
            size = (L.CARD_W * mm, L.CARD_H * mm) if self.layout == "hagaki" else (
                L.A4_W * mm, L.A4_H * mm)  # fmt: skip
            c = Canvas(str(path), pagesize=size, pageCompression=1, invariant=1)
            c.setTitle(self.kind.title)
            c.beginForm(_FORM, lowerx=0, lowery=0, upperx=L.CARD_W * mm, uppery=L.CARD_H * mm)
            self.kind.template(c)
            c.endForm()
            self._canvas, self._in_file = c, 0
            self.files.append(path)
        return self._canvas

    def _save(self) -> None:
        if self._canvas is not None:
            self._canvas.save()
            log.info("postcard file %s written", self.files[-1])
            self._canvas = None

    def add(self, card: Any) -> None:
        """Print one card (a ``Postcard``, or what the writer's ``kind`` prints)."""
        if self.layout == "hagaki":
            c = self._open()
            draw_address_side(c, card, self.sender, self.kind.footer)
            c.showPage()
            self.kind.back(c, card)
            c.showPage()
            self._in_file += 1
        else:
            self._sheet.append(card)
            if len(self._sheet) == 4:
                self._flush_sheet()
        self.count += 1

    def _flush_sheet(self) -> None:
        if not self._sheet:
            return
        c = self._open()
        _crop_marks(c)
        for k, card in enumerate(self._sheet):
            self._at(
                c,
                k,
                mirror=False,
                draw=lambda cv, cd=card: draw_address_side(cv, cd, self.sender, self.kind.footer),
            )
        c.showPage()
        _crop_marks(c)
        for k, card in enumerate(self._sheet):
            self._at(c, k, mirror=True, draw=lambda cv, cd=card: self.kind.back(cv, cd))
        c.showPage()
        self._in_file += len(self._sheet)
        self._sheet = []

    @staticmethod
    def _at(c: Canvas, k: int, *, mirror: bool, draw: object) -> None:
        col, row = k % 2, k // 2
        if mirror:
            col = 1 - col
        c.saveState()
        c.translate((A4_MARGIN_X + col * L.CARD_W) * mm, (A4_MARGIN_Y + (1 - row) * L.CARD_H) * mm)
        draw(c)  # type: ignore[operator]
        c.restoreState()

    def close(self) -> None:
        if self.layout == "a4x4":
            self._flush_sheet()
        if self._canvas is None and not self.files:
            self._open()  # an empty selection still writes a (blank) file
            assert self._canvas is not None
            self._canvas.showPage()
        self._save()


def pdf_bytes(
    cards: Iterable[Any],
    *,
    layout: Layout = "hagaki",
    sender: str = DEFAULT_SENDER,
    kind: CardKind = INTENT,
) -> bytes:
    """A small batch of postcards as one PDF in memory (for a download)."""
    cards = list(cards)
    with tempfile.TemporaryDirectory(prefix="postcards-") as tmp:
        path = Path(tmp) / "postcards.pdf"
        with PostcardWriter(
            path, layout=layout, sender=sender, per_file=len(cards) + 4, kind=kind
        ) as w:
            for card in cards:
                w.add(card)
        return path.read_bytes()
