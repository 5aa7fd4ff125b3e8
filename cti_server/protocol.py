"""The wire between the server and its clients: the one definition both sides import.

Standard library only. Every WebSocket message is a frozen dataclass with a class-level ``type``
tag; on the wire it is one JSON object ``{"type": ..., **fields}``. Nested dataclasses become
objects, tuples become arrays, datetimes travel as ISO-8601 strings with an offset
(``IsoDateTime``, a ``str``); a class may name read-only properties to send too (``derived``).
``decode`` raises ``ProtocolError`` on anything it cannot turn into a known message, naming the
field. The REST bodies are here too (the section at the end): the same dataclasses, without a
``type``, read with ``from_dict``; the OpenAPI document is generated from them.

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
from typing import Annotated, Any, ClassVar, TypeVar, Union

import orjson

PROTOCOL_VERSION = 2  # 2: the supervisor board became the typed Board

# Every time on the wire (WebSocket and REST) is ISO-8601 with an offset; the server sends UTC
# ("+00:00") and the client shows it in its own zone (Asia/Tokyo). Dates alone are YYYY-MM-DD.
# At run time both are ``str``; the annotation tells the OpenAPI generator the format.
IsoDateTime = Annotated[str, "date-time"]
IsoDate = Annotated[str, "date"]


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
class LatestIntent:
    """A resident's current intent answer (the newest), as a pop shows it."""

    wants_vaccination: bool | None  # None: not answered
    needs_mobility: bool | None
    channel: str  # postcard_ocr / web / phone
    recorded_at: IsoDateTime


@dataclass(frozen=True)
class Candidate:
    """One resident the number or a search points at, with why."""

    resident_id: int
    name: str
    name_kana: str
    birth_date: IsoDate | None
    age: int | None
    sex: str
    address: str
    household_id: int | None
    score: float  # 0..100
    reasons: tuple[str, ...] = ()  # e.g. ("own_mobile",), ("household_landline",), ("name:92",)
    person_no: str = ""  # 宛名番号, the ledger's own key
    household_no: str = ""  # 世帯番号
    barcode: str = ""  # はがき番号 (12 digits)
    flags: tuple[str, ...] = ()  # booked / attended / mobility / called: seen without a click
    intent: LatestIntent | None = None  # the latest intent answer (pops; None: none yet)


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
    entered_at: IsoDateTime | None = None
    answered_at: IsoDateTime | None = None
    ended_at: IsoDateTime | None = None
    outcome: str = ""  # answered / abandoned / short_abandoned / no_agent / "" while live
    extension: str | None = None  # the operator extension ringing or connected
    wait_seconds: float = 0.0


@dataclass(frozen=True)
class SlotInfo:
    derived: ClassVar[tuple[str, ...]] = ("remaining",)
    slot_id: int
    venue_id: int
    starts_at: IsoDateTime
    ends_at: IsoDateTime
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
    number: str = ""  # national display form, e.g. 0773-62-1234 (a kiosk: ****-**-1234)


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
class SlotCheckins:
    """One slot's reception tally: booked (active bookings, walk-ins too), checked in, not yet
    (not checked in, the slot not ended), no-show (not checked in, the slot ended)."""

    slot_id: int
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    capacity: int
    booked: int
    checked_in: int
    not_yet: int
    no_show: int


@dataclass(frozen=True)
class VenueCheckins:
    """A venue's reception tally of one local day: its slots and their sums."""

    venue_id: int
    venue: str
    day: IsoDate
    booked: int
    checked_in: int
    not_yet: int
    no_show: int
    slots: tuple[SlotCheckins, ...] = ()


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
class IntentsByChannel:
    """Residents by the channel of their latest intent answer (意向確認), and those without one."""

    postcard: int = 0
    web: int = 0
    phone: int = 0
    none_yet: int = 0


@dataclass(frozen=True)
class AssignedDayVenue:
    """A venue's local day with designated appointments: active bookings an assignment run
    made (any dose), all active bookings and the capacity of its slots."""

    venue_id: int
    venue: str
    day: IsoDate
    assigned: int
    booked: int
    capacity: int


@dataclass(frozen=True)
class AssignmentFigures:
    """Designated appointments on the board: residents still to assign (want it, no active
    first-dose booking), those the last committed run could not place (at most those to assign)
    with its reasons, when it ran (None: never), and the assigned per venue and local day from
    today."""

    to_assign: int
    cannot_assign: int
    reasons: dict[str, int] = field(default_factory=dict)
    last_run_at: IsoDateTime | None = None
    days: tuple[AssignedDayVenue, ...] = ()


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
    intents: IntentsByChannel | None = None  # None: not read yet
    checkins: tuple[VenueCheckins, ...] = ()  # today's reception tally per venue
    worklist: WorklistSummary | None = None  # the callback worklist's size and age
    assignment: AssignmentFigures | None = None  # designated appointments; None: not read yet


