"""A call as the tracker sees it: immutable snapshots, keyed by Asterisk's Linkedid.

Life: ``new`` (caller seen, not yet in a queue) -> ``queued`` -> ``ringing`` (one or more member
interfaces ringing) -> ``answered`` -> ``ended``. A ringing call goes back to ``queued`` when no
one rings any more. The outcome is decided when the call ends:

- ``answered``: an agent connected (``AgentConnect``);
- ``abandoned`` / ``short_abandoned``: the caller hung up while waiting; short when the hold time
  was below the tracker's ``short_abandon_seconds`` (default 5 s);
- ``no_agent``: the call left the queue unanswered without hanging up (timeout, empty queue);
- ``not_queued``: the call ended without ever entering a queue (not a queue call);
- ``unknown``: the call vanished while we were not connected (not seen after a resync, or the
  PBX restarted) before we saw how it ended.

A caller who asks to be called back (a key pressed in the queue, or the queue's wait limit) is
marked ``callback`` (whatever the outcome: such a call is on the worklist, not lost).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

NO_NUMBER = frozenset({"", "<unknown>", "unknown", "anonymous"})


class CallState(StrEnum):
    NEW = "new"
    QUEUED = "queued"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    SHORT_ABANDONED = "short_abandoned"
    NO_AGENT = "no_agent"
    NOT_QUEUED = "not_queued"
    UNKNOWN = "unknown"
    OUTBOUND_ANSWERED = "outbound_answered"  # a dialled call the resident answered
    OUTBOUND_UNANSWERED = "outbound_unanswered"  # nobody answered (operator or resident)


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller's identity as the PBX gave it on the caller leg.

    ``raw_number`` / ``raw_name`` are verbatim (``<unknown>``, ``anonymous``, or a number a
    withheld caller did not mean to show). Display and lookup must use ``number`` / ``name``,
    which are ``""`` when the caller withheld the number or none was sent.
    """

    raw_number: str = ""
    raw_name: str = ""
    presentation: str = ""
    withheld: bool = False

    @property
    def number(self) -> str:
        if self.withheld or self.raw_number.strip().lower() in NO_NUMBER:
            return ""
        return self.raw_number

    @property
    def name(self) -> str:
        if self.withheld or self.raw_name.strip().lower() in NO_NUMBER:
            return ""
        return self.raw_name

    def merged(self, number: str, name: str, presentation: str, withheld: bool) -> Caller:
        """Newer data from a queue-leg snapshot; ``withheld`` is sticky, a real number is
        never replaced by ``<unknown>``, and a prohibited presentation (the caller's own leg
        said so) is never replaced by the allowed one of a later leg."""
        empty = ("", "<unknown>", "unknown")
        keep = number.strip().lower() in empty and self.raw_number.strip().lower() not in empty
        if "prohib" in self.presentation.lower() and "prohib" not in presentation.lower():
            presentation = self.presentation
        new = Caller(
            self.raw_number if keep else number,
            self.raw_name if keep else name,
            presentation or self.presentation,
            self.withheld or withheld,
        )
        return self if new == self else new


@dataclass(frozen=True, slots=True)
class Call:
    linkedid: str
    state: CallState
    caller: Caller
    first_seen_at: dt.datetime
    queue: str = ""
    uniqueid: str = ""  # the caller leg that sits in the queue
    queued_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    position: int = 0  # position when it joined the queue
    left_queue: bool = False
    ringing: tuple[str, ...] = ()  # member interfaces ringing now (for the targeted pop)
    ringing_names: tuple[str, ...] = ()  # their member names, same order
    rung: tuple[str, ...] = ()  # every interface rung so far, in order
    no_answer: tuple[str, ...] = ()  # interfaces that rang out (AgentRingNoAnswer)
    agent_interface: str = ""
    agent_name: str = ""
    hold_seconds: float | None = None  # PBX's HoldTime (wait until answer or abandon)
    talk_seconds: float | None = None
    outcome: Outcome | None = None
    end_reason: str = ""  # AgentComplete Reason: caller / agent / transfer
    direction: str = "inbound"  # "outbound": dialled by an operator (click-to-dial)
    recovered: bool = False  # first seen in a resync snapshot (its times are the snapshot's)
    callback: str = ""  # the caller asked to be called back: the dialplan's reason (key, timeout)

    @property
    def live(self) -> bool:
        return self.state is not CallState.ENDED

    def wait_seconds(self, now: dt.datetime) -> float:
        """Time waited so far (or in total once answered/ended)."""
        if self.hold_seconds is not None:
            return self.hold_seconds
        if self.queued_at is None:
            return 0.0
        end = self.answered_at or self.ended_at or now
        return max(0.0, (end - self.queued_at).total_seconds())


def waiting_state(call: Call) -> CallState:
    """QUEUED or RINGING for a call that is in a queue and not answered."""
    return CallState.RINGING if call.ringing else CallState.QUEUED
