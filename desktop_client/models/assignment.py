"""The 割り当て section's state (supervisors and admins): the rules of an assignment, the report
of the last dry run, and whether it was committed. Qt-free.

A commit always sends the digest of the dry run on screen (``expect``): if the ledger changed
since, the server refuses (409 ``plan_changed``) and the supervisor looks at a fresh dry run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cti_server.protocol import AssignmentReport, AssignmentRequest

from .observable import Observable

PREFER = ("nearest", "earliest")


@dataclass
class AssignmentModel(Observable):
    prefer: str = "nearest"
    second_dose_days: int | None = None
    bands: str = ""  # empty: the server's default (85-,75-84,65-74,0-64)
    move_assigned: bool = False  # place again those an assignment booked (asked for only)
    report: AssignmentReport | None = None
    status: str = ""  # "", busy, planned, committed, refused, failed
    error: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    # the notices PDF (指定通知): "", busy, saved, refused, failed; where and how big once saved
    notices: str = ""
    notices_path: str = ""
    notices_bytes: int = 0
    notices_error: str = ""
    notices_message: str = ""

    def __post_init__(self) -> None:
        Observable.__init__(self)

    def set_rules(
        self,
        *,
        prefer: str,
        second_dose_days: int | None,
        bands: str,
        move_assigned: bool = False,
    ) -> None:
        """New rules make the report on screen stale: it can no longer be committed."""
        if prefer not in PREFER:
            raise ValueError(f"prefer: {prefer!r}")
        rules = (prefer, second_dose_days or None, bands.strip(), move_assigned)
        if rules != (self.prefer, self.second_dose_days, self.bands, self.move_assigned):
            self.prefer, self.second_dose_days, self.bands, self.move_assigned = rules
            if self.status == "planned":
                self.status = ""
            self.changed()

    def request(self, *, commit: bool) -> AssignmentRequest:
        expect = self.report.digest if commit and self.report is not None else None
        return AssignmentRequest(bands=self.bands, prefer=self.prefer,
                                 second_dose_days=self.second_dose_days, expect=expect,
                                 move_assigned=self.move_assigned)  # fmt: skip

    def can_commit(self) -> bool:
        r = self.report
        return self.status == "planned" and r is not None and not r.committed and r.assigned > 0

    def begin(self) -> None:
        self.status, self.error, self.message, self.details = "busy", "", "", {}
        self.changed()

    def finish(
        self,
        report: AssignmentReport | None,
        error: str = "",
        message: str = "",
        details: dict[str, Any] | None = None,
        *,
        network: bool = False,
    ) -> None:
        if report is not None:
            self.report = report
            self.status = "committed" if report.committed else "planned"
            self.error, self.message, self.details = "", "", {}
        else:
            self.status = "failed" if network else "refused"
            self.error, self.message, self.details = error, message, dict(details or {})
        self.changed()

    def notices_begin(self) -> None:
        self.notices, self.notices_error, self.notices_message = "busy", "", ""
        self.changed()

    def notices_saved(self, path: str, size: int) -> None:
        self.notices, self.notices_path, self.notices_bytes = "saved", path, size
        self.changed()

    def notices_failed(self, error: str, message: str = "", *, network: bool = False) -> None:
        self.notices = "failed" if network else "refused"
        self.notices_error, self.notices_message = error, message
        self.changed()
