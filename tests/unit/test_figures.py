"""cti_server.domain.figures against hand-computed values (and the recorded burst)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cti_server.ami.frames import iter_file
from cti_server.ami.translate import StreamTranslator
from cti_server.domain.agents import extension_of
from cti_server.domain.errors import FiguresError
from cti_server.domain.figures import (
    CallRecord,
    FigureSettings,
    compute_day,
    day_of,
    p90,
    record_from_call,
)
from cti_server.domain.tracker import Tracker

JST = ZoneInfo("Asia/Tokyo")
DAY = dt.date(2026, 11, 27)


def at(h: int, m: int, s: int = 0, day: int = 27) -> dt.datetime:
    return dt.datetime(2026, 11, day, h, m, s, tzinfo=JST)


def rec(lid: str, entered: dt.datetime, outcome: str, hold: float | None = None,
        talk: float | None = None, op: str = "", **kw: dt.datetime) -> CallRecord:  # fmt: skip
    return CallRecord(lid, "vaccine", entered, outcome, hold_seconds=hold, talk_seconds=talk,
                      operator=op, **kw)  # fmt: skip


RECORDS = [
    rec("1", at(9, 0), "answered", 10, 100, "1001"),
    rec("2", at(9, 5), "answered", 30, 200, "1002"),
    rec("3", at(9, 10), "abandoned", 3),  # short: 3 s < 5 s
    rec("4", at(9, 14, 59), "abandoned", 40),
    rec("5", at(9, 15), "answered", 20, 60, "1001"),  # exactly T: within
    rec("6", at(9, 20), "no_agent"),
    rec("7", at(23, 59, 59), "answered", None, 10, "1002", answered_at=at(0, 0, 4, day=28)),
    rec("8", dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC), "answered", 1, 1, "1001"),  # 28th
    rec("9", at(23, 59, day=26), "answered", 1, 1, "1001"),
    rec("10", at(10, 0), "not_queued"),
]


def test_day_totals_by_hand() -> None:
    f = compute_day(RECORDS, DAY)
    q = f.queues["vaccine"]
    assert (q.offered, q.answered, q.abandoned, q.short_abandoned, q.no_agent) == (7, 4, 1, 1, 1)
    # waits 10, 30, 20, 5 (record 7: answered 5 s after entering, across midnight)
    assert q.avg_wait == pytest.approx(16.25)
    assert q.p90_wait == 30
    # service level: 3 answered within 20 s / (4 answered + 1 abandoned; the short one left out)
    assert (q.answered_within_sl, q.abandoned_within_sl, q.service_level) == (3, 0, 0.6)
    assert q.avg_talk == pytest.approx(92.5)
    assert "answered within 20 s / (answered + abandoned)" in f.definitions["service_level"]
    assert f.agents["1001"].answered == 2
    assert f.agents["1001"].avg_talk == pytest.approx(80)
    assert f.agents["1002"].avg_talk == pytest.approx(105)


def test_intervals_by_hand() -> None:
    ivs = compute_day(RECORDS, DAY).intervals["vaccine"]
    assert len(ivs) == 96
    a, b, last = ivs[36], ivs[37], ivs[95]
    assert (a.start, a.end) == (at(9, 0), at(9, 15))
    assert (a.offered, a.answered, a.short_abandoned, a.abandoned) == (4, 2, 1, 1)
    assert (a.service_level, a.avg_wait, a.p90_wait) == (pytest.approx(1 / 3), 20, 30)
    assert (b.offered, b.answered, b.no_agent, b.service_level) == (2, 1, 1, 1.0)
    assert (last.offered, last.answered) == (1, 1)
    assert sum(i.offered for i in ivs) == 7
    assert ivs[0].service_level is None


def test_midnight_belongs_to_the_next_day() -> None:
    q = compute_day(RECORDS, dt.date(2026, 11, 28)).queues["vaccine"]
    assert (q.offered, q.answered) == (1, 1)
    assert day_of(dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 28)
    assert day_of(dt.datetime(2026, 11, 27, 14, 59, 59, tzinfo=dt.UTC)) == DAY


@pytest.mark.parametrize(
    ("formula", "expected"),
    # T = 10 s, short < 2 s: answered waits 10 30 20 5 (2 within), abandons 3 s and 40 s
    # (both count, 1 within): 2 / (4 + 2); 2 / 4; (2 + 1) / (4 + 2)
    [("with_abandons", 2 / 6), ("answered_only", 0.5), ("abandons_met", 0.5)],
)
def test_settings(formula: str, expected: float) -> None:
    s = FigureSettings(service_level_seconds=10, short_abandon_seconds=2,
                       service_level_formula=formula)  # fmt: skip
    q = compute_day(RECORDS, DAY, s).queues["vaccine"]
    assert (q.short_abandoned, q.abandoned, q.abandoned_within_sl) == (0, 2, 1)
    assert q.service_level == pytest.approx(expected)
    assert "within 10 s" in compute_day([], DAY, s).definitions["service_level"]
    with pytest.raises(FiguresError):
        compute_day([], DAY, FigureSettings(service_level_formula="best_case"))
    with pytest.raises(FiguresError):
        compute_day([], DAY, FigureSettings(interval_minutes=7))
    with pytest.raises(FiguresError):
        compute_day([], DAY, FigureSettings(tz="Mars/Olympus"))


def test_p90_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([5.0]) == 5
    assert p90([float(x) for x in range(1, 11)]) == 9
    assert p90([float(x) for x in range(1, 12)]) == 10


def test_recorded_burst(ami_fixtures: Path) -> None:
    base = at(9, 0)
    t, st = Tracker(), StreamTranslator()
    for i, m in enumerate(iter_file(next(ami_fixtures.glob("11-*.ami")))):
        for e in st.translate(m, base + dt.timedelta(milliseconds=10 * i)):
            t.apply(e)
    records = [record_from_call(c) for c in t.ended.values()]
    q = compute_day(records, DAY).queues["vaccine"]
    assert (q.offered, q.answered, q.abandoned, q.short_abandoned) == (30, 12, 12, 6)
    assert q.service_level == 0.5  # 12 answered within 20 s / (12 answered + 12 abandoned)
    assert q.avg_wait == pytest.approx(129 / 12)
    assert q.p90_wait == 19
    assert q.avg_talk == pytest.approx(46 / 12)
    agents = {
        extension_of(k): (a.answered, a.avg_talk)
        for k, a in compute_day(records, DAY).agents.items()
    }
    assert agents == {"1001": (4, 3.5), "1002": (4, 3.75), "1003": (4, 4.25)}
