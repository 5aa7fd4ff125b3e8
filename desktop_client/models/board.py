"""The supervisor board as the client sees it (Qt-free): the last ``BoardUpdate``, the
supervisor's colour thresholds, times that tick on between updates, and chart series.

The board is the typed ``cti_server.protocol.Board``. Elapsed times (longest wait, time in
state, each waiting caller's wait) are computed from the board's timestamps and the server clock
offset measured when the update arrived, so the view only needs a one-second repaint timer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from cti_server.protocol import (
    Board,
    BoardAgent,
    BoardFigures,
    BoardInterval,
    BoardQueue,
    BoardUpdate,
    PauseAgent,
    VenueCheckins,
    VenueFill,
    WaitingCall,
)
from desktop_client.models.dates import local_time
from desktop_client.models.observable import Observable

from ..i18n import QT_TRANSLATE_NOOP


@dataclass
class Thresholds:
    """Where figures turn amber (warn) and red (bad); kept in QSettings by the view."""

    waiting_warn: float = 3
    waiting_bad: float = 6
    wait_warn: float = 20  # longest wait, seconds
    wait_bad: float = 60
    sl_warn: float = 0.8  # service level below this is amber
    sl_bad: float = 0.6
    abandon_warn: float = 0.05  # abandoned / offered
    abandon_bad: float = 0.10

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thresholds:
        out = cls()
        for f in fields(cls):
            try:
                if f.name in data:
                    setattr(out, f.name, float(data[f.name]))
            except (TypeError, ValueError):
                pass
        return out


def _parse(iso: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(iso) if iso else None


def fmt_seconds(v: float | None) -> str:
    if v is None:
        return "—"
    s = max(0, int(v))
    h, m, r = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{r:02d}" if h else f"{m}:{r:02d}"


def fmt_ratio(v: float | None) -> str:
    return "—" if v is None else f"{round(v * 100)}%"


def service_level(
    formula: str, answered: int, abandoned: int, met_answered: int, met_abandoned: int
) -> float | None:
    """The service level of counts by the server's formula (see ``BoardSettings``)."""
    if formula == "answered_only":
        met, base = met_answered, answered
    elif formula == "abandons_met":
        met, base = met_answered + met_abandoned, answered + abandoned
    else:  # with_abandons
        met, base = met_answered, answered + abandoned
    return met / base if base else None


# the same words as the pop's caller line (views/labels.caller_text); translation sources
CALLER_TEXT = {
    "withheld": QT_TRANSLATE_NOOP("board", "非通知"),
    "payphone": QT_TRANSLATE_NOOP("board", "公衆電話"),
    "unavailable": QT_TRANSLATE_NOOP("board", "表示圏外"),
    "invalid": QT_TRANSLATE_NOOP("board", "番号不正"),
    "": QT_TRANSLATE_NOOP("board", "番号なし"),
}


def caller_text(caller: WaitingCall) -> str:
    """The number in national form, else what kind of no-number it is (Japanese, to translate
    with ``t``). A withheld caller is 非通知 whatever else is known."""
    if caller.caller_status == "number" and caller.number:
        return caller.number
    return CALLER_TEXT.get(caller.caller_status, CALLER_TEXT[""])


