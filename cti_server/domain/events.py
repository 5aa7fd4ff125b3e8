"""Typed domain events: what the PBX bridge (cti_server.ami) tells the pure domain.

Fields added after ``at`` have defaults, so older constructors keep working.

Nothing here knows AMI field names; ``cti_server.ami.translate`` turns AMI messages into these.
``at`` is when the bridge received the event (AMI events carry no timestamp); durations the PBX
reports are converted to seconds (AgentRingNoAnswer's milliseconds included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class CallerIdentified:
    """The caller's number (or its absence) on the caller leg of a call; first sight starts lookup.

    ``presentation`` is the raw CALLERID(pres) / CID-CallingPres text; ``withheld`` is decided
    by the translator (``prohib*`` presentation or an ``anonymous`` number).
    """

    linkedid: str
    uniqueid: str
    channel: str
    number: str  # raw CallerIDNum, e.g. "0773621234", "anonymous", "<unknown>"
    name: str  # raw CallerIDName
    presentation: str
    withheld: bool
    at: dt.datetime


@dataclass(frozen=True)
class CallQueued:
    linkedid: str
    uniqueid: str
    queue: str
    position: int
    count: int
    number: str
    name: str
    presentation: str
    withheld: bool
    at: dt.datetime


@dataclass(frozen=True)
class AgentRinging:
    linkedid: str
    queue: str
    interface: str  # e.g. "Local/1001@operators/n", "PJSIP/1001"
    member_name: str
    dest_channel: str
    at: dt.datetime
    # caller data from the non-Dest (queue) leg, so a call first seen here can be built
    uniqueid: str = ""
    number: str = ""
    name: str = ""
    presentation: str = ""
    withheld: bool = False


@dataclass(frozen=True)
class AgentNoAnswer:
    linkedid: str
    queue: str
    interface: str
    member_name: str
    ring_seconds: float
    at: dt.datetime


@dataclass(frozen=True)
class CallAnswered:
    linkedid: str
    queue: str
    interface: str
    member_name: str
    hold_seconds: float
    ring_seconds: float
    at: dt.datetime
    uniqueid: str = ""
    number: str = ""
    name: str = ""
    presentation: str = ""
    withheld: bool = False
    dest_channel: str = ""


@dataclass(frozen=True)
class CallAbandoned:
    linkedid: str
    queue: str
    position: int
    original_position: int
    hold_seconds: float
    at: dt.datetime


@dataclass(frozen=True)
class CallLeftQueue:
    linkedid: str
    queue: str
    count: int
    at: dt.datetime


@dataclass(frozen=True)
class CallCompleted:
    """AgentComplete: the talk is over. ``reason`` is caller / agent / transfer."""

    linkedid: str
    queue: str
    interface: str
    member_name: str
    hold_seconds: float
    talk_seconds: float
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class ChannelHungUp:
    linkedid: str
    uniqueid: str
    channel: str
    cause: int
    cause_text: str
    at: dt.datetime


@dataclass(frozen=True)
class MemberState:
    """QueueMemberStatus / QueueMember (resync) / QueueMemberAdded: the whole state of a member."""

    queue: str
    interface: str
    member_name: str
    device_status: int  # AST_DEVICE_*: 1 not in use, 2 in use, 6 ringing, 5 unavailable ...
    paused: bool
    paused_reason: str
    in_call: bool
    membership: str  # static / dynamic / realtime
    calls_taken: int
    at: dt.datetime
    login_time: int = 0  # epoch seconds as the PBX reports them (0: unknown)
    last_pause: int = 0
    last_call: int = 0


@dataclass(frozen=True)
class MemberPaused:
    queue: str
    interface: str
    member_name: str
    paused: bool
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class MemberRemoved:
    queue: str
    interface: str
    member_name: str
    at: dt.datetime


@dataclass(frozen=True)
class QueueEntrySeen:
    """A caller waiting in a queue, from a QueueStatus resync (``wait_seconds`` so far).

    Asterisk's QueueEntry has no Linkedid: ``linkedid`` is ``""`` then, and the tracker finds the
    call from ``uniqueid`` (the queue leg, also seen in CoreShowChannels).
    """

    linkedid: str
    uniqueid: str
    queue: str
    position: int
    wait_seconds: float
    number: str
    name: str
    at: dt.datetime


@dataclass(frozen=True)
class ChannelSeen:
    """A live channel from a CoreShowChannels resync."""

    linkedid: str
    uniqueid: str
    channel: str
    number: str
    name: str
    application: str
    duration_seconds: float
    at: dt.datetime
    state: int = 0  # AST_STATE_*: 4 ring, 5 ringing, 6 up
    queue: str = ""  # set on a caller leg waiting or talking inside Queue()
    dialed_by_queue: bool = False  # a member leg the queue dialed (ringing or answered)
    presentation: str = ""
    withheld: bool = False
    bridge_id: str = ""


@dataclass(frozen=True)
class QueueParamsSeen:
    """QueueStatus's QueueParams: the PBX's own counters for a queue (since its last reset)."""

    queue: str
    calls: int  # callers waiting now
    hold_seconds: float  # Asterisk's running average
    talk_seconds: float
    completed: int
    abandoned: int
    service_level_seconds: int
    service_level_perf: float
    at: dt.datetime


@dataclass(frozen=True)
class QueueSummarySeen:
    queue: str
    logged_in: int
    available: int
    callers: int
    hold_seconds: float
    talk_seconds: float
    longest_hold_seconds: float
    at: dt.datetime


@dataclass(frozen=True)
class ResyncStarted:
    at: dt.datetime


@dataclass(frozen=True)
class ResyncCompleted:
    at: dt.datetime


@dataclass(frozen=True)
class PbxShutdown:
    restart: bool
    at: dt.datetime


@dataclass(frozen=True)
class PbxBooted:
    at: dt.datetime
    uptime_seconds: float = -1.0  # -1: not reported


@dataclass(frozen=True)
class ConnectionLost:
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class OutboundDialled:
    """Click-to-dial: the server asked the PBX to ring ``interface`` (the operator), then call
    ``number``. ``linkedid`` is the Uniqueid the server gave the operator's leg (``ChannelId``).
    Told by the service, not by the PBX; the pop reaches the operator as for a ringing call."""

    linkedid: str
    interface: str
    member_name: str
    number: str
    at: dt.datetime


@dataclass(frozen=True)
class OutboundProgress:
    """How a dialled call goes: ``operator_answered`` / ``operator_failed`` (OriginateResponse),
    ``answered`` / ``unanswered`` (DialEnd toward the resident). Ignored for other calls."""

    linkedid: str
    stage: str
    at: dt.datetime
    detail: str = ""  # the PBX's DialStatus or Reason


@dataclass(frozen=True)
class CallbackRequested:
    """The caller asked to be called back instead of waiting (pressed a key in the queue, or
    waited past the queue's limit): the dialplan's ``UserEvent(CtiCallback,...)``.

    ``reason`` is the dialplan's (``key`` / ``timeout``); caller fields as on ``CallQueued``
    (raw: a withheld caller's number may be present, ``withheld`` says not to use it).
    """

    linkedid: str
    uniqueid: str
    queue: str
    reason: str
    number: str
    name: str
    presentation: str
    withheld: bool
    at: dt.datetime


@dataclass(frozen=True)
class QueueCallLogged:
    """A whole queue call as the PBX logged it in its queue log, read back after a gap in the
    AMI link (``cti_server.ami.queue_log``); not applied to the tracker (the call is over), but
    rebuilt as an ended call (``recovery.calls_from_log``).

    ``uniqueid`` names the channel that ran ``Queue()`` (the Linkedid when that channel is the
    caller's first, as with a SIP trunk). ``ended``: ``answered`` (talked, then hung up or
    transferred: ``end_reason`` caller / agent / transfer), ``abandoned`` (hung up waiting) or
    ``left`` (left the queue unanswered: ``end_reason`` timeout / empty / key / withdraw).
    ``number`` is verbatim: ``anonymous`` for a caller the network sent as such, ``""`` when the
    PBX logged none (none sent, or a restricted presentation with the queue option
    ``log-restricted-caller-id = no``). ``key``: the key the caller pressed to leave the queue
    (``EXITWITHKEY``), kept if the call went back into a queue after it. ``callback``: the
    reason of the callback request the dialplan logged for the call (``CTICALLBACK``), if any.
    """

    uniqueid: str
    queue: str
    number: str
    name: str
    entered_at: dt.datetime
    ended_at: dt.datetime
    ended: str
    end_reason: str = ""
    member_name: str = ""
    answered_at: dt.datetime | None = None
    hold_seconds: float | None = None
    talk_seconds: float | None = None
    position: int = 0
    key: str = ""
    callback: str = ""


DomainEvent = (
    CallerIdentified
    | CallQueued
    | AgentRinging
    | AgentNoAnswer
    | CallAnswered
    | CallAbandoned
    | CallLeftQueue
    | CallCompleted
    | ChannelHungUp
    | MemberState
    | MemberPaused
    | MemberRemoved
    | QueueEntrySeen
    | ChannelSeen
    | QueueParamsSeen
    | QueueSummarySeen
    | ResyncStarted
    | ResyncCompleted
    | PbxShutdown
    | PbxBooted
    | ConnectionLost
    | OutboundDialled
    | OutboundProgress
    | CallbackRequested
)
