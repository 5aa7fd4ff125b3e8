"""The はがき確認 section's state: the open review items, the selected one and the reviewer's
corrections. Qt-free; the answer keys and values are the registry's (``registry.paper.rules``
``check_answers``): wants_vaccination yes/no, mobility none/pickup/wheelchair/companion,
time_of_day am/pm/any, each or None."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cti_server.protocol import ReviewAcceptance, ReviewItem, ScansRead

from .observable import Observable, RequestStatus

QUESTIONS: dict[str, tuple[str, ...]] = {
    "wants_vaccination": ("yes", "no"),
    "mobility": ("none", "pickup", "wheelchair", "companion"),
    "time_of_day": ("am", "pm", "any"),
}


def _clean(answers: dict[str, Any]) -> dict[str, str | None]:
    """The item's answers limited to known questions and values (anything else: None)."""
    out: dict[str, str | None] = {}
    for key, values in QUESTIONS.items():
        value = answers.get(key)
        out[key] = value if isinstance(value, str) and value in values else None
    return out


@dataclass
class ReviewQueueModel(RequestStatus):
    items: list[ReviewItem] = field(default_factory=list)
    current: int = -1  # index into items, -1: none
    answers: dict[str, str | None] = field(default_factory=dict)
    barcode: str = ""
    status: str = ""  # "", busy, done, refused, failed
    error: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Observable.__init__(self)

    @property
    def item(self) -> ReviewItem | None:
        return self.items[self.current] if 0 <= self.current < len(self.items) else None

    @property
    def needs_barcode(self) -> bool:
        return self.item is not None and not self.item.barcode

    def set_items(self, items: list[ReviewItem]) -> None:
        """A fresh list: keep the selected item when it is still open, else the same row."""
        kept = self.item.review_id if self.item is not None else None
        self.items = list(items)
        ids = [i.review_id for i in self.items]
        row = ids.index(kept) if kept in ids else min(max(self.current, 0), len(ids) - 1)
        self.select(row, force=True)

    def select(self, row: int, *, force: bool = False) -> None:
        row = max(-1, min(row, len(self.items) - 1))
        if row == self.current and not force:
            return
        self.current = row
        item = self.item
        self.answers = _clean(item.answers if item is not None else {})
        self.barcode = item.barcode or "" if item is not None else ""
        self.changed()

    def move(self, step: int) -> None:
        if self.items:
            self.select(max(0, min(self.current + step, len(self.items) - 1)))

    def set_answer(self, question: str, value: str | None) -> None:
        if question not in QUESTIONS or (value is not None and value not in QUESTIONS[question]):
            raise ValueError(f"{question}: {value!r}")
        self.answers[question] = value
        self.changed()

    def set_barcode(self, text: str) -> None:
        self.barcode = text.strip()

    def acceptance(self) -> ReviewAcceptance:
        """The body of the accept request for the selected item (its corrections)."""
        barcode = self.barcode if self.needs_barcode and self.barcode else None
        return ReviewAcceptance(answers=dict(self.answers), barcode=barcode)


@dataclass(frozen=True)
class UploadSummary:
    """What became of an upload's pages: applied, sent to review (with how often each reason
    came up), read before (nothing changed), rejected."""

    files: int
    pages: int
    applied: int
    review: int
    duplicates: int
    rejected: int
    reasons: tuple[tuple[str, int], ...]  # reason code, pages; most frequent first


def summarize(files: int, read: ScansRead) -> UploadSummary:
    reasons: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for page in read.results:
        key = page.status if page.new else "duplicate"
        counts[key] += 1
        if page.new and page.status == "review":
            reasons.update(page.reasons)
    return UploadSummary(
        files=files,
        pages=read.pages,
        applied=counts["applied"],
        review=counts["review"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        reasons=tuple(reasons.most_common()),
    )


@dataclass
class ScanUploadModel(Observable):
    """The scan upload of the はがき確認 section: idle, busy (files sent, the server reading),
    done (``summary``), refused (the server's or the file's error) or failed (no server)."""

    status: str = ""
    files: int = 0
    summary: UploadSummary | None = None
    error: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Observable.__init__(self)

    def begin(self, files: int) -> None:
        self.status, self.files, self.summary = "busy", files, None
        self.error, self.message, self.details = "", "", {}
        self.changed()

    def finish(
        self,
        read: ScansRead | None,
        error: str = "",
        message: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        if read is not None:
            self.status, self.summary = "done", summarize(self.files, read)
        else:
            self.status = "failed" if error == "network" else "refused"
            self.error, self.message, self.details = error, message, dict(details or {})
        self.changed()