# --------------------------------------------------------------------------- server -> client


@dataclass(frozen=True)
class Hello:
    type: ClassVar[str] = "hello"
    protocol_version: int
    server_id: str
    operator: OperatorInfo
    server_time: IsoDateTime
    queue_names: dict[str, str] = field(default_factory=dict)  # queue -> name shown to people
    pbx_link: str = "up"  # the PBX (AMI) link now: up / down / off (no PBX configured)
    pbx_down_since: IsoDateTime | None = None


@dataclass(frozen=True)
class PbxLink:
    """The server's PBX (AMI) link changed; sent to every client. While it is ``down`` the live
    pops are uncertain (the call may have ended or moved on without us hearing) and new calls do
    not pop: every client says so (a banner) until it is ``up`` again."""

    type: ClassVar[str] = "pbx_link"
    state: str  # up / down / off (no PBX configured)
    since: IsoDateTime | None = None  # when it went down (UTC)
    reason: str = ""


@dataclass(frozen=True)
class ScreenPop:
    """Sent to the operator(s) whose extension rings; re-sent on answer and on hang-up."""

    type: ClassVar[str] = "screen_pop"
    call: CallInfo
    caller: CallerInfo
    households: tuple[HouseholdGroup, ...] = ()
    lookup_error: str = ""  # set when the ledger could not be asked; the pop still comes
    uncertain: bool = False  # sent while the PBX link is down: the call may have moved on
    repeat_calls: int = 0  # earlier calls from the same number today (withheld: never counted)


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
    since: IsoDateTime | None = None  # UTC
    until: IsoDateTime | None = None
    by: str = ""
    by_name: str = ""
    after_call_seconds: int = 0  # the configured after-call time (0: until 完了)


@dataclass(frozen=True)
class SlotsChanged:
    """Remaining capacity of watched slots changed (booking forms update live)."""

    type: ClassVar[str] = "slots_changed"
    slots: tuple[SlotInfo, ...]


@dataclass(frozen=True)
class LedgerStatus:
    """The ledger database reachable or not, sent to every client when it changes (and after
    ``Hello`` while it is down). While down, pops still come with the caller's number and the
    client keeps its forms in its outbox; ``ok`` again: send them."""

    type: ClassVar[str] = "ledger_status"
    ok: bool
    since: IsoDateTime | None = None  # UTC, when it changed
    error: str = ""  # what the last check ran into (no host or address)


@dataclass(frozen=True)
class ConfigChanged:
    """An admin saved a new version of a campaign setting (``dispositions``, ``retry_policy``,
    ``mobility_options``, ``intent_questions``); sent to every client, which reads that key again
    (GET /api/config) without touching what is being typed."""

    type: ClassVar[str] = "config_changed"
    key: str
    version: int


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


@dataclass(frozen=True)
class SetAgentState:
    """Operator: set their own state. ``available`` also ends after-call work (完了);
    ``paused`` needs a ``reason``. Refusals come back as ``ErrorMessage``."""

    type: ClassVar[str] = "set_agent_state"
    state: str  # available / paused
    reason: str = ""


Message = Union[  # noqa: UP007 -- a runtime alias used for isinstance-free dispatch
    Hello,
    PbxLink,
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
    LedgerStatus,
    ConfigChanged,
]

MESSAGE_TYPES: dict[str, type[Any]] = {cls.type: cls for cls in typing.get_args(Message)}

# --------------------------------------------------------------------------- encode / decode


_PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _plan(cls: Any) -> tuple[str | None, tuple[str, ...]] | None:
    """For a dataclass: its ``type`` tag (messages) and the names to write, fields then
    ``derived``; None for anything else. Worked out once per class (pops are encoded often)."""
    if not dataclasses.is_dataclass(cls):
        return None
    tag = getattr(cls, "type", None)
    names = tuple(f.name for f in dataclasses.fields(cls)) + tuple(getattr(cls, "derived", ()))
    return (tag if isinstance(tag, str) else None), names


def to_dict(obj: Any) -> Any:
    """A message or any part of it as JSON-ready data (``type`` first for messages)."""
    cls: Any = type(obj)
    if cls in _PLAIN:
        return obj
    plan = _plan(cls)
    if plan is not None:
        tag, names = plan
        out: dict[str, Any] = {"type": tag} if tag is not None else {}
        for name in names:
            value = getattr(obj, name)
            out[name] = value if type(value) in _PLAIN else to_dict(value)
        return out
    if isinstance(obj, tuple | list):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj


def encode(msg: Any) -> str:
    """One message as compact JSON text. orjson writes it (a pop is encoded on its way from the
    PBX event to the operator: several times faster than ``json``); what orjson refuses (a lone
    surrogate, an integer beyond 64 bits) is written by ``json`` as before, so the sender can
    refuse a text it cannot send."""
    data = to_dict(msg)
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


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
    except RecursionError as err:
        raise ProtocolError("not JSON: nested too deep") from err
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


