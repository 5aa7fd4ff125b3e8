"""The supervisor board as the client sees it (Qt-free): the last ``BoardUpdate``, the
supervisor's colour thresholds, times that tick on between updates, and chart series.

The server's board schema is documented in ``cti_server/web/board_build.py``. Elapsed times
(longest wait, time in state) are computed from the board's timestamps and the server clock
offset measured when the update arrived, so the view only needs a one-second repaint timer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from cti_server.protocol import BoardUpdate, PauseAgent
from desktop_client.models.observable import Observable


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


class BoardModel(Observable):
    def __init__(
        self,
        thresholds: Thresholds | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        super().__init__()
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self.board: dict[str, Any] = {}
        self.skew = dt.timedelta(0)  # server clock - our clock
        self.error = ""  # id of the last refusal ("forbidden", "ami_unavailable", ...), "" if none
        self.error_message = ""
        self.pending: dict[str, bool] = {}  # interface -> paused, sent and not yet on the board

    # ---- in -------------------------------------------------------------------------------
    def on_update(self, msg: BoardUpdate) -> None:
        self.board = msg.board
        at = _parse(msg.board.get("at"))
        if at is not None:
            self.skew = at - self.clock()
        shown = {a.get("interface"): a.get("state") == "paused" for a in self.agents}
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
    def queues(self) -> list[dict[str, Any]]:
        return list(self.board.get("queues", []))

    @property
    def agents(self) -> list[dict[str, Any]]:
        return list(self.board.get("agents", []))

    @property
    def bookings(self) -> list[dict[str, Any]]:
        return list(self.board.get("bookings", []))

    def definition(self, key: str, lang: str = "ja") -> str:
        d = self.board.get("definitions", {}).get(key, {})
        return str(d.get(lang) or d.get("en") or "")

    def longest_wait(self, queue: dict[str, Any]) -> float:
        oldest = _parse(queue.get("oldest_queued_at"))
        return max(0.0, (self.now() - oldest).total_seconds()) if oldest else 0.0

    def in_state(self, agent: dict[str, Any]) -> float | None:
        since = _parse(agent.get("since"))
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
    def abandon_rate(today: dict[str, Any]) -> float | None:
        offered = today.get("offered") or 0
        return (today.get("abandoned") or 0) / offered if offered else None

    # ---- chart series (one point per interval, midnight .. now) ---------------------------
    def series(self, queue: dict[str, Any]) -> dict[str, list[tuple[str, float | None]]]:
        out: dict[str, list[tuple[str, float | None]]] = {
            "peak_waiting": [], "answered": [], "abandoned": [], "service_level": [],
        }  # fmt: skip
        answered = within = 0
        for iv in queue.get("intervals", []):
            label = str(iv["start"])[11:16]
            out["peak_waiting"].append((label, float(iv["peak_waiting"])))
            out["answered"].append((label, float(iv["answered"])))
            out["abandoned"].append((label, float(iv["abandoned"] + iv["short_abandoned"])))
            answered += iv["answered"]
            within += iv["answered_within_sl"]
            out["service_level"].append((label, within / answered if answered else None))
        return out

    # ---- out ------------------------------------------------------------------------------
    @staticmethod
    def pause_request(agent: dict[str, Any], paused: bool, reason: str = "") -> PauseAgent:
        """QueuePause for every queue of the agent; the reason on one line, at most 64 chars."""
        one_line = " ".join(reason.split())[:64] if paused else ""
        return PauseAgent(interface=str(agent["interface"]), paused=paused, reason=one_line)

    def sent(self, msg: PauseAgent) -> None:
        """A pause / unpause went out: pending until the board shows it or the server refuses."""
        self.error = self.error_message = ""
        self.pending[msg.interface] = msg.paused
        self.changed()
