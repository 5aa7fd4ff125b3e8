"""Campaign settings an admin edits from the client, stored as versions (append-only).

Each key's value is JSON; its versions count from 1 and the newest is current. A key nobody has
saved yet has version 0 and the default the caller gives (the server's settings, or ``DEFAULTS``
here). Saving names the version the editor loaded: if another version was saved since, the save
is refused with ``Conflict`` naming the current version (``details["current_version"]``), and the
unique ``(key, version)`` makes two concurrent saves give one version and one refusal. Every saved
version is audited (``AuditAction.CONFIG_CHANGE``).

The keys and their values:

- ``dispositions``: the wrap-up result codes, ``[{"code", "ja", "en"}, ...]``: at least one,
  codes ``[a-z][a-z0-9_]{0,23}`` and unique, both labels one line of text.
- ``retry_policy``: the callback worklist's ``{"max_attempts", "interval_minutes", "earliest",
  "latest", "claim_minutes"}`` (times ``HH:MM``, local); the time zone stays the server's.
- ``mobility_options``: the mobility-support (移動支援) options offered, same shape as
  ``dispositions``.
- ``intent_questions``: which optional questions the intent (意向確認) asks: ``{"needs_mobility":
  bool}`` (whether the resident wants vaccination is always asked).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.audit import AuditAction, audit
from registry.errors import Conflict, InvalidInput
from registry.models import CampaignConfig, Operator, utcnow
from registry.views import View, as_utc
from registry.worklist_policy import RetryPolicy

DISPOSITIONS = "dispositions"
RETRY_POLICY = "retry_policy"
MOBILITY_OPTIONS = "mobility_options"
INTENT_QUESTIONS = "intent_questions"
KEYS = (DISPOSITIONS, RETRY_POLICY, MOBILITY_OPTIONS, INTENT_QUESTIONS)

CODE = re.compile(r"[a-z][a-z0-9_]{0,23}")
MAX_ITEMS = 100
MAX_LABEL = 64

# the defaults of the keys the server's settings do not name
DEFAULTS: dict[str, Any] = {
    MOBILITY_OPTIONS: [
        {"code": "wheelchair", "ja": "車椅子", "en": "Wheelchair"},
        {"code": "companion", "ja": "付き添い", "en": "Companion"},
    ],
    INTENT_QUESTIONS: {"needs_mobility": True},
}


@dataclasses.dataclass(frozen=True)
class ConfigVersion(View):
    key: str
    version: int  # 0: nothing saved yet, the value is the default
    value: Any
    created_by: int | None
    created_at: dt.datetime | None
    created_by_name: str = ""  # the saver's display name (or login name); history only


def _label(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "a label is required")
    if len(value) > MAX_LABEL or not value.isprintable():
        raise InvalidInput(field, f"one line of at most {MAX_LABEL} printable characters")
    return value.strip()


def check_coded_list(key: str, value: Any) -> list[dict[str, str]]:
    """A list of ``{"code", "ja", "en"}``: at least one, codes well formed and unique."""
    if not isinstance(value, list) or not value:
        raise InvalidInput("value", "a list of at least one {code, ja, en}")
    if len(value) > MAX_ITEMS:
        raise InvalidInput("value", f"at most {MAX_ITEMS} entries")
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"value[{i}]"
        if not isinstance(item, dict) or set(item) - {"code", "ja", "en"}:
            raise InvalidInput(where, "an object {code, ja, en}")
        code = item.get("code")
        if not isinstance(code, str) or not CODE.fullmatch(code):
            raise InvalidInput(f"{where}.code", "a code: a-z first, then a-z, 0-9, _ (up to 24)")
        if code in seen:
            raise InvalidInput(f"{where}.code", f"{key}: code {code!r} is listed twice")
        seen.add(code)
        ja = _label(f"{where}.ja", item.get("ja"))
        en = _label(f"{where}.en", item.get("en"))
        out.append({"code": code, "ja": ja, "en": en})
    return out


RETRY_FIELDS = ("max_attempts", "interval_minutes", "earliest", "latest", "claim_minutes")


def _minutes(field: str, value: Any, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise InvalidInput(field, f"a whole number from 1 to {most}")
    return value


def _clock(field: str, value: Any) -> dt.time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        raise InvalidInput(field, "a time HH:MM")
    try:
        return dt.time.fromisoformat(value)
    except ValueError as err:
        raise InvalidInput(field, "a time HH:MM") from err


def check_retry_policy(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != set(RETRY_FIELDS):
        raise InvalidInput("value", "an object with " + ", ".join(RETRY_FIELDS))
    checked = {
        "max_attempts": _minutes("max_attempts", value["max_attempts"], 20),
        "interval_minutes": _minutes("interval_minutes", value["interval_minutes"], 7 * 24 * 60),
        "earliest": value["earliest"],
        "latest": value["latest"],
        "claim_minutes": _minutes("claim_minutes", value["claim_minutes"], 24 * 60),
    }
    if _clock("earliest", value["earliest"]) >= _clock("latest", value["latest"]):
        raise InvalidInput("latest", "the calling hours end after they begin")
    retry_policy(checked, "UTC")  # RetryPolicy's own checks
    return checked


def retry_policy(value: Mapping[str, Any], tz: str) -> RetryPolicy:
    """The ``RetryPolicy`` a ``retry_policy`` value names, in the time zone ``tz``."""
    try:
        return RetryPolicy(
            max_attempts=value["max_attempts"],
            interval=dt.timedelta(minutes=value["interval_minutes"]),
            earliest=dt.time.fromisoformat(value["earliest"]),
            latest=dt.time.fromisoformat(value["latest"]),
            tz=tz,
            claim_ttl=dt.timedelta(minutes=value["claim_minutes"]),
        )
    except ValueError as err:
        raise InvalidInput("value", str(err)) from err


def retry_value(policy: RetryPolicy) -> dict[str, Any]:
    """The ``retry_policy`` value of a ``RetryPolicy`` (its time zone left out)."""
    return {
        "max_attempts": policy.max_attempts,
        "interval_minutes": int(policy.interval.total_seconds() // 60),
        "earliest": policy.earliest.strftime("%H:%M"),
        "latest": policy.latest.strftime("%H:%M"),
        "claim_minutes": int(policy.claim_ttl.total_seconds() // 60),
    }


def check_intent_questions(value: Any) -> dict[str, bool]:
    if not isinstance(value, dict) or set(value) != {"needs_mobility"}:
        raise InvalidInput("value", "an object {needs_mobility: true or false}")
    if not isinstance(value["needs_mobility"], bool):
        raise InvalidInput("needs_mobility", "true or false")
    return {"needs_mobility": value["needs_mobility"]}


def check(key: str, value: Any) -> Any:
    """The value as stored, or ``InvalidInput`` naming the field."""
    if key in (DISPOSITIONS, MOBILITY_OPTIONS):
        return check_coded_list(key, value)
    if key == RETRY_POLICY:
        return check_retry_policy(value)
    if key == INTENT_QUESTIONS:
        return check_intent_questions(value)
    raise InvalidInput("key", f"unknown setting {key!r}; one of {', '.join(KEYS)}")


def _view(row: CampaignConfig) -> ConfigVersion:
    return ConfigVersion(row.key, row.version, row.value, row.created_by, as_utc(row.created_at))


async def current(session: AsyncSession, key: str, default: Any = None) -> ConfigVersion:
    """The newest version of ``key``; version 0 with ``default`` (or ``DEFAULTS[key]``) if none."""
    if key not in KEYS:
        raise InvalidInput("key", f"unknown setting {key!r}; one of {', '.join(KEYS)}")
    row = await session.scalar(
        select(CampaignConfig)
        .where(CampaignConfig.key == key)
        .order_by(CampaignConfig.version.desc())
        .limit(1)
    )
    if row is None:
        return ConfigVersion(key, 0, DEFAULTS.get(key) if default is None else default, None, None)
    return _view(row)


async def current_all(
    session: AsyncSession, defaults: Mapping[str, Any] | None = None
) -> list[ConfigVersion]:
    """Every key's current version (in ``KEYS`` order)."""
    defaults = defaults or {}
    return [await current(session, key, defaults.get(key)) for key in KEYS]


