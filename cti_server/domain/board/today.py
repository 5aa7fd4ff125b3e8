"""Today's call records for the supervisor board, and their figures, recomputed only in part.

``TodayRecords`` holds one ``figures.CallRecord`` per Linkedid that entered a queue on the
current local day. It is filled from the database (``load``: at start, after an AMI resync, at
midnight) and kept current from the tracker's calls (``put``: a call counts as offered when it
joins the queue, as answered the moment it is answered); see ``records`` for the merge.

Figures come from the pure ``figures.compute_day`` and are cached: a changed record marks its
queue and its 15-minute interval dirty, and only those are recomputed (``queue_today``,
``interval_figures``), the agents' figures only when an answered call changed, and
``peak_waiting`` (the most calls that waited at once in each interval: the "calls waiting over
the day" chart, derived from the records so it survives a restart too) only when the queue
changed or the clock entered a new interval. Board updates between changes cost no figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from cti_server.domain.board.records import board_figures, merge
from cti_server.domain.figures import (
    AgentFigures,
    CallRecord,
    DayFigures,
    FigureSettings,
    compute_day,
    day_bounds,
)
from cti_server.protocol import BoardFigures, BoardInterval


class TodayRecords:
    def __init__(self, settings: FigureSettings, day: dt.date) -> None:
        self.settings = settings
        self.zone = settings.zone()
        self.step = dt.timedelta(minutes=settings.interval_minutes)
        self.n_slots = (24 * 60) // settings.interval_minutes
        self._whole = replace(settings, interval_minutes=24 * 60)  # one interval: the day
        self.records: dict[str, CallRecord] = {}
        self.version = 0
        self.set_day(day)

    # ---- records -------------------------------------------------------------------------
    def set_day(self, day: dt.date) -> None:
        """Move to ``day``: records that entered on another day are dropped."""
        self.day = day
        self.start, self.end = day_bounds(day, self.zone)
        kept = {k: r for k, r in self.records.items() if self.start <= r.entered_at < self.end}
        self.records = {}
        self.live: set[str] = set()  # reported by the tracker: live beats stored
        self._slots: dict[str, list[dict[str, CallRecord]]] = {}  # queue -> slot -> records
        self._qversion: dict[str, int] = {}
        self._today: dict[str, BoardFigures] = {}  # queue -> figures (clean ones only)
        self._ivs: dict[str, list[BoardFigures | None]] = {}  # None: to recompute
        self._peaks: dict[str, tuple[tuple[int, int], list[int]]] = {}
        self._rows: dict[str, tuple[tuple[int, int], tuple[BoardInterval, ...]]] = {}
        self._agents: dict[str, AgentFigures] | None = None
        self._cache: tuple[int, DayFigures] | None = None
        for rec in kept.values():
            self._store(rec)
        self.version += 1

    def slot_of(self, at: dt.datetime) -> int:
        return min(self.n_slots - 1, max(0, int((at - self.start) / self.step)))

    def _store(self, rec: CallRecord) -> None:
        old = self.records.get(rec.linkedid)
        if old is not None:
            self._slots[old.queue][self.slot_of(old.entered_at)].pop(old.linkedid, None)
            self._touch(old)
        self.records[rec.linkedid] = rec
        slots = self._slots.get(rec.queue)
        if slots is None:  # (not setdefault: that would build the list on every call)
            slots = self._slots[rec.queue] = [{} for _ in range(self.n_slots)]
        slots[self.slot_of(rec.entered_at)][rec.linkedid] = rec
        self._touch(rec)
        self.version += 1

    def _touch(self, rec: CallRecord) -> None:
        q = rec.queue
        self._qversion[q] = self._qversion.get(q, 0) + 1
        self._today.pop(q, None)
        ivs = self._ivs.get(q)
        if ivs is None:
            ivs = self._ivs[q] = [None] * self.n_slots
        ivs[self.slot_of(rec.entered_at)] = None
        if rec.outcome == "answered":
            self._agents = None

    def load(self, stored: Iterable[CallRecord]) -> None:
        """Stored records (the database): under what the live tracker reported, over what an
        earlier load gave."""
        for rec in stored:
            if not self.start <= rec.entered_at < self.end:
                continue
            current = self.records.get(rec.linkedid)
            merged = merge(rec, current) if rec.linkedid in self.live and current else rec
            if merged != current:
                self._store(merged)

    def put(self, rec: CallRecord) -> bool:
        """A live record; False when it is not of this day or changes nothing."""
        old = self.records.get(rec.linkedid)
        if old is None and not self.start <= rec.entered_at < self.end:
            return False
        self.live.add(rec.linkedid)
        merged = merge(old, rec)
        if merged == old:
            return False
        self._store(merged)
        return True

    # ---- figures -------------------------------------------------------------------------
    @property
    def queues(self) -> list[str]:
        return sorted(q for q, slots in self._slots.items() if any(slots))

    def _figures_of(self, queue: str, recs: Iterable[CallRecord]) -> BoardFigures:
        return board_figures(compute_day(recs, self.day, self._whole).queues.get(queue))

    def queue_today(self, queue: str) -> BoardFigures:
        """``queue``'s figures for the day so far, cached until it changes."""
        figs = self._today.get(queue)
        if figs is None:
            recs = [r for slot in self._slots.get(queue, ()) for r in slot.values()]
            figs = self._today[queue] = self._figures_of(queue, recs)
        return figs

    def interval_figures(self, queue: str) -> list[BoardFigures]:
        """``queue``'s figures per interval of the day (all of them), dirty ones recomputed."""
        slots = self._slots.get(queue)
        ivs = self._ivs.setdefault(queue, [None] * self.n_slots)
        out: list[BoardFigures] = []
        for i, fig in enumerate(ivs):
            if fig is None:
                recs = list(slots[i].values()) if slots else []
                fig = ivs[i] = self._figures_of(queue, recs) if recs else BoardFigures()
            out.append(fig)
        return out

    def agent_figures(self) -> dict[str, AgentFigures]:
        """Answered calls and average talk per operator, recomputed when an answer changed."""
        if self._agents is None:
            answered = [r for r in self.records.values() if r.outcome == "answered"]
            self._agents = compute_day(answered, self.day, self._whole).agents
        return self._agents

    def figures(self) -> DayFigures:
        """Everything at once, through ``compute_day`` (tests; the board uses the parts)."""
        if self._cache is None or self._cache[0] != self.version:
            figs = compute_day(self.records.values(), self.day, self.settings)
            self._cache = (self.version, figs)
        return self._cache[1]

    def peak_waiting(self, queue: str, now: dt.datetime) -> list[int]:
        """Most calls waiting at once in ``queue`` during each interval of the day so far.
        Cached per queue version and interval of ``now`` (a waiting call's level only
        depends on which interval ``now`` is in)."""
        last_slot = self.slot_of(min(now, self.end))
        key = (self._qversion.get(queue, 0), last_slot)
        hit = self._peaks.get(queue)
        if hit is not None and hit[0] == key:
            return hit[1]
        peaks = self._compute_peaks(queue, now, last_slot)
        self._peaks[queue] = (key, peaks)
        return peaks

    def interval_rows(self, queue: str, now: dt.datetime) -> tuple[BoardInterval, ...]:
        """The intervals from midnight to the one of ``now``; the same tuple object until the
        queue changes or ``now`` enters a new interval."""
        last_slot = self.slot_of(min(now, self.end))
        key = (self._qversion.get(queue, 0), last_slot)
        hit = self._rows.get(queue)
        if hit is not None and hit[0] == key:
            return hit[1]
        peaks, figs = self.peak_waiting(queue, now), self.interval_figures(queue)
        rows = tuple(
            BoardInterval(_utc(self.start + i * self.step), peaks[i], figs[i])
            for i in range(last_slot + 1)
        )
        self._rows[queue] = (key, rows)
        return rows

    def _compute_peaks(self, queue: str, now: dt.datetime, last_slot: int) -> list[int]:
        edges: list[tuple[dt.datetime, int]] = []
        for records in self._slots.get(queue, ()):
            for r in records.values():
                edges.append((r.entered_at, 1))
                edges.append((_left_at(r, now), -1))
        edges.sort(key=lambda e: (e[0], e[1]))  # a leave before a join at the same instant
        peaks = [0] * self.n_slots
        level = 0
        slot = 0
        for at, delta in edges:
            idx = self.slot_of(at)
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


def _utc(at: dt.datetime) -> str:
    """An interval's start on the wire: ISO-8601, UTC, with the offset."""
    return at.astimezone(dt.UTC).isoformat()
