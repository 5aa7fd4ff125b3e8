"""Validation of one ledger data row (pure: no I/O, no database), tuned for bulk imports.

:class:`RowParser` turns the cells of a CSV record into a :class:`LedgerRow` or raises
:class:`BadRow` with the reason. It is the CPU-heavy half of an import (see ``ledger_csv``), so
the common shapes take fast paths that give exactly what the general functions give:

- phone numbers written plainly with their trunk 0 go through
  ``registry.normalize.phone.plain_japanese_number`` (no ``CallerNumber``, no ``phonenumbers``
  after the first number of a prefix); anything else goes through ``normalize_ledger_phone``;
- dates in the three forms municipal exports use most (``平成5年11月21日``, ``S15.04.01``,
  era-coded ``3150401``) and ISO ``1940-04-01`` are read by one regular expression; anything
  else, and any date the fast path would refuse, goes to
  ``registry.normalize.wareki.parse_date`` (which gives the reason);
- the keys of a name (spaced form, folded kanji key, kana key) are memoized per written name,
  since common names repeat.

A birth date after the import's day (``today``, given by the caller: the parser reads no clock)
or before ``EARLIEST_BIRTH`` (1900) is impossible for a resident: the row is bad.

Phones: a landline of a resident who has a 世帯番号 is the household's (shared); anything else
(mobiles, IP phones, landlines of residents without a household) is the resident's own. A
number that cannot be normalized is kept, unindexed (``e164`` None), with its flags, and the row
is flagged for review.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

from registry.ledger.geta import GAIJI as _GAIJI
from registry.normalize.names import is_kana, kana_key, name_key, spaced
from registry.normalize.phone import normalize_ledger_phone, plain_japanese_number
from registry.normalize.wareki import ERAS, parse_date

LABELS = {
    "person_no": "宛名番号",
    "household_no": "世帯番号",
    "name": "氏名",
    "name_kana": "氏名カナ",
    "birth_date": "生年月日",
    "sex": "性別",
    "address": "住所",
    "phone": "電話番号",
    "mobile": "携帯電話番号",
}
SEX = {
    "男": "M", "男性": "M", "M": "M", "MALE": "M", "1": "M",
    "女": "F", "女性": "F", "F": "F", "FEMALE": "F", "2": "F",
    "": "", "不明": "", "-": "", "0": "", "9": "",
}  # fmt: skip
MAX_KEY = 32  # person_no / household_no column width
EARLIEST_BIRTH = date(1900, 1, 1)  # before it, a typo (an era letter, a digit), not a resident
_PHONE_SPLIT = re.compile(r"\s*[/／;；、,，]\s*")
_BLANK = " \t\u3000"
_ERA = {**{e.name: e for e in ERAS}, **{e.letter: e for e in ERAS}}
_CODED_ERA = {str(e.code): e for e in ERAS}
_FAST_DATE = re.compile(
    r"(?:(明治|大正|昭和|平成|令和)(\d{1,2})年(\d{1,2})月(\d{1,2})日"
    r"|([MTSHR])(\d{1,2})\.(\d{1,2})\.(\d{1,2})"
    r"|([1-5])(\d\d)(\d\d)(\d\d))"
    r"|(\d{4})-(\d\d)-(\d\d)"
)


class PhoneEntry(NamedTuple):
    raw: str
    e164: str | None
    kind: str
    flags: str
    shared: bool  # the household's landline rather than the resident's own


class LedgerRow(NamedTuple):
    line: int
    person_no: str
    household_no: str
    name: str
    name_kana: str
    name_key: str
    kana_key: str
    birth_date: date | None
    sex: str
    address: str
    phones: tuple[PhoneEntry, ...]
    notes: tuple[str, ...]  # reasons to review the row (never fatal)


class BadRow(ValueError):
    """The row cannot be imported; the message is the reason."""


def _fast_date(raw: str) -> date | None:
    """The common written forms, only when they are valid dates inside their era; else None."""
    m = _FAST_DATE.fullmatch(raw)
    if m is None:
        return None
    g = m.groups()
    try:
        if g[12] is not None:
            return date(int(g[12]), int(g[13]), int(g[14]))
        k = 0 if g[0] is not None else 4 if g[4] is not None else 8
        era = _ERA[g[k]] if k < 8 else _CODED_ERA[g[k]]
        year = int(g[k + 1])
        if year < 1:
            return None
        d = date(era.first.year + year - 1, int(g[k + 2]), int(g[k + 3]))
    except ValueError:
        return None
    return d if d >= era.first and (era.last is None or d <= era.last) else None


@functools.lru_cache(maxsize=1 << 17)
def read_date(raw: str) -> date | str:
    """The date written as ``raw``, or the reason it is not one."""
    found = _fast_date(raw)
    if found is not None:
        return found
    try:
        return parse_date(raw)
    except ValueError as err:
        return str(err) or "not a date"


@functools.lru_cache(maxsize=1 << 17)
def _name_keys(name: str) -> tuple[str, str, str]:
    """(spaced form, folded kanji key, kana key when the name is written in kana)."""
    return spaced(name), name_key(name), kana_key(name) if is_kana(name) else ""


@functools.lru_cache(maxsize=1 << 17)
def _kana_key(kana: str) -> str:
    return kana_key(kana)


def search_keys(name: str, kana: str) -> tuple[str, str]:
    """(name key, kana key) of a row's 氏名 and 氏名カナ, as a parsed row has them."""
    _, key, name_kana_key = _name_keys(name)
    return key, _kana_key(kana) if kana else name_kana_key


