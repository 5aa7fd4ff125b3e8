"""The screen-pop: the call ringing now, its caller, and the candidates grouped by household."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from cti_server.protocol import Candidate, HouseholdGroup, ScreenPop

from .dates import parse_iso_datetime
from .observable import Observable


@dataclass(frozen=True)
class Row:
    """One line of the candidate list: a household header or a member."""

    household: HouseholdGroup
    candidate: Candidate | None  # None for the household header line
    number: int = 0  # 1-based pick number of a member (0 for headers)


class PopModel(Observable):
    """Holds the last ScreenPop, the flat list of candidates and the operator's selection."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self._clock = clock or time.monotonic
        self.pop: ScreenPop | None = None
        self.rows: list[Row] = []
        self.selected = 0  # index into candidates()
        self._received_at = 0.0
        self._wait_at_receipt = 0.0
        self.queue_names: dict[str, str] = {}  # queue -> display name (from the server's Hello)
        self.ledger_ok = True  # False while the server cannot reach the ledger database

    def set_ledger(self, ok: bool) -> None:
        """The server said the ledger is (un)reachable: the banner follows."""
        if ok != self.ledger_ok:
            self.ledger_ok = ok
            self.changed()

    def set_queue_names(self, names: dict[str, str]) -> None:
        self.queue_names = dict(names)
        self.changed()

    def queue_label(self) -> str:
        """The call's queue as people read it (its display name when the server has one)."""
        queue = self.pop.call.queue if self.pop is not None else ""
        return self.queue_names.get(queue, queue)

    # ------------------------------------------------------------------ updates
    def show(self, pop: ScreenPop, now: dt.datetime | None = None) -> bool:
        """Take a pop; True when it is a new call (the window should come forward)."""
        new_call = self.pop is None or self.pop.call.linkedid != pop.call.linkedid
        same_members = not new_call and self._ids(pop) == self._ids(self.pop)
        self.pop = pop
        self.rows = []
        n = 0
        for group in pop.households:
            self.rows.append(Row(group, None))
            for member in group.members:
                n += 1
                self.rows.append(Row(group, member, n))
        if not same_members:
            self.selected = 0
        self._received_at = self._clock()
        self._wait_at_receipt = self._initial_wait(pop, now)
        self.changed()
        return new_call and pop.call.state == "ringing"

    def clear(self) -> None:
        self.pop = None
        self.rows = []
        self.selected = 0
        self.changed()

    @staticmethod
    def _ids(pop: ScreenPop | None) -> list[int]:
        if pop is None:
            return []
        return [m.resident_id for g in pop.households for m in g.members]

    @staticmethod
    def _initial_wait(pop: ScreenPop, now: dt.datetime | None) -> float:
        entered = parse_iso_datetime(pop.call.entered_at)
        if entered is not None:
            now = now or dt.datetime.now(dt.UTC)
            return max(0.0, (now - entered).total_seconds())
        return pop.call.wait_seconds

    # ------------------------------------------------------------------ reading
    def candidates(self) -> list[Candidate]:
        return [r.candidate for r in self.rows if r.candidate is not None]

    def wait_seconds(self) -> float:
        """Wait so far: ticks while the call is queued or ringing, frozen once answered/ended."""
        if self.pop is None:
            return 0.0
        call = self.pop.call
        if call.state in ("answered", "ended"):
            start = parse_iso_datetime(call.entered_at)
            stop = parse_iso_datetime(call.answered_at or call.ended_at)
            if start and stop:
                return max(0.0, (stop - start).total_seconds())
            return self._wait_at_receipt
        return self._wait_at_receipt + (self._clock() - self._received_at)

    def current(self) -> Candidate | None:
        cands = self.candidates()
        if not cands:
            return None
        return cands[min(self.selected, len(cands) - 1)]

    # ------------------------------------------------------------------ selection
    def move(self, step: int) -> None:
        cands = self.candidates()
        if cands:
            self.selected = (self.selected + step) % len(cands)
            self.changed()

    def pick(self, number: int) -> Candidate | None:
        """Select the n-th candidate (1-based), as the operator types 1..9."""
        cands = self.candidates()
        if 1 <= number <= len(cands):
            self.selected = number - 1
            self.changed()
            return cands[number - 1]
        return None

    def select_resident(self, resident_id: int) -> None:
        for i, c in enumerate(self.candidates()):
            if c.resident_id == resident_id:
                self.selected = i
                self.changed()
                return