async def history(session: AsyncSession, key: str, *, limit: int = 100) -> list[ConfigVersion]:
    """The saved versions of ``key``, newest first, each with who saved it."""
    if key not in KEYS:
        raise InvalidInput("key", f"unknown setting {key!r}; one of {', '.join(KEYS)}")
    rows = await session.execute(
        select(CampaignConfig, Operator.display_name, Operator.username)
        .outerjoin(Operator, Operator.id == CampaignConfig.created_by)
        .where(CampaignConfig.key == key)
        .order_by(CampaignConfig.version.desc())
        .limit(limit)
    )
    return [
        dataclasses.replace(_view(r), created_by_name=shown or login or "")
        for r, shown, login in rows.all()
    ]


async def put(
    session: AsyncSession, key: str, value: Any, *, version: int, operator_id: int | None
) -> ConfigVersion:
    """Save ``value`` as the version after ``version`` (the one the editor loaded).

    ``InvalidInput`` for a bad value, ``Conflict`` if ``version`` is not the current one (the
    caller rolls back after a ``Conflict``: a concurrent save may have been refused by the
    database). The caller commits.
    """
    checked = check(key, value)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InvalidInput("version", "the version loaded: 0 or more")
    latest = await session.scalar(
        select(func.max(CampaignConfig.version)).where(CampaignConfig.key == key)
    )
    now_version = latest or 0
    if version != now_version:
        raise _stale(key, now_version)
    row = CampaignConfig(
        key=key, version=version + 1, value=checked, created_by=operator_id, created_at=utcnow()
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as err:
        raise _stale(key, version + 1) from err
    await audit(
        session,
        AuditAction.CONFIG_CHANGE,
        operator_id=operator_id,
        details={"key": key, "version": row.version},
    )
    return _view(row)


def _stale(key: str, current_version: int) -> Conflict:
    return Conflict(
        f"{key} was changed by someone else: the current version is {current_version}",
        details={"key": key, "current_version": current_version},
    )
