"""AMI messages -> typed domain events. The only place that knows AMI event field names.

``translate(msg, at)`` is pure: one message in, zero or more events out, never raises on
missing or malformed fields. Rules (see tests/fixtures/ami/README.md):

- Caller data comes from the non-``Dest`` part of QueueCallerJoin / AgentCalled / AgentConnect,
  or from Newchannel / NewCallerid only on the call's first channel (``Uniqueid == Linkedid``):
  operator legs carry the DID or a copied number and are never used.
- ``withheld``: ``CALLERID(pres)`` starts with ``prohib`` (or CID-CallingPres says Prohibited),
  or the number is ``anonymous``.
- Durations are seconds (AgentRingNoAnswer's RingTime is milliseconds and is converted).
- AgentComplete without a caller snapshot is correlated through ``DestLinkedid``.
- ``UserEvent: CtiCallback`` (sent by the dialplan when a caller asks to be called back) is
  ``CallbackRequested``; other user events are not ours.

``StreamTranslator`` replays a whole recorded stream: it adds ResyncStarted/ResyncCompleted around
the list responses of a resync and ConnectionLost at a new banner (the bridge does this itself).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from cti_server.ami.frames import chan_var
from cti_server.domain import events as ev

log = logging.getLogger(__name__)

UNKNOWN = "<unknown>"
PRES_VAR = "CALLERID(pres)"


def _int(v: str | None, default: int = 0) -> int:
    try:
        return int(v) if v else default
    except ValueError:
        return default


def _float(v: str | None, default: float = 0.0) -> float:
    try:
        return float(v) if v else default
    except ValueError:
        return default


def _hms(v: str | None) -> float:
    """``00:01:05`` -> 65.0 (CoreShowChannel Duration)."""
    if not v:
        return 0.0
    total = 0.0
    for part in v.split(":"):
        total = total * 60 + _float(part)
    return total


def is_withheld(number: str, presentation: str, calling_pres: str = "") -> bool:
    return (
        presentation.lower().startswith("prohib")
        or "prohibited" in calling_pres.lower()
        or number.strip().lower() == "anonymous"
    )


def _caller(msg: Mapping[str, str]) -> tuple[str, str, str, bool]:
    number = msg.get("CallerIDNum", "")
    pres = chan_var(msg, PRES_VAR)
    return (
        number,
        msg.get("CallerIDName", ""),
        pres,
        is_withheld(number, pres, msg.get("CID-CallingPres", "")),
    )


def _caller_identified(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    uid, lid = m.get("Uniqueid", ""), m.get("Linkedid", "")
    number, name, pres, withheld = _caller(m)
    if not uid or uid != lid or (number in ("", UNKNOWN) and not withheld):
        return []
    pres = pres or m.get("CID-CallingPres", "")
    return [ev.CallerIdentified(lid, uid, m.get("Channel", ""), number, name, pres, withheld, at)]


def _queued(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    number, name, pres, withheld = _caller(m)
    return [
        ev.CallQueued(
            m.get("Linkedid", ""), m.get("Uniqueid", ""), m.get("Queue", ""),
            _int(m.get("Position")), _int(m.get("Count")), number, name, pres, withheld, at,
        )
    ]  # fmt: skip


def _agent_called(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    number, name, pres, withheld = _caller(m)
    return [
        ev.AgentRinging(
            m.get("Linkedid") or m.get("DestLinkedid", ""), m.get("Queue", ""),
            m.get("Interface", ""), m.get("MemberName", ""), m.get("DestChannel", ""), at,
            uniqueid=m.get("Uniqueid", ""), number=number, name=name, presentation=pres,
            withheld=withheld,
        )
    ]  # fmt: skip


def _no_answer(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.AgentNoAnswer(
            m.get("Linkedid") or m.get("DestLinkedid", ""), m.get("Queue", ""),
            m.get("Interface", ""), m.get("MemberName", ""),
            _float(m.get("RingTime")) / 1000.0, at,
        )
    ]  # fmt: skip


def _connect(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    number, name, pres, withheld = _caller(m)
    return [
        ev.CallAnswered(
            m.get("Linkedid") or m.get("DestLinkedid", ""), m.get("Queue", ""),
            m.get("Interface", ""), m.get("MemberName", ""), _float(m.get("HoldTime")),
            _float(m.get("RingTime")), at, uniqueid=m.get("Uniqueid", ""), number=number,
            name=name, presentation=pres, withheld=withheld,
            dest_channel=m.get("DestChannel", ""),
        )
    ]  # fmt: skip


def _complete(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.CallCompleted(
            m.get("Linkedid") or m.get("DestLinkedid", ""), m.get("Queue", ""),
            m.get("Interface", ""), m.get("MemberName", ""), _float(m.get("HoldTime")),
            _float(m.get("TalkTime")), m.get("Reason", ""), at,
        )
    ]  # fmt: skip


def _abandon(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.CallAbandoned(
            m.get("Linkedid", ""), m.get("Queue", ""), _int(m.get("Position")),
            _int(m.get("OriginalPosition")), _float(m.get("HoldTime")), at,
        )
    ]  # fmt: skip


def _leave(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [ev.CallLeftQueue(m.get("Linkedid", ""), m.get("Queue", ""), _int(m.get("Count")), at)]


def _hangup(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.ChannelHungUp(
            m.get("Linkedid", ""), m.get("Uniqueid", ""), m.get("Channel", ""),
            _int(m.get("Cause")), m.get("Cause-txt", ""), at,
        )
    ]  # fmt: skip


def _member(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    # QueueStatus's QueueMember says Name/Location; the events say MemberName/Interface.
    return [
        ev.MemberState(
            m.get("Queue", ""), m.get("Interface") or m.get("Location", ""),
            m.get("MemberName") or m.get("Name", ""), _int(m.get("Status")),
            m.get("Paused") == "1", m.get("PausedReason", ""), m.get("InCall") == "1",
            m.get("Membership", ""), _int(m.get("CallsTaken")), at,
            login_time=_int(m.get("LoginTime")), last_pause=_int(m.get("LastPause")),
            last_call=_int(m.get("LastCall")),
        )
    ]  # fmt: skip


def _pause(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.MemberPaused(
            m.get("Queue", ""), m.get("Interface") or m.get("Location", ""),
            m.get("MemberName") or m.get("Name", ""), m.get("Paused") == "1",
            m.get("PausedReason", m.get("Reason", "")), at,
        )
    ]  # fmt: skip


def _removed(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.MemberRemoved(
            m.get("Queue", ""), m.get("Interface") or m.get("Location", ""),
            m.get("MemberName") or m.get("Name", ""), at,
        )
    ]  # fmt: skip


def _entry(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.QueueEntrySeen(
            m.get("Linkedid", ""), m.get("Uniqueid", ""), m.get("Queue", ""),
            _int(m.get("Position")), _float(m.get("Wait")), m.get("CallerIDNum", ""),
            m.get("CallerIDName", ""), at,
        )
    ]  # fmt: skip


def _channel(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    number, name, pres, withheld = _caller(m)
    app = m.get("Application", "")
    queue = m.get("ApplicationData", "").split(",", 1)[0] if app == "Queue" else ""
    return [
        ev.ChannelSeen(
            m.get("Linkedid", ""), m.get("Uniqueid", ""), m.get("Channel", ""), number, name,
            app, _hms(m.get("Duration")), at, state=_int(m.get("ChannelState")), queue=queue,
            dialed_by_queue=app == "AppQueue", presentation=pres, withheld=withheld,
            bridge_id=m.get("BridgeId", ""),
        )
    ]  # fmt: skip


def _params(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.QueueParamsSeen(
            m.get("Queue", ""), _int(m.get("Calls")), _float(m.get("Holdtime")),
            _float(m.get("TalkTime")), _int(m.get("Completed")), _int(m.get("Abandoned")),
            _int(m.get("ServiceLevel")), _float(m.get("ServicelevelPerf")), at,
        )
    ]  # fmt: skip


def _summary(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [
        ev.QueueSummarySeen(
            m.get("Queue", ""), _int(m.get("LoggedIn")), _int(m.get("Available")),
            _int(m.get("Callers")), _float(m.get("HoldTime")), _float(m.get("TalkTime")),
            _float(m.get("LongestHoldTime")), at,
        )
    ]  # fmt: skip


def _originate_response(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    """Click-to-dial: the operator's leg answered (Success) or not (Failure). The Uniqueid is
    the ChannelId the server chose, which is the call's Linkedid."""
    ok = m.get("Response", "") == "Success"
    stage = "operator_answered" if ok else "operator_failed"
    return [ev.OutboundProgress(m.get("Uniqueid", ""), stage, at, m.get("Reason", ""))]


