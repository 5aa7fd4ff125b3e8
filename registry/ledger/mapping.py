"""Pure part of the ledger import: decoding and header mapping (no I/O, no DB); the validation
of data rows lives in ``registry.ledger.rows`` (its names are re-exported here).

A ledger file is decoded as UTF-8 (with or without BOM) first, then CP932 (never ``shift_jis``:
it fails on 髙, 﨑, ①, ～). Its header names the columns; municipal names and common variants
(``ALIASES``) are recognised after NFKC and with spaces and brackets ignored, and any field may be
mapped to another header by the caller (``--column``) or a TOML file (``load_mapping``).

A column named like 個人番号 / マイナンバー / 住民票コード refuses the whole file: their use is
restricted by law, so nothing of them is read, stored or logged; so does a column of any name
whose values are mostly My Numbers (12 digits with a valid check digit).
"""

from __future__ import annotations

import itertools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from registry.errors import LedgerFileError
from registry.ledger.rows import LABELS, BadRow, LedgerRow, PhoneEntry, RowParser

__all__ = [
    "ALIASES", "FIELDS", "LABELS", "BadRow", "LedgerMapping", "LedgerRow", "PhoneEntry",
    "RowParser", "as_mapping", "decode_ledger", "header_key", "is_my_number", "load_mapping",
    "refuse_forbidden", "refuse_my_numbers", "resolve_columns",
]  # fmt: skip

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
FORBIDDEN = (
    "個人番号",
    "マイナンバー",  # まいなんばー too: the check reads hiragana as katakana
    "mynumber",
    "myno",
    "個人no",
    "個人ナンバー",
    "社会保障税番号",  # 社会保障・税番号
    "住民票コード",
)
MY_NUMBER_SAMPLE = 1000  # data rows whose values are looked at for My Numbers
_HIRAGANA_TO_KATAKANA = {c: c + 0x60 for c in range(0x3041, 0x3097)}
_HEADER_JUNK = re.compile(r"[\s()（）\[\]【】「」・_\-－:：]")


@dataclass(frozen=True)
class LedgerMapping:
    """Where each field is read from: field -> header names (tried in order) and options."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    encoding: str | None = None
    default_area_code: str = "0773"


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
        key = header_key(name).translate(_HIRAGANA_TO_KATAKANA)
        if any(word in key for word in FORBIDDEN):
            raise LedgerFileError(
                f"column {i} ({name.strip()}) holds 個人番号 / 住民票コード, which must never be "
                "imported; remove the column from the file and import again",
                details={"column": i},
            )


def is_my_number(value: str) -> bool:
    """12 digits (NFKC; spaces and hyphens ignored) whose last is the My Number check digit."""
    digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value))
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    body = [int(d) for d in digits[:11]]
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(reversed(body), start=1))
    remainder = total % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


def refuse_my_numbers(header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Refuse a file with a column, whatever its header, whose values are My Numbers in most of
    the first ``MY_NUMBER_SAMPLE`` rows (a random 12-digit number passes the check digit about
    one time in ten: a column of 宛名番号 does not look like this)."""
    filled = [0] * len(header)
    valid = [0] * len(header)
    for row in itertools.islice(rows, MY_NUMBER_SAMPLE):
        for i, value in enumerate(row[: len(header)]):
            if value.strip():
                filled[i] += 1
                valid[i] += is_my_number(value)
    for i, name in enumerate(header):
        if valid[i] >= 3 and valid[i] * 2 > filled[i]:
            raise LedgerFileError(
                f"column {i + 1} ({name.strip()}) holds 個人番号 (My Numbers: {valid[i]} of "
                f"{filled[i]} values pass the check digit), which must never be imported; "
                "remove the column from the file and import again",
                details={"column": i + 1},
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
