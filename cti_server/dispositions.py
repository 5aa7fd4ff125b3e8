"""Wrap-up result codes (通話結果): the configurable list an operator picks one or more from.

The setting ``dispositions`` is a comma-separated list of ``code=日本語/English`` entries (the
labels may be left out: ``code`` alone shows the code). Empty means ``DEFAULT``. The server sends
the list to clients (``GET /api/dispositions``) and accepts only these codes in a wrap-up; a call
record stores its codes joined by commas in its ``disposition`` text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Disposition:
    code: str
    label_ja: str
    label_en: str


DEFAULT = (
    Disposition("booked", "予約", "Booked"),
    Disposition("changed", "予約変更", "Booking changed"),
    Disposition("cancelled", "予約取消", "Booking cancelled"),
    Disposition("mobility", "移動支援", "Mobility support"),
    Disposition("intent", "意向確認", "Intent recorded"),
    Disposition("inquiry", "問い合わせのみ", "Inquiry only"),
    Disposition("callback", "折り返しが必要", "Call back needed"),
    Disposition("wrong_number", "間違い電話", "Wrong number"),
    Disposition("other", "その他", "Other"),
)
_CODE = re.compile(r"[a-z][a-z0-9_]{0,23}")


def parse_dispositions(text: str) -> tuple[Disposition, ...]:
    """The list a ``dispositions`` setting names (``DEFAULT`` when empty); ValueError if bad."""
    if not text.strip():
        return DEFAULT
    out: list[Disposition] = []
    for item in text.split(","):
        code, _, labels = item.strip().partition("=")
        code = code.strip()
        if not _CODE.fullmatch(code):
            raise ValueError(f"dispositions: {code!r} is not a code (a-z, 0-9, _)")
        ja, _, en = labels.partition("/")
        out.append(Disposition(code, ja.strip() or code, en.strip() or ja.strip() or code))
    if len({d.code for d in out}) != len(out):
        raise ValueError("dispositions: a code is listed twice")
    return tuple(out)


def split_codes(text: str) -> list[str]:
    """The codes stored in a call record's ``disposition`` text."""
    return [c for c in (part.strip() for part in text.split(",")) if c]
