"""Qt translations. Japanese is the source language of every UI string; ``cti_en.ts`` holds the
English and is compiled to ``cti_en.qm`` (both committed; ``python -m desktop_client.i18n.build``).

A string is marked the Qt way, with a context so that the same Japanese can read differently in
different places (日 is Sunday in a date, "day" in a form):

- in a method of a Qt class, ``self.tr("予約する")`` (context: the class name);
- elsewhere, ``translate("labels", "非通知")`` (context: the class or module name);
- in a constant table read through a variable, ``QT_TRANSLATE_NOOP("board_tables", "休止")``, then
  ``translate("board_tables", STATES[code])`` where it is shown.

``pyside6-lupdate`` reads these calls (literal context and text) into ``cti_en.ts``. This package
imports Qt only inside its functions: the Qt-free models import ``QT_TRANSLATE_NOOP`` from it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QTranslator

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LANGUAGES = ("ja", "en")
LANGUAGE_PROPERTY = "ctiLanguage"  # on the application object, read by current_language()


class Translations:
    """Switches the application's language at run time (widgets get a LanguageChange event)."""

    def __init__(self, app: QCoreApplication) -> None:
        self.app = app
        self.language = "ja"
        self._translator: QTranslator | None = None

    def use(self, language: str) -> bool:
        if language not in LANGUAGES:
            language = "ja"
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
            self._translator = None
        if language != "ja":
            from PySide6.QtCore import QTranslator

            translator = QTranslator(self.app)
            if not translator.load(str(HERE / f"cti_{language}.qm")):
                log.error("translation %s not found; staying in Japanese", language)
                self.language = "ja"
                return False
            self.app.installTranslator(translator)
            self._translator = translator
        self.language = language
        self.app.setProperty(LANGUAGE_PROPERTY, language)
        return True


def translate(context: str, text: str) -> str:
    """``text`` in the UI language as translated in ``context`` (QCoreApplication.translate)."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate(context, text)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name lupdate looks for
    """Marks ``text`` of a constant table for lupdate; ``translate(context, ...)`` shows it."""
    del context
    return text


def current_language() -> str:
    """The UI language in use ("ja" until a ``Translations`` switched it)."""
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    value = app.property(LANGUAGE_PROPERTY) if app is not None else None
    return str(value) if value in LANGUAGES else "ja"