class BoardModel(Observable):
    def __init__(
        self,
        thresholds: Thresholds | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        super().__init__()
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self.board: Board | None = None
        self.skew = dt.timedelta(0)  # server clock - our clock
        self.error = ""  # id of the last refusal ("forbidden", "ami_unavailable", ...), "" if none
        self.error_message = ""
        self.pending: dict[str, bool] = {}  # interface -> paused, sent and not yet on the board
        self.queue_names: dict[str, str] = {}  # queue -> the name shown (the server's Hello)

    def queue_label(self, queue: str) -> str:
        """The queue's name as configured for people (``ワクチン予約``), else the PBX's."""
        return self.queue_names.get(queue) or queue

    # ---- in -------------------------------------------------------------------------------
    def on_update(self, msg: BoardUpdate) -> None:
        self.board = msg.board
        at = _parse(msg.board.at)
        if at is not None:
            self.skew = at - self.clock()
        shown = {a.interface: a.state == "paused" for a in self.agents}
        self.pending = {i: p for i, p in self.pending.items() if shown.get(i, p) != p}
        self.changed()

    def on_error(self, error: str, message: str) -> None:
        """A refusal from the server (ErrorMessage); a pause it concerned is no longer pending."""
        self.error, self.error_message = error, message
        self.pending.clear()
        self.changed()

    def clear_error(self) -> None:
        if self.error:
            self.error = self.error_message = ""
            self.changed()

    @property
    def last_error(self) -> str:
        return f"{self.error}: {self.error_message}" if self.error else ""

    def set_thresholds(self, t: Thresholds) -> None:
        self.thresholds = t
        self.changed()

    # ---- reading --------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self.clock() + self.skew

    @property
    def queues(self) -> tuple[BoardQueue, ...]:
        return self.board.queues if self.board else ()

    @property
    def agents(self) -> tuple[BoardAgent, ...]:
        return self.board.agents if self.board else ()

    @property
    def bookings(self) -> tuple[VenueFill, ...]:
        return self.board.bookings if self.board else ()

    @property
    def checkins(self) -> tuple[VenueCheckins, ...]:
        """Today's reception tally per venue (booked, checked in, not yet, no-show)."""
        return self.board.checkins if self.board else ()

    @property
    def callers(self) -> list[tuple[str, WaitingCall]]:
        """(queue, caller) for the callers waiting now in every queue, longest waiting first."""
        calls = [(q.name, c) for q in self.queues for c in q.callers]
        return sorted(calls, key=lambda qc: qc[1].queued_at)

    def definition(self, key: str, lang: str = "ja") -> str:
        d = self.board.definitions.get(key) if self.board else None
        if d is None:
            return ""
        return (d.ja if lang == "ja" else d.en) or d.en

    def longest_wait(self, queue: BoardQueue) -> float:
        oldest = _parse(queue.oldest_queued_at)
        return max(0.0, (self.now() - oldest).total_seconds()) if oldest else 0.0

    def waited(self, caller: WaitingCall) -> float:
        at = _parse(caller.queued_at)
        return max(0.0, (self.now() - at).total_seconds()) if at else 0.0

    def in_state(self, agent: BoardAgent) -> float | None:
        since = _parse(agent.since)
        return max(0.0, (self.now() - since).total_seconds()) if since else None

    def level(self, key: str, value: float | None) -> str:
        """ "" / "ok" / "warn" / "bad" for a figure, by the supervisor's thresholds."""
        t = self.thresholds
        if value is None:
            return ""
        if key == "service_level":
            return "bad" if value < t.sl_bad else "warn" if value < t.sl_warn else "ok"
        limits = {"waiting": (t.waiting_warn, t.waiting_bad),
                  "longest_wait": (t.wait_warn, t.wait_bad),
                  "abandon_rate": (t.abandon_warn, t.abandon_bad)}.get(key)  # fmt: skip
        if limits is None:
            return ""
        return "bad" if value >= limits[1] else "warn" if value >= limits[0] else "ok"

    @staticmethod
    def abandon_rate(today: BoardFigures) -> float | None:
        return today.abandoned / today.offered if today.offered else None

    # ---- chart series (one point per interval, midnight .. now) ---------------------------
    def series(self, queue: BoardQueue) -> dict[str, list[tuple[str, float | None]]]:
        """Per interval: peak waiting, answered, abandoned (short ones too) and the service
        level so far, by the formula the board uses."""
        out: dict[str, list[tuple[str, float | None]]] = {
            "peak_waiting": [], "answered": [], "abandoned": [], "service_level": [],
        }  # fmt: skip
        formula = self.board.settings.service_level_formula if self.board else ""
        answered = abandoned = met_answered = met_abandoned = 0
        for iv in queue.intervals:
            f = iv.figures
            label = interval_label(iv)
            out["peak_waiting"].append((label, float(iv.peak_waiting)))
            out["answered"].append((label, float(f.answered)))
            out["abandoned"].append((label, float(f.abandoned + f.short_abandoned)))
            answered += f.answered
            abandoned += f.abandoned
            met_answered += f.answered_within_sl
            met_abandoned += f.abandoned_within_sl
            sl = service_level(formula, answered, abandoned, met_answered, met_abandoned)
            out["service_level"].append((label, sl))
        return out

    # ---- out ------------------------------------------------------------------------------
    @staticmethod
    def pause_request(agent: BoardAgent, paused: bool, reason: str = "") -> PauseAgent:
        """QueuePause for every queue of the agent; the reason on one line, at most 64 chars."""
        one_line = " ".join(reason.split())[:64] if paused else ""
        return PauseAgent(interface=agent.interface, paused=paused, reason=one_line)

    def sent(self, msg: PauseAgent) -> None:
        """A pause / unpause went out: pending until the board shows it or the server refuses."""
        self.error = self.error_message = ""
        self.pending[msg.interface] = msg.paused
        self.changed()


def interval_label(iv: BoardInterval) -> str:
    """An interval's start as Tokyo time ``HH:MM`` (UTC on the wire)."""
    start = local_time(iv.start)
    return f"{start:%H:%M}" if start is not None else iv.start[11:16]
