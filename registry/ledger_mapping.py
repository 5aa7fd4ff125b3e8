"""Pure part of the ledger import: decoding, header mapping and row validation (no I/O, no DB).

A ledger file is decoded as UTF-8 (with or without BOM) first, then CP932 (never ``shift_jis``:
it fails on 髙, 﨑, ①, ～). Its header names the columns; municipal names and common variants
(``ALIASES``) are recognised after NFKC and with spaces and brackets ignored, and any field may be
mapped to another header by the caller (``--column``) or a TOML file (``load_mapping``).

A column named like 個人番号 / マイナンバー / 住民票コード refuses the whole file: their use is
restricted by law, so nothing of them is read, stored or logged.

Phones: every number of the phone and mobile columns is normalized. A landline of a resident who
has a 世帯番号 is stored as the household's (a shared landline); anything else (mobiles, IP
phones, landlines of residents without a household) is the resident's own. A number that cannot
be normalized is kept, unindexed (``e164`` NULL), with its flags, and the row is flagged.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from registry.errors import LedgerFileError
from registry.names import is_kana, kana_key, name_key, spaced
from registry.phone import normalize_ledger_phone
from registry.wareki import parse_date

FIELDS = (
    "person_no",
    "household_no",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "address",
    "phone",
    "mobile",
)
MULTI_FIELDS = frozenset({"phone", "mobile"})  # every matching column is read
REQUIRED = ("person_no", "name")
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
ALIASES: dict[str, tuple[str, ...]] = {
    "person_no": ("宛名番号", "宛名コード", "宛名no", "宛名id", "住民番号", "住民コード"),
    "household_no": ("世帯番号", "世帯コード", "世帯no", "世帯id"),
    "name": ("氏名", "氏名漢字", "漢字氏名", "名前", "住民氏名", "氏名(漢字)"),
    "name_kana": (
        "氏名カナ",
        "カナ氏名",
        "氏名フリガナ",
        "フリガナ",
        "ふりがな",
        "氏名かな",
        "カナ",
        "よみ",
        "読み",
        "氏名よみ",
    ),
    "birth_date": ("生年月日", "誕生日", "生年月日和暦", "生年月日西暦"),
    "sex": ("性別", "性", "男女"),
    "address": ("住所", "現住所", "住所1", "所在地", "住所地"),
    "phone": (
        "電話番号",
        "電話",
        "連絡先電話番号",
        "連絡先",
        "自宅電話番号",
        "自宅電話",
        "tel",
        "電話番号1",
        "固定電話",
    ),
    "mobile": ("携帯電話番号", "携帯電話", "携帯番号", "携帯", "電話番号2"),
}
FORBIDDEN = ("個人番号", "マイナンバー", "mynumber", "住民票コード")
SEX = {
    "男": "M",
    "男性": "M",
    "M": "M",
    "MALE": "M",
    "1": "M",
    "女": "F",
    "女性": "F",
    "F": "F",
    "FEMALE": "F",
    "2": "F",
    "": "",
    "不明": "",
    "-": "",
    "0": "",
    "9": "",
}
MAX_KEY = 32  # person_no / household_no column width
_HEADER_JUNK = re.compile(r"[\s()（）\[\]【】「」・_\-－:：]")
_GAIJI = re.compile("[\ue000-\uf8ff〓]")
_PHONE_SPLIT = re.compile(r"\s*[/／;；、,，]\s*")
_BLANK = " \t\u3000"


@dataclass(frozen=True)
class LedgerMapping:
    """Where each field is read from: field -> header names (tried in order) and options."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    encoding: str | None = None
    default_area_code: str = "0773"


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


def header_key(name: str) -> str:
    """Header comparison key: NFKC, lower case, no spaces, brackets or separators."""
    return _HEADER_JUNK.sub("", unicodedata.normalize("NFKC", name)).lower()


def as_mapping(mapping: LedgerMapping | Mapping[str, str | Sequence[str]] | None) -> LedgerMapping:
    """Accept a ``LedgerMapping``, a plain ``{field: header}`` dict, or None."""
    if mapping is None:
        return LedgerMapping()
    if isinstance(mapping, LedgerMapping):
        return mapping
    return LedgerMapping(columns=_columns(mapping, "mapping"))


def _columns(raw: Mapping[str, object], where: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        if key not in FIELDS:
            raise LedgerFileError(
                f"unknown field {key!r} in {where}; fields are: {', '.join(FIELDS)}",
                details={"field": key},
            )
        if isinstance(value, str):
            out[key] = (value,)
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            out[key] = tuple(str(v) for v in value)
        else:
            raise LedgerFileError(f"{where}: {key} must be a header name or a list of them")
    return out


def load_mapping(path: str | Path) -> LedgerMapping:
    """Read a TOML mapping file (see deploy/ledger-mapping.example.toml)."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LedgerFileError(f"cannot read mapping file {path}: {err}") from err
    columns = data.get("columns", {})
    options = data.get("import", {})
    if not isinstance(columns, dict) or not isinstance(options, dict):
        raise LedgerFileError(f"{path}: [columns] and [import] must be tables")
    encoding = options.get("encoding")
    area = options.get("default_area_code", "0773")
    if encoding is not None and not isinstance(encoding, str):
        raise LedgerFileError(f"{path}: import.encoding must be a string")
    if not isinstance(area, str) or not area.isdigit():
        raise LedgerFileError(f'{path}: import.default_area_code must be digits, like "0773"')
    return LedgerMapping(_columns(columns, str(path)), encoding or None, area)


def decode_ledger(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a ledger file: the given encoding, else UTF-8 (BOM or not), else CP932."""
    if encoding is not None:
        name = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        if name.lower().replace("_", "-") in ("shift-jis", "sjis", "shiftjis"):
            name = "cp932"  # shift_jis cannot decode 髙, 﨑, ①: CP932 is its superset
        candidates = [name]
    else:
        candidates = ["utf-8-sig", "cp932"]
    last: UnicodeDecodeError | LookupError | None = None
    for name in candidates:
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError) as err:
            last = err
    line = data[: last.start].count(b"\n") + 1 if isinstance(last, UnicodeDecodeError) else 0
    where = f" (first bad byte on line {line})" if line else ""
    raise LedgerFileError(
        f"cannot decode the file as {' or '.join(candidates)}{where}",
        details={"encodings": candidates, "line": line},
    ) from last


