"""The live picture of the PBX: calls, queue members and queues, driven by domain events.

``Tracker.apply(event)`` updates the state and returns what changed, each thing once, in order
(see ``changes.py``): ``CallChanged(call)``, ``MemberChanged(member, removed)``,
``QueueChanged(name)``, ``LinkChanged(connected, reason)``. Pure: no I/O, no clock; time comes
from ``event.at``. The event handlers live in ``handlers.py``.

Ended calls leave ``Tracker.calls`` (their last ``CallChanged`` has ``state == ended`` and the
outcome); a bounded memory of them (the server's only one) ignores late events and lets a late
``AgentComplete`` amend the talk time, or a late ``QueueCallerAbandon`` the hold time.
``ResyncStarted`` .. ``ResyncCompleted`` rebuild the state from the snapshot (see
``resync.py``); ``PbxShutdown`` ends every call and forgets every member.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from cti_server.domain import events as ev
from cti_server.domain import handlers as h
from cti_server.domain.agents import Member, MemberStatus, derive_status
from cti_server.domain.calls import Call, Caller, CallState, Outcome
from cti_server.domain.changes import Change, ChangeSet
from cti_server.domain.evolve import replace
from cti_server.domain.queues import QueueView, build_view, is_waiting
from cti_server.domain.resync import ResyncReport, ResyncWindow


class Tracker:
    """Calls by Linkedid, members by (queue, interface), queues by name."""

    def __init__(self, *, short_abandon_seconds: float = 5.0, remember_ended: int = 5000) -> None:
        self.short_abandon_seconds = short_abandon_seconds
        self.calls: dict[str, Call] = {}  # live calls by Linkedid
        self.members: dict[tuple[str, str], Member] = {}  # by (queue, interface)
        self.connected = False
        self.last_resync: ResyncReport | None = None
        self.lost_at: dt.datetime | None = None  # the link was lost then (until a resync)
        self.ended: OrderedDict[str, Call] = OrderedDict()  # recently ended, oldest first
        self.dest: dict[str, tuple[str, str]] = {}  # ringing member leg -> (linkedid, iface)
        self.params: dict[str, ev.QueueParamsSeen] = {}
        self.summary: dict[str, ev.QueueSummarySeen] = {}
        self.queues: set[str] = set()
        self.resync: ResyncWindow | None = None
        self._remember = remember_ended

    # ---- reading ------------------------------------------------------------------------
    def apply(self, event: ev.DomainEvent) -> list[Change]:
        out = ChangeSet()
        handler = h.HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event, out)
        return out.result()

    def call(self, linkedid: str) -> Call | None:
        """A live call, or a recently ended one."""
        return self.calls.get(linkedid) or self.ended.get(linkedid)

    @property
    def queue_names(self) -> list[str]:
        return sorted(self.queues)

    def queue_view(self, name: str) -> QueueView:
        return build_view(
            name, self.calls.values(), self.members_of(name), self.params.get(name),
            self.summary.get(name),
        )  # fmt: skip

    def members_of(self, queue: str) -> list[Member]:
        return [m for (q, _), m in self.members.items() if q == queue]

    # ---- writing (used by the handlers) ---------------------------------------------------
    def get_or_new(self, lid: str, at: dt.datetime) -> Call:
        return self.calls.get(lid) or Call(lid, CallState.NEW, Caller(), at)

    def put_call(self, new: Call, at: dt.datetime, out: ChangeSet) -> None:
        lid = new.linkedid
        old = self.calls.get(lid)
        before = old if old is not None else self.ended.get(lid)
        if before == new:
            return
        if new.queue:
            self.queues.add(new.queue)
        if self.resync is not None:
            self.resync.touched_calls.add(lid)
        if new.live:
            self.calls[lid] = new
        else:
            self.calls.pop(lid, None)
            self.ended[lid] = new
            self.ended.move_to_end(lid)
            while len(self.ended) > self._remember:
                self.ended.popitem(last=False)
            for ch in [ch for ch, (l2, _) in self.dest.items() if l2 == lid]:
                del self.dest[ch]
        out.call(new, before)
        self._sync_members(old, new, at, out)
        if (old is not None and is_waiting(old)) != is_waiting(new) or (
            old is not None and old.ringing != new.ringing
        ):
            out.queue(new.queue)

    def end_call(self, call: Call, outcome: Outcome, at: dt.datetime, out: ChangeSet,
                 **kw: Any) -> None:  # fmt: skip
        ended = replace(
            call, state=CallState.ENDED, outcome=outcome, ended_at=at, ringing=(),
            ringing_names=(), **kw,
        )  # fmt: skip
        self.put_call(ended, at, out)

    def amend_ended(self, call: Call) -> None:
        """Replace an ended call, if still remembered, by what was learned later (the queue
        log after a gap); no change is told: the caller tells the listeners it chooses."""
        if call.linkedid in self.ended:
            self.ended[call.linkedid] = call

    def put_member(self, m: Member, at: dt.datetime, out: ChangeSet) -> None:
        key = (m.queue, m.interface)
        old = self.members.get(key)
        status = derive_status(m)
        moved = old is None or status is not old.status
        if status is MemberStatus.PAUSED and old is not None:
            moved = moved or old.paused_reason != m.paused_reason
        m = replace(m, status=status, since=at if moved else (old.since if old else at))
        if self.resync is not None:
            self.resync.touched_members.add(key)
        self.queues.add(m.queue)
        if m != old:
            self.members[key] = m
            out.member(m)

    def remove_member(self, key: tuple[str, str], at: dt.datetime, out: ChangeSet) -> None:
        m = self.members.pop(key, None)
        if m is not None:
            out.member(replace(m, status=MemberStatus.LOGGED_OUT, since=at), removed=True)

    def member_or_new(self, queue: str, iface: str, name: str, at: dt.datetime) -> Member:
        return self.members.get((queue, iface)) or Member(
            queue, iface, name, MemberStatus.AVAILABLE, at
        )

    def _sync_members(self, old: Call | None, new: Call, at: dt.datetime, out: ChangeSet) -> None:
        """Keep members' ``ringing_for`` / ``talking_to`` in step with the call."""
        lid, q = new.linkedid, new.queue
        old_ring = set(old.ringing) if old is not None else set()
        new_ring = set(new.ringing) if new.live else set()
        names = dict(zip(new.ringing, new.ringing_names, strict=False))
        for iface in old_ring - new_ring:
            m = self.members.get((q, iface))
            if m is not None and m.ringing_for == lid:
                self.put_member(_unlinked(replace(m, ringing_for="")), at, out)
        for iface in new_ring - old_ring:
            m = self.member_or_new(q, iface, names.get(iface, ""), at)
            self.put_member(replace(m, ringing_for=lid), at, out)
        was = old.agent_interface if old is not None and old.state is CallState.ANSWERED else ""
        now = new.agent_interface if new.state is CallState.ANSWERED else ""
        if was == now:
            return
        if was:
            m = self.members.get((q, was))
            if m is not None and m.talking_to == lid:
                self.put_member(_unlinked(replace(m, talking_to="")), at, out)
        if now:
            m = self.member_or_new(q, now, new.agent_name, at)
            self.put_member(replace(m, talking_to=lid, ringing_for=""), at, out)


def _unlinked(m: Member) -> Member:
    """A member whose queue call stopped ringing it or ended: the device "in use" (2) it
    reported was that call, so it is taken as free until the PBX says otherwise (the PBX's
    QueueMemberStatus follows a few events later); without this the board flashes "busy"."""
    if m.device_status == 2 and not m.ringing_for and not m.talking_to and not m.in_call:
        return replace(m, device_status=1)
    return m
