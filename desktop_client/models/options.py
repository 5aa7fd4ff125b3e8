"""The campaign settings the forms follow (Qt-free): the mobility-support options offered and
whether the intent form asks about mobility support. Loaded from GET /api/config at each
connection and again when the server says a key changed (``ConfigChanged``); the forms and cards
that show them subscribe here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cti_server.protocol import ConfigEntry

from .observable import Observable


@dataclass(frozen=True)
class Choice:
    """A coded choice of a campaign setting (a wrap-up code, a mobility option)."""

    code: str
    ja: str = ""  # the server's labels; empty for the built-in codes (the view words them)
    en: str = ""


MOBILITY_OPTIONS = "mobility_options"
INTENT_QUESTIONS = "intent_questions"

# until the server has answered: the two options every campaign had before they were settings
# (no labels: the views word them)
BUILT_IN = (Choice("wheelchair"), Choice("companion"))


class CampaignOptions(Observable):
    def __init__(self) -> None:
        super().__init__()
        self.mobility: tuple[Choice, ...] = BUILT_IN
        self.needs_mobility = True  # the intent form asks about mobility support
        self.versions: dict[str, int] = {}

    def apply(self, entries: tuple[ConfigEntry, ...], key: str | None = None) -> None:
        """Take the settings of ``entries`` (only ``key``'s when given)."""
        for e in entries:
            if key is not None and e.key != key:
                continue
            if e.key == MOBILITY_OPTIONS and isinstance(e.value, list):
                self.mobility = tuple(
                    Choice(str(o["code"]), str(o.get("ja", "")), str(o.get("en", "")))
                    for o in e.value
                    if isinstance(o, dict) and "code" in o
                )
            elif e.key == INTENT_QUESTIONS and isinstance(e.value, dict):
                self.needs_mobility = bool(e.value.get("needs_mobility", True))
            else:
                continue
            self.versions[e.key] = e.version
        self.changed()

    def choice(self, code: str) -> Choice:
        """The option ``code`` with its labels; one no longer offered: no labels."""
        for c in self.mobility:
            if c.code == code:
                return c
        return Choice(code)
