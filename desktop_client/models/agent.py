"""The operator's own state as the console shows it (Qt-free): the last ``AgentStatus``, the
time in it, what is left of a timed after-call work, and the notice when someone else (a
supervisor, the PBX) paused or unpaused them. ``request`` is what the buttons ask for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cti_server.protocol import AgentStatus, SetAgentState

from .dates import parse_iso_datetime
from .observable import Observable

OTHERS = ("supervisor", "pbx")  # a change the operator did not make: they are told
REFUSALS = ("not_in_queue", "ami_unavailable", "pause_failed", "bad_message", "network")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AgentStateModel(Observable):
    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        super().__init__()
        self._clock = clock or utc_now
        self.extension = ""
        self.status: AgentStatus | None = None
        self.notice: AgentStatus | None = None  # the last change made by someone else
        self.pending = False  # a request is on its way
        self.error = ""
        self.message = ""

    @property
    def state(self) -> str:
        return self.status.state if self.status is not None else ""

    def set_extension(self, extension: str | None) -> None:
        self.extension = extension or ""
        self.changed()

    def update(self, status: AgentStatus) -> None:
        prev = self.status
        self.status, self.pending, self.error = status, False, ""
        moved = prev is None or (prev.state, prev.reason) != (status.state, status.reason)
        if moved and status.by in OTHERS and prev is not None:
            self.notice = status
        elif moved:
            self.notice = None
        self.changed()

    def refused(self, error: str, message: str) -> bool:
        """A refusal of our request (ErrorMessage); False when it was not about us."""
        if not self.pending or error not in REFUSALS:
            return False
        self.pending, self.error, self.message = False, error, message
        self.changed()
        return True

    def request(self, state: str, reason: str = "") -> SetAgentState:
        self.pending, self.error = True, ""
        self.changed()
        return SetAgentState(state=state, reason=reason)

    def elapsed(self) -> float:
        """Seconds in the current state."""
        since = parse_iso_datetime(self.status.since) if self.status else None
        return max(0.0, (self._clock() - since).total_seconds()) if since else 0.0

    def remaining(self) -> float | None:
        """Seconds left of a timed after-call work (None when it waits for 完了)."""
        until = parse_iso_datetime(self.status.until) if self.status else None
        return max(0.0, (until - self._clock()).total_seconds()) if until else None