def _phone_entries(
    cell: str, label: str, household: bool, area: str, notes: list[str]
) -> list[PhoneEntry]:
    """The numbers of one phone cell (several may be separated by / ／ 、 ;)."""
    out: list[PhoneEntry] = []
    plain = cell.isascii() and not ("/" in cell or ";" in cell or "," in cell)
    for raw in (cell,) if plain else _PHONE_SPLIT.split(cell):
        if not raw:
            continue
        fast = plain_japanese_number(raw)
        if fast is not None:
            kind = fast[1]
            out.append(PhoneEntry(raw, fast[0], kind, "", household and kind == "landline"))
            continue
        cn = normalize_ledger_phone(raw, default_area_code=area)
        flags = cn.flags
        if cn.status != "number":
            flags = (cn.status, *flags)
            notes.append(f"{label} not indexed: {cn.reason or cn.status}")
        elif "review" in flags:
            notes.append(f"{label} to check: {cn.reason or 'review'}")
        shared = household and cn.kind == "landline"
        out.append(PhoneEntry(raw, cn.e164, cn.kind, ",".join(flags)[:64], shared))
    return out


def _nfkc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFKC", s)


class RowParser:
    """Validates the data rows of one file (column positions resolved once)."""

    def __init__(
        self,
        cols: Mapping[str, tuple[int, ...]],
        width: int,
        area: str = "0773",
        today: date | None = None,
    ) -> None:
        self.cols, self.width, self.area = dict(cols), width, area
        self.today = today or date.today()  # the last possible birth date
        self.has_birth = "birth_date" in cols
        at = {name: idx[0] if idx else -1 for name, idx in cols.items()}
        self.person, self.name = at["person_no"], at["name"]
        self.household, self.kana = at.get("household_no", -1), at.get("name_kana", -1)
        self.birth, self.sex = at.get("birth_date", -1), at.get("sex", -1)
        self.address = at.get("address", -1)
        self.phones = [(LABELS[f], i) for f in ("phone", "mobile") for i in cols.get(f, ())]

    def __call__(self, cells: Sequence[str], line: int) -> LedgerRow:
        """Validate one data row; raise ``BadRow`` with the reason if it cannot be imported."""
        n = len(cells)
        if n != self.width and (n < self.width or any(c.strip() for c in cells[self.width :])):
            raise BadRow(f"has {len(cells)} fields, the header has {self.width}")
        person_no = _nfkc(cells[self.person]).strip()
        household_no = _nfkc(cells[self.household]).strip() if self.household >= 0 else ""
        if not person_no:
            raise BadRow("missing 宛名番号")
        if len(person_no) > MAX_KEY or len(household_no) > MAX_KEY:
            raise BadRow(f"宛名番号 or 世帯番号 longer than {MAX_KEY} characters")
        name = cells[self.name].strip(_BLANK)
        if not name:
            raise BadRow("missing 氏名")
        notes: list[str] = []
        birth = self._birth(cells, notes)
        sex = self._sex(cells, notes)
        kana = cells[self.kana].strip(_BLANK) if self.kana >= 0 else ""
        address = cells[self.address].strip(_BLANK) if self.address >= 0 else ""
        if _GAIJI.search(name) or _GAIJI.search(kana) or _GAIJI.search(address):
            for label, value in (("氏名", name), ("氏名カナ", kana), ("住所", address)):
                if _GAIJI.search(value):
                    notes.append(f"外字 in {label}")
        phones: list[PhoneEntry] = []
        for label, i in self.phones:
            cell = cells[i].strip(_BLANK)
            if cell:
                phones += _phone_entries(cell, label, bool(household_no), self.area, notes)
        if len(phones) > 1:  # the same number twice (landline and mobile columns, say)
            unique: dict[str, PhoneEntry] = {}
            for p in phones:
                unique.setdefault(p.e164 or p.raw, p)
            phones = list(unique.values())
        spaced_name, key, name_kana_key = _name_keys(name)
        return LedgerRow(line, person_no, household_no, spaced_name, kana, key,
                         _kana_key(kana) if kana else name_kana_key, birth, sex, address,
                         tuple(phones), tuple(notes))  # fmt: skip

    def _birth(self, cells: Sequence[str], notes: list[str]) -> date | None:
        raw = cells[self.birth].strip(_BLANK) if self.birth >= 0 else ""
        if not raw:
            if self.has_birth:
                notes.append("生年月日 missing")
            return None
        parsed = read_date(raw)
        if isinstance(parsed, str):
            raise BadRow(f"impossible 生年月日: {parsed}")
        if parsed > self.today or parsed < EARLIEST_BIRTH:
            shown = repr(raw) if raw == parsed.isoformat() else f"{raw!r} ({parsed.isoformat()})"
            why = "is in the future" if parsed > self.today else f"is before {EARLIEST_BIRTH.year}"
            raise BadRow(f"impossible 生年月日: {shown} {why}")
        return parsed

    def _sex(self, cells: Sequence[str], notes: list[str]) -> str:
        raw = cells[self.sex].strip(_BLANK) if self.sex >= 0 else ""
        sex = SEX.get(raw)
        if sex is None:
            sex = SEX.get(_nfkc(raw).upper())
            if sex is None:
                notes.append("性別 not understood")
        return sex or ""
