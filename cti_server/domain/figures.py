"""Queue and agent figures for one day, from call records. Pure: give it records and a day.

Definitions (also returned, with the settings filled in, in ``DayFigures.definitions``):

- offered: calls that entered the queue (by the time they entered, in the configured zone);
- answered: offered calls an agent answered;
- abandoned: the caller hung up while waiting, after at least the short-abandon threshold;
- short abandoned: the caller hung up within the threshold (counted apart, not in abandoned);
- service level, by ``FigureSettings.service_level_formula`` (``SL_FORMULAS``):
  ``with_abandons`` (default, as most contact-center tools count it): answered within T seconds
  of entering / (answered + abandoned), short abandons excluded from both;
  ``answered_only``: answered within T / answered (abandons ignored);
  ``abandons_met``: (answered within T + abandoned within T) / (answered + abandoned), short
  abandons excluded (Asterisk's ``ServicelevelPerf2``);
- wait: time from entering the queue to the answer, over answered calls; average, and the 90th
  percentile by the nearest-rank method (the smallest wait that at least 90 % do not exceed);
- talk: answered calls' talk time, average.

A "day" runs from 00:00 to 24:00 in ``tz`` (Asia/Tokyo by default); intervals are
``interval_minutes`` long from midnight. Records may carry any time zone (aware datetimes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cti_server.domain.calls import Call
from cti_server.domain.errors import FiguresError

ABANDONS = ("abandoned", "short_abandoned")
SL_FORMULAS = ("with_abandons", "answered_only", "abandons_met")


@dataclass(frozen=True, slots=True)
class CallRecord:
    linkedid: str
    queue: str
    entered_at: dt.datetime
    outcome: str = ""  # answered / abandoned / short_abandoned / no_agent / unknown / "" (live)
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    hold_seconds: float | None = None  # the PBX's HoldTime; else derived from the times
    talk_seconds: float | None = None
    operator: str = ""  # who answered (extension, interface or operator name)

    def wait(self) -> float | None:
        if self.hold_seconds is not None:
            return self.hold_seconds
        end = self.answered_at or (self.ended_at if self.outcome in ABANDONS else None)
        return None if end is None else max(0.0, (end - self.entered_at).total_seconds())


@dataclass(frozen=True, slots=True)
class FigureSettings:
    service_level_seconds: float = 20.0
    short_abandon_seconds: float = 5.0
    interval_minutes: int = 15
    tz: str = "Asia/Tokyo"
    service_level_formula: str = "with_abandons"  # one of SL_FORMULAS

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise FiguresError(f"unknown time zone {self.tz!r}") from err


@dataclass(frozen=True, slots=True)
class QueueFigures:
    queue: str
    start: dt.datetime  # local time, inclusive
    end: dt.datetime  # exclusive
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    no_agent: int = 0
    answered_within_sl: int = 0
    abandoned_within_sl: int = 0  # abandoned (not short) within T of entering
    service_level: float | None = None  # 0..1, None when the denominator is 0
    avg_wait: float | None = None
    p90_wait: float | None = None
    avg_talk: float | None = None


@dataclass(frozen=True, slots=True)
class AgentFigures:
    operator: str
    answered: int
    avg_talk: float | None


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: dt.date
    tz: str
    definitions: dict[str, str]
    queues: dict[str, QueueFigures] = field(default_factory=dict)
    intervals: dict[str, list[QueueFigures]] = field(default_factory=dict)  # each queue, in order
    agents: dict[str, AgentFigures] = field(default_factory=dict)


def record_from_call(call: Call) -> CallRecord:
    """A tracker call as a figures record (``operator`` is the member interface)."""
    return CallRecord(
        call.linkedid, call.queue, call.queued_at or call.first_seen_at,
        call.outcome.value if call.outcome else "", call.answered_at, call.ended_at,
        call.hold_seconds, call.talk_seconds, call.agent_interface,
    )  # fmt: skip


def definitions(s: FigureSettings) -> dict[str, str]:
    t, short = f"{s.service_level_seconds:g}", f"{s.short_abandon_seconds:g}"
    return {
        "offered": "calls that entered the queue during the period",
        "answered": "offered calls answered by an agent",
        "abandoned": f"caller hung up while waiting, after {short} s or more",
        "short_abandoned": f"caller hung up while waiting, within {short} s (not in abandoned)",
        "service_level": SL_TEXT_EN[s.service_level_formula].format(t=t),
        "avg_wait": "average time from entering the queue to the answer, answered calls",
        "p90_wait": "90th percentile (nearest rank) of that wait, answered calls",
        "avg_talk": "average talk time of answered calls",
        "day": f"00:00-24:00 {s.tz}; intervals of {s.interval_minutes} min by entry time",
    }


SL_TEXT_EN = {
    "with_abandons": "answered within {t} s / (answered + abandoned), short abandons excluded",
    "answered_only": "answered within {t} s / answered (abandoned calls excluded)",
    "abandons_met": "(answered + abandoned within {t} s) / (answered + abandoned), "
    "short abandons excluded",
}


def service_level(f: QueueFigures, formula: str) -> float | None:
    """The service level of counted figures by ``formula`` (one of ``SL_FORMULAS``)."""
    if formula == "answered_only":
        met, base = f.answered_within_sl, f.answered
    elif formula == "abandons_met":
        met, base = f.answered_within_sl + f.abandoned_within_sl, f.answered + f.abandoned
    else:
        met, base = f.answered_within_sl, f.answered + f.abandoned
    return met / base if base else None


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)


def day_of(at: dt.datetime, settings: FigureSettings | None = None) -> dt.date:
    """The local day a moment belongs to (``at`` must be aware)."""
    return at.astimezone((settings or FigureSettings()).zone()).date()


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _figures(
    queue: str, start: dt.datetime, end: dt.datetime, recs: list[CallRecord], s: FigureSettings
) -> QueueFigures:
    answered = [r for r in recs if r.outcome == "answered"]
    waits = [w for r in answered if (w := r.wait()) is not None]
    talks = [r.talk_seconds for r in answered if r.talk_seconds is not None]
    short = long_ = long_within = 0
    for r in recs:
        if r.outcome in ABANDONS:
            w = r.wait()
            is_short = w < s.short_abandon_seconds if w is not None else r.outcome == ABANDONS[1]
            if is_short:
                short += 1
            else:
                long_ += 1
                long_within += w is not None and w <= s.service_level_seconds
    within = sum(1 for w in waits if w <= s.service_level_seconds)
    counted = QueueFigures(
        queue, start, end, len(recs), len(answered), long_, short,
        sum(1 for r in recs if r.outcome == "no_agent"), within, long_within, None,
        _mean(waits), p90(waits), _mean(talks),
    )  # fmt: skip
    return replace(counted, service_level=service_level(counted, s.service_level_formula))


def compute_day(
    records: Iterable[CallRecord], day: dt.date, settings: FigureSettings | None = None
) -> DayFigures:
    s = settings or FigureSettings()
    if s.service_level_formula not in SL_FORMULAS:
        raise FiguresError(f"unknown service level formula {s.service_level_formula!r}")
    if s.interval_minutes <= 0 or (24 * 60) % s.interval_minutes:
        raise FiguresError(f"interval of {s.interval_minutes} min does not divide a day")
    zone = s.zone()
    start, end = day_bounds(day, zone)
    by_queue: dict[str, list[CallRecord]] = {}
    for r in records:
        if r.outcome != "not_queued" and start <= r.entered_at < end:
            by_queue.setdefault(r.queue, []).append(r)
    out = DayFigures(day, s.tz, definitions(s))
    step = dt.timedelta(minutes=s.interval_minutes)
    for q, recs in sorted(by_queue.items()):
        out.queues[q] = _figures(q, start, end, recs, s)
        slots: list[list[CallRecord]] = [[] for _ in range((24 * 60) // s.interval_minutes)]
        for r in recs:
            local = r.entered_at.astimezone(zone)
            minutes = local.hour * 60 + local.minute
            slots[min(minutes // s.interval_minutes, len(slots) - 1)].append(r)
        out.intervals[q] = [
            _figures(q, start + i * step, start + (i + 1) * step, slot, s)
            for i, slot in enumerate(slots)
        ]
    agents: dict[str, list[CallRecord]] = {}
    for recs in by_queue.values():
        for r in recs:
            if r.outcome == "answered" and r.operator:
                agents.setdefault(r.operator, []).append(r)
    for op, recs in sorted(agents.items()):
        talks = [r.talk_seconds for r in recs if r.talk_seconds is not None]
        out.agents[op] = AgentFigures(op, len(recs), _mean(talks))
    return out
