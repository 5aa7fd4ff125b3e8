"""An invented supervisor board (no real person) as the server sends it (``protocol.Board``),
for screenshots and the look of the supervisor view."""

from __future__ import annotations

import datetime as dt
import random

from cti_server.protocol import (
    AssignedDayVenue,
    AssignmentFigures,
    Board,
    BoardAgent,
    BoardFigures,
    BoardInterval,
    BoardQueue,
    BoardSettings,
    Definition,
    IntentsByChannel,
    VenueFill,
    WaitingCall,
)
from desktop_client.models.dates import today_local

JST = dt.timezone(dt.timedelta(hours=9))
# A morning rush, a lunch dip and an afternoon: calls offered per 15 minutes from 08:30.
OFFERED = [3, 9, 14, 18, 16, 12, 11, 10, 9, 8, 7, 9, 5, 4, 6, 8, 9, 10, 8, 7, 6, 5, 4]
AGENTS = [  # extension, operator logged in there (else the PBX member name), state, ...
    ("1001", "青木 さくら", "in_call", 95, "", 14, 212.0),
    ("1002", "石田 健一", "available", 40, "", 11, 186.0),
    ("1003", "上野 美香", "paused", 610, "休憩", 9, 240.0),
    ("1004", "遠藤 直子", "ringing", 6, "", 12, 199.0),
    ("1005", "岡本 亮", "in_call", 302, "", 13, 175.0),
    ("1006", "", "logged_out", 0, "", 0, None),
]
CALLERS = [(47, "number", "0773-62-1234"), (31, "withheld", ""), (12, "number", "090-1234-5678"),
           (4, "unavailable", "")]  # fmt: skip
DEFINITIONS = {
    "waiting": ("callers in the queue now, not yet answered", "いまキューで応答を待っている呼"),
    "longest_wait": ("how long the caller waiting longest has waited so far",
                     "いま最も長く待っている呼の待ち時間"),
    "offered": ("calls that entered the queue today (by entry time)",
                "本日キューに入った呼（入った時刻で集計）"),
    "service_level": ("answered within 20 s of entering / (answered + abandoned); abandons "
                      "under 5 s left out",
                      "20秒以内に応答した呼 ÷（応答呼＋放棄呼）。5秒未満の短時間放棄は除く"),
    "service_level_short": ("answered ≤20 s / (answered + abandoned)",
                            "20秒以内の応答 ÷（応答＋放棄）"),
    "to_assign": ("residents whose latest intent wants the vaccination, active, holding no "
                  "first-dose booking: the candidates of the next assignment run",
                  "最新の意向が接種希望で、1回目の有効な予約がない住民（次の割当の対象）"),
    "cannot_assign": ("residents the last committed assignment run could not place, at most "
                      "those to assign now", "直近に確定した割当で枠を決められなかった住民"),
    "assigned": ("designated appointments: active bookings an assignment run made per venue "
                 "and day", "指定予約：割当で作られた有効な予約（会場・日ごと）"),
}  # fmt: skip


