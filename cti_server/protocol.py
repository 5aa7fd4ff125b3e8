"""The WebSocket wire between the server and its clients: the one definition both sides import.

Standard library only. Every message is a frozen dataclass with a class-level ``type`` tag; on the
wire it is one JSON object ``{"type": ..., **fields}``. Nested dataclasses become objects, tuples
become arrays, datetimes travel as ISO-8601 strings (``str`` fields). ``decode`` raises
``ProtocolError`` on anything it cannot turn into a known message, naming the field.

Bump ``PROTOCOL_VERSION`` when a message changes incompatibly; the server says its version in
``Hello`` and a client refuses a major version it does not know.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, Union

PROTOCOL_VERSION = 2  # 2: the supervisor board became the typed Board


class ProtocolError(ValueError):
    """A message that is not valid JSON, has an unknown type, or a missing or mistyped field."""


# --------------------------------------------------------------------------- shared parts


@dataclass(frozen=True)
class OperatorInfo:
    id: int
    username: str
    display_name: str
    role: str  # operator / supervisor / admin / kiosk
    extension: str | None = None


@dataclass(frozen=True)
class CallerInfo:
    """Who is calling, as far as the number tells. ``display`` is empty unless status is number."""

    status: str  # number / withheld / payphone / unavailable / invalid
    e164: str | None = None
    display: str = ""  # national format, e.g. 0773-62-1234
    kind: str = ""  # landline / mobile / toll_free / ip / other
    name: str = ""  # CallerIDName when the network sent one (never for a withheld caller)


@dataclass(frozen=True)
class Candidate:
    """One resident the number or a search points at, with why."""

    resident_id: int
    name: str
    name_kana: str
    birth_date: str | None  # ISO date
    age: int | None
    sex: str
    address: str
    household_id: int | None
    score: float  # 0..100
    reasons: tuple[str, ...] = ()  # e.g. ("own_mobile",), ("household_landline",), ("name:92",)


@dataclass(frozen=True)
class HouseholdGroup:
    household_id: int | None
    household_no: str
    address: str
    members: tuple[Candidate, ...]


@dataclass(frozen=True)
class CallInfo:
    linkedid: str
    queue: str
    state: str  # queued / ringing / answered / ended
    entered_at: str | None = None  # ISO datetime, UTC
    answered_at: str | None = None
    ended_at: str | None = None
    outcome: str = ""  # answered / abandoned / short_abandoned / no_agent / "" while live
    extension: str | None = None  # the operator extension ringing or connected
    wait_seconds: float = 0.0


@dataclass(frozen=True)
class SlotInfo:
    slot_id: int
    venue_id: int
    starts_at: str  # ISO datetime with offset
    ends_at: str
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)


# --------------------------------------------------------------------------- the supervisor board
# Times are ISO-8601 strings: ``*_at`` and ``since`` in UTC, interval ``start`` in local time.


@dataclass(frozen=True)
class BoardFigures:
    """A queue's counted figures over the day so far or one interval (definitions: ``Board``)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0  # not short
    short_abandoned: int = 0
    no_agent: int = 0
    answered_within_sl: int = 0
    abandoned_within_sl: int = 0  # abandoned (not short) within the service-level time
    service_level: float | None = None  # 0..1 by ``BoardSettings.service_level_formula``
    avg_wait: float | None = None
    p90_wait: float | None = None
    avg_talk: float | None = None


@dataclass(frozen=True)
class BoardInterval:
    start: str  # local time, e.g. 2026-11-27T09:15:00+09:00
    peak_waiting: int  # most callers waiting at once in the interval
    figures: BoardFigures


@dataclass(frozen=True)
class WaitingCall:
    """A caller waiting in a queue now. ``number`` is empty unless ``caller_status`` is
    ``number``: a withheld number is never sent."""

    position: int  # 1 = next to be answered
    queued_at: str
    caller_status: str  # number / withheld / payphone / unavailable / invalid
    number: str = ""  # national display form, e.g. 0773-62-1234