def spec(default: Any = dataclasses.MISSING, **limits: Any) -> Any:
    """A request field with the limits the server checks and the OpenAPI document states:
    ``max_length`` (text), ``minimum`` (numbers), ``choices`` (text from a fixed list);
    ``strip=False`` keeps the spaces around a text (a password)."""
    if default is dataclasses.MISSING:
        return field(metadata=limits)
    return field(default=default, metadata=limits)


def request_body(obj: Any) -> dict[str, Any]:
    """A REST request body as JSON data: a field that is ``None`` is left out (absent and null
    mean the same to the server: "not given", "no change")."""
    data: dict[str, Any] = to_dict(obj)
    return {k: v for k, v in data.items() if v is not None}


# =========================================================================== REST payloads
#
# The bodies of the REST API (cti_server/web), one frozen dataclass each: the server builds
# them, the client decodes them with ``from_dict`` (desktop_client/api.py), and the OpenAPI
# document (/api/openapi.json) is generated from them (cti_server/web/openapi.py). Requests are
# named for what they ask (``BookingRequest``), answers for what they are (``Booking``).
# Datetimes are ``IsoDateTime`` (UTC, with offset), dates ``IsoDate``.


@dataclass(frozen=True)
class ApiErrorBody:
    """Every error answer: a stable id, a message for the log, details (``field`` for 400)."""

    error: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


# ---- log-in


@dataclass(frozen=True)
class LoginRequest:
    username: str = spec(max_length=64)
    password: str = spec(max_length=1024, strip=False)
    # one of the operator's allowed extensions (403 extension_not_allowed otherwise); empty:
    # the default one
    extension: str = spec("", max_length=32)


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_in: int | None  # seconds; None: no expiry (a kiosk token)
    operator: OperatorInfo


# ---- residents


@dataclass(frozen=True)
class SearchResults:
    """GET /api/residents/search (by name, birth, address, phone, or barcode).
    ``tied_beyond``: residents left off the page who scored the same as its last result (the
    query cannot tell them apart: ask for the birth date or the banchi); at least that many (a
    name alone gathers about 50 candidates)."""

    results: tuple[Candidate, ...]
    tied_beyond: int = 0


@dataclass(frozen=True)
class HouseholdMember:
    """Another member of the resident's household."""

    resident_id: int
    name: str
    name_kana: str
    birth_date: IsoDate | None
    age: int | None
    sex: str
    status: str
    person_no: str = ""  # 宛名番号
    barcode: str = ""  # はがき番号


@dataclass(frozen=True)
class PhoneLine:
    national: str  # "0773-62-1234"; the raw value when the number could not be indexed
    e164: str | None
    kind: str
    flags: str
    shared: bool  # a household's number (landline) rather than the resident's own


@dataclass(frozen=True)
class Intent:
    intent_id: int
    resident_id: int
    wants_vaccination: bool | None  # None: not answered
    needs_mobility: bool | None
    channel: str  # postcard_ocr / web / phone
    recorded_at: IsoDateTime
    notes: str


@dataclass(frozen=True)
class Booking:
    booking_id: int
    resident_id: int
    slot_id: int
    venue_id: int
    venue_name: str
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    dose: int
    status: str  # booked / cancelled / attended
    channel: str  # phone / web / paper / assigned
    created_by: int | None
    call_linkedid: str | None
    client_key: str | None
    created_at: IsoDateTime
    updated_at: IsoDateTime


LATER_DOSE_OUTCOMES = ("moved", "not_moved", "cancelled")
LATER_DOSE_WHY_NOT = ("no_slot", "slot_full", "no_transport_seat")


@dataclass(frozen=True)
class LaterDose:
    """A later dose the assignment gave, after its earlier dose was moved or cancelled:
    ``moved`` (to the slot at the new slot's venue the same number of days after, at its time
    of day), ``cancelled``, or ``not_moved``: kept where it was, ``why`` (one of
    ``LATER_DOSE_WHY_NOT``), the start it should have had, and its callback on the worklist."""

    booking: Booking
    outcome: str  # one of LATER_DOSE_OUTCOMES
    why: str | None = None
    wanted_starts_at: IsoDateTime | None = None
    item_id: int | None = None


@dataclass(frozen=True)
class BookingChanged(Booking):
    """A booking moved (PATCH) or cancelled (DELETE), and what became of its later doses (empty
    when it has none). A ``Booking`` with one field more: a client reading a ``Booking`` still
    reads it."""

    later: tuple[LaterDose, ...] = ()


