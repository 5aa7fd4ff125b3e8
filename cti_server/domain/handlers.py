"""Event handlers of the Tracker: ``on_<event>(tracker, event, changes)``.

Calls end at: ``AgentComplete`` (answered), ``QueueCallerAbandon`` (abandoned), or the hang-up
of the caller's queue leg (of its first channel if it never queued). When the hang-up comes
first, a late ``AgentComplete`` amends the talk time and a late ``QueueCallerAbandon`` the hold
time (and the short / long abandon split) of the ended call. Hang-ups of other legs
(the ``;1`` Local half, operator legs) only stop a member ringing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cti_server.domain import events as ev
from cti_server.domain.calls import Call, Caller, CallState, Outcome, waiting_state
from cti_server.domain.changes import ChangeSet
from cti_server.domain.evolve import replace
from cti_server.domain.resync import ResyncReport, ResyncWindow, plan_resync

if TYPE_CHECKING:
    from cti_server.domain.tracker import Tracker

log = logging.getLogger(__name__)
WAITING = (CallState.NEW, CallState.QUEUED, CallState.RINGING)


def _abandon_outcome(t: Tracker, hold: float) -> Outcome:
    return Outcome.SHORT_ABANDONED if hold < t.short_abandon_seconds else Outcome.ABANDONED


def _with_caller(call: Call, e: Any) -> Call:
    if not e.number and not e.withheld:
        return call
    caller = call.caller.merged(e.number, e.name, e.presentation, e.withheld)
    return call if caller is call.caller else replace(call, caller=caller)


def on_caller_identified(t: Tracker, e: ev.CallerIdentified, out: ChangeSet) -> None:
    if not e.linkedid or e.linkedid in t.ended:
        return
    call = t.calls.get(e.linkedid)
    if call is None:
        caller = Caller(e.number, e.name, e.presentation, e.withheld)
        t.put_call(Call(e.linkedid, CallState.NEW, caller, e.at), e.at, out)
    elif call.direction != "outbound":  # a dialled call's legs carry the city's own caller ID
        t.put_call(_with_caller(call, e), e.at, out)


def on_call_queued(t: Tracker, e: ev.CallQueued, out: ChangeSet) -> None:
    if not e.linkedid or e.linkedid in t.ended:
        return
    call = _with_caller(t.get_or_new(e.linkedid, e.at), e)
    call = replace(
        call, queue=e.queue, uniqueid=e.uniqueid, queued_at=e.at, position=e.position,
        left_queue=False, ringing=(), ringing_names=(),
    )  # fmt: skip
    t.put_call(replace(call, state=waiting_state(call)), e.at, out)


def on_agent_ringing(t: Tracker, e: ev.AgentRinging, out: ChangeSet) -> None:
    if not e.linkedid or e.linkedid in t.ended:
        return
    call = t.calls.get(e.linkedid)
    if call is None:  # first seen here (e.g. events lost before a reconnect)
        call = Call(e.linkedid, CallState.QUEUED, Caller(), e.at, queue=e.queue,
                    uniqueid=e.uniqueid, queued_at=e.at)  # fmt: skip
    if call.state not in WAITING:
        return
    call = _with_caller(call, e)
    ringing, names = call.ringing, call.ringing_names
    if e.interface not in ringing:
        ringing, names = (*ringing, e.interface), (*names, e.member_name)
    rung = call.rung if e.interface in call.rung else (*call.rung, e.interface)
    if e.dest_channel:
        t.dest[e.dest_channel] = (e.linkedid, e.interface)
    t.put_call(
        replace(call, state=CallState.RINGING, queue=call.queue or e.queue, ringing=ringing,
                ringing_names=names, rung=rung),
        e.at, out,
    )  # fmt: skip


def _stop_ringing(t: Tracker, call: Call, iface: str, at: dt.datetime, out: ChangeSet) -> Call:
    if iface not in call.ringing:
        return call
    keep = [(i, n) for i, n in zip(call.ringing, call.ringing_names, strict=True) if i != iface]
    call = replace(call, ringing=tuple(i for i, _ in keep), ringing_names=tuple(n for _, n in keep))
    if call.state is CallState.RINGING:
        call = replace(call, state=waiting_state(call))
    t.put_call(call, at, out)
    return call


def on_agent_no_answer(t: Tracker, e: ev.AgentNoAnswer, out: ChangeSet) -> None:
    call = t.calls.get(e.linkedid)
    if call is None:
        return
    call = replace(call, no_answer=(*call.no_answer, e.interface))
    t.put_call(_stop_ringing(t, call, e.interface, e.at, out), e.at, out)


def on_call_answered(t: Tracker, e: ev.CallAnswered, out: ChangeSet) -> None:
    if not e.linkedid or e.linkedid in t.ended:
        return
    call = _with_caller(t.get_or_new(e.linkedid, e.at), e)
    rung = call.rung if e.interface in call.rung else (*call.rung, e.interface)
    t.put_call(
        replace(
            call, state=CallState.ANSWERED, queue=call.queue or e.queue,
            uniqueid=call.uniqueid or e.uniqueid, answered_at=e.at, ringing=(),
            ringing_names=(), rung=rung, agent_interface=e.interface, agent_name=e.member_name,
            hold_seconds=e.hold_seconds, left_queue=True,
        ),
        e.at, out,
    )  # fmt: skip


ABANDONED = (Outcome.ABANDONED, Outcome.SHORT_ABANDONED)


def on_call_abandoned(t: Tracker, e: ev.CallAbandoned, out: ChangeSet) -> None:
    if not e.linkedid:
        return
    ended = t.ended.get(e.linkedid)
    if ended is not None:  # the caller's hang-up came first: the PBX's hold time wins
        if ended.outcome in ABANDONED:
            outcome = _abandon_outcome(t, e.hold_seconds)
            t.put_call(replace(ended, hold_seconds=e.hold_seconds, outcome=outcome), e.at, out)
        return
    call = t.get_or_new(e.linkedid, e.at)
    call = replace(call, queue=call.queue or e.queue, hold_seconds=e.hold_seconds)
    t.end_call(call, _abandon_outcome(t, e.hold_seconds), e.at, out)


def on_call_left_queue(t: Tracker, e: ev.CallLeftQueue, out: ChangeSet) -> None:
    call = t.calls.get(e.linkedid)
    if call is not None and call.state in WAITING:
        t.put_call(replace(call, left_queue=True), e.at, out)


def on_call_completed(t: Tracker, e: ev.CallCompleted, out: ChangeSet) -> None:
    if not e.linkedid:
        return
    call = t.calls.get(e.linkedid) or t.ended.get(e.linkedid)
    if call is None:
        call = Call(e.linkedid, CallState.ANSWERED, Caller(), e.at, queue=e.queue)
    call = replace(
        call, agent_interface=call.agent_interface or e.interface,
        agent_name=call.agent_name or e.member_name, hold_seconds=e.hold_seconds,
        talk_seconds=e.talk_seconds, end_reason=e.reason, queue=call.queue or e.queue,
    )  # fmt: skip
    if call.state is CallState.ENDED:  # amend (the caller leg hung up first)
        t.put_call(replace(call, outcome=Outcome.ANSWERED), e.at, out)
    else:
        t.end_call(call, Outcome.ANSWERED, e.at, out)


def on_channel_hung_up(t: Tracker, e: ev.ChannelHungUp, out: ChangeSet) -> None:
    ring = t.dest.pop(e.channel, None)
    if ring is not None and ring[0] in t.calls:
        _stop_ringing(t, t.calls[ring[0]], ring[1], e.at, out)
    call = t.calls.get(e.linkedid)
    if call is None or e.uniqueid != (call.uniqueid or call.linkedid):
        return
    if call.direction == "outbound":
        _end_outbound(t, call, e.at, out)
        return
    if call.state is CallState.NEW:
        t.end_call(call, Outcome.NOT_QUEUED, e.at, out)
    elif call.state is CallState.ANSWERED:
        talk = (e.at - call.answered_at).total_seconds() if call.answered_at else None
        t.end_call(call, Outcome.ANSWERED, e.at, out, talk_seconds=talk)
    elif call.left_queue:
        t.end_call(call, Outcome.NO_AGENT, e.at, out)
    else:
        hold = call.wait_seconds(e.at)
        t.end_call(call, _abandon_outcome(t, hold), e.at, out, hold_seconds=hold)


def on_member_state(t: Tracker, e: ev.MemberState, out: ChangeSet) -> None:
    m = t.member_or_new(e.queue, e.interface, e.member_name, e.at)
    m = replace(
        m, name=e.member_name or m.name, device_status=e.device_status, paused=e.paused,
        paused_reason=e.paused_reason, in_call=e.in_call, membership=e.membership or m.membership,
        calls_taken=e.calls_taken, updated_at=e.at,
    )  # fmt: skip
    t.put_member(m, e.at, out)


def on_member_paused(t: Tracker, e: ev.MemberPaused, out: ChangeSet) -> None:
    m = t.member_or_new(e.queue, e.interface, e.member_name, e.at)
    reason = e.reason if e.paused else ""
    t.put_member(replace(m, paused=e.paused, paused_reason=reason, updated_at=e.at), e.at, out)


def on_member_removed(t: Tracker, e: ev.MemberRemoved, out: ChangeSet) -> None:
    t.remove_member((e.queue, e.interface), e.at, out)


def on_snapshot_item(t: Tracker, e: ev.ChannelSeen | ev.QueueEntrySeen, out: ChangeSet) -> None:
    if t.resync is None:
        log.debug("snapshot item outside a resync ignored")
    elif isinstance(e, ev.ChannelSeen):
        t.resync.channels.append(e)
    else:
        t.resync.entries.append(e)


def on_queue_params(t: Tracker, e: ev.QueueParamsSeen, out: ChangeSet) -> None:
    t.params[e.queue] = e
    t.queues.add(e.queue)
    out.queue(e.queue)


def on_queue_summary(t: Tracker, e: ev.QueueSummarySeen, out: ChangeSet) -> None:
    t.summary[e.queue] = e
    t.queues.add(e.queue)
    out.queue(e.queue)


def on_resync_started(t: Tracker, e: ev.ResyncStarted, out: ChangeSet) -> None:
    t.resync = ResyncWindow(e.at)


def on_resync_completed(t: Tracker, e: ev.ResyncCompleted, out: ChangeSet) -> None:
    window = t.resync
    if window is None:
        return
    plan = plan_resync(window, t.calls, t.ended, list(t.members.values()), e.at)
    t.resync = None  # writes below are the snapshot, not live events
    for call in plan.calls:
        t.put_call(call, e.at, out)
    for channel, lid, iface in plan.dest_channels:
        t.dest[channel] = (lid, iface)
    lost_at = t.lost_at if t.lost_at is not None and t.lost_at <= e.at else None
    for lid in plan.vanished:  # gone while we could not see: ended when we lost sight of it
        call = t.calls[lid]
        _vanish(t, call, max(lost_at or e.at, call.first_seen_at), out)
    t.lost_at = None
    gone = [k for k in t.members if k not in window.touched_members]
    for key in gone:
        t.remove_member(key, e.at, out)
    t.last_resync = ResyncReport(
        e.at, len(window.channels), len({c.linkedid for c in window.channels}),
        len(window.entries), len(window.touched_members), len(plan.calls), len(plan.vanished),
        len(gone), lost_at, window.started_at if lost_at is not None else None,
    )  # fmt: skip
    log.info(
        "resync: %d channels, %d calls rebuilt, %d vanished, %d members removed",
        len(window.channels), len(plan.calls), len(plan.vanished), len(gone),
    )  # fmt: skip


def _vanish(t: Tracker, call: Call, at: dt.datetime, out: ChangeSet) -> None:
    if call.direction == "outbound":
        _end_outbound(t, call, at, out)
    elif call.state is CallState.ANSWERED:
        t.end_call(call, Outcome.ANSWERED, at, out)
    else:
        t.end_call(call, Outcome.UNKNOWN, at, out)


def on_pbx_shutdown(t: Tracker, e: ev.PbxShutdown, out: ChangeSet) -> None:
    for call in list(t.calls.values()):
        _vanish(t, call, e.at, out)
    for key in list(t.members):
        t.remove_member(key, e.at, out)
    t.dest.clear()
    t.params.clear()
    t.summary.clear()
    t.resync = None
    for q in t.queues:
        out.queue(q)
    t.connected = False
    out.link(False, "pbx restart" if e.restart else "pbx shutdown")


def on_pbx_booted(t: Tracker, e: ev.PbxBooted, out: ChangeSet) -> None:
    if not t.connected:
        t.connected = True
        out.link(True, "pbx booted")


def on_connection_lost(t: Tracker, e: ev.ConnectionLost, out: ChangeSet) -> None:
    t.resync = None
    if t.lost_at is None:
        t.lost_at = e.at
    if t.connected:
        t.connected = False
        out.link(False, e.reason)


def on_outbound_dialled(t: Tracker, e: ev.OutboundDialled, out: ChangeSet) -> None:
    if not e.linkedid or e.linkedid in t.calls or e.linkedid in t.ended:
        return
    caller = Caller(raw_number=e.number, presentation="allowed")
    call = Call(e.linkedid, CallState.RINGING, caller, e.at, uniqueid=e.linkedid,
                ringing=(e.interface,), ringing_names=(e.member_name,), rung=(e.interface,),
                direction="outbound")  # fmt: skip
    t.put_call(call, e.at, out)


def on_outbound_progress(t: Tracker, e: ev.OutboundProgress, out: ChangeSet) -> None:
    call = t.calls.get(e.linkedid)
    if call is None or call.direction != "outbound":
        return
    if e.stage == "operator_failed":
        _end_outbound(t, call, e.at, out)
    elif e.stage == "answered" and call.state is not CallState.ANSWERED:
        iface = call.rung[0] if call.rung else ""
        name = call.ringing_names[0] if call.ringing_names else ""
        t.put_call(
            replace(call, state=CallState.ANSWERED, answered_at=e.at, ringing=(),
                    ringing_names=(), agent_interface=iface, agent_name=name),
            e.at, out,
        )  # fmt: skip


def on_callback_requested(t: Tracker, e: ev.CallbackRequested, out: ChangeSet) -> None:
    """Mark the call (live, or ended moments ago) as asking for a callback; the first request
    of a call counts. A call not seen before is taken as left from the queue."""
    if not e.linkedid:
        return
    call = t.calls.get(e.linkedid) or t.ended.get(e.linkedid)
    if call is None:
        call = Call(e.linkedid, CallState.NEW, Caller(), e.at, queue=e.queue,
                    uniqueid=e.uniqueid, left_queue=True)  # fmt: skip
    if call.callback:
        return
    if call.direction != "outbound":
        call = _with_caller(call, e)
    t.put_call(replace(call, callback=e.reason or "requested", queue=call.queue or e.queue),
               e.at, out)  # fmt: skip


def _end_outbound(t: Tracker, call: Call, at: dt.datetime, out: ChangeSet) -> None:
    if call.answered_at is not None:
        talk = (at - call.answered_at).total_seconds()
        t.end_call(call, Outcome.OUTBOUND_ANSWERED, at, out, talk_seconds=talk)
    else:
        t.end_call(call, Outcome.OUTBOUND_UNANSWERED, at, out)


HANDLERS: dict[type[Any], Callable[[Tracker, Any, ChangeSet], None]] = {
    ev.CallerIdentified: on_caller_identified,
    ev.CallQueued: on_call_queued,
    ev.AgentRinging: on_agent_ringing,
    ev.AgentNoAnswer: on_agent_no_answer,
    ev.CallAnswered: on_call_answered,
    ev.CallAbandoned: on_call_abandoned,
    ev.CallLeftQueue: on_call_left_queue,
    ev.CallCompleted: on_call_completed,
    ev.ChannelHungUp: on_channel_hung_up,
    ev.MemberState: on_member_state,
    ev.MemberPaused: on_member_paused,
    ev.MemberRemoved: on_member_removed,
    ev.ChannelSeen: on_snapshot_item,
    ev.QueueEntrySeen: on_snapshot_item,
    ev.QueueParamsSeen: on_queue_params,
    ev.QueueSummarySeen: on_queue_summary,
    ev.ResyncStarted: on_resync_started,
    ev.ResyncCompleted: on_resync_completed,
    ev.PbxShutdown: on_pbx_shutdown,
    ev.PbxBooted: on_pbx_booted,
    ev.ConnectionLost: on_connection_lost,
    ev.OutboundDialled: on_outbound_dialled,
    ev.OutboundProgress: on_outbound_progress,
    ev.CallbackRequested: on_callback_requested,
}