@dataclass(frozen=True)
class BoardQueue:
    name: str
    waiting: int
    oldest_queued_at: str | None  # clients tick the longest wait on from this
    longest_wait: float  # seconds, at ``Board.at``
    logged_in: int
    available: int
    ringing: int
    in_call: int
    busy: int
    paused: int
    unavailable: int
    today: BoardFigures
    intervals: tuple[BoardInterval, ...] = ()  # midnight .. now
    callers: tuple[WaitingCall, ...] = ()  # longest waiting first


@dataclass(frozen=True)
class BoardAgent:
    """One operator position. ``name`` is the account of the operator logged in on the
    extension when there is one, else the PBX member name (``member_name``)."""

    interface: str
    name: str
    extension: str
    queues: tuple[str, ...]
    state: str  # in_call / ringing / busy / paused / available / unavailable / logged_out
    since: str | None
    paused_reason: str = ""
    answered_today: int = 0
    avg_talk_today: float | None = None
    member_name: str = ""
    logged_in: bool = False  # an operator account is connected on this extension


@dataclass(frozen=True)
class VenueFill:
    venue_id: int
    venue: str
    day: str  # local ISO date
    capacity: int
    booked: int


@dataclass(frozen=True)
class Definition:
    en: str
    ja: str


@dataclass(frozen=True)
class BoardSettings:
    service_level_seconds: float
    short_abandon_seconds: float
    interval_minutes: int
    service_level_formula: str = "with_abandons"  # / answered_only / abandons_met


@dataclass(frozen=True)
class Board:
    """The supervisor board. ``definitions`` holds every figure's definition by key (the keys
    of the figures; ``service_level_short`` is the one-line formula shown beside the SL)."""

    at: str
    day: str  # local ISO date
    tz: str
    pbx_connected: bool
    link_down_since: str | None
    settings: BoardSettings
    definitions: dict[str, Definition]
    queues: tuple[BoardQueue, ...] = ()
    agents: tuple[BoardAgent, ...] = ()
    bookings: tuple[VenueFill, ...] = ()
    mobility_open: int = 0


# --------------------------------------------------------------------------- server -> client


@dataclass(frozen=True)
class Hello:
    type: ClassVar[str] = "hello"
    protocol_version: int
    server_id: str
    operator: OperatorInfo
    server_time: str


@dataclass(frozen=True)
class ScreenPop:
    """Sent to the operator(s) whose extension rings; re-sent on answer and on hang-up."""

    type: ClassVar[str] = "screen_pop"
    call: CallInfo
    caller: CallerInfo
    households: tuple[HouseholdGroup, ...] = ()
    lookup_error: str = ""  # set when the ledger could not be asked; the pop still comes


@dataclass(frozen=True)
class SlotsChanged:
    """Remaining capacity of watched slots changed (booking forms update live)."""

    type: ClassVar[str] = "slots_changed"
    slots: tuple[SlotInfo, ...]


@dataclass(frozen=True)
class ErrorMessage:
    type: ClassVar[str] = "error"
    error: str  # a stable id, e.g. "forbidden", "bad_message"
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pong:
    type: ClassVar[str] = "pong"
    nonce: str = ""


@dataclass(frozen=True)
class BoardUpdate:
    """The supervisor board, pushed to subscribers when it changes."""

    type: ClassVar[str] = "board_update"
    board: Board


# --------------------------------------------------------------------------- client -> server


@dataclass(frozen=True)
class Ping:
    type: ClassVar[str] = "ping"
    nonce: str = ""


@dataclass(frozen=True)
class WatchSlots:
    """Ask for ``SlotsChanged`` about one venue and day (ISO date); ``venue_id`` 0 stops."""

    type: ClassVar[str] = "watch_slots"
    venue_id: int
    day: str


@dataclass(frozen=True)
class SubscribeBoard:
    type: ClassVar[str] = "subscribe_board"


@dataclass(frozen=True)
class UnsubscribeBoard:
    type: ClassVar[str] = "unsubscribe_board"


