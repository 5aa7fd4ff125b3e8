"""Calls the PBX logged while the AMI link was down, rebuilt as ended tracker calls.

Pure: ``calls_from_log`` takes what the queue log said of whole calls (``QueueCallLogged``) and
gives ``Call`` snapshots marked ``recovered``, with the PBX's own times (entered at
``ENTERQUEUE``, answered at ``CONNECT``, ended at the line that ended it) and the outcomes of
live calls: answered (talked, then hung up or transferred), abandoned or short_abandoned (the
tracker's ``short_abandon_seconds`` on the PBX's wait), no_agent (left the queue unanswered).

A call is keyed by the Uniqueid of the channel that ran ``Queue()``: the Linkedid when that
channel is the caller's first (a SIP trunk). Calls ``known`` by that Uniqueid (the tracker's
live and recently ended calls, by Linkedid or queue leg) are left out. The agent is the queue
member of that name (its interface, as a live ``AgentConnect`` gives it; one in the call's
queue first), else the name itself (the extension pattern reads both).

The caller is withheld when the logged number is ``anonymous`` (as the AMI translator decides
it); the log holds no presentation, so a number logged for a restricted presentation cannot be
told from a shown one, and an empty one is "no number". A caller who left the queue by a key
(``EXITWITHKEY``: in the deployed dialplan, the callback key) is marked ``callback`` ``key``, as
the dialplan's ``CtiCallback`` user event marks a live one; a caller the deployed dialplan
logged a request for (its ``CTICALLBACK`` line, after the user event) is marked with the
logged reason, so a queue timeout turned into a callback request is one too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable
from dataclasses import replace

from cti_server.domain.agents import Member
from cti_server.domain.calls import Call, Caller, CallState, Outcome
from cti_server.domain.events import QueueCallLogged


def calls_from_log(
    logged: Iterable[QueueCallLogged],
    *,
    known: Container[str],
    members: Iterable[Member],
    short_abandon_seconds: float,
) -> list[Call]:
    by_name = _interfaces(members)
    out = []
    for q in logged:
        if q.uniqueid in known:
            continue
        iface = _interface(by_name, q) if q.member_name else ""
        out.append(
            Call(
                q.uniqueid, CallState.ENDED, _caller(q), q.entered_at,
                queue=q.queue, uniqueid=q.uniqueid, queued_at=q.entered_at,
                answered_at=q.answered_at, ended_at=q.ended_at, position=q.position,
                left_queue=True, agent_interface=iface or q.member_name,
                agent_name=q.member_name, hold_seconds=q.hold_seconds,
                talk_seconds=q.talk_seconds, outcome=_outcome(q, short_abandon_seconds),
                end_reason=q.end_reason, recovered=True, callback=_callback(q),
            )
        )  # fmt: skip
    return out


def _caller(q: QueueCallLogged) -> Caller:
    """``anonymous`` is withheld, as the AMI translator takes it (nothing of it is shown or
    stored); an empty number is only "none logged" (see ``QueueCallLogged``)."""
    return Caller(q.number, q.name, withheld=q.number.strip().lower() == "anonymous")


def _callback(q: QueueCallLogged) -> str:
    """The callback request: as the dialplan logged it (``CTICALLBACK``: key or timeout), else
    ``key`` for a key pressed to leave the queue."""
    return q.callback or ("key" if q.key else "")


def _outcome(q: QueueCallLogged, short_abandon_seconds: float) -> Outcome:
    if q.ended == "answered":
        return Outcome.ANSWERED
    if q.ended == "abandoned":
        hold = q.hold_seconds or 0.0
        return Outcome.SHORT_ABANDONED if hold < short_abandon_seconds else Outcome.ABANDONED
    return Outcome.NO_AGENT


def corrections_from_log(
    logged: Iterable[QueueCallLogged],
    ended: Iterable[Call],
    *,
    lost_at: dt.datetime,
    back_at: dt.datetime,
    members: Iterable[Member],
    short_abandon_seconds: float,
) -> list[tuple[Call, Call]]:
    """(corrected, as ended) for the tracker's ``ended`` calls that vanished in the gap (ended
    ``unknown``, or ended between ``lost_at`` and ``back_at``: no live event can have ended
    them then) and that the queue log shows ending: its outcome, end time, hold and talk
    times, and what was not seen live (the answer, the agent, a callback key)."""
    by_id: dict[str, Call] = {}
    for c in ended:
        vanished = c.outcome is Outcome.UNKNOWN or (
            c.ended_at is not None and lost_at <= c.ended_at <= back_at
        )
        if vanished and c.direction == "inbound" and c.ended_at is not None:
            by_id[c.linkedid] = c
            if c.uniqueid:
                by_id.setdefault(c.uniqueid, c)
    names = _interfaces(members)
    out = []
    for q in logged:
        old = by_id.get(q.uniqueid)
        if old is None:
            continue
        iface, name = old.agent_interface, old.agent_name
        if not iface and q.member_name:
            iface, name = _interface(names, q) or q.member_name, q.member_name
        new = replace(
            old, outcome=_outcome(q, short_abandon_seconds), ended_at=q.ended_at,
            answered_at=old.answered_at or q.answered_at, agent_interface=iface,
            agent_name=name, queued_at=old.queued_at or q.entered_at,
            hold_seconds=q.hold_seconds if q.hold_seconds is not None else old.hold_seconds,
            talk_seconds=q.talk_seconds if q.talk_seconds is not None else old.talk_seconds,
            end_reason=q.end_reason, callback=old.callback or _callback(q),
        )  # fmt: skip
        if new != old:
            out.append((new, old))
    return out


def _interfaces(members: Iterable[Member]) -> dict[tuple[str, str], str]:
    by_name: dict[tuple[str, str], str] = {}
    for m in members:
        by_name.setdefault((m.queue, m.name), m.interface)
        by_name.setdefault(("", m.name), m.interface)
    return by_name


def _interface(by_name: dict[tuple[str, str], str], q: QueueCallLogged) -> str:
    return by_name.get((q.queue, q.member_name)) or by_name.get(("", q.member_name), "")
