"""Rebuilding live calls from a resync snapshot (CoreShowChannels + QueueStatus entries).

Pure: ``plan_resync`` takes the snapshot and the tracker's current view and says which calls
to (re)write and which live calls vanished. Rules:

- channels are grouped by Linkedid; a group with a caller leg inside ``Queue()`` or a queue
  entry is a queue call; a member leg the queue dialed (``AppQueue``) that is up means the call
  is answered by that member; one still ringing means the call rings that member (so it pops
  again after a reconnect);
- a call touched by live events during the resync window keeps its live state (it is fresher);
- a call that ended during the window is not resurrected;
- a live call seen neither in the snapshot nor in the window vanished while we were away.

Times are approximate for calls first seen in a snapshot: ``queued_at`` is ``at - Wait`` (or the
queue leg's duration), ``answered_at`` is ``at`` minus the answered member leg's duration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace

from cti_server.domain.agents import Member, device_of
from cti_server.domain.calls import NO_NUMBER, Call, Caller, CallState
from cti_server.domain.events import ChannelSeen, QueueEntrySeen

UP = 6


@dataclass
class ResyncWindow:
    """What arrived between ResyncStarted and ResyncCompleted."""

    started_at: dt.datetime
    channels: list[ChannelSeen] = field(default_factory=list)
    entries: list[QueueEntrySeen] = field(default_factory=list)
    touched_calls: set[str] = field(default_factory=set)
    touched_members: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ResyncReport:
    """Figures of the last completed resync."""

    at: dt.datetime
    channels: int  # CoreShowChannel items
    calls: int  # distinct Linkedids among them
    queue_entries: int
    members: int  # members seen during the window
    rebuilt: int  # calls (re)written from the snapshot
    vanished: int  # live calls not seen any more (ended)
    members_removed: int
    lost_at: dt.datetime | None = None  # the link had been lost then (None: no gap seen) ...
    back_at: dt.datetime | None = None  # ... and was back then (the login of this resync)


@dataclass
class ResyncPlan:
    calls: list[Call] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    dest_channels: list[tuple[str, str, str]] = field(default_factory=list)  # channel, lid, iface


def _member_lookup(members: Iterable[Member]) -> dict[tuple[str, str], Member]:
    return {(m.queue, device_of(m.interface)): m for m in members}


def plan_resync(
    window: ResyncWindow,
    live: Mapping[str, Call],
    ended: Container[str],
    members: Iterable[Member],
    at: dt.datetime,
) -> ResyncPlan:
    by_lid: dict[str, list[ChannelSeen]] = {}
    uid2lid: dict[str, str] = {}
    for ch in window.channels:
        by_lid.setdefault(ch.linkedid, []).append(ch)
        uid2lid[ch.uniqueid] = ch.linkedid
    entries: dict[str, QueueEntrySeen] = {}
    for en in window.entries:
        lid = en.linkedid or uid2lid.get(en.uniqueid, "")
        if lid:
            entries[lid] = en
            by_lid.setdefault(lid, [])
    lookup = _member_lookup(members)
    plan = ResyncPlan()
    for lid, chans in by_lid.items():
        if not lid or lid in ended or lid in window.touched_calls:
            continue
        call = _rebuild_one(lid, chans, entries.get(lid), live.get(lid), lookup, at, plan)
        if call is not None:
            plan.calls.append(call)
    plan.vanished = [lid for lid in live if lid not in by_lid and lid not in window.touched_calls]
    return plan


def _rebuild_one(
    lid: str,
    chans: list[ChannelSeen],
    entry: QueueEntrySeen | None,
    old: Call | None,
    lookup: Mapping[tuple[str, str], Member],
    at: dt.datetime,
    plan: ResyncPlan,
) -> Call | None:
    qleg = next((c for c in chans if c.queue), None)
    longest = max((c.duration_seconds for c in chans), default=0.0)
    first_seen = at - dt.timedelta(seconds=longest)
    if qleg is None and entry is None:
        first = next((c for c in chans if c.uniqueid == lid), None)
        if old is not None or first is None or first.number.lower() in NO_NUMBER:
            return None
        caller = Caller(first.number, first.name, first.presentation, first.withheld)
        return Call(lid, CallState.NEW, caller, first_seen, recovered=True)
    if qleg is not None:
        queue, uid = qleg.queue, qleg.uniqueid
        number, name, pres, withheld = qleg.number, qleg.name, qleg.presentation, qleg.withheld
        wait = qleg.duration_seconds
    else:
        assert entry is not None
        queue, uid, number, name, pres = entry.queue, entry.uniqueid, entry.number, "", ""
        withheld = number.lower() == "anonymous"
    if entry is not None:
        wait = entry.wait_seconds
    base = old or Call(lid, CallState.QUEUED, Caller(), first_seen, recovered=True)
    base = replace(
        base,
        caller=base.caller.merged(number, name, pres, withheld),
        queue=queue,
        uniqueid=uid,
        queued_at=base.queued_at or at - dt.timedelta(seconds=wait),
        position=base.position or (entry.position if entry else 0),
    )

    def who(ch: ChannelSeen) -> tuple[str, str]:
        m = lookup.get((queue, device_of(ch.channel)))
        return (m.interface, m.name) if m else (device_of(ch.channel), "")

    legs = [c for c in chans if c.dialed_by_queue]
    up = [c for c in legs if c.state == UP]
    if up:
        iface, mname = who(up[0])
        answered_at = base.answered_at or at - dt.timedelta(seconds=up[0].duration_seconds)
        return replace(
            base, state=CallState.ANSWERED, answered_at=answered_at, agent_interface=iface,
            agent_name=mname, ringing=(), ringing_names=(), left_queue=True,
        )  # fmt: skip
    ringing = [who(c) for c in legs]
    for ch, (iface, _) in zip(legs, ringing, strict=True):
        plan.dest_channels.append((ch.channel, lid, iface))
    ifaces = tuple(i for i, _ in ringing)
    return replace(
        base,
        state=CallState.RINGING if ifaces else CallState.QUEUED,
        ringing=ifaces,
        ringing_names=tuple(n for _, n in ringing),
        rung=base.rung + tuple(i for i in ifaces if i not in base.rung),
        left_queue=False,
    )
