"""Dates as operators read them: wareki (和暦) beside the western form, age, and every time the
server sends (ISO-8601 with an offset, UTC) shown in the operator's zone, Asia/Tokyo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _tokyo() -> dt.tzinfo:
    try:
        return ZoneInfo("Asia/Tokyo")
    except ZoneInfoNotFoundError:  # a system without the tz database (Windows without tzdata)
        return dt.timezone(dt.timedelta(hours=9), "JST")  # Japan has kept +09:00 since 1951


TOKYO = _tokyo()

# (era code, first day). The era name is a UI string, chosen by the view from the code.
ERAS: tuple[tuple[str, dt.date], ...] = (
    ("reiwa", dt.date(2019, 5, 1)),
    ("heisei", dt.date(1989, 1, 8)),
    ("showa", dt.date(1926, 12, 25)),
    ("taisho", dt.date(1912, 7, 30)),
    ("meiji", dt.date(1868, 10, 23)),
)


@dataclass(frozen=True)
class Wareki:
    era: str  # reiwa / heisei / showa / taisho / meiji
    year: int  # 1 is 元年
    month: int
    day: int


def today_local(zone: dt.tzinfo = TOKYO) -> dt.date:
    """Today where the campaign is (Asia/Tokyo), whatever the desktop's own clock zone: a
    client in UTC at 05:48 in Tokyo would otherwise start lists at yesterday."""
    return dt.datetime.now(zone).date()


def parse_iso_date(s: str | None) -> dt.date | None:
    if not s:
        return None
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        return None


def to_wareki(d: dt.date) -> Wareki | None:
    for era, start in ERAS:
        if d >= start:
            return Wareki(era, d.year - start.year + 1, d.month, d.day)
    return None


def age_on(birth: dt.date, today: dt.date) -> int:
    before_birthday = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - int(before_birthday)


def parse_iso_datetime(s: str | None) -> dt.datetime | None:
    """An aware datetime (a value without an offset is taken as UTC, the server's rule)."""
    if not s:
        return None
    try:
        value = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def local_time(s: str | None, zone: dt.tzinfo = TOKYO) -> dt.datetime | None:
    """A time from the wire as the operator's wall clock shows it (Asia/Tokyo)."""
    value = parse_iso_datetime(s)
    return value.astimezone(zone) if value is not None else None


def local_day(s: str | None, zone: dt.tzinfo = TOKYO) -> dt.date | None:
    """The operator's calendar day of a time from the wire (a 08:00 slot in Tokyo is 23:00 UTC
    the day before)."""
    value = local_time(s, zone)
    return value.date() if value is not None else None


def format_wait(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a wait; never negative."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
