"""The supervisor board as the typed wire payload (``protocol.Board``). Pure: no I/O, no clock.

``build_board`` reads the live ``Tracker`` (queues, members, callers waiting) and the day's
``TodayRecords`` (figures, intervals, per-agent counts), at the ``now`` it is given. Two lookups
are handed in: ``extension_of`` (member interface or name -> operator extension), and
``operator_name`` (extension -> the display name of the operator account logged in there, or
None: the agent row then shows the PBX member name). ``caller_of`` turns a waiting caller into
(status, display number); the default shows the raw number, the server passes one that gives
the national form. A withheld caller is ("withheld", "") whatever the PBX sent.

``longest_wait`` is at ``at``; clients tick it on from ``oldest_queued_at`` (and an agent's time
in state from ``since``) between updates, so the board stays right to the second unpolled.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable

from cti_server.domain.agents import Member, MemberStatus
from cti_server.domain.board.assignment import DEFINITIONS as ASSIGNMENT_DEFINITIONS
from cti_server.domain.board.checkins import DEFINITIONS as CHECKIN_DEFINITIONS
from cti_server.domain.board.today import TodayRecords
from cti_server.domain.calls import Caller
from cti_server.domain.figures import AgentFigures, FigureSettings
from cti_server.domain.queues import QueueView
from cti_server.domain.tracker import Tracker
from cti_server.protocol import (
    AssignmentFigures,
    Board,
    BoardAgent,
    BoardQueue,
    BoardSettings,
    Definition,
    IntentsByChannel,
    VenueCheckins,
    VenueFill,
    WaitingCall,
    WorklistSummary,
)

# Which member state an agent in several queues shows: the most telling one.
STATE_ORDER = ("in_call", "ringing", "busy", "paused", "available", "unavailable", "logged_out")

SL_TEXT = {  # formula -> (en, ja, short en, short ja); {t}: seconds, {short}: short abandon
    "with_abandons": (
        "answered within {t} s of entering / (answered + abandoned); abandons under {short} s "
        "left out", "{t}秒以内に応答した呼 ÷（応答呼＋放棄呼）。{short}秒未満の短時間放棄は除く",
        "answered ≤{t} s / (answered + abandoned)", "{t}秒以内の応答 ÷（応答＋放棄）",
    ),
    "answered_only": (
        "answered within {t} s of entering / answered (abandons left out)",
        "{t}秒以内に応答した呼 ÷ 応答呼（放棄呼は含めない）",
        "answered ≤{t} s / answered", "{t}秒以内の応答 ÷ 応答",
    ),
    "abandons_met": (
        "(answered + abandoned within {t} s) / (answered + abandoned); abandons under {short} s "
        "left out", "（{t}秒以内の応答＋{t}秒以内の放棄）÷（応答呼＋放棄呼）。{short}秒未満は除く",
        "(answered + abandoned) ≤{t} s / (answered + abandoned)",
        "{t}秒以内の応答・放棄 ÷（応答＋放棄）",
    ),
}  # fmt: skip


@functools.cache
def definitions(s: FigureSettings) -> dict[str, Definition]:
    t, short, iv = (
        f"{s.service_level_seconds:g}",
        f"{s.short_abandon_seconds:g}",
        s.interval_minutes,
    )
    sl_en, sl_ja, sl_short_en, sl_short_ja = (
        x.format(t=t, short=short) for x in SL_TEXT[s.service_level_formula]
    )
    en_ja = {
        "waiting": ("callers in the queue now, not yet answered", "いまキューで応答を待っている呼"),
        "longest_wait": ("how long the caller waiting longest has waited so far",
                         "いま最も長く待っている呼の待ち時間"),
        "callers": ("callers waiting now, next to be answered first: position, number "
                    "(withheld numbers are never shown), wait",
                    "いま待っている呼（応答順）：順番・番号（非通知の番号は表示しない）・待ち時間"),
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
        "service_level": (sl_en, sl_ja),
        "service_level_short": (sl_short_en, sl_short_ja),
        "avg_wait": ("average wait from entering the queue to the answer, answered calls",
                     "応答呼の、キュー投入から応答までの平均待ち時間"),
        "p90_wait": ("90th percentile (nearest rank) of that wait",
                     "同じ待ち時間の90パーセンタイル（最近順位法）"),
        "avg_talk": ("average talk time of answered calls that ended",
                     "終了した応答呼の平均通話時間"),
        "peak_waiting": (f"most calls waiting at once in each {iv}-minute interval",
                         f"{iv}分ごとの同時待ち呼数の最大"),
        "answered_today": ("calls this agent answered today", "本日このオペレーターが応答した呼"),
        "operator": ("the operator logged in on the extension (else the PBX member name)",
                     "その内線にログインしているオペレーター（いなければPBXのメンバー名）"),
        "bookings": ("booked / capacity of a venue's slots on that day",
                     "会場・日ごとの予約数 ÷ 定員"),
        "mobility_open": ("mobility-support requests not yet arranged (status open)",
                          "未手配（受付中）の移動支援依頼"),
        "intents": ("residents by the channel of their latest intent answer: returned postcard "
                    "(scanned or AI-OCR), web, phone (recorded in a call); none yet: no answer",
                    "住民を最新の意向回答の経路で数えたもの：はがき（返送・読取）、ウェブ、"
                    "電話（通話中に記録）、未回答：回答の記録なし"),
        "worklist": ("callbacks waiting on the worklist (due now); age of the oldest",
                     "折り返しリストの待ち件数（いま発信できる件数）と最古の経過時間"),
        "day": (f"00:00-24:00 {s.tz}; intervals of {iv} min by entry time",
                f"{s.tz}の0時〜24時、{iv}分単位（投入時刻）"),
    }  # fmt: skip
    en_ja.update(CHECKIN_DEFINITIONS)
    en_ja.update(ASSIGNMENT_DEFINITIONS)
    return {k: Definition(en, ja) for k, (en, ja) in en_ja.items()}


def iso(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).isoformat() if at is not None else None


def raw_caller(caller: Caller) -> tuple[str, str]:
    """(status, number) without a number plan: the number as the PBX gave it."""
    if caller.withheld:
        return "withheld", ""
    return ("number", caller.number) if caller.number else ("unavailable", "")


def no_operator(extension: str) -> str | None:
    return None


def build_board(
    tracker: Tracker,
    today: TodayRecords,
    now: dt.datetime,
    extension_of: Callable[[str, str], str | None],
    *,
    operator_name: Callable[[str], str | None] = no_operator,
    caller_of: Callable[[Caller], tuple[str, str]] = raw_caller,
    link_down_since: dt.datetime | None = None,
    bookings: Iterable[VenueFill] = (),
    mobility_open: int = 0,
    intents: IntentsByChannel | None = None,
    checkins: Iterable[VenueCheckins] = (),
    worklist: WorklistSummary | None = None,
    assignment: AssignmentFigures | None = None,
) -> Board:
    s = today.settings
    queues = tuple(
        _queue(tracker, today, tracker.queue_view(name), now, caller_of)
        for name in sorted(set(tracker.queue_names) | set(today.queues))
    )
    agents = _agents(tracker.members.values(), today.agent_figures(), extension_of, operator_name)
    return Board(
        at=iso(now) or "", day=today.day.isoformat(), tz=s.tz,
        pbx_connected=bool(tracker.connected), link_down_since=iso(link_down_since),
        settings=BoardSettings(
            s.service_level_seconds, s.short_abandon_seconds, s.interval_minutes,
            s.service_level_formula,
        ),
        definitions=definitions(s),  # cached: the same object every time
        queues=queues, agents=agents, bookings=tuple(bookings), mobility_open=mobility_open,
        intents=intents,
        checkins=tuple(checkins),
        worklist=worklist,
        assignment=assignment,
    )  # fmt: skip


def _queue(
    tracker: Tracker,
    today: TodayRecords,
    v: QueueView,
    now: dt.datetime,
    caller_of: Callable[[Caller], tuple[str, str]],
) -> BoardQueue:
    callers = []
    for position, w in enumerate(v.waiting, 1):
        call = tracker.calls.get(w.linkedid)
        status, number = caller_of(call.caller) if call is not None else ("unavailable", "")
        if status != "number":
            number = ""
        callers.append(WaitingCall(position, iso(w.queued_at) or "", status, number))
    oldest = v.waiting[0].queued_at if v.waiting else None
    return BoardQueue(
        name=v.name, waiting=v.calls_waiting, oldest_queued_at=iso(oldest),
        longest_wait=round(v.longest_wait(now), 1), logged_in=v.logged_in,
        available=v.available, ringing=v.ringing, in_call=v.in_call, busy=v.busy,
        paused=v.paused, unavailable=v.unavailable, today=today.queue_today(v.name),
        intervals=today.interval_rows(v.name, now), callers=tuple(callers),
    )  # fmt: skip


def _agents(
    members: Iterable[Member],
    agent_figs: dict[str, AgentFigures],
    extension_of: Callable[[str, str], str | None],
    operator_name: Callable[[str], str | None],
) -> tuple[BoardAgent, ...]:
    by_iface: dict[str, list[Member]] = {}
    for m in members:
        by_iface.setdefault(m.interface, []).append(m)
    out: dict[str, BoardAgent] = {}
    for iface, ms in by_iface.items():
        top = min(ms, key=lambda m: (STATE_ORDER.index(str(m.status)), m.since))
        ext = extension_of(iface, top.name) or ""
        f = agent_figs.get(ext) or agent_figs.get(iface)
        account = operator_name(ext) if ext else None
        out[ext or iface] = BoardAgent(
            interface=iface, name=account or top.name, extension=ext,
            queues=tuple(sorted(m.queue for m in ms)), state=str(top.status), since=iso(top.since),
            paused_reason=top.paused_reason if top.status is MemberStatus.PAUSED else "",
            answered_today=f.answered if f else 0, avg_talk_today=f.avg_talk if f else None,
            member_name=top.name, logged_in=account is not None,
        )  # fmt: skip
    for op, f in agent_figs.items():  # answered today, logged out now
        if op not in out and not any(a.interface == op for a in out.values()):
            account = operator_name(op)
            out[op] = BoardAgent(
                interface="", name=account or "", extension=op, queues=(), state="logged_out",
                since=None, answered_today=f.answered, avg_talk_today=f.avg_talk,
                logged_in=account is not None,
            )  # fmt: skip
    return tuple(sorted(out.values(), key=lambda a: a.extension or a.interface))
