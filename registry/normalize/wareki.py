"""Dates as Japanese ledgers write them: wareki (和暦) in every common form, and western dates.

Accepted: ``S15.04.01``, ``S15/4/1``, ``昭15.4.1``, ``昭和15年4月1日``,
full-width digits, ``㍼``/``㋿`` ligatures, kanji numerals (``昭和二十五年五月一日``),
``元年``, era-coded digits (``3150401``, or ``03150401`` with a two-digit era code:
1 明治, 2 大正, 3 昭和, 4 平成, 5 令和), and western ``1940-04-01``, ``1940/4/1``,
``1940年4月1日``, ``19400401``.

``parse_year`` reads a year alone (a birth-year filter): ``S15``, ``昭和15年``, ``昭15``,
``昭和十五年``, ``平成元年``, ``1940``, ``1940年``.

Impossible dates and dates outside their era (``昭和64年1月8日``: 昭和 ended on 1989-01-07) raise
``ValueError`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    code: int
    first: dt.date  # first day of the era
    last: dt.date | None  # last day, None for the current era

    def to_western(self, year: int) -> int:
        return self.first.year + year - 1


ERAS = (
    Era("明治", "M", 1, dt.date(1868, 1, 1), dt.date(1912, 7, 29)),
    Era("大正", "T", 2, dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    Era("昭和", "S", 3, dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("平成", "H", 4, dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("令和", "R", 5, dt.date(2019, 5, 1), None),
)
_BY_KEY: dict[str, Era] = {}
for _era in ERAS:
    _BY_KEY[_era.name] = _BY_KEY[_era.name[0]] = _BY_KEY[_era.letter] = _era
_BY_CODE = {e.code: e for e in ERAS}

_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十]+")
_ERA = r"(?P<era>明治|大正|昭和|平成|令和|[明大昭平令MTSHR])"
_SEP = r"\s*[./\-年]?\s*"
_WAREKI = re.compile(
    _ERA + r"\s*(?P<y>\d{1,2}|元)" + _SEP + r"(?P<m>\d{1,2})\s*[./\-月]\s*(?P<d>\d{1,2})\s*日?",
    re.IGNORECASE,
)
_WAREKI_PACKED = re.compile(_ERA + r"(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d)", re.IGNORECASE)
_CODED = re.compile(r"0?(?P<code>[1-5])(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d)")
_WESTERN = re.compile(
    r"(?P<y>\d{4})\s*[./\-年]\s*(?P<m>\d{1,2})\s*[./\-月]\s*(?P<d>\d{1,2})\s*日?"
    r"|(?P<y8>\d{4})(?P<m8>\d\d)(?P<d8>\d\d)"
)
_SUFFIX = re.compile(r"\s*(?:生まれ|生)$")


def _kanji_to_int(text: str) -> str:
    """二十五 -> 25, 十二 -> 12, 一九 -> 19 (digit by digit when there is no 十)."""
    if "十" not in text:
        return "".join(str(_KANJI_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        raise ValueError(f"cannot read the kanji numeral {text!r}")
    value = (_KANJI_DIGITS[tens] if tens else 1) * 10 + (_KANJI_DIGITS[ones] if ones else 0)
    return str(value)


def _prepare(s: str) -> str:
    text = unicodedata.normalize("NFKC", s).strip()
    text = _SUFFIX.sub("", text)
    return _KANJI_NUMBER.sub(lambda m: _kanji_to_int(m.group(0)), text)


def _make(year: int, month: int, day: int, original: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as err:
        raise ValueError(f"impossible date {original!r}: {err}") from err


def _from_era(era: Era, year_text: str, month: str, day: str, original: str) -> dt.date:
    year = 1 if year_text == "元" else int(year_text)
    if year < 1:
        raise ValueError(f"impossible date {original!r}: era year must be 1 or more")
    date = _make(era.to_western(year), int(month), int(day), original)
    if date < era.first:
        raise ValueError(f"{original!r} is before {era.name} began ({era.first.isoformat()})")
    if era.last is not None and date > era.last:
        raise ValueError(f"{original!r} is after {era.name} ended ({era.last.isoformat()})")
    return date


def parse_date(s: str) -> dt.date:
    """Parse a western or wareki date; raise ``ValueError`` saying why when it cannot."""
    if not isinstance(s, str) or not s.strip():
        raise ValueError("empty date")
    text = _prepare(s)
    if m := _WAREKI.fullmatch(text):
        era = _BY_KEY[m["era"].upper() if m["era"].isascii() else m["era"]]
        return _from_era(era, m["y"], m["m"], m["d"], s)
    if m := _WAREKI_PACKED.fullmatch(text):
        era = _BY_KEY[m["era"].upper() if m["era"].isascii() else m["era"]]
        return _from_era(era, m["y"], m["m"], m["d"], s)
    if m := _CODED.fullmatch(text):
        return _from_era(_BY_CODE[int(m["code"])], m["y"], m["m"], m["d"], s)
    if m := _WESTERN.fullmatch(text):
        if m["y"] is not None:
            return _make(int(m["y"]), int(m["m"]), int(m["d"]), s)
        return _make(int(m["y8"]), int(m["m8"]), int(m["d8"]), s)
    raise ValueError(f"not a date: {s!r}")


_ERA_YEAR = re.compile(_ERA + r"\s*(?P<y>\d{1,2}|元)\s*年?", re.IGNORECASE)
_WESTERN_YEAR = re.compile(r"(?P<y>\d{4})\s*年?")


def parse_year(s: str) -> int:
    """The western year of a year written alone (wareki or western); ``ValueError`` if not."""
    if not isinstance(s, str) or not s.strip():
        raise ValueError("empty year")
    text = _prepare(s)
    if m := _ERA_YEAR.fullmatch(text):
        era = _BY_KEY[m["era"].upper() if m["era"].isascii() else m["era"]]
        year = 1 if m["y"] == "元" else int(m["y"])
        western = era.to_western(year)
        if year < 1 or (era.last is not None and western > era.last.year):
            raise ValueError(f"{s!r} is not a year of {era.name}")
        return western
    if (m := _WESTERN_YEAR.fullmatch(text)) and 1868 <= int(m["y"]) <= 2100:
        return int(m["y"])
    raise ValueError(f"not a year: {s!r}")


def to_wareki(date: dt.date, *, style: str = "kanji") -> str:
    """Format ``date`` in wareki: ``kanji`` -> 昭和15年4月1日, ``letter`` -> S15.04.01."""
    for era in reversed(ERAS):
        if date >= era.first:
            year = date.year - era.first.year + 1
            if style == "letter":
                return f"{era.letter}{year:02d}.{date.month:02d}.{date.day:02d}"
            return f"{era.name}{year}年{date.month}月{date.day}日"
    raise ValueError(f"{date.isoformat()} is before 明治")
