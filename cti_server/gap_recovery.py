"""Calls that began and ended while the PBX link was down, rebuilt from the PBX's queue log.

Events sent while the AMI link is down are lost, and a resync (CoreShowChannels, QueueStatus)
shows only the calls still up: a call wholly inside the gap left no trace. When the queue log
can be read (setting ``ami_queue_log``), ``GapRecovery.recover(lost_at, back_at)`` (the call
service runs it after each resync that followed a gap) reads the calls that entered and ended
between the link's loss, less ``before`` seconds (a dead link is noticed only at the next
unanswered Ping, and clocks differ a little), and its return, plus ``after`` seconds; leaves
out those the tracker knows (live or recently ended, by Linkedid or by the Uniqueid of their
queue leg) and those already recorded (by this server before, or by another); and hands the
others to the call recorder as ended calls marked ``recovered``, so their records get the
fields of a live call's (caller as ``caller_id.identify`` decides, the operator of the
extension the member name gives). They are over: no pop, no after-call work; but their
changes go to ``on_recovered`` (the callback worklist's feeder, ``Callbacks.on_changes``), so a
caller who gave up (abandoned, with a number) or pressed the callback key inside the gap is on
the worklist as a live one would be. Once each: a call recorded is not recovered again (another
resync, a restart), and the worklist keeps one item per ``source_ref`` anyway. The caller
reloads the board from the records.

A call the tracker knew that vanished in the gap (live at the loss, not seen at the resync, so
ended ``unknown`` or ``answered`` at the loss) and that the queue log shows ending is amended
with the logged outcome, end time, hold and talk times (``recovery.corrections_from_log``): the
tracker's ended call is replaced, and the change (recorded by its Linkedid, no second record)
reaches the recorder and the feeder as a new call's would. The log is read from the first
entry of such a call when that is earlier than the gap's window.

May import: the domain, the recorder, ``registry``; the queue log reader and the feeder come in
as callables (``cti_server.ami.queue_log.QueueLogReader.read``, run in a thread: it reads a
file; ``cti_server.callbacks.Callbacks.on_changes``, wired by ``cti_server.bootstrap``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti_server.domain.changes import CallChanged, Change
from cti_server.domain.events import QueueCallLogged
from cti_server.domain.recovery import calls_from_log, corrections_from_log
from cti_server.domain.tracker import Tracker
from cti_server.recorder import CallRecorder
from registry.calls import recorded_linkedids

log = logging.getLogger(__name__)

ReadLog = Callable[[dt.datetime, dt.datetime], Sequence[QueueCallLogged]]
OnRecovered = Callable[[list[Change]], None]
BEFORE_SECONDS = 60.0  # a dead link is noticed within ping_interval + ping_timeout (25 s)
AFTER_SECONDS = 5.0  # calls ending later were seen live after the login


class GapRecovery:
    def __init__(
        self,
        read: ReadLog,
        tracker: Tracker,
        recorder: CallRecorder,
        sessions: async_sessionmaker[AsyncSession],
        *,
        before: float = BEFORE_SECONDS,
        after: float = AFTER_SECONDS,
        on_recovered: OnRecovered | None = None,
    ) -> None:
        self._read = read
        self._tracker = tracker
        self._recorder = recorder
        self._sessions = sessions
        self.before = dt.timedelta(seconds=before)
        self.after = dt.timedelta(seconds=after)
        self._on_recovered = on_recovered

    async def recover(self, lost_at: dt.datetime, back_at: dt.datetime) -> int:
        """Record the calls of the gap ``lost_at`` .. ``back_at`` not known yet, and amend
        those that vanished in it; returns how many (their records are written when it
        returns)."""
        t = self._tracker
        start, end = lost_at - self.before, back_at + self.after
        vanished = [c.queued_at or c.first_seen_at for c in t.ended.values()
                    if c.ended_at is not None and lost_at <= c.ended_at <= back_at]  # fmt: skip
        logged = await asyncio.to_thread(self._read, min([start, *vanished]), end)
        known = {*t.calls, *t.ended}
        known.update(c.uniqueid for c in (*t.calls.values(), *t.ended.values()) if c.uniqueid)
        members = list(t.members.values())
        amended = corrections_from_log(
            logged, list(t.ended.values()), lost_at=lost_at, back_at=back_at, members=members,
            short_abandon_seconds=t.short_abandon_seconds,
        )  # fmt: skip
        calls = calls_from_log(
            [q for q in logged if q.entered_at >= start], known=known, members=members,
            short_abandon_seconds=t.short_abandon_seconds,
        )  # fmt: skip
        if calls:
            async with self._sessions() as session:
                stored = await recorded_linkedids(session, [c.linkedid for c in calls])
            calls = [c for c in calls if c.linkedid not in stored]
        for new, _ in amended:
            t.amend_ended(new)
        changes: list[Change] = [CallChanged(new, old) for new, old in amended]
        changes += [CallChanged(c, None) for c in calls]
        if changes:
            self._recorder.on_changes(changes)
            await self._recorder.flush()
            if self._on_recovered is not None:  # amended ones are fed as if first seen ended
                ended = [new for new, _ in amended] + calls
                self._on_recovered([CallChanged(c, None) for c in ended])
        log.info(
            "queue_log: %d calls of the PBX link gap %s .. %s (%d read) recorded as recovered, "
            "%d that vanished in it amended", len(calls), lost_at.isoformat(timespec="seconds"),
            back_at.isoformat(timespec="seconds"), len(logged), len(amended),
        )  # fmt: skip
        for c in calls:
            log.debug("call %s recovered from queue_log: %s", c.linkedid, c.outcome)
        for c, _ in amended:
            log.debug("call %s amended from queue_log: %s", c.linkedid, c.outcome)
        return len(changes)