def refuse_forbidden(header: Sequence[str]) -> None:
    """Refuse a file having a My Number / 住民票コード column, before any row is read."""
    for i, name in enumerate(header, start=1):
        key = header_key(name)
        if any(word in key for word in FORBIDDEN):
            raise LedgerFileError(
                f"column {i} ({name.strip()}) holds 個人番号 / 住民票コード, which must never be "
                "imported; remove the column from the file and import again",
                details={"column": i},
            )


def resolve_columns(header: Sequence[str], mapping: LedgerMapping) -> dict[str, tuple[int, ...]]:
    """Field -> column indexes. Raises LedgerFileError if a required or mapped column is absent."""
    keys = [header_key(h) for h in header]
    found: dict[str, tuple[int, ...]] = {}
    for name in FIELDS:
        wanted = mapping.columns.get(name)
        names = wanted if wanted else ALIASES[name]
        hits = [keys.index(header_key(n)) for n in names if header_key(n) in keys]
        if wanted and not hits:
            raise LedgerFileError(
                f"mapped column {' / '.join(wanted)} for {name} is not in the header",
                details={"field": name},
            )
        if hits:
            found[name] = tuple(dict.fromkeys(hits)) if name in MULTI_FIELDS else (hits[0],)
    if "mobile" in found and "phone" in found:  # one column matched both alias lists
        found["mobile"] = tuple(i for i in found["mobile"] if i not in found["phone"])
    missing = [LABELS[f] for f in REQUIRED if f not in found]
    if missing:
        raise LedgerFileError(
            f"required column {', '.join(missing)} not found among the {len(header)} header "
            "columns (the first line must be the header); map it with --column or --mapping",
            details={"missing": missing},
        )
    return found


@functools.lru_cache(maxsize=65536)
def _date(raw: str) -> date | str:
    try:
        return parse_date(raw)
    except ValueError as err:
        return str(err) or "not a date"


@functools.lru_cache(maxsize=65536)
def _phone_cell(
    cell: str, label: str, household: bool, area: str
) -> tuple[tuple[PhoneEntry, ...], tuple[str, ...]]:
    """The numbers of one phone cell (several may be separated by / ／ 、 ;) and review notes."""
    out: list[PhoneEntry] = []
    notes: list[str] = []
    for raw in _PHONE_SPLIT.split(cell):
        if not raw:
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
    return tuple(out), tuple(notes)


def _nfkc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFKC", s)


class RowParser:
    """Validates the data rows of one file (column positions resolved once)."""

    def __init__(self, cols: Mapping[str, tuple[int, ...]], width: int, area: str = "0773"):
        self.width, self.area, self.has_birth = width, area, "birth_date" in cols
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
        if _GAIJI.search(f"{name}{kana}{address}"):
            for label, value in (("氏名", name), ("氏名カナ", kana), ("住所", address)):
                if _GAIJI.search(value):
                    notes.append(f"外字 in {label}")
        phones: tuple[PhoneEntry, ...] = ()
        for label, i in self.phones:
            cell = cells[i].strip(_BLANK)
            if cell:
                found, why = _phone_cell(cell, label, bool(household_no), self.area)
                phones += found
                notes.extend(why)
        if len(phones) > 1:  # the same number twice (landline and mobile columns, say)
            unique: dict[str, PhoneEntry] = {}
            for p in phones:
                unique.setdefault(p.e164 or p.raw, p)
            phones = tuple(unique.values())
        key = kana_key(kana) if kana else (kana_key(name) if is_kana(name) else "")
        return LedgerRow(line, person_no, household_no, spaced(name), kana, name_key(name), key,
                         birth, sex, address, phones, tuple(notes))  # fmt: skip

    def _birth(self, cells: Sequence[str], notes: list[str]) -> date | None:
        raw = cells[self.birth].strip(_BLANK) if self.birth >= 0 else ""
        if not raw:
            if self.has_birth:
                notes.append("生年月日 missing")
            return None
        parsed = _date(raw)
        if isinstance(parsed, str):
            raise BadRow(f"impossible 生年月日: {parsed}")
        return parsed

    def _sex(self, cells: Sequence[str], notes: list[str]) -> str:
        raw = cells[self.sex].strip(_BLANK) if self.sex >= 0 else ""
        sex = SEX.get(raw) or SEX.get(_nfkc(raw).upper())
        if sex is None:
            notes.append("性別 not understood")
        return sex or ""
