"""Board figures against hand-computed values: a recorded burst (with a server restart in the
middle, the board recomputed from the call records), and a day that crosses midnight.

The recorded stream goes through the real path: frames -> translate -> the call pipeline (tracker,
popper, call records in the database) handing the tracker's changes to BoardService.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti_server.ami.frames import iter_file
from cti_server.ami.translate import StreamTranslator
from cti_server.board import BoardService
from cti_server.bootstrap import build_calls
from cti_server.domain import events as ev
from cti_server.domain.tracker import Tracker
from cti_server.metrics import Metrics
from cti_server.protocol import BoardFigures
from cti_server.web.hub import Hub
from tests.integration.web_helpers import make_settings

TOKYO = ZoneInfo("Asia/Tokyo")
BASE = dt.datetime(2026, 11, 27, 9, 0, tzinfo=TOKYO)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


async def _stack(sessions, clock, **kw):
    settings = make_settings(**kw)
    tracker = Tracker(short_abandon_seconds=settings.short_abandon_seconds)
    board = BoardService(settings, sessions, tracker, clock=clock)
    service = build_calls(settings, tracker, sessions, Hub(64), Metrics(), listeners=(board,),
                          on_records_closed=board.reload_calls)  # fmt: skip
    await service.start()
    await board.start()
    return service, board


async def _stop(service, board):
    await service.recorder.flush()
    await board.close()
    await service.close()


def _feed(service, msgs, start, clock, st):
    for i, msg in enumerate(msgs[start:], start):
        clock.at = BASE + dt.timedelta(milliseconds=10 * i)
        service.on_event(st.translate(msg, clock.at))


def _burst(ami_fixtures):
    (path,) = ami_fixtures.glob("11-*.ami")
    return list(iter_file(path))


# Hand-computed from the README table of 11-burst.ami (SL 20 s, short abandon < 5 s):
# answered holds 1 3 5 7 9 11 11 13 15 16 19 19 (sum 129), talks sum 46;
# abandoned holds: six of 4 s (short), twelve of 5 s or more: 8 10 10 15 6 15 10 6 20 20 6 6,
# all within 20 s. Service level (abandons in the denominator): 12 / (12 + 12).
BURST_TODAY = BoardFigures(
    offered=30, answered=12, abandoned=12, short_abandoned=6, no_agent=0,
    answered_within_sl=12, abandoned_within_sl=12, service_level=0.5, avg_wait=129 / 12,
    p90_wait=19.0, avg_talk=pytest.approx(46 / 12),  # type: ignore[arg-type]
)  # fmt: skip
BURST_AGENTS = {"1001": (4, 3.5), "1002": (4, 3.75), "1003": (4, 4.25)}


def _check_burst(board):
    (q,) = board.queues
    assert q.name == "vaccine"
    assert q.today == BURST_TODAY
    assert q.waiting == 0
    assert q.callers == ()
    agents = {a.extension: (a.answered_today, a.avg_talk_today) for a in board.agents}
    assert agents == BURST_AGENTS
    iv = q.intervals
    assert len(iv) == 37  # midnight .. now (09:00)
    assert iv[36].start == "2026-11-27T00:00:00+00:00"  # 09:00 in Tokyo, in UTC
    assert sum(i.figures.offered for i in iv) == iv[36].figures.offered == 30
    assert iv[36].peak_waiting == 20  # QueueCallerJoin Position reached 20
    assert iv[35].peak_waiting == 0


async def test_recorded_burst_gives_hand_computed_figures(sessions, ami_fixtures):
    clock = Clock(BASE)
    service, board = await _stack(sessions, clock)
    _feed(service, _burst(ami_fixtures), 0, clock, StreamTranslator())
    snap = board.snapshot()
    _check_burst(snap)
    assert snap.settings.service_level_formula == "with_abandons"
    assert snap.definitions["service_level"].en.startswith(
        "answered within 20 s of entering / (answered + abandoned)"
    )
    assert snap.definitions["service_level_short"].ja == "20秒以内の応答 ÷（応答＋放棄）"
    await _stop(service, board)


# With T = 10 s: answered within 10 s: holds 1 3 5 7 9 (5 of 12); abandoned (not short) within
# 10 s: holds 8 10 10 10 6 6 6 6 (8 of 12); short abandons (six of 4 s) count nowhere.
@pytest.mark.parametrize(
    ("formula", "expected", "words"),
    [
        ("with_abandons", 5 / 24, "(answered + abandoned)"),
        ("answered_only", 5 / 12, "/ answered (abandons left out)"),
        ("abandons_met", 13 / 24, "(answered + abandoned within 10 s)"),
    ],
)
async def test_service_level_follows_the_formula_and_threshold_settings(
    sessions, ami_fixtures, formula, expected, words
):
    clock = Clock(BASE)
    service, board = await _stack(
        sessions, clock, service_level_seconds=10, service_level_formula=formula
    )
    _feed(service, _burst(ami_fixtures), 0, clock, StreamTranslator())
    snap = board.snapshot()
    today = snap.queues[0].today
    assert (today.answered_within_sl, today.abandoned_within_sl) == (5, 8)
    assert today.service_level == pytest.approx(expected)
    assert snap.settings.service_level_formula == formula
    assert words in snap.definitions["service_level"].en
    assert "10 s" in snap.definitions["service_level"].en
    await _stop(service, board)


async def _write_complete_records(sessions, board):
    """What a recorder that keeps every field would have stored (the board's own records)."""
    from registry.calls import upsert_call

    async with sessions() as session:
        for r in board.today.records.values():
            await upsert_call(
                session, r.linkedid, queue=r.queue, entered_at=r.entered_at,
                answered_at=r.answered_at, ended_at=r.ended_at, hold_seconds=r.hold_seconds,
                talk_seconds=r.talk_seconds, outcome=r.outcome or "ongoing",
                extension=r.operator or None,
            )  # fmt: skip
        await session.commit()


@pytest.mark.parametrize(
    ("cut", "complete"),
    [(600, True), (1100, True), (600, False), (1100, False)],
)
async def test_restart_in_the_middle_recomputes_from_call_records(
    sessions, ami_fixtures, cut, complete
):
    msgs = _burst(ami_fixtures)
    clock = Clock(BASE)
    st = StreamTranslator()
    service, board = await _stack(sessions, clock)
    _feed(service, msgs[:cut], 0, clock, st)
    before = board.snapshot().queues[0].today.offered
    await service.recorder.flush()
    if complete:
        await _write_complete_records(sessions, board)
    await _stop(service, board)  # the server goes down; its call records are in the database

    service, board = await _stack(sessions, clock)  # a new process: empty tracker
    try:
        assert board.snapshot().queues[0].today.offered == before > 0
        _feed(service, msgs, cut, clock, st)
        _check_burst(board.snapshot())
    finally:
        await _stop(service, board)


def _call(lid, at, hold=None):
    """Events of one call entering the queue at ``at``."""
    return [
        ev.CallerIdentified(lid, lid, "Local/x;1", "0773621234", "", "allowed", False, at),
        ev.CallQueued(lid, lid, "vaccine", 1, 1, "0773621234", "", "allowed", False, at),
    ]


async def test_a_day_that_crosses_midnight(sessions):
    iface = "Local/1001@operators/n"
    d1_late = dt.datetime(2026, 11, 27, 23, 59, 50, tzinfo=TOKYO)
    clock = Clock(d1_late)
    service, board = await _stack(sessions, clock)

    def at(seconds):
        clock.at = d1_late + dt.timedelta(seconds=seconds)
        return clock.at

    service.on_event(ev.MemberState("vaccine", iface, "Operator 1001", 1, False, "", False,
                                    "static", 0, at(0)))  # fmt: skip
    service.on_event(_call("a.1", at(0)))
    snap = board.snapshot()
    assert snap.day == "2026-11-27"
    assert snap.queues[0].today.offered == 1
    assert snap.queues[0].waiting == 1
    service.on_event(ev.AgentRinging("a.1", "vaccine", iface, "Operator 1001", "Local/1001-1;1",
                                     at(12)))  # fmt: skip
    service.on_event(ev.CallAnswered("a.1", "vaccine", iface, "Operator 1001", 15.0, 3.0, at(15)))
    snap = board.snapshot()  # 00:00:05 on the 28th: a new day; call a.1 entered yesterday
    assert snap.day == "2026-11-28"
    q = snap.queues[0]
    assert (q.today.offered, q.today.answered, q.in_call) == (0, 0, 1)
    assert q.intervals[0].start == "2026-11-27T15:00:00+00:00"  # midnight in Tokyo, in UTC
    assert len(q.intervals) == 1
    service.on_event(_call("b.1", at(40)))  # 00:00:30
    service.on_event(ev.CallAbandoned("b.1", "vaccine", 1, 1, 3.0, at(43)))
    service.on_event(ev.CallCompleted("a.1", "vaccine", iface, "Operator 1001", 15.0, 60.0,
                                      "caller", at(75)))  # fmt: skip
    t = board.snapshot().queues[0].today
    assert (t.offered, t.answered, t.short_abandoned, t.abandoned) == (1, 0, 1, 0)
    assert t.avg_talk is None  # a.1's talk belongs to the day it entered
    agent = board.snapshot().agents[0]
    assert (agent.state, agent.answered_today) == ("available", 0)
    await _stop(service, board)

    # a restart after midnight: yesterday's call stays out of today's figures
    service, board = await _stack(sessions, clock)
    t = board.snapshot().queues[0].today
    assert (t.offered, t.short_abandoned) == (1, 1)
    await _stop(service, board)
