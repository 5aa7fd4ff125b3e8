"""Request parsing helpers: every failure is a ``BadRequest`` naming the field."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from cti_server.web.errors import BadRequest

MAX_BODY = 64 * 1024


async def json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest("body", "too large")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise BadRequest("body", "too large")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest("body", f"not valid JSON ({err})") from err
    if not isinstance(data, dict):
        raise BadRequest("body", "expected a JSON object")
    return data


def req_str(
    data: Mapping[str, Any],
    name: str,
    *,
    max_len: int = 500,
    strip: bool = True,
    allow_empty: bool = False,
) -> str:
    if name not in data or data[name] is None:
        raise BadRequest(name, "required")
    return _str(data[name], name, max_len, strip, allow_empty)


def opt_str(data: Mapping[str, Any], name: str, default: str = "", *, max_len: int = 2000) -> str:
    if data.get(name) is None:
        return default
    return _str(data[name], name, max_len, True, True)


def _str(value: Any, name: str, max_len: int, strip: bool, allow_empty: bool) -> str:
    if not isinstance(value, str):
        raise BadRequest(name, "expected a string")
    text = value.strip() if strip else value
    if not text and not allow_empty:
        raise BadRequest(name, "must not be empty")
    if len(text) > max_len:
        raise BadRequest(name, f"longer than {max_len} characters")
    return text


def req_int(data: Mapping[str, Any], name: str, *, minimum: int | None = 1) -> int:
    if name not in data or data[name] is None:
        raise BadRequest(name, "required")
    return _int(data[name], name, minimum)


def opt_int(data: Mapping[str, Any], name: str, *, minimum: int | None = 1) -> int | None:
    if data.get(name) is None or data.get(name) == "":
        return None
    return _int(data[name], name, minimum)


def _int(value: Any, name: str, minimum: int | None) -> int:
    if isinstance(value, bool):
        raise BadRequest(name, "expected an integer")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError as err:
            raise BadRequest(name, "expected an integer") from err
    if not isinstance(value, int):
        raise BadRequest(name, "expected an integer")
    if minimum is not None and value < minimum:
        raise BadRequest(name, f"must be at least {minimum}")
    return value


def opt_bool(data: Mapping[str, Any], name: str, default: bool | None = None) -> bool | None:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(name, "expected true or false")
    return value


def req_day(data: Mapping[str, Any], name: str) -> dt.date:
    text = req_str(data, name, max_len=10)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(name, "expected a date YYYY-MM-DD") from err


def req_datetime(data: Mapping[str, Any], name: str, tz: dt.tzinfo) -> dt.datetime:
    text = req_str(data, name, max_len=40)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(name, "expected an ISO-8601 date and time") from err
    return value if value.tzinfo else value.replace(tzinfo=tz)


def path_int(request: web.Request, name: str) -> int:
    return _int(request.match_info[name], name, 1)


def idempotency_key(request: web.Request) -> str | None:
    """The ``Idempotency-Key`` header: a resent POST with the same key creates nothing twice."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > 64 or not key.isprintable():
        raise BadRequest("Idempotency-Key", "at most 64 printable characters")
    return key