@dataclass(frozen=True)
class MobilityRequest:
    """A mobility-support request (移動支援)."""

    request_id: int
    resident_id: int
    booking_id: int | None
    pickup_address: str
    wheelchair: bool
    companion: bool
    notes: str
    status: str  # open / arranged / done / cancelled
    created_by: int | None
    call_linkedid: str | None
    client_key: str | None
    created_at: IsoDateTime
    updated_at: IsoDateTime
    # the option codes chosen (setting ``mobility_options``), wheelchair and companion included
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallRecord:
    """One call as stored (a resident's earlier calls on the card)."""

    linkedid: str
    caller_raw: str
    caller_name_raw: str
    presentation: str
    caller_status: str
    caller_e164: str | None
    matched_resident_id: int | None
    match_count: int
    queue: str
    operator_id: int | None
    extension: str | None
    entered_at: IsoDateTime | None
    answered_at: IsoDateTime | None
    ended_at: IsoDateTime | None
    hold_seconds: float | None
    talk_seconds: float | None
    outcome: str
    disposition: str
    notes: str
    updated_at: IsoDateTime


@dataclass(frozen=True)
class ResidentDetail:
    """GET /api/residents/{id}: everything the operator card shows about one resident."""

    resident_id: int
    person_no: str  # 宛名番号
    name: str
    name_kana: str
    birth_date: IsoDate | None
    age: int | None
    sex: str
    address: str
    barcode: str  # はがき番号
    status: str
    review: str
    household_id: int | None
    household_no: str  # 世帯番号
    household_address: str
    members: tuple[HouseholdMember, ...]
    phones: tuple[PhoneLine, ...]
    intents: tuple[Intent, ...]
    bookings: tuple[Booking, ...]
    mobility_requests: tuple[MobilityRequest, ...]
    calls: tuple[CallRecord, ...]


@dataclass(frozen=True)
class IntentRequest:
    """POST /api/residents/{id}/intents; ``None`` means the question was not answered."""

    wants_vaccination: bool | None = None
    needs_mobility: bool | None = None
    notes: str = spec("", max_length=2000)
    call: str | None = spec(None, max_length=64)  # Linkedid of the call this is done for


# ---- venues and slots


@dataclass(frozen=True)
class Venue:
    id: int
    name: str
    address: str
    active: bool


@dataclass(frozen=True)
class VenueList:
    venues: tuple[Venue, ...]


@dataclass(frozen=True)
class VenueRequest:
    name: str = spec(max_length=200)
    address: str = spec("", max_length=500)


@dataclass(frozen=True)
class VenueChange:
    """PATCH /api/venues/{id}: the fields given change, the others stay."""

    name: str | None = spec(None, max_length=200)
    address: str | None = spec(None, max_length=500)
    active: bool | None = None


@dataclass(frozen=True)
class SlotList:
    slots: tuple[SlotInfo, ...]


@dataclass(frozen=True)
class SlotRequest:
    """POST /api/venues/{id}/slots; a time without an offset is in the server's time zone."""

    starts_at: IsoDateTime = spec(max_length=40)
    ends_at: IsoDateTime = spec(max_length=40)
    capacity: int = spec(minimum=0)


@dataclass(frozen=True)
class SlotsLayout:
    """POST /api/venues/{id}/slots/bulk: back-to-back slots of ``minutes`` from ``start`` to
    ``end`` (wall-clock HH:MM in the server's time zone) on ``day``."""

    day: IsoDate = spec(max_length=10)
    start: str = spec(max_length=8)
    end: str = spec(max_length=8)
    minutes: int = spec(minimum=5)
    capacity: int = spec(minimum=0)


@dataclass(frozen=True)
class SlotsLaidOut:
    created: tuple[SlotInfo, ...]
    skipped: tuple[SlotInfo, ...]  # a slot already started at that time


@dataclass(frozen=True)
class CapacityChange:
    capacity: int = spec(minimum=0)


@dataclass(frozen=True)
class DeletedSlot:
    derived: ClassVar[tuple[str, ...]] = ("remaining",)
    slot_id: int
    venue_id: int
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    capacity: int
    booked: int
    deleted: bool = True

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)


# ---- bookings, mobility support, calls

BOOKING_CHANNELS = ("phone", "web", "paper", "assigned")
MOBILITY_STATUSES = ("open", "arranged", "done", "cancelled")


@dataclass(frozen=True)
class BookingRequest:
    resident_id: int = spec(minimum=1)
    slot_id: int = spec(minimum=1)
    channel: str = spec("phone", max_length=16, choices=BOOKING_CHANNELS)
    dose: int = spec(1, minimum=1)
    call: str | None = spec(None, max_length=64)


@dataclass(frozen=True)
class BookingChange:
    """PATCH /api/bookings/{id}: move the booking to another slot."""

    slot_id: int = spec(minimum=1)
    call: str | None = spec(None, max_length=64)


@dataclass(frozen=True)
class MobilityRequestBody:
    """POST /api/mobility. ``options``: the codes chosen from the setting ``mobility_options``
    (an unknown code is refused, 400 naming ``options``); ``wheelchair`` and ``companion`` true
    add those two codes."""

    resident_id: int = spec(minimum=1)
    pickup_address: str = spec(max_length=500)
    booking_id: int | None = spec(None, minimum=1)
    wheelchair: bool = False
    companion: bool = False
    options: tuple[str, ...] = spec((), max_length=24)
    notes: str = spec("", max_length=2000)
    call: str | None = spec(None, max_length=64)


