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

PROTOCOL_VERSION = 1


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
    flags: tuple[str, ...] = ()  # booked / attended / mobility / called: seen without a click


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


# --------------------------------------------------------------------------- server -> client


@dataclass(frozen=True)
class Hello:
    type: ClassVar[str] = "hello"
    protocol_version: int
    server_id: str
    operator: OperatorInfo
    server_time: str
    queue_names: dict[str, str] = field(default_factory=dict)  # queue -> name shown to people


@dataclass(frozen=True)
class ScreenPop:
    """Sent to the operator(s) whose extension rings; re-sent on answer and on hang-up."""

    type: ClassVar[str] = "screen_pop"
    call: CallInfo
    caller: CallerInfo
    households: tuple[HouseholdGroup, ...] = ()
    lookup_error: str = ""  # set when the ledger could not be asked; the pop still comes


@dataclass(frozen=True)
class AgentStatus:
    """The operator's own state, sent to their extension on connect and on every change.

    ``state``: available / paused / after_call / ringing / in_call / unavailable (device not
    reachable) / logged_out (in no queue). ``reason`` is the pause reason. ``until`` ends a timed
    after-call work (None: until the operator says 完了). ``by`` says who made the last pause
    change: ``self``, ``after_call`` (the server, around a call), ``supervisor`` (``by_name``
    names them) or ``pbx`` (the PBX or someone at its console).
    """

    type: ClassVar[str] = "agent_status"
    extension: str
    state: str
    reason: str = ""
    since: str | None = None  # ISO datetime, UTC
    until: str | None = None
    by: str = ""
    by_name: str = ""
    after_call_seconds: int = 0  # the configured after-call time (0: until 完了)


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
    """Supervisor board figures. ``board`` follows the schema documented in cti_server/web."""

    type: ClassVar[str] = "board_update"
    board: dict[str, Any]


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


@dataclass(frozen=True)
class SetAgentState:
    """Operator: set their own state. ``available`` also ends after-call work (完了);
    ``paused`` needs a ``reason``. Refusals come back as ``ErrorMessage``."""

    type: ClassVar[str] = "set_agent_state"
    state: str  # available / paused
    reason: str = ""


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
    AgentStatus,
    SetAgentState,
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


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
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
        (item_tp, _ellipsis) = typing.get_args(tp)
        return tuple(_convert(item_tp, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ProtocolError(f"{where}: expected an object")
        return dict(value)
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
        path = f"{where}.{name}" if where else name
        if name in data:
            kwargs[name] = _convert(tp, data[name], path)
        elif required:
            raise ProtocolError(f"{path}: missing")
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
