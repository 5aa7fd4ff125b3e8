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
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web

from cti_server.web.errors import BadRequest

MAX_BODY = 64 * 1024
MAX_DEPTH = 32  # nesting of a JSON body: no request type goes deeper than a few levels
MAX_INT = 2**31 - 1  # every stored integer fits a 32-bit column on PostgreSQL
DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: not "1_0", "١", "１" or " 5"
T = TypeVar("T")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``value`` nests (lists and objects), counting at most to ``limit + 1``."""
    level, todo = 0, [value]
    while todo and level <= limit:
        level += 1
        todo = [
            item
            for v in todo
            if isinstance(v, list | dict)
            for item in (v.values() if isinstance(v, dict) else v)
        ]
        if not todo:
            break
    return level


def loads(raw: bytes | str, what: str) -> Any:
    """JSON text as data; ``BadRequest`` naming ``what`` when it is not JSON (NaN and Infinity
    are not), or nests deeper than ``MAX_DEPTH``."""
    try:
        data = json.loads(raw or b"{}", parse_constant=_refuse_constant)
    except RecursionError as err:
        raise BadRequest(what, f"nested deeper than {MAX_DEPTH} levels") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(what, f"not valid JSON ({err})") from err
    if depth(data) > MAX_DEPTH:
        raise BadRequest(what, f"nested deeper than {MAX_DEPTH} levels")
    return data


async def json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest("body", "too large")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise BadRequest("body", "too large")
    data = loads(raw, "body")
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


def clean_text(value: str, name: str) -> str:
    """``value`` if it can be stored: no NUL (PostgreSQL refuses it) and no lone surrogate
    (not Unicode text; nothing can encode it)."""
    if "\x00" in value:
        raise BadRequest(name, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise BadRequest(name, "not valid Unicode text (a lone surrogate)") from err
    return value


def _str(value: Any, name: str, max_len: int, strip: bool, allow_empty: bool) -> str:
    if not isinstance(value, str):
        raise BadRequest(name, "expected a string")
    text = clean_text(value.strip() if strip else value, name)
    if not text and not allow_empty:
        raise BadRequest(name, "must not be empty")
    if len(text) > max_len:
        raise BadRequest(name, f"longer than {max_len} characters")
    return text


def _int(value: Any, name: str, minimum: int | None, maximum: int = MAX_INT) -> int:
    """A JSON number that is an integer (not ``true``, not ``"5"``, not ``5.0``) in range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(name, "expected an integer")
    if minimum is not None and value < minimum:
        raise BadRequest(name, f"must be at least {minimum}")
    if value > maximum:
        raise BadRequest(name, f"must be at most {maximum}")
    return value


def int_text(text: str, name: str, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """An integer written in a path or a query: ASCII digits only, in range."""
    if not DIGITS.fullmatch(text):
        raise BadRequest(name, "expected an integer (ASCII digits)")
    return _int(int(text), name, minimum, maximum)


def query_str(request: web.Request, name: str, *, max_len: int = 200) -> str:
    """A query parameter's text, stripped ("" when absent); checked like a body's text."""
    return _str(request.query.get(name, ""), name, max_len, True, True)


FIRST_YEAR, LAST_YEAR = 1900, 2199  # days and times the ledger and the slots can mean


def req_day(data: Mapping[str, Any], name: str) -> dt.date:
    text = req_str(data, name, max_len=10)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(name, "expected a date YYYY-MM-DD") from err
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadRequest(name, f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return day


def read_moment(text: str, name: str) -> dt.datetime:
    """An ISO-8601 date and time (its year in range; UTC when it has no offset)."""
    try:
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        in_utc = moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as err:
        raise BadRequest(name, "expected an ISO-8601 date and time") from err
    if not FIRST_YEAR <= in_utc.year <= LAST_YEAR:
        raise BadRequest(name, f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return moment


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
    if tp is Any:  # JSON its registry function checks
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise BadRequest(name, "expected true or false")
        return value
    if tp is int:
        return _int(value, name, meta.get("minimum"), meta.get("maximum", MAX_INT))
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
        read_moment(text, name)
    choices = meta.get("choices")
    if choices and text not in choices:
        raise BadRequest(name, f"must be one of {', '.join(choices)}")
    return text


def path_int(request: web.Request, name: str) -> int:
    return int_text(request.match_info[name], name, 1)


def idempotency_key(request: web.Request) -> str | None:
    """The ``Idempotency-Key`` header: a resent POST with the same key creates nothing twice."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > 64 or not key.isprintable() or not key.isascii():
        raise BadRequest("Idempotency-Key", "at most 64 printable characters")
    return key