@dataclass(frozen=True)
class MobilityChange:
    """PATCH /api/mobility/{id}: the fields given change, the others stay (``booking_id``
    given as null unties the request from its booking)."""

    pickup_address: str | None = spec(None, max_length=500)
    wheelchair: bool | None = None
    companion: bool | None = None
    options: tuple[str, ...] | None = spec(None, max_length=24)  # every code chosen: replaces
    notes: str | None = spec(None, max_length=2000)
    booking_id: int | None = spec(None, minimum=1)
    status: str | None = spec(
        None, max_length=16, choices=("open", "arranged", "done", "cancelled")
    )
    call: str | None = spec(None, max_length=64)


@dataclass(frozen=True)
class DispositionRequest:
    """PUT /api/calls/{linkedid}/disposition: the wrap-up's result codes (one or more, from
    GET /api/dispositions) as ``codes``, or as ``disposition`` (codes joined by commas)."""

    disposition: str | None = spec(None, max_length=64)
    notes: str = spec("", max_length=4000)
    codes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Disposition:
    linkedid: str
    disposition: str  # the codes joined by commas, as stored
    notes: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallResidentRequest:
    """POST /api/calls/{linkedid}/resident: the resident the operator confirmed is calling."""

    resident_id: int = spec(minimum=1)


@dataclass(frozen=True)
class CallResident:
    linkedid: str
    matched_resident_id: int


@dataclass(frozen=True)
class WrapUpCode:
    """One wrap-up result code (通話結果) with its Japanese and English labels."""

    code: str
    ja: str
    en: str


@dataclass(frozen=True)
class WrapUpCodes:
    """GET /api/dispositions: the server's list (setting ``dispositions``)."""

    dispositions: tuple[WrapUpCode, ...]


@dataclass(frozen=True)
class ConfigEntry:
    """One version of a campaign setting an admin edits (GET /api/config): ``dispositions``,
    ``retry_policy``, ``mobility_options`` or ``intent_questions``. Version 0: nobody saved one
    yet, the value is the server's default."""

    key: str
    version: int
    value: Any
    created_by: int | None = None
    created_at: str | None = None
    created_by_name: str = ""  # who saved it (GET /api/config/{key}/history)


@dataclass(frozen=True)
class ConfigList:
    """GET /api/config: every campaign setting's current version."""

    entries: tuple[ConfigEntry, ...]


@dataclass(frozen=True)
class ConfigHistory:
    """GET /api/config/{key}/history: the saved versions, newest first."""

    key: str
    versions: tuple[ConfigEntry, ...]


@dataclass(frozen=True)
class ConfigPutRequest:
    """PUT /api/config/{key}: the new value, saved over ``version`` (the one the editor loaded;
    409 if someone saved another since)."""

    version: int = spec(minimum=0)
    value: Any = None


@dataclass(frozen=True)
class CurrentCalls:
    """GET /api/calls/current: the operator's live calls, as the pops they were sent."""

    calls: tuple[ScreenPop, ...]


# ---- health


@dataclass(frozen=True)
class AmiHealth:
    status: str  # disabled / connected / disconnected / ...
    connected: bool
    error: str = ""


@dataclass(frozen=True)
class DatabaseHealth:
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class IndexHealth:
    """The in-memory ledger indexes: ``loading``, ``ready``, ``failed`` (the name index; the
    next refresh tries again) or ``off``. While ``name`` is not ready, resident searches answer
    503; while ``phone`` is not, a pop's match by number is asked of the database (slower,
    still right). Neither makes the server degraded."""

    name: str
    phone: str


@dataclass(frozen=True)
class Health:
    """GET /healthz (200 when all is well, 503 otherwise; the same body). Without a valid token
    only ``status`` is given: no host, error or count to a stranger."""

    status: str  # ok / degraded
    server_id: str = ""
    ami: AmiHealth | None = None
    database: DatabaseHealth | None = None
    ws_clients: int | None = None
    indexes: IndexHealth | None = None


# ---- postcards (supervisors): printing, scans read, the review queue

POSTCARD_LAYOUTS = ("hagaki", "a4x4")  # one postcard a page, or four on A4 to cut
REVIEW_STATUSES = ("open", "accepted", "rejected")


@dataclass(frozen=True)
class PostcardPrintRequest:
    """POST /api/postcards/print: the selection's postcards (address and answer side) as a
    PDF. ``select``: all | age:75- | age:65-74 | district:NAME | unanswered | resident:PERSON_NO;
    ``as_of``: the day of the age bands (default today in the server's time zone)."""

    select: str = spec("all", max_length=200)
    layout: str = spec("hagaki", max_length=10, choices=POSTCARD_LAYOUTS)
    as_of: IsoDate | None = spec(None, max_length=10)