def _dial_end(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    status = m.get("DialStatus", "")
    stage = "answered" if status == "ANSWER" else "unanswered"
    return [ev.OutboundProgress(m.get("Linkedid", ""), stage, at, status)]


CALLBACK_EVENT = "CtiCallback"  # the dialplan's UserEvent(CtiCallback,Queue: ...,Reason: ...)


def _user_event(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    """A dialplan ``UserEvent``: only ``CtiCallback`` (a caller asking for a callback) is ours;
    one without a call (no Linkedid: not sent from a channel) is dropped."""
    if m.get("UserEvent", "") != CALLBACK_EVENT:
        return []
    lid = m.get("Linkedid", "")
    if not lid:
        log.debug("CtiCallback user event without a Linkedid ignored")
        return []
    number, name, pres, withheld = _caller(m)
    return [
        ev.CallbackRequested(
            lid, m.get("Uniqueid", ""), m.get("Queue", ""), m.get("Reason", ""), number, name,
            pres, withheld, at,
        )
    ]  # fmt: skip


def _shutdown(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [ev.PbxShutdown(m.get("Restart", "").lower() in ("true", "yes", "1"), at)]


def _booted(m: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    return [ev.PbxBooted(at, _float(m.get("Uptime"), -1.0))]


Handler = Callable[[Mapping[str, str], dt.datetime], list[ev.DomainEvent]]

HANDLERS: dict[str, Handler] = {
    "Newchannel": _caller_identified,
    "NewCallerid": _caller_identified,
    "QueueCallerJoin": _queued,
    "AgentCalled": _agent_called,
    "AgentRingNoAnswer": _no_answer,
    "AgentConnect": _connect,
    "AgentComplete": _complete,
    "QueueCallerAbandon": _abandon,
    "QueueCallerLeave": _leave,
    "Hangup": _hangup,
    "QueueMemberStatus": _member,
    "QueueMemberAdded": _member,
    "QueueMember": _member,
    "QueueMemberPause": _pause,
    "QueueMemberPaused": _pause,  # Asterisk 12 name
    "QueueMemberRemoved": _removed,
    "QueueEntry": _entry,
    "CoreShowChannel": _channel,
    "QueueParams": _params,
    "QueueSummary": _summary,
    "Shutdown": _shutdown,
    "OriginateResponse": _originate_response,
    "DialEnd": _dial_end,
    "FullyBooted": _booted,
    "UserEvent": _user_event,
}


def translate(msg: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
    """Domain events for one AMI message (``[]`` for the many the domain does not need)."""
    handler = HANDLERS.get(msg.get("Event", ""))
    if handler is None:
        return []
    return handler(msg, at)


class StreamTranslator:
    """Translate one recorded byte stream, message after message, as the bridge would.

    Adds ``ResyncStarted`` at the first list response (``EventList: start``) and
    ``ResyncCompleted`` when the ``QueueSummary`` list completes (the bridge's resync order is
    CoreShowChannels, QueueStatus, QueueSummary), and ``ConnectionLost`` when a second banner
    shows a new session.
    """

    def __init__(self) -> None:
        self.sessions = 0
        self.in_resync = False

    def translate(self, msg: Mapping[str, str], at: dt.datetime) -> list[ev.DomainEvent]:
        if "Banner" in msg:
            self.sessions += 1
            self.in_resync = False
            return [ev.ConnectionLost("new session", at)] if self.sessions > 1 else []
        if msg.get("EventList") == "start" and "Response" in msg:
            if not self.in_resync:
                self.in_resync = True
                return [ev.ResyncStarted(at)]
            return []
        out = translate(msg, at)
        if self.in_resync and msg.get("Event") == "QueueSummaryComplete":
            self.in_resync = False
            out.append(ev.ResyncCompleted(at))
        return out


# The events the bridge needs: those translated, and those it watches itself. Anything else is
# dropped by the frame parser before it is split into fields (``FrameParser(wanted=...)``).
WANTED_EVENTS = frozenset(HANDLERS) | {"Shutdown", "FullyBooted"}
# Of those, the ones that give nothing from any channel but a call's first: the parser drops the
# rest unsplit too (``FrameParser(first_channel_only=...)``); an operator's leg has two a ring.
FIRST_CHANNEL_ONLY = frozenset(name for name, h in HANDLERS.items() if h is _caller_identified)
