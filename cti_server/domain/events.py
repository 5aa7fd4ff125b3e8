"""Typed domain events: what the PBX bridge (cti_server.ami) tells the pure domain.

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
    """A caller waiting in a queue, from a QueueStatus resync (``wait_seconds`` so far)."""

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


@dataclass(frozen=True)
class ConnectionLost:
    reason: str
    at: dt.datetime


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
    | ResyncStarted
    | ResyncCompleted
    | PbxShutdown
    | PbxBooted
    | ConnectionLost
)