@dataclass(frozen=True)
class ScanPage:
    """What became of one page of an uploaded scan."""

    source: str  # the uploaded file's stored name
    page: int
    scan_id: int
    status: str  # applied / review / rejected
    reasons: tuple[str, ...]  # codes of the reasons for review
    new: bool  # False: this page was read before, nothing changed


@dataclass(frozen=True)
class ScansRead:
    """POST /api/postcards/scans: every page applied (an intent) or in review."""

    pages: int
    outcomes: dict[str, int]  # applied / review / rejected / already read -> pages
    results: tuple[ScanPage, ...]


@dataclass(frozen=True)
class ReviewReason:
    code: str  # no_barcode, note_written, several_marked, ...
    question: str  # the question it concerns, or ""
    detail: str
    message: str


@dataclass(frozen=True)
class ReviewItem:
    """A returned postcard in the review queue. Image paths stay on the server:
    ``note_image``/``card_image`` say whether the image exists (GET .../image)."""

    review_id: int
    scan_id: int
    status: str  # open / accepted / rejected
    reasons: tuple[ReviewReason, ...]
    kind: str  # scan / ocr
    source: str  # the scan's file name (or the OCR CSV's)
    page: int
    barcode: str | None
    resident_id: int | None
    answers: dict[str, Any]  # question -> value or null
    readings: dict[str, Any]  # per question: each box's state, ink and confidence
    note_image: bool
    card_image: bool
    created_at: IsoDateTime
    resolved_by: int | None
    resolved_at: IsoDateTime | None
    resolution: dict[str, Any]


@dataclass(frozen=True)
class ReviewList:
    """GET /api/postcards/reviews: oldest first."""

    reviews: tuple[ReviewItem, ...]


@dataclass(frozen=True)
class ReviewAcceptance:
    """POST /api/postcards/reviews/{id}/accept: the reviewer's answers (wants_vaccination:
    yes/no, mobility: none/pickup/wheelchair/companion, time_of_day: am/pm/any, each or null);
    ``barcode`` (はがき番号) is required when none was read."""

    answers: dict[str, Any]
    barcode: str | None = spec(None, max_length=40)
    comment: str = spec("", max_length=2000)


@dataclass(frozen=True)
class ReviewRejection:
    """POST /api/postcards/reviews/{id}/reject."""

    comment: str = spec("", max_length=2000)


# ---- venue reception (role ``reception``, bound to one venue by its account)

CHECKIN_OUTCOMES = (
    "checked_in",
    "already_checked_in",
    "wrong_venue",
    "wrong_slot",
    "wrong_day",
    "no_booking",
    "unknown_barcode",
    "mistyped_barcode",
)


@dataclass(frozen=True)
class CheckinRequest:
    """POST /api/reception/checkins: one scan. ``scan_id`` is the page's id for it (a resend
    with the same id gets the first answer); ``scanned_at`` when it was scanned (a scan queued
    offline counts then, if within 12 hours)."""

    scan_id: str = spec(max_length=64)
    barcode: str = spec(max_length=64)
    desk: str = spec(max_length=64)
    scanned_at: IsoDateTime | None = spec(None, max_length=40)


@dataclass(frozen=True)
class WalkInRequest:
    """POST /api/reception/walk-ins: book a resident without a booking into one of the slots
    offered with ``no_booking`` and check them in (a new ``scan_id``)."""

    scan_id: str = spec(max_length=64)
    barcode: str = spec(max_length=64)
    slot_id: int = spec(minimum=1)
    desk: str = spec(max_length=64)
    scanned_at: IsoDateTime | None = spec(None, max_length=40)


@dataclass(frozen=True)
class WalkInSlot:
    slot_id: int
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    remaining: int


@dataclass(frozen=True)
class Checkin:
    """The answer to a scan (``outcome``: one of ``CHECKIN_OUTCOMES``). ``name`` is masked
    (髙橋 一●); the booking's fields name where and when they are booked (for ``wrong_venue``,
    ``wrong_slot``, ``wrong_day``); ``checked_in_*`` when and where they were checked in;
    ``mobility``: pickup / wheelchair / companion, ``mobility_label`` the same in Japanese;
    ``replayed``: this scan id was answered before and this is that answer."""

    scan_id: str
    outcome: str
    scanned_at: IsoDateTime
    barcode: str
    resident_id: int | None = None
    name: str = ""
    booking_id: int | None = None
    slot_id: int | None = None
    venue_id: int | None = None
    venue_name: str = ""
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None
    mobility: tuple[str, ...] = ()
    mobility_label: str = ""
    checked_in_at: IsoDateTime | None = None
    checked_in_desk: str = ""
    walk_in_slots: tuple[WalkInSlot, ...] = ()
    replayed: bool = False


