"""Request parsing: every failure is a ``BadRequest`` naming the field.

``read_as(cls, body)`` reads a JSON body as its request type of ``cti_server.protocol``: each
field checked by its type hint and its limits (``protocol.spec``: ``max_length``, ``minimum``,
``choices``), null taken as absent; the other helpers read single values (path, query, header).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web

from cti_server.web.errors import BadRequest

MAX_BODY = 64 * 1024
T = TypeVar("T")


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


def _str(value: Any, name: str, max_len: int, strip: bool, allow_empty: bool) -> str:
    if not isinstance(value, str):
        raise BadRequest(name, "expected a string")
    text = value.strip() if strip else value
    if not text and not allow_empty:
        raise BadRequest(name, "must not be empty")
    if len(text) > max_len:
        raise BadRequest(name, f"longer than {max_len} characters")
    return text


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


def req_day(data: Mapping[str, Any], name: str) -> dt.date:
    text = req_str(data, name, max_len=10)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(name, "expected a date YYYY-MM-DD") from err


@functools.cache
def _fields(cls: type[Any]) -> tuple[tuple[dataclasses.Field[Any], Any, bool], ...]:
    """(field, its type without None and annotations, required) of a request type."""
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        fmt = ""
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        if typing.get_origin(tp) is typing.Annotated:
            tp, fmt = typing.get_args(tp)[:2]
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        out.append((f, fmt or tp, required))
    return tuple(out)


def read_as(cls: type[T], data: Mapping[str, Any]) -> T:
    """``data`` as the request type ``cls`` (unknown fields are ignored)."""
    values: dict[str, Any] = {}
    for f, tp, required in _fields(cls):  # type: ignore[arg-type]
        value = data.get(f.name)
        if value is None:
            if required:
                raise BadRequest(f.name, "required")
            continue
        values[f.name] = _checked(f, tp, value, required)
    return cls(**values)


def _checked(f: dataclasses.Field[Any], tp: Any, value: Any, required: bool) -> Any:
    name, meta = f.name, f.metadata
    if tp is bool:
        if not isinstance(value, bool):
            raise BadRequest(name, "expected true or false")
        return value
    if tp is int:
        return _int(value, name, meta.get("minimum"))
    if typing.get_origin(tp) is dict:  # an object its registry function checks key by key
        if not isinstance(value, dict):
            raise BadRequest(name, "expected an object")
        return dict(value)
    if typing.get_origin(tp) is tuple:  # tuple[str, ...]: a list of texts
        if not isinstance(value, list):
            raise BadRequest(name, "expected a list")
        return tuple(_str(item, name, meta.get("max_length", 200), True, True) for item in value)
    text = _str(value, name, meta.get("max_length", 2000), meta.get("strip", True), not required)
    if tp == "date":
        return req_day({name: text}, name).isoformat()
    if tp == "date-time":
        try:
            dt.datetime.fromisoformat(text)
        except ValueError as err:
            raise BadRequest(name, "expected an ISO-8601 date and time") from err
    choices = meta.get("choices")
    if choices and text not in choices:
        raise BadRequest(name, f"must be one of {', '.join(choices)}")
    return text


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
