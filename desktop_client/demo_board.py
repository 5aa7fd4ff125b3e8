"""An invented supervisor board (no real person) in the server's schema
(cti_server/web/board_build.py), for screenshots and the look of the supervisor view."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

JST = dt.timezone(dt.timedelta(hours=9))
# A morning rush, a lunch dip and an afternoon: calls offered per 15 minutes from 08:30.
OFFERED = [3, 9, 14, 18, 16, 12, 11, 10, 9, 8, 7, 9, 5, 4, 6, 8, 9, 10, 8, 7, 6, 5, 4]
AGENTS = [
    ("1001", "Operator 1001 (青木)", "in_call", 95, "", 14, 212.0),
    ("1002", "Operator 1002 (石田)", "available", 40, "", 11, 186.0),
    ("1003", "Operator 1003 (上野)", "paused", 610, "休憩", 9, 240.0),
    ("1004", "Operator 1004 (遠藤)", "ringing", 6, "", 12, 199.0),
    ("1005", "Operator 1005 (岡本)", "in_call", 302, "", 13, 175.0),
    ("1006", "Operator 1006 (加藤)", "logged_out", 0, "", 0, None),
]
DEFINITIONS = {
    "waiting": ("callers in the queue now, not yet answered", "いまキューで応答を待っている呼"),
    "longest_wait": ("how long the caller waiting longest has waited so far",
                     "いま最も長く待っている呼の待ち時間"),
    "offered": ("calls that entered the queue today (by entry time)",
                "本日キューに入った呼（入った時刻で集計）"),
    "service_level": ("answered within 20 s of entering / answered (abandons excluded)",
                      "20秒以内に応答した呼 ÷ 応答呼（放棄呼は分母に含めない）"),
}  # fmt: skip


def _interval(start: dt.datetime, offered: int, rng: random.Random) -> dict[str, Any]:
    short = rng.randint(0, 1) if offered else 0
    abandoned = min(offered - short, rng.randint(0, max(0, offered // 6)))
    answered = offered - short - abandoned
    within = max(0, answered - rng.randint(0, max(1, offered // 4)))
    return {
        "start": start.isoformat(), "peak_waiting": min(offered // 2, rng.randint(0, 7)),
        "offered": offered, "answered": answered, "abandoned": abandoned,
        "short_abandoned": short, "no_agent": 0, "answered_within_sl": within,
        "service_level": within / answered if answered else None,
        "avg_wait": rng.uniform(5, 40) if answered else None,
        "p90_wait": rng.uniform(30, 90) if answered else None,
        "avg_talk": rng.uniform(150, 260) if answered else None,
    }  # fmt: skip


def board(day: dt.date | None = None, *, seed: int = 3) -> dict[str, Any]:
    """The board at 14:20 of ``day`` (today by default), one queue, six agents."""
    rng = random.Random(seed)
    day = day or dt.date.today()
    now = dt.datetime.combine(day, dt.time(14, 20), JST)
    midnight = dt.datetime.combine(day, dt.time(0, 0), JST)
    first = (8 * 60 + 30) // 15
    intervals = []
    for i in range((now - midnight) // dt.timedelta(minutes=15) + 1):
        n = i - first
        offered = OFFERED[n] if 0 <= n < len(OFFERED) else 0
        intervals.append(_interval(midnight + dt.timedelta(minutes=15 * i), offered, rng))
    today = _sum(intervals)
    agents = [
        {"interface": f"Local/{ext}@operators/n" if state != "logged_out" else "",
         "name": name, "extension": ext, "queues": ["vaccine"], "state": state,
         "since": (now - dt.timedelta(seconds=secs)).isoformat() if secs else None,
         "paused_reason": reason, "answered_today": answered, "avg_talk_today": talk}
        for ext, name, state, secs, reason, answered, talk in AGENTS
    ]  # fmt: skip
    queue = {
        "name": "vaccine", "waiting": 4, "oldest_queued_at": (now - dt.timedelta(seconds=47))
        .isoformat(), "longest_wait": 47.0, "logged_in": 5, "available": 1, "ringing": 1,
        "in_call": 2, "busy": 0, "paused": 1, "unavailable": 1, "today": today,
        "intervals": intervals,
    }  # fmt: skip
    bookings = [
        {"venue_id": 1, "venue": "中総合会館", "day": day.isoformat(), "capacity": 120,
         "booked": 97},
        {"venue_id": 2, "venue": "西市民プラザ", "day": day.isoformat(), "capacity": 60,
         "booked": 60},
        {"venue_id": 1, "venue": "中総合会館", "day": (day + dt.timedelta(days=1)).isoformat(),
         "capacity": 120, "booked": 41},
    ]  # fmt: skip
    return {
        "at": now.astimezone(dt.UTC).isoformat(), "day": day.isoformat(), "tz": "Asia/Tokyo",
        "pbx_connected": True, "link_down_since": None,
        "settings": {"service_level_seconds": 20, "short_abandon_seconds": 5,
                     "interval_minutes": 15},
        "definitions": {k: {"en": en, "ja": ja} for k, (en, ja) in DEFINITIONS.items()},
        "queues": [queue], "agents": agents, "bookings": bookings, "mobility_open": 3,
    }  # fmt: skip


def _sum(intervals: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("offered", "answered", "abandoned", "short_abandoned", "no_agent",
            "answered_within_sl")  # fmt: skip
    out: dict[str, Any] = {k: sum(iv[k] for iv in intervals) for k in keys}
    out["service_level"] = out["answered_within_sl"] / out["answered"] if out["answered"] else None
    out.update(avg_wait=18.4, p90_wait=52.0, avg_talk=204.0)
    return out