def _interval(start: dt.datetime, offered: int, rng: random.Random) -> BoardInterval:
    short = rng.randint(0, 1) if offered else 0
    abandoned = min(offered - short, rng.randint(0, max(0, offered // 6)))
    answered = offered - short - abandoned
    within = max(0, answered - rng.randint(0, max(1, offered // 4)))
    figures = BoardFigures(
        offered=offered, answered=answered, abandoned=abandoned, short_abandoned=short,
        answered_within_sl=within, abandoned_within_sl=abandoned,
        service_level=within / (answered + abandoned) if answered + abandoned else None,
        avg_wait=rng.uniform(5, 40) if answered else None,
        p90_wait=rng.uniform(30, 90) if answered else None,
        avg_talk=rng.uniform(150, 260) if answered else None,
    )  # fmt: skip
    start_utc = start.astimezone(dt.UTC).isoformat()  # UTC on the wire, as the server sends
    return BoardInterval(start_utc, min(offered // 2, rng.randint(0, 7)), figures)


def board(day: dt.date | None = None, *, seed: int = 3) -> Board:
    """The board at 14:20 of ``day`` (today by default), one queue, six agents."""
    rng = random.Random(seed)
    day = day or today_local()
    now = dt.datetime.combine(day, dt.time(14, 20), JST)
    midnight = dt.datetime.combine(day, dt.time(0, 0), JST)
    first = (8 * 60 + 30) // 15
    intervals = []
    for i in range((now - midnight) // dt.timedelta(minutes=15) + 1):
        n = i - first
        offered = OFFERED[n] if 0 <= n < len(OFFERED) else 0
        intervals.append(_interval(midnight + dt.timedelta(minutes=15 * i), offered, rng))
    agents = tuple(
        BoardAgent(
            interface=f"Local/{ext}@operators/n" if state != "logged_out" else "",
            name=name or f"Operator {ext}", extension=ext, queues=("vaccine",), state=state,
            since=(now - dt.timedelta(seconds=secs)).isoformat() if secs else None,
            paused_reason=reason, answered_today=answered, avg_talk_today=talk,
            member_name=f"Operator {ext}", logged_in=bool(name),
        )
        for ext, name, state, secs, reason, answered, talk in AGENTS
    )  # fmt: skip
    callers = tuple(
        WaitingCall(i, (now - dt.timedelta(seconds=secs)).isoformat(), status, number)
        for i, (secs, status, number) in enumerate(CALLERS, 1)
    )
    queue = BoardQueue(
        name="vaccine", waiting=len(callers), oldest_queued_at=callers[0].queued_at,
        longest_wait=47.0, logged_in=5, available=1, ringing=1, in_call=2, busy=0, paused=1,
        unavailable=1, today=_sum(intervals), intervals=tuple(intervals), callers=callers,
    )  # fmt: skip
    tomorrow = (day + dt.timedelta(days=1)).isoformat()
    bookings = (
        VenueFill(1, "中総合会館", day.isoformat(), 120, 97),
        VenueFill(2, "西市民プラザ", day.isoformat(), 60, 60),
        VenueFill(1, "中総合会館", tomorrow, 120, 41),
    )
    assignment = AssignmentFigures(
        to_assign=214, cannot_assign=37, reasons={"no_capacity": 29, "no_transport_seats": 8},
        last_run_at=(now - dt.timedelta(days=2, hours=5)).astimezone(dt.UTC).isoformat(),
        days=tuple(
            AssignedDayVenue(vid, name, (day + dt.timedelta(days=d)).isoformat(), assigned,
                             booked, cap)
            for d, vid, name, assigned, booked, cap in (
                (0, 1, "中総合会館", 88, 97, 120), (0, 2, "西市民プラザ", 52, 60, 60),
                (1, 1, "中総合会館", 35, 41, 120), (2, 2, "西市民プラザ", 57, 57, 60),
                (3, 1, "中総合会館", 110, 112, 120), (3, 3, "東公民館", 24, 25, 40),
            )
        ),
    )  # fmt: skip
    return Board(
        at=now.astimezone(dt.UTC).isoformat(), day=day.isoformat(), tz="Asia/Tokyo",
        pbx_connected=True, link_down_since=None,
        settings=BoardSettings(20, 5, 15, "with_abandons"),
        definitions={k: Definition(en, ja) for k, (en, ja) in DEFINITIONS.items()},
        queues=(queue,), agents=agents, bookings=bookings, mobility_open=3,
        intents=IntentsByChannel(postcard=8124, web=2310, phone=1452, none_yet=8114),
        assignment=assignment,
    )  # fmt: skip


def _sum(intervals: list[BoardInterval]) -> BoardFigures:
    f = [iv.figures for iv in intervals]
    answered, abandoned = sum(x.answered for x in f), sum(x.abandoned for x in f)
    within = sum(x.answered_within_sl for x in f)
    return BoardFigures(
        offered=sum(x.offered for x in f), answered=answered, abandoned=abandoned,
        short_abandoned=sum(x.short_abandoned for x in f), answered_within_sl=within,
        abandoned_within_sl=abandoned,
        service_level=within / (answered + abandoned) if answered + abandoned else None,
        avg_wait=18.4, p90_wait=52.0, avg_talk=204.0,
    )  # fmt: skip
