"""The campaign settings editor (admins): the wrap-up codes and the worklist's retry policy as
loaded from the server, edited here, and saved with the version they were loaded at (Qt-free).

A save the server refuses because someone else saved first (409) reloads what is stored now and
says so (``notice`` ``stale``); a value it refuses (400) keeps the edits and names the field.
"""

from __future__ import annotations

from typing import Any

from cti_server.protocol import ConfigEntry

from .observable import RequestStatus

DISPOSITIONS = "dispositions"
RETRY_POLICY = "retry_policy"


class CampaignConfigModel(RequestStatus):
    def __init__(self) -> None:
        super().__init__()
        self.status, self.error, self.message, self.details = "", "", "", {}
        self.versions: dict[str, int] = {}
        self.codes: list[list[str]] = []  # [code, ja, en] rows being edited
        self.retry: dict[str, Any] = {}
        self.notice = ""  # "saved", "stale" (someone else saved; reloaded) or ""
        self.loaded = False

    def load(self, entries: tuple[ConfigEntry, ...], notice: str = "") -> None:
        for e in entries:
            self.versions[e.key] = e.version
            if e.key == DISPOSITIONS:
                self.codes = [[str(d["code"]), str(d["ja"]), str(d["en"])] for d in e.value]
            elif e.key == RETRY_POLICY:
                self.retry = dict(e.value)
        self.loaded = True
        self.notice = notice
        self.changed()

    # ---- edits
    def add_code(self) -> int:
        self.codes.append(["", "", ""])
        self.changed()
        return len(self.codes) - 1

    def remove_code(self, row: int) -> None:
        if 0 <= row < len(self.codes):
            del self.codes[row]
            self.changed()

    def set_cell(self, row: int, column: int, text: str) -> None:
        """A cell typed in the table (no notification: the table already shows it)."""
        if 0 <= row < len(self.codes) and 0 <= column < 3:
            self.codes[row][column] = text.strip()

    def set_retry(self, name: str, value: Any) -> None:
        self.retry[name] = value

    # ---- what a save sends
    def codes_value(self) -> list[dict[str, str]]:
        return [{"code": c, "ja": ja, "en": en} for c, ja, en in self.codes]

    def value_of(self, key: str) -> Any:
        return self.codes_value() if key == DISPOSITIONS else dict(self.retry)

    def saved(self, entry: ConfigEntry) -> None:
        self.versions[entry.key] = entry.version
        self.notice = "saved"
        self.finish(True)
