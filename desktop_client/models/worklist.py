"""The 折り返し section's state: the waiting callbacks in calling order, the one this operator
holds, and the outcome being recorded. Qt-free; the controller fills it from the REST API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cti_server.protocol import WorkItem, WorklistSummary, WorkOutcomeRequest

from .dates import TOKYO, parse_iso_datetime
from .observable import Observable, RequestStatus

OUTCOMES = ("reached", "no_answer", "wrong_number", "call_later")


@dataclass
class WorklistModel(RequestStatus):
    items: list[WorkItem] = field(default_factory=list)
    summary: WorklistSummary | None = None
    current: int = -1  # index into items, -1: none
    held: WorkItem | None = None  # the item this operator took
    linkedid: str = ""  # the call placed for the held item (click-to-dial)
    dialled: str = ""  # the number the PBX dials
    status: str = ""  # "", busy, done, refused, failed, empty (nothing due)
    error: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Observable.__init__(self)

    @property
    def item(self) -> WorkItem | None:
        return self.items[self.current] if 0 <= self.current < len(self.items) else None

    def set_page(self, items: list[WorkItem], summary: WorklistSummary) -> None:
        kept = self.item.item_id if self.item is not None else None
        self.items, self.summary = list(items), summary
        ids = [i.item_id for i in self.items]
        self.current = ids.index(kept) if kept in ids else min(max(self.current, 0), len(ids) - 1)
        self.changed()

    def select(self, row: int) -> None:
        row = max(-1, min(row, len(self.items) - 1))
        if row != self.current:
            self.current = row
            self.changed()

    def take(self, item: WorkItem | None) -> None:
        """The item the server gave this operator (None: nothing is due)."""
        self.held, self.linkedid, self.dialled = item, "", ""
        self.status = "done" if item is not None else "empty"
        self.error = self.message = ""
        self.changed()

    def dialling(self, linkedid: str, number: str) -> None:
        self.linkedid, self.dialled = linkedid, number
        self.status = "done"
        self.changed()

    def outcome_request(
        self, outcome: str, *, later: dt.datetime | None = None, note: str = ""
    ) -> WorkOutcomeRequest:
        """The body recording ``outcome`` for the held item (``later``: local time to call)."""
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        when = None
        if outcome == "call_later":
            if later is None:
                raise ValueError("call_later needs a time")
            aware = later if later.tzinfo else later.replace(tzinfo=TOKYO)
            when = aware.astimezone(dt.UTC).isoformat()
        return WorkOutcomeRequest(outcome, when, self.linkedid or None, note.strip())

    def age_minutes(self, now: dt.datetime) -> int | None:
        """How long the oldest waiting item has waited (the supervisors' figure)."""
        oldest = parse_iso_datetime(self.summary.oldest_created_at) if self.summary else None
        return None if oldest is None else max(0, int((now - oldest).total_seconds() // 60))

    def closed(self, item: WorkItem) -> None:
        """The held item after its outcome or release: no longer this operator's."""
        if self.held is not None and self.held.item_id == item.item_id:
            self.held, self.linkedid, self.dialled = None, "", ""
        self.finish(True)
