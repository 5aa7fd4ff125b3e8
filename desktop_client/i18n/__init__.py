"""Qt translations. Japanese is the source language of every UI string (context "cti");
``cti_en.qm`` (compiled from ``cti_en.ts``, generated from ``en.py`` by ``build.py``) is English."""

from __future__ import annotations

import logging
from pathlib import Path

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


def current_language() -> str:
    """The UI language in use ("ja" until a ``Translations`` switched it)."""
    app = QCoreApplication.instance()
    value = app.property(LANGUAGE_PROPERTY) if app is not None else None
    return str(value) if value in LANGUAGES else "ja"
