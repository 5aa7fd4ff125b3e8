"""What ``Tracker.apply`` returns: one change object per thing that changed."""

from __future__ import annotations

from dataclasses import dataclass

from cti_server.domain.agents import Member
from cti_server.domain.calls import Call


@dataclass(frozen=True, slots=True)
class CallChanged:
    """A call was created or changed; ``call.state is ended`` is its last change (a late
    ``AgentComplete`` or ``QueueCallerAbandon`` may still amend an ended call).

    ``before`` is the call as it was before the event (``None``: first seen), so a consumer
    sees what changed without keeping a copy of its own.
    """

    call: Call
    before: Call | None = None


@dataclass(frozen=True, slots=True)
class MemberChanged:
    """A queue member changed; ``removed`` when it left the queue (or the PBX restarted)."""

    member: Member
    removed: bool = False


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """Something a queue view shows changed: read ``Tracker.queue_view(name)``."""

    name: str


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The PBX link went down (connection lost, shutdown) or up (FullyBooted after login)."""

    connected: bool
    reason: str = ""


Change = CallChanged | MemberChanged | QueueChanged | LinkChanged


class ChangeSet:
    """Collects changes: one per object, its latest value, in the order of first change."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: dict[tuple[str, ...], Change] = {}

    def call(self, c: Call, before: Call | None = None) -> None:
        key = ("c", c.linkedid)
        seen = self.items.get(key)
        if isinstance(seen, CallChanged):  # changed twice by one event: keep the first before
            before = seen.before
        self.items[key] = CallChanged(c, before)

    def member(self, m: Member, removed: bool = False) -> None:
        self.items[("m", m.queue, m.interface)] = MemberChanged(m, removed)
        self.items[("q", m.queue)] = QueueChanged(m.queue)

    def queue(self, name: str) -> None:
        if name:
            self.items[("q", name)] = QueueChanged(name)

    def link(self, connected: bool, reason: str) -> None:
        self.items[("l",)] = LinkChanged(connected, reason)

    def result(self) -> list[Change]:
        return list(self.items.values())
