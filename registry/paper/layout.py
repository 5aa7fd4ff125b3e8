"""The postcard template: sizes and positions in millimetres from the card's top-left corner.

Printing draws from it and reading measures with it, so a box is where both sides think it is.
Pure data, no imports beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

CARD_W, CARD_H = 100.0, 148.0  # はがき, portrait
A4_W, A4_H = 210.0, 297.0

MARK_SIZE = 7.0  # corner marks: solid squares, larger than a filled-in tick box
MARK_CENTERS = ((8.0, 8.0), (92.0, 8.0), (92.0, 140.0), (8.0, 140.0))  # TL, TR, BR, BL

QR_BOX = (67.0, 15.0, 24.0, 24.0)  # x, y, w, h including a 2-module quiet zone
DIGITS_AT = (79.0, 42.5)  # centre x, baseline y of the printed barcode digits
BOX_SIZE = 5.0
CELL_H = 9.0
NOTE_BOX = (8.0, 113.0, 84.0, 20.0)  # the free-text field


@dataclass(frozen=True)
class Option:
    value: str  # stored value, e.g. "yes"
    label: str  # printed label, e.g. "はい"
    cell: tuple[float, float, float, float]  # x, y, w, h of the option's cell (box + label)

    @property
    def box(self) -> tuple[float, float, float, float]:
        x, y, _, h = self.cell
        return (x + 1.5, y + (h - BOX_SIZE) / 2, BOX_SIZE, BOX_SIZE)


@dataclass(frozen=True)
class Question:
    key: str  # "wants_vaccination", "mobility", "time_of_day"
    text: str  # printed question
    text_y: float  # baseline of the question text
    options: tuple[Option, ...]

    def option(self, value: str) -> Option:
        return next(o for o in self.options if o.value == value)


def _row(y: float, *items: tuple[str, str, float, float]) -> tuple[Option, ...]:
    return tuple(Option(v, label, (x, y, w, CELL_H)) for v, label, x, w in items)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "wants_vaccination",
        "1. 新型コロナワクチンの接種を希望しますか",
        49.0,
        _row(51.0, ("yes", "はい", 12.0, 30.0), ("no", "いいえ", 50.0, 30.0)),
    ),
    Question(
        "mobility",
        "2. 会場までの移動に支援が必要ですか",
        67.0,
        _row(69.0, ("none", "不要", 12.0, 30.0), ("pickup", "送迎", 50.0, 30.0))
        + _row(80.0, ("wheelchair", "車いす", 12.0, 30.0), ("companion", "付き添い", 50.0, 30.0)),
    ),
    Question(
        "time_of_day",
        "3. 希望する時間帯",
        96.0,
        _row(
            98.0,
            ("am", "午前", 10.0, 22.0),
            ("pm", "午後", 36.0, 22.0),
            ("any", "どちらでも", 62.0, 29.0),
        ),
    ),
)
QUESTION_KEYS = tuple(q.key for q in QUESTIONS)
LABELS = {q.key: {o.value: o.label for o in q.options} for q in QUESTIONS}


def question(key: str) -> Question:
    return next(q for q in QUESTIONS if q.key == key)


def format_digits(barcode: str) -> str:
    """``123456789012`` -> ``1234 5678 9012`` (read out over the phone in groups of four)."""
    return " ".join(barcode[i : i + 4] for i in range(0, len(barcode), 4))