@dataclass(frozen=True)
class DeskCandidate:
    """A resident found by the desk's search (name masked); check in with ``barcode``."""

    resident_id: int
    name: str
    birth_date: IsoDate | None
    barcode: str
    booked_here_at: IsoDateTime | None = None


@dataclass(frozen=True)
class DeskSearchResults:
    """GET /api/reception/search?name=&birth=: at most 10, by kana."""

    candidates: tuple[DeskCandidate, ...]


@dataclass(frozen=True)
class Reception:
    """GET /api/reception: the desk's venue, today, whether walk-ins are allowed, the tally;
    ``now`` is the server's clock (the page stamps its scans by it, whatever the tablet's)."""

    venue_id: int
    venue_name: str
    day: IsoDate
    tz: str
    now: IsoDateTime
    walk_ins: bool
    tally: VenueCheckins


# --------------------------------------------------------------- designated appointments

ASSIGN_PREFER = ("nearest", "earliest")  # nearest venue first, or earliest day first


@dataclass(frozen=True)
class AssignmentRequest:
    """POST /api/assignments/plan (a dry run) and /api/assignments/commit: the rules.
    Residents already booked are not moved unless ``move_assigned`` (then only bookings an
    assignment made, in slots that have not started). ``bands``: age bands in priority order
    (``85-,75-84,65-74,0-64``; empty: that default); ``as_of``: the day of the ages (default
    today); ``until``: only slots starting before; ``expect``: commit only if the plan's
    digest is this (the dry run's)."""

    bands: str = spec("", max_length=200)
    prefer: str = spec("nearest", max_length=10, choices=ASSIGN_PREFER)
    second_dose_days: int | None = spec(None, minimum=1)
    as_of: IsoDate | None = spec(None, max_length=10)
    until: IsoDateTime | None = spec(None, max_length=40)
    expect: str | None = spec(None, max_length=32)
    move_assigned: bool = False  # also place again those an assignment booked (not started)


@dataclass(frozen=True)
class NoticePrintRequest:
    """POST /api/assignments/notices: the appointment notices (指定通知) of the active
    assigned bookings as a PDF; ``day``: only that day's appointments."""

    day: IsoDate | None = spec(None, max_length=10)
    layout: str = spec("hagaki", max_length=10, choices=POSTCARD_LAYOUTS)


@dataclass(frozen=True)
class AssignmentDayVenue:
    day: IsoDate  # the local day (Asia/Tokyo)
    venue_id: int
    venue_name: str
    residents: int  # first doses


@dataclass(frozen=True)
class AssignmentReport:
    """What an assignment does (``committed`` false: nothing was written). Definitions in
    ``registry/assign/report.py``; ``reasons``: not assigned by the first missing thing
    (no_capacity, no_transport_seats, no_wheelchair_slot, no_second_dose_slot,
    unavailable_days)."""

    candidates: int
    assigned: int
    not_assigned: int
    reasons: dict[str, int]
    per_day_venue: tuple[AssignmentDayVenue, ...]
    households: int
    households_split: int
    nearest_share: float | None
    latest_date: IsoDate | None
    second_doses: int
    with_transport: int
    no_district: int
    open_slots: int
    free_seats: int
    digest: str
    moved: int  # with move_assigned: residents given another slot
    unseated: int  # with move_assigned: residents who lost their assigned slot
    committed: bool
    bookings_written: int
    bookings_cancelled: int


@dataclass(frozen=True)
class SlotOffer:
    """An open slot a resident could take, best first (nearest venue, then earliest)."""

    slot_id: int
    venue_id: int
    venue_name: str
    starts_at: IsoDateTime
    free: int
    transport_free: int
    wheelchair: bool
    distance_m: int | None


@dataclass(frozen=True)
class SlotOffers:
    """GET /api/residents/{id}/slot-offers."""

    offers: tuple[SlotOffer, ...]


@dataclass(frozen=True)
class CannotComeRequest:
    """POST /api/bookings/{id}/cannot-come."""

    call: str | None = spec(None, max_length=64)


@dataclass(frozen=True)
class CannotCome:
    """The booking cancelled because the resident cannot come that day (kept: no later
    assignment uses it), later assigned doses cancelled too, and slots to offer instead."""

    booking: Booking
    day: IsoDate
    cancelled: tuple[int, ...]
    suggestions: tuple[SlotOffer, ...]


@dataclass(frozen=True)
class WaitingResident:
    resident_id: int
    name: str
    birth_date: IsoDate | None
    band: int  # priority band, 0 first
    district: str | None
    transport: bool
    wheelchair: bool


@dataclass(frozen=True)
class NextWaiting:
    """GET /api/slots/{id}/next-waiting: who the assignment would seat first (null: nobody
    waiting fits the slot)."""

    slot_id: int
    resident: WaitingResident | None


# ---- the callback worklist (折り返しリスト) -------------------------------------------------

