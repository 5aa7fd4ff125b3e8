"""Caller-ID and ledger phone-number normalization to E.164 (Japan-centric).

``normalize_caller_id`` and ``normalize_ledger_phone`` take any string and never raise. They
return a :class:`CallerNumber` carrying either a number (E.164 key, national display form, kind)
or a no-number status (withheld / payphone / unavailable / invalid) with a reason.

Handled beyond what ``phonenumbers`` understands (see DOMAIN.md): full-width digits and dashes,
``0081``, a PBX outside-line ``0``, 184/186, 00XY carrier codes, ``内線`` extensions, local
numbers without an area code, and the no-number sentinels Asterisk and gateways deliver.

Decision on a national number missing its trunk ``0`` (``773621234``): it is accepted (ISDN
trunks deliver national numbers that way) and flagged ``trunk_zero_added``; in a ledger it is
also flagged ``review``.

Speed: validity, kind and the display layout of a Japanese number depend only on its length and
its first six significant digits, so ``phonenumbers`` runs once per such prefix and the result is
memoized (bounded); mobiles (070/080/090) and IP numbers (050) need three digits and are decided
without it. A test checks this against ``phonenumbers``. The geocoder is never loaded.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

log = logging.getLogger(__name__)

MAX_INPUT = 64  # longer input is refused outright (no phone number is that long)

WITHHELD = frozenset(
    {
        "anonymous", "p", "private", "restricted", "withheld", "prohibited", "非通知",
        "番号非通知", "通知しない", "ユーザ拒否", "ユーザー拒否", "拒否",
    }
)  # fmt: skip
PAYPHONE = frozenset({"c", "payphone", "coin", "公衆電話", "公衆"})
UNAVAILABLE = frozenset(
    {
        "", "unknown", "unavailable", "o", "s", "e", "表示圏外", "圏外", "通知不可", "通知不可能",
        "不明", "none", "null", "n/a", "na", "-", "out of area", "outofarea", "なし", "無し",
    }
)  # fmt: skip

_SEPARATORS = " \t-()./‐‑‒–—―−ー─━～~・"
_DELETE_SEPARATORS = str.maketrans("", "", _SEPARATORS)
_EXTENSION = re.compile(
    r"[\s(,]*(?:内線|内|ext\.?|extension|x|#)\s*[:：]?\s*(\d{1,6})\s*\)?\s*$", re.IGNORECASE
)
_URI = re.compile(r"^(?:tel|sip|sips):", re.IGNORECASE)
_DIGITS = re.compile(r"\+?[0-9]+")

_KINDS = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.VOIP: "ip",
    phonenumbers.PhoneNumberType.UAN: "shared_cost",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
}
_REVIEW_LOCAL = "2345"  # 0773-2x..5x belongs to Fukuchiyama's message area, not Maizuru's


@dataclass(frozen=True)
class CallerNumber:
    raw: str
    status: str  # "number" | "withheld" | "payphone" | "unavailable" | "invalid"
    e164: str | None
    national: str  # "0773-62-1234" display form, "" if none
    kind: str  # "landline" | "mobile" | "toll_free" | "ip" | "shared_cost" | "other" | ""
    flags: tuple[str, ...]
    reason: str

    @property
    def is_number(self) -> bool:
        return self.status == "number"


@dataclass(frozen=True)
class _JpInfo:
    kind: str
    groups: tuple[int, ...]  # lengths of the national display groups, trunk 0 included


_MOBILE_OR_IP = {
    "5": _JpInfo("ip", (3, 4, 4)),
    "7": _JpInfo("mobile", (3, 4, 4)),
    "8": _JpInfo("mobile", (3, 4, 4)),
    "9": _JpInfo("mobile", (3, 4, 4)),
}
_JP_MEMO: dict[tuple[str, int], _JpInfo | None] = {}
_JP_MEMO_MAX = 100_000


def _jp_info(nsn: str) -> _JpInfo | None:
    """Validity, kind and layout of a Japanese significant number (no trunk 0), memoized."""
    if not (8 <= len(nsn) <= 10) or not nsn.isascii() or not nsn.isdigit() or nsn[0] == "0":
        return None
    if len(nsn) == 10 and nsn[2] != "0" and nsn[1] == "0" and nsn[0] in "5789":
        return _MOBILE_OR_IP[nsn[0]]  # 070/080/090 mobiles and 050 IP: [5789]0[1-9]\d{7}
    key = (nsn[:6], len(nsn))
    try:
        return _JP_MEMO[key]
    except KeyError:
        pass
    info: _JpInfo | None = None
    try:
        num = phonenumbers.parse("+81" + nsn, None)
    except phonenumbers.NumberParseException:
        num = None
    if num is not None and phonenumbers.is_valid_number(num):
        kind = _KINDS.get(phonenumbers.number_type(num), "other")
        fmt = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
        groups = tuple(len(g) for g in fmt.split("-"))
        if sum(groups) == len(nsn) + 1:
            info = _JpInfo(kind, groups)
    if len(_JP_MEMO) >= _JP_MEMO_MAX:
        _JP_MEMO.clear()
    _JP_MEMO[key] = info
    return info


def _jp_number(nsn: str, raw: str, flags: list[str], reason: str = "") -> CallerNumber | None:
    info = _jp_info(nsn)
    if info is None:
        return None
    national = "0" + nsn
    parts, pos = [], 0
    for n in info.groups:
        parts.append(national[pos : pos + n])
        pos += n
    return CallerNumber(
        raw, "number", "+81" + nsn, "-".join(parts), info.kind, tuple(flags), reason
    )


def _foreign(digits: str, raw: str, flags: list[str]) -> CallerNumber:
    try:
        num = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return _invalid(raw, "not a valid international number", flags)
    if not phonenumbers.is_valid_number(num):
        return _invalid(raw, "not a valid international number", flags)
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    intl = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return CallerNumber(raw, "number", e164, intl, "other", (*flags, "international"), "")


def _invalid(raw: str, reason: str, flags: list[str] | tuple[str, ...] = ()) -> CallerNumber:
    return CallerNumber(raw, "invalid", None, "", "", tuple(flags), reason)


def _no_number(raw: str, text: str) -> CallerNumber:
    """Classify a caller ID without digits."""
    key = text.strip().strip("<>\"'").strip().casefold()
    if key in WITHHELD or "anonymous" in key or "非通知" in key:
        return CallerNumber(raw, "withheld", None, "", "", (), "caller withheld the number")
    if key in PAYPHONE or "公衆" in key:
        return CallerNumber(raw, "payphone", None, "", "", (), "call from a payphone")
    if key in UNAVAILABLE or "圏外" in key:
        return CallerNumber(raw, "unavailable", None, "", "", (), "number not delivered")
    # letters where a number should be: the value is wrong, not merely missing
    return _invalid(raw, "no digits in value", ("review",))


def _strip_prefixes(d: str, raw: str, flags: list[str], depth: int) -> CallerNumber | None:
    """Numbers dialled with a PBX outside-line 0, a 184/186 or an 00XY carrier prefix."""
    if depth > 3 or len(d) < 11:
        return None
    candidates: list[tuple[str, str]] = []
    if d.startswith(("184", "186")):
        candidates.append((d[3:], "prefix_" + d[:3]))
    if d.startswith("0"):
        candidates.append((d[1:], "outside_line"))
    if d.startswith("00"):
        candidates.extend((d[k:], "carrier_prefix") for k in (4, 5))
    for rest, flag in candidates:
        if rest.startswith("0"):
            found = _digits(rest, raw, [*flags, flag], depth + 1)
        elif rest.startswith(("184", "186")):
            found = _strip_prefixes(rest, raw, [*flags, flag], depth + 1)
        else:
            continue
        if found is not None and found.status == "number":
            return found
    return None


def _digits(d: str, raw: str, flags: list[str], depth: int = 0) -> CallerNumber | None:
    """A digit string starting with 0 dialled from Japan; None when not recognised."""
    if d.startswith("0081"):
        return _jp_number(d[4:].removeprefix("0"), raw, flags)
    if d.startswith("010") and len(d) > 6:
        if d.startswith("01081"):
            return _jp_number(d[5:].removeprefix("0"), raw, flags)
        return _foreign(d[3:], raw, flags)
    if d[1:2] != "0":
        found = _jp_number(d[1:], raw, flags)
        if found is not None:
            return found
    return _strip_prefixes(d, raw, flags, depth)


def _local(
    d: str, raw: str, flags: list[str], area: str, defaultable: str, trunk_review: bool
) -> CallerNumber:
    """A digit string not starting with 0: local number, or national without its trunk 0."""
    area_digits = area.removeprefix("0")
    if len(d) + len(area) == 10 and area_digits.isdigit():
        first = d[0]
        if first in defaultable:
            found = _jp_number(area_digits + d, raw, [*flags, "defaulted_area"],
                               f"area code {area} assumed")  # fmt: skip
            if found is not None:
                return found
        elif first in _REVIEW_LOCAL:
            reason = f"local number outside the default area's exchanges; {area} assumed"
            found = _jp_number(area_digits + d, raw, [*flags, "defaulted_area", "review"], reason)
            if found is not None:
                return found
        return _invalid(raw, f"local number {first}x cannot take area code {area}", flags)
    if d.startswith("81") and len(d) in (11, 12):
        found = _jp_number(d[2:].removeprefix("0"), raw, flags)
        if found is not None:
            return found
    if len(d) in (9, 10):
        extra = ["trunk_zero_added", "review"] if trunk_review else ["trunk_zero_added"]
        found = _jp_number(d, raw, [*flags, *extra], "trunk 0 missing; added")
        if found is not None:
            return found
    if len(d) <= 4:
        return _invalid(raw, "short or service number", flags)
    return _invalid(raw, "not a valid Japanese number", flags)


def _normalize(raw: str | None, area: str, defaultable: str, trunk_review: bool) -> CallerNumber:
    if raw is None:
        return CallerNumber("", "unavailable", None, "", "", (), "no caller ID")
    if len(raw) > MAX_INPUT:
        return _invalid(raw, "value too long")
    s = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    compact = s.translate(_DELETE_SEPARATORS)
    plus = compact.startswith("+")
    d = compact[1:] if plus else compact
    if d.isascii() and d.isdigit():  # the common case: digits and separators only
        return _classify(d, plus, raw, [], area, defaultable, trunk_review)
    return _normalize_text(raw, s.strip(), area, defaultable, trunk_review)


def _normalize_text(
    raw: str, s: str, area: str, defaultable: str, trunk_review: bool
) -> CallerNumber:
    """Values with more than digits: URIs, extensions, sentinels, words around a number."""
    flags: list[str] = []
    if _URI.match(s):
        s = _URI.sub("", s).split("@", 1)[0].split(";", 1)[0]
    m = _EXTENSION.search(s)
    if m is not None and m.start() > 0:
        s = s[: m.start()]
        flags.append("extension_stripped")
    compact = s.translate(_DELETE_SEPARATORS)
    plus = compact.startswith("+")
    d = compact[1:] if plus else compact
    if d.isascii() and d.isdigit():
        return _classify(d, plus, raw, flags, area, defaultable, trunk_review)
    runs = _DIGITS.findall(s)
    if not runs:
        return _no_number(raw, s)
    joined = "".join(runs)
    flags.append("review")
    result = _classify(joined.replace("+", ""), joined.startswith("+"), raw, flags, area,
                       defaultable, trunk_review)  # fmt: skip
    if result.status == "number" and not result.reason:
        return CallerNumber(
            result.raw, result.status, result.e164, result.national, result.kind,
            result.flags, "text around the number ignored",
        )  # fmt: skip
    return result


def _classify(
    d: str, plus: bool, raw: str, flags: list[str], area: str, defaultable: str,
    trunk_review: bool,
) -> CallerNumber:  # fmt: skip
    if not d:
        return _invalid(raw, "no digits", flags)
    if plus:
        if d.startswith("81"):
            found = _jp_number(d[2:].removeprefix("0"), raw, flags)
            return found or _invalid(raw, "not a valid Japanese number", flags)
        return _foreign(d, raw, flags)
    if d[0] == "0":
        if len(d) <= 4:
            return _invalid(raw, "short or service number", flags)
        found = _digits(d, raw, flags)
        return found or _invalid(raw, "not a valid Japanese number", flags)
    if d.startswith(("184", "186")):
        found = _strip_prefixes(d, raw, flags, 0)
        if found is not None:
            return found
    return _local(d, raw, flags, area, defaultable, trunk_review)


def plain_japanese_number(raw: str) -> tuple[str, str] | None:
    """``(e164, kind)`` when ``raw`` is a plain Japanese number written with its trunk 0
    (digits and separators only, like ``0773-62-1234`` or ``09012345678``), else None.

    The bulk import's fast path: when it answers, ``normalize_caller_id`` and
    ``normalize_ledger_phone`` give that same number with no flags and no reason (a test checks
    this); when it says None, call them for the full answer.
    """
    if len(raw) > MAX_INPUT:
        return None
    s = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    d = s.translate(_DELETE_SEPARATORS)
    if len(d) < 9 or d[0] != "0" or d[1] == "0" or not (d.isascii() and d.isdigit()):
        return None
    info = _jp_info(d[1:])
    return None if info is None else ("+81" + d[1:], info.kind)


def normalize_caller_id(raw: str | None, *, default_area_code: str = "0773") -> CallerNumber:
    """Normalize a caller ID as delivered by the PBX (``CALLERID(num)``). Never raises."""
    return _normalize(raw, default_area_code, "678", trunk_review=False)


def normalize_ledger_phone(
    raw: str, *, default_area_code: str = "0773", defaultable_prefixes: str = "678"
) -> CallerNumber:
    """Normalize a phone number written in a ledger (free text, maybe local-only). Never raises."""
    return _normalize(raw, default_area_code, defaultable_prefixes, trunk_review=True)
