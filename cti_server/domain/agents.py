"""Queue members (agents): immutable snapshots and how their state is derived.

A member is one interface in one queue (``Local/1001@operators/n`` in ``vaccine``). Its state:

- ``in_call``: connected to a queue call (tracked), or the PBX says ``InCall: 1``;
- ``ringing``: a queue call is ringing it (``AgentCalled``; a ringing Local member reports device
  status 2, not 6), or the device reports ringing (6, 7);
- ``paused`` (with ``paused_reason``);
- ``unavailable``: device invalid (4) or unavailable (5) - not logged in / unregistered;
- ``busy``: the device is in use (2, 3, 8) outside a queue call we track;
- ``available``;
- ``logged_out``: removed from the queue (only ever sent with ``MemberChanged.removed``).

``since`` is when the member entered its current state (or pause reason).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from string import hexdigits

from cti_server.domain.evolve import replace

_HEX = frozenset(hexdigits)


class MemberStatus(StrEnum):
    AVAILABLE = "available"
    RINGING = "ringing"
    IN_CALL = "in_call"
    BUSY = "busy"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"
    LOGGED_OUT = "logged_out"


@dataclass(frozen=True, slots=True)
class Member:
    queue: str
    interface: str
    name: str
    status: MemberStatus
    since: dt.datetime
    device_status: int = 0
    paused: bool = False
    paused_reason: str = ""
    in_call: bool = False  # the PBX's InCall flag
    membership: str = ""  # static / dynamic / realtime
    calls_taken: int = 0
    ringing_for: str = ""  # Linkedid of the call ringing this member now
    talking_to: str = ""  # Linkedid of the queue call this member is connected to
    updated_at: dt.datetime | None = None

    @property
    def extension(self) -> str:
        """``1001`` from ``Local/1001@operators/n``, ``PJSIP/1001``, ``SIP/1001``."""
        return extension_of(self.interface)


def derive_status(m: Member) -> MemberStatus:
    if m.talking_to or m.in_call:
        return MemberStatus.IN_CALL
    if m.ringing_for or m.device_status in (6, 7):
        return MemberStatus.RINGING
    if m.paused:
        return MemberStatus.PAUSED
    if m.device_status in (4, 5):
        return MemberStatus.UNAVAILABLE
    if m.device_status in (2, 3, 8):
        return MemberStatus.BUSY
    return MemberStatus.AVAILABLE


def restate(m: Member, at: dt.datetime) -> Member:
    """Re-derive ``status``; ``since`` moves only when the status or pause reason changed."""
    status = derive_status(m)
    if status is m.status:
        return m
    return replace(m, status=status, since=at)


def device_of(name: str) -> str:
    """The device behind an interface or a channel name, to match one with the other.

    ``Local/1001@operators/n`` and ``Local/1001@operators-00000001;1`` -> ``Local/1001@operators``;
    ``PJSIP/1001-0000000a`` and ``PJSIP/1001`` -> ``PJSIP/1001``.
    """
    tech, sep, rest = name.partition("/")
    if not sep:
        return name
    if tech.lower() == "local":
        rest = rest.split(";", 1)[0].split("/", 1)[0]
    base, dash, suffix = rest.rpartition("-")
    if dash and len(suffix) == 8 and _HEX.issuperset(suffix):
        rest = base
    return f"{tech}/{rest}"


def extension_of(interface: str) -> str:
    """The extension part: ``Local/1001@operators/n`` -> ``1001``; ``PJSIP/1001`` -> ``1001``."""
    dev = device_of(interface)
    resource = dev.partition("/")[2] or dev
    return resource.split("@", 1)[0]
