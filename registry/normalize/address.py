"""Japanese address keys for matching, and how well a typed address fragment matches one.

``address_key`` makes one form of the ways an address is written: NFKC (full-width digits and
letters), no spaces, kanji numerals of the numbers as digits (``百二十三番地`` -> ``123``,
``一二三番`` -> ``123``; a numeral in a town name such as 七日市 stays), the 字/大字 prefix of a
town dropped, and the numbers after the town joined by ``-`` whatever their markers (丁目, 番地,
番, 号, の, hyphen and dash variants, a long-vowel mark typed for a hyphen): ``浜一丁目2番地の３``
and ``浜1-2-3`` both give ``浜1-2-3``. Both the ledger's addresses and the operator's fragment go
through it, so they compare in one form.

``address_levels`` and ``address_score`` grade a match (0-100): the whole fragment 100; the
town with only its first numbers (chome, then banchi ...) between 50 and 100; the town alone 50
(100 when the fragment is a town alone). A number matches whole (``12`` is not in ``123``), and a
fragment found only inside a longer town name (``浜`` in ``長浜``) counts 0.8 of that.
Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["address_key", "address_levels", "address_score"]

_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile("[〇零一二三四五六七八九十百千]+")
_DASHES = "-‐‑‒–—―−－ーｰ"
_AFTER = ("丁目", "番", "号", "の", *_DASHES)
_BEFORE = ("丁目", "番地", "番", "号", "の", *_DASHES, *"0123456789", " ", "\u3000")
_BETWEEN = re.compile(rf"(?<=\d)(?:丁目|番地|番|号|の|[{_DASHES}])+(?=\d)")
_TRAILING = re.compile(r"(?<=\d)(?:丁目|番地|番|号)+$")
_AZA = re.compile("(^|[都道府県市区町村郡])大?字")
_NUMBER = re.compile(r"\d+")
_BOUNDARY = frozenset("都道府県市区町村郡")
OUTSIDE_TOWN = 0.8  # a fragment found only inside a longer name (浜 in 長浜)


def _kanji_number(text: str) -> str:
    """``二千五百`` -> ``2500``, ``百二十三`` -> ``123``, ``一二三`` -> ``123`` (digit by digit
    when there is no 十, 百 or 千)."""
    if not any(c in _UNITS for c in text):
        return "".join(str(_DIGITS[c]) for c in text)
    total, digit = 0, -1
    for c in text:
        unit = _UNITS.get(c)
        if unit is None:
            digit = _DIGITS[c] if digit < 0 else digit * 10 + _DIGITS[c]
        else:
            total += (1 if digit < 0 else digit) * unit
            digit = -1
    return str(total + max(digit, 0))


def _numeral(m: re.Match[str]) -> str:
    """A kanji numeral as digits where it is a number of the address (before 丁目, 番, 号, の or
    a dash; after one of them, a digit or a space), else as written (七日市, 三浜)."""
    text, start, end = m.string, m.start(), m.end()
    if text.startswith(_AFTER, end) or text[max(start - 2, 0) : start].endswith(_BEFORE):
        return _kanji_number(m.group(0))
    return m.group(0)


def address_key(s: str) -> str:
    """The matching form of an address or fragment (see the module docstring)."""
    text = unicodedata.normalize("NFKC", s)
    text = "".join(_KANJI_NUMBER.sub(_numeral, text).split())
    text = _AZA.sub(r"\1", text)
    text = _BETWEEN.sub("-", text)
    return _TRAILING.sub("", text)


def address_levels(key: str) -> tuple[tuple[str, float], ...]:
    """What to look for in a ledger key, most precise first, each with its score: the whole
    fragment, then cut after each earlier number, then the text before the first number."""
    numbers = list(_NUMBER.finditer(key))
    if not numbers:
        return ((key, 100.0),) if key else ()
    out = [(key, 100.0)]
    for k in range(len(numbers) - 1, 0, -1):
        out.append((key[: numbers[k - 1].end()], 50.0 + 50.0 * k / len(numbers)))
    head = key[: numbers[0].start()]
    if head:
        out.append((head, 50.0))
    return tuple(out)


def address_score(key: str, levels: tuple[tuple[str, float], ...]) -> float:
    """How well the ledger ``key`` matches a fragment given as its ``address_levels`` (0-100)."""
    for part, score in levels:
        found = _found(key, part)
        if found:
            return score if found > 1 else score * OUTSIDE_TOWN
    return 0.0


def _found(key: str, part: str) -> int:
    """0: ``part`` is not in ``key`` (a number must end there); 1: only inside a longer name;
    2: at the start of a town, or of a number."""
    end_digit, start_digit = part[-1].isdigit(), part[0].isdigit()
    best = 0
    pos = key.find(part)
    while pos >= 0:
        after = pos + len(part)
        if not (end_digit and after < len(key) and key[after].isdigit()):
            before = key[pos - 1] if pos else ""
            if not before or before in _BOUNDARY or (start_digit and not before.isdigit()):
                return 2
            best = 1
        pos = key.find(part, pos + 1)
    return best
