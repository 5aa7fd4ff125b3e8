"""Today's call records for the supervisor board, merged from the database and the live tracker.

``TodayRecords`` holds one ``figures.CallRecord`` per Linkedid that entered a queue on the
current local day. It is filled from the database (``load``: at start, after an AMI resync, at
midnight) and kept current from the tracker's calls (``put_call``: a call counts as offered when
it joins the queue, as answered the moment it is answered). ``figures()`` runs the pure
``compute_day`` over them, cached until a record changes; ``peak_waiting()`` gives the most
calls that waited at once in each interval (the "calls waiting over the day" chart), derived from
the records so it survives a restart too.

Merge rule (the database may hold what another instance saw, or what we saw before a restart):
the live tracker wins field by field, except that a missing value never erases a known one, the
earliest entry time is kept, and a final outcome from the database beats the tracker's
``unknown`` (a call that ended while our AMI link was down).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from cti_server.domain.calls import Call, CallState
from cti_server.domain.figures import (
    CallRecord,
    DayFigures,
    FigureSettings,
    compute_day,
    day_bounds,
)

FINAL = frozenset({"answered", "abandoned", "short_abandoned", "no_agent"})


def record_from_view(v: Any) -> CallRecord | None:
    """A ``registry.views.CallView`` as a figures record (None when it never entered a queue)."""
    if v.entered_at is None or not v.queue:
        return None
    outcome = v.outcome if v.outcome in FINAL else ""
    if not outcome and v.answered_at is not None:
        outcome = "answered"  # answered, still talking (or ended unseen): it was answered
    return CallRecord(
        v.linkedid, v.queue, v.entered_at, outcome, v.answered_at, v.ended_at,
        v.hold_seconds, v.talk_seconds, v.extension or "",
    )  # fmt: skip


def record_from_call(
    call: Call, operator: str, entered_fallback: dt.datetime | None = None
) -> CallRecord | None:
    """A tracker call as a record; ``operator`` is the answering extension ("" if none).
    ``entered_fallback``: the stored entry time, for a call the tracker saw only in part."""
    entered = call.queued_at or entered_fallback
    if entered is None or not (call.queue or entered_fallback):
        return None
    if call.state is CallState.ENDED:
        outcome = call.outcome.value if call.outcome else "unknown"
    else:
        outcome = "answered" if call.answered_at is not None else ""
    if outcome == "not_queued":
        return None
    return CallRecord(
        call.linkedid, call.queue, entered, outcome, call.answered_at, call.ended_at,
        call.hold_seconds, call.talk_seconds, operator,
    )  # fmt: skip


def merge(old: CallRecord | None, new: CallRecord) -> CallRecord:
    """``new`` (live) over ``old`` (stored), field by field; see the module docstring."""
    if old is None:
        return new
    outcome = new.outcome or old.outcome
    if new.outcome in ("", "unknown") and old.outcome in FINAL:
        outcome = old.outcome
    return replace(
        new,
        queue=new.queue or old.queue,
        entered_at=min(old.entered_at, new.entered_at),
        outcome=outcome,
        answered_at=new.answered_at or old.answered_at,
        ended_at=new.ended_at or old.ended_at,
        hold_seconds=new.hold_seconds if new.hold_seconds is not None else old.hold_seconds,
        talk_seconds=new.talk_seconds if new.talk_seconds is not None else old.talk_seconds,
        operator=new.operator or old.operator,
    )


class TodayRecords:
    def __init__(self, settings: FigureSettings, day: dt.date) -> None:
        self.settings = settings
        self.zone = settings.zone()
        self.records: dict[str, CallRecord] = {}
        self.version = 0
        self._cache: tuple[int, DayFigures] | None = None
        self.set_day(day)

    def set_day(self, day: dt.date) -> None:
        """Move to ``day``: records that entered on another day are dropped."""
        self.day = day
        self.start, self.end = day_bounds(day, self.zone)
        kept = {k: r for k, r in self.records.items() if self.start <= r.entered_at < self.end}
        if len(kept) != len(self.records) or not self.records:
            self.records = kept
            self.version += 1

    def load(self, stored: Iterable[CallRecord]) -> None:
        """Stored records (the database) under what the live tracker already knows."""
        for rec in stored:
            if not self.start <= rec.entered_at < self.end:
                continue
            live = self.records.get(rec.linkedid)
            merged = rec if live is None else merge(rec, live)
            if merged != live:
                self.records[rec.linkedid] = merged
                self.version += 1

    def put(self, rec: CallRecord) -> bool:
        """A live record; False when it is not of this day or changes nothing."""
        old = self.records.get(rec.linkedid)
        if old is None and not self.start <= rec.entered_at < self.end:
            return False
        merged = merge(old, rec)
        if merged == old:
            return False
        self.records[rec.linkedid] = merged
        self.version += 1
        return True

    def figures(self) -> DayFigures:
        if self._cache is None or self._cache[0] != self.version:
            self._cache = (
                self.version,
                compute_day(self.records.values(), self.day, self.settings),
            )
        return self._cache[1]

    def peak_waiting(self, queue: str, now: dt.datetime) -> list[int]:
        """Most calls waiting at once in ``queue`` during each interval of the day so far."""
        step = dt.timedelta(minutes=self.settings.interval_minutes)
        n = (24 * 60) // self.settings.interval_minutes
        edges: list[tuple[dt.datetime, int]] = []
        for r in self.records.values():
            if r.queue != queue:
                continue
            edges.append((r.entered_at, 1))
            edges.append((_left_at(r, now), -1))
        edges.sort(key=lambda e: (e[0], e[1]))  # a leave before a join at the same instant
        peaks = [0] * n
        level = 0
        last_slot = min(n - 1, max(0, int((min(now, self.end) - self.start) / step)))
        slot = 0
        for at, delta in edges:
            idx = min(n - 1, max(0, int((at - self.start) / step)))
            while slot < idx:  # carry the level into the intervals it spans
                slot += 1
                peaks[slot] = max(peaks[slot], level)
            level += delta
            peaks[idx] = max(peaks[idx], level)
        while slot < last_slot:
            slot += 1
            peaks[slot] = max(peaks[slot], level)
        return peaks


def _left_at(r: CallRecord, now: dt.datetime) -> dt.datetime:
    """When the caller stopped waiting: answered, gave up or left; ``now`` while waiting."""
    if r.answered_at is not None:
        return r.answered_at
    if r.ended_at is not None:
        return r.ended_at
    if r.outcome and r.hold_seconds is not None:
        return r.entered_at + dt.timedelta(seconds=r.hold_seconds)
    if r.outcome:  # final but no times: count it as leaving at once
        return r.entered_at
    return max(now, r.entered_at)
