"""The supervisor board as one JSON-ready dict (``BoardUpdate.board``). Pure: no I/O.

Schema (times ISO-8601; ``*_at``/``since`` in UTC, interval ``start`` in local time)::

    at, day (local ISO date), tz, pbx_connected, link_down_since (or null),
    settings {service_level_seconds, short_abandon_seconds, interval_minutes},
    definitions {figure: {"en": text, "ja": text}},
    queues [{name, waiting, oldest_queued_at, longest_wait, logged_in, available, ringing,
             in_call, busy, paused, unavailable,
             today {offered, answered, abandoned, short_abandoned, no_agent,
                    answered_within_sl, service_level, avg_wait, p90_wait, avg_talk},
             intervals [{start, peak_waiting, ...the same figures...}]   # midnight .. now
           }],
    agents [{interface, name, extension, queues, state, since, paused_reason,
             answered_today, avg_talk_today}],
    bookings [{venue_id, venue, day, capacity, booked}], mobility_open

``longest_wait`` is at ``at``; clients tick it on from ``oldest_queued_at`` (and an agent's time
in state from ``since``) between updates, so the board stays right to the second unpolled.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.figures import FigureSettings
from cti_server.web.board_figures import TodayRecords

# Which member state an agent in several queues shows: the most telling one.
STATE_ORDER = ("in_call", "ringing", "busy", "paused", "available", "unavailable", "logged_out")


@functools.cache
def definitions(s: FigureSettings) -> dict[str, dict[str, str]]:
    t, short, iv = (
        f"{s.service_level_seconds:g}",
        f"{s.short_abandon_seconds:g}",
        s.interval_minutes,
    )
    en_ja = {
        "waiting": ("callers in the queue now, not yet answered", "いまキューで応答を待っている呼"),
        "longest_wait": ("how long the caller waiting longest has waited so far",
                         "いま最も長く待っている呼の待ち時間"),
        "available": ("members free to take a call (not paused, not ringing, not on a call)",
                      "受付可能なメンバー（保留・呼出中・通話中でない）"),
        "ringing": ("members whose phone a queue call is ringing", "キューの呼で呼出中のメンバー"),
        "in_call": ("members connected to a call", "通話中のメンバー"),
        "paused": ("members paused (with their reason)", "一時停止中のメンバー（理由つき）"),
        "unavailable": ("members logged out or whose phone is unreachable",
                        "電話機が未登録・到達不能のメンバー"),
        "offered": ("calls that entered the queue today (by entry time)",
                    "本日キューに入った呼（入った時刻で集計）"),
        "answered": ("offered calls an agent answered", "オペレーターが応答した呼"),
        "abandoned": (f"caller hung up while waiting, after {short} s or more",
                      f"待ち中に発信者が切断（{short}秒以上待った後）"),
        "short_abandoned": (f"caller hung up within {short} s of waiting (not in abandoned)",
                            f"{short}秒未満で切断（放棄呼には含めない）"),
        "no_agent": ("left the queue unanswered without hanging up (timeout, no members)",
                     "切断せずに未応答でキューを出た呼（タイムアウト等）"),
        "service_level": (f"answered within {t} s of entering / answered (abandons excluded)",
                          f"{t}秒以内に応答した呼 ÷ 応答呼（放棄呼は分母に含めない）"),
        "avg_wait": ("average wait from entering the queue to the answer, answered calls",
                     "応答呼の、キュー投入から応答までの平均待ち時間"),
        "p90_wait": ("90th percentile (nearest rank) of that wait",
                     "同じ待ち時間の90パーセンタイル（最近順位法）"),
        "avg_talk": ("average talk time of answered calls that ended",
                     "終了した応答呼の平均通話時間"),
        "peak_waiting": (f"most calls waiting at once in each {iv}-minute interval",
                         f"{iv}分ごとの同時待ち呼数の最大"),
        "answered_today": ("calls this agent answered today", "本日このオペレーターが応答した呼"),
        "bookings": ("booked / capacity of a venue's slots on that day",
                     "会場・日ごとの予約数 ÷ 定員"),
        "mobility_open": ("mobility-support requests not yet arranged (status open)",
                          "未手配（受付中）の移動支援依頼"),
        "day": (f"00:00-24:00 {s.tz}; intervals of {iv} min by entry time",
                f"{s.tz}の0時〜24時、{iv}分単位（投入時刻）"),
    }  # fmt: skip
    return {k: {"en": en, "ja": ja} for k, (en, ja) in en_ja.items()}


def _iso(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat() if at is not None else None


def build_board(
    tracker: Any,
    today: TodayRecords,
    now: dt.datetime,
    extension_of: Callable[[str, str], str | None],
    *,
    link_down_since: dt.datetime | None = None,
    bookings: list[dict[str, Any]] | None = None,
    mobility_open: int = 0,
) -> dict[str, Any]:
    s = today.settings
    queues = []
    for name in sorted(set(tracker.queue_names) | set(today.queues)):
        v = tracker.queue_view(name)
        oldest = v.waiting[0].queued_at if v.waiting else None
        queues.append({
            "name": name, "waiting": v.calls_waiting, "oldest_queued_at": _iso(oldest),
            "longest_wait": round(v.longest_wait(now), 1), "logged_in": v.logged_in,
            "available": v.available, "ringing": v.ringing, "in_call": v.in_call,
            "busy": v.busy, "paused": v.paused, "unavailable": v.unavailable,
            "today": today.queue_today(name), "intervals": today.interval_rows(name, now),
        })  # fmt: skip
    return {
        "at": _iso(now), "day": today.day.isoformat(), "tz": s.tz,
        "pbx_connected": bool(tracker.connected), "link_down_since": _iso(link_down_since),
        "settings": {
            "service_level_seconds": s.service_level_seconds,
            "short_abandon_seconds": s.short_abandon_seconds,
            "interval_minutes": s.interval_minutes,
        },
        "definitions": definitions(s),  # cached: the same object every time
        "queues": queues,
        "agents": _agents(tracker.members.values(), today.agent_figures(), extension_of),
        "bookings": bookings or [],
        "mobility_open": mobility_open,
    }  # fmt: skip


def _agents(
    members: Any, agent_figs: dict[str, Any], extension_of: Callable[[str, str], str | None]
) -> list[dict[str, Any]]:
    by_iface: dict[str, list[Member]] = {}
    for m in members:
        by_iface.setdefault(m.interface, []).append(m)
    out: dict[str, dict[str, Any]] = {}
    for iface, ms in by_iface.items():
        top = min(ms, key=lambda m: (STATE_ORDER.index(str(m.status)), m.since))
        ext = extension_of(iface, top.name) or ""
        f = agent_figs.get(ext) or agent_figs.get(iface)
        out[ext or iface] = {
            "interface": iface, "name": top.name, "extension": ext,
            "queues": sorted(m.queue for m in ms), "state": str(top.status),
            "since": _iso(top.since),
            "paused_reason": top.paused_reason if top.status is MemberStatus.PAUSED else "",
            "answered_today": f.answered if f else 0,
            "avg_talk_today": f.avg_talk if f else None,
        }  # fmt: skip
    for op, f in agent_figs.items():  # answered today, logged out now
        if op not in out and not any(a["interface"] == op for a in out.values()):
            out[op] = {
                "interface": "", "name": "", "extension": op, "queues": [],
                "state": "logged_out", "since": None, "paused_reason": "",
                "answered_today": f.answered, "avg_talk_today": f.avg_talk,
            }  # fmt: skip
    return sorted(out.values(), key=lambda a: a["extension"] or a["interface"])