WORK_REASONS = (
    "slot_changed",
    "no_show",
    "web_request",
    "callback_requested",
    "abandoned",
    "second_dose",
)
WORK_OUTCOMES = ("reached", "no_answer", "wrong_number", "call_later")
WORK_STATES = ("open", "claimed", "done", "exhausted")


@dataclass(frozen=True)
class WorkAttempt:
    at: IsoDateTime
    operator_id: int | None
    outcome: str  # reached / no_answer / wrong_number / call_later
    call_later_at: IsoDateTime | None
    call_linkedid: str | None
    note: str


@dataclass(frozen=True)
class WorkItem:
    """One callback: who (resident and/or number), why (``reason``; ``detail`` names the
    conflicts: booking, slot, venue, call), what to offer (``proposed_slot_id``), and so far."""

    item_id: int
    reason: str  # one of WORK_REASONS
    resident_id: int | None
    resident_name: str
    phone: str | None  # E.164
    detail: dict[str, Any]
    proposed_slot_id: int | None
    priority: int  # higher is called first
    attempts: int
    next_attempt_at: IsoDateTime | None  # not before (None: now)
    state: str  # one of WORK_STATES
    outcome: str  # the last recorded, or ""
    claimed_by: int | None
    claim_until: IsoDateTime | None
    created_at: IsoDateTime
    history: tuple[WorkAttempt, ...] = ()


@dataclass(frozen=True)
class WorklistSummary:
    """Size and age of the worklist (the supervisors' board)."""

    open: int  # waiting, due or not
    due: int  # waiting and due now
    claimed: int  # held by an operator now
    oldest_created_at: IsoDateTime | None  # the oldest waiting item


@dataclass(frozen=True)
class WorklistPage:
    """GET /api/worklist: items in calling order, and the summary."""

    items: tuple[WorkItem, ...]
    summary: WorklistSummary


@dataclass(frozen=True)
class WorkClaimed:
    """POST /api/worklist/claim: the item taken, or null when nothing is due."""

    item: WorkItem | None


@dataclass(frozen=True)
class WorkOutcomeRequest:
    """POST /api/worklist/{item_id}/outcome. ``call_later_at`` (with its offset) is required
    for ``call_later``; ``call_linkedid`` ties the outcome to the call made."""

    outcome: str = spec(choices=WORK_OUTCOMES)
    call_later_at: IsoDateTime | None = None
    call_linkedid: str | None = spec(None, max_length=64)
    note: str = spec("", max_length=2000)


@dataclass(frozen=True)
class WorkPriorityChange:
    """PATCH /api/worklist/{item_id} (supervisors): higher is called first."""

    priority: int = spec(minimum=-1000)


@dataclass(frozen=True)
class DialStarted:
    """POST /api/worklist/{item_id}/dial: the PBX rings the operator's phone, then calls
    ``number``; the call (``linkedid``) pops on the operator's client as an incoming one."""

    linkedid: str
    number: str
    item: WorkItem


# ---- reconfiguration (supervisors): a dry run, then the change -----------------------------

RECONFIGURE_KINDS = ("capacity", "close_slot", "close_venue", "move_day")


@dataclass(frozen=True)
class ReconfigureRequest:
    """POST /api/reconfigure/preview and /apply. ``capacity``: slot_id + capacity (below its
    bookings); ``close_slot``: slot_id; ``close_venue``: venue_id (its slots from now on);
    ``move_day``: venue_id + day + to_day. ``action`` (apply only): ``move`` to
    ``target_slot_id`` (else each booking's proposal; a slot that cannot take a booking puts it
    on the worklist) or ``worklist``."""

    kind: str = spec(choices=RECONFIGURE_KINDS)
    slot_id: int | None = spec(None, minimum=1)
    venue_id: int | None = spec(None, minimum=1)
    capacity: int | None = spec(None, minimum=0)
    day: IsoDate | None = None
    to_day: IsoDate | None = None
    action: str = spec("worklist", choices=("move", "worklist"))
    target_slot_id: int | None = spec(None, minimum=1)


@dataclass(frozen=True)
class AffectedBooking:
    booking_id: int
    resident_id: int
    resident_name: str
    slot_id: int
    starts_at: IsoDateTime
    booked_at: IsoDateTime
    conflict: str  # over_capacity / slot_closed / venue_closed / day_moved
    proposed_slot_id: int | None


@dataclass(frozen=True)
class ReconfigurePlan:
    """The dry run: the bookings affected, in booking order."""

    kind: str
    slot_ids: tuple[int, ...]
    affected: tuple[AffectedBooking, ...]


@dataclass(frozen=True)
class MovedBooking:
    booking_id: int
    slot_id: int


@dataclass(frozen=True)
class ReconfigureApplied:
    plan: ReconfigurePlan
    moved: tuple[MovedBooking, ...]
    queued: tuple[int, ...]  # worklist item ids (moved bookings too: the resident is told)
