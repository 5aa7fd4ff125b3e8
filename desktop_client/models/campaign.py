"""The campaign settings editor (admins): the wrap-up codes, the mobility-support options, the
worklist's retry policy and the intent's questions as loaded from the server, edited here, and
saved with the version they were loaded at (Qt-free). The history of one key lists its saved
versions (who, when); an older one loaded into the editor is saved again as a new version.

A save the server refuses because someone else saved first (409) reloads what is stored now and
says so (``notice`` ``stale``); a value it refuses (400) keeps the edits and names the field.
"""

from __future__ import annotations

from typing import Any

from cti_server.protocol import ConfigEntry

from .observable import RequestStatus

DISPOSITIONS = "dispositions"
RETRY_POLICY = "retry_policy"
MOBILITY_OPTIONS = "mobility_options"
INTENT_QUESTIONS = "intent_questions"
KEYS = (DISPOSITIONS, MOBILITY_OPTIONS, RETRY_POLICY, INTENT_QUESTIONS)
CODED = (DISPOSITIONS, MOBILITY_OPTIONS)  # the keys edited as a table of [code, ja, en]


class CampaignConfigModel(RequestStatus):
    def __init__(self) -> None:
        super().__init__()
        self.status, self.error, self.message, self.details = "", "", "", {}
        self.versions: dict[str, int] = {}
        self.lists: dict[str, list[list[str]]] = {k: [] for k in CODED}  # [code, ja, en] rows
        self.list_key = DISPOSITIONS  # the coded list the table edits
        self.retry: dict[str, Any] = {}
        self.asks_mobility = True  # intent_questions.needs_mobility
        self.notice = ""  # "saved", "stale" (someone else saved; reloaded), "loaded" or ""
        self.loaded = False
        self.history_key = DISPOSITIONS
        self.history: tuple[ConfigEntry, ...] = ()  # the saved versions, newest first
        self.loaded_version = 0  # the older version last loaded into the editor (notice loaded)

    @property
    def codes(self) -> list[list[str]]:
        """The rows of the coded list being edited."""
        return self.lists[self.list_key]

    def load(self, entries: tuple[ConfigEntry, ...], notice: str = "") -> None:
        for e in entries:
            self.versions[e.key] = e.version
            self._take(e)
        self.loaded = True
        self.notice = notice
        self.changed()

    def _take(self, e: ConfigEntry) -> None:
        if e.key in CODED:
            self.lists[e.key] = [[str(d["code"]), str(d["ja"]), str(d["en"])] for d in e.value]
        elif e.key == RETRY_POLICY:
            self.retry = dict(e.value)
        elif e.key == INTENT_QUESTIONS:
            self.asks_mobility = bool(e.value.get("needs_mobility", True))

    def choose_list(self, key: str) -> None:
        if key in CODED and key != self.list_key:
            self.list_key = key
            self.changed()

    # ---- history
    def show_history(self, key: str, versions: tuple[ConfigEntry, ...]) -> None:
        self.history_key, self.history = key, versions
        self.changed()

    def load_version(self, version: int) -> bool:
        """Put an older version of the history's key into the editor; saving it makes it the
        newest version (it is saved over the version loaded from the server, as any edit)."""
        for e in self.history:
            if e.version == version:
                self._take(e)
                if e.key in CODED:
                    self.list_key = e.key
                self.loaded_version, self.notice = version, "loaded"
                self.changed()
                return True
        return False

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

    def set_asks_mobility(self, on: bool) -> None:
        self.asks_mobility = on

    # ---- what a save sends
    def codes_value(self, key: str | None = None) -> list[dict[str, str]]:
        rows = self.lists[key or self.list_key]
        return [{"code": c, "ja": ja, "en": en} for c, ja, en in rows]

    def value_of(self, key: str) -> Any:
        if key in CODED:
            return self.codes_value(key)
        if key == INTENT_QUESTIONS:
            return {"needs_mobility": self.asks_mobility}
        return dict(self.retry)

    def saved(self, entry: ConfigEntry) -> None:
        self.versions[entry.key] = entry.version
        self.notice = "saved"
        self.finish(True)