@dataclass(frozen=True)
class PauseAgent:
    """Supervisor: pause (or unpause) a queue member; sent to Asterisk as QueuePause."""

    type: ClassVar[str] = "pause_agent"
    interface: str
    paused: bool
    reason: str = ""
    queue: str = ""  # empty: every queue


Message = Union[  # noqa: UP007 -- a runtime alias used for isinstance-free dispatch
    Hello,
    ScreenPop,
    SlotsChanged,
    ErrorMessage,
    Pong,
    BoardUpdate,
    Ping,
    WatchSlots,
    SubscribeBoard,
    UnsubscribeBoard,
    PauseAgent,
]

MESSAGE_TYPES: dict[str, type[Any]] = {cls.type: cls for cls in typing.get_args(Message)}

# --------------------------------------------------------------------------- encode / decode


def to_dict(obj: Any) -> Any:
    """A message or any part of it as JSON-ready data (``type`` first for messages)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        tag = getattr(type(obj), "type", None)
        if isinstance(tag, str):
            out["type"] = tag
        for f in dataclasses.fields(obj):
            out[f.name] = to_dict(getattr(obj, f.name))
        return out
    if isinstance(obj, tuple | list):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj


def encode(msg: Any) -> str:
    """One message as compact JSON text."""
    return json.dumps(to_dict(msg), ensure_ascii=False, separators=(",", ":"))


T = TypeVar("T")
_SCALARS = frozenset({str, int, float, bool})  # a JSON value of exactly this type fits as it is


@functools.cache
def _shape(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    return typing.get_origin(tp), typing.get_args(tp)


def _convert(tp: Any, value: Any, where: str) -> Any:
    if type(value) is tp and tp in _SCALARS:
        return value
    if tp is Any:
        return value
    origin, args = _shape(tp)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, where)
            except ProtocolError as err:
                errors.append(str(err))
        raise ProtocolError(f"{where}: {'; '.join(errors)}")
    if origin is tuple:
        if not isinstance(value, list):
            raise ProtocolError(f"{where}: expected an array")
        (item_tp, _ellipsis) = args
        return tuple(_convert(item_tp, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ProtocolError(f"{where}: expected an object")
        value_tp = args[1] if args else Any
        return {k: _convert(value_tp, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ProtocolError(f"{where}: expected an object")
        return _build(tp, value, where)  # type: ignore[arg-type]
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtocolError(f"{where}: expected a number")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(f"{where}: expected an integer")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise ProtocolError(f"{where}: expected {tp.__name__}")
        return value
    raise ProtocolError(f"{where}: unsupported type {tp!r}")


@functools.cache
def _schema(cls: type[Any]) -> tuple[tuple[str, Any, bool], ...]:
    """(name, type, required) of each field; resolving type hints is slow, so once per class."""
    hints = typing.get_type_hints(cls)
    return tuple(
        (
            f.name,
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
    )


def _build(cls: type[T], data: dict[str, Any], where: str) -> T:
    kwargs: dict[str, Any] = {}
    for name, tp, required in _schema(cls):  # type: ignore[arg-type]
        if name in data:
            value = data[name]
            if type(value) is tp and tp in _SCALARS:
                kwargs[name] = value
            else:
                kwargs[name] = _convert(tp, value, f"{where}.{name}" if where else name)
        elif required:
            raise ProtocolError(f"{f'{where}.{name}' if where else name}: missing")
    return cls(**kwargs)


def decode(text: str | bytes) -> Any:
    """Parse one message; unknown extra fields are ignored (forward compatibility)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"not JSON: {err}") from err
    if not isinstance(data, dict):
        raise ProtocolError("a message must be a JSON object")
    tag = data.get("type")
    cls = MESSAGE_TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise ProtocolError(f"unknown message type {tag!r}")
    return _build(cls, data, "")


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a part (e.g. ``Candidate``) from JSON data, as ``decode`` does for messages."""
    return _build(cls, data, cls.__name__)
