"""Switching the language at run time: each view rewords itself in ``retranslate()``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent


class Retranslating:
    """Mixin placed before the Qt base class: on LanguageChange it calls ``retranslate()``."""

    def retranslate(self) -> None:
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        base: Any = super()
        base.changeEvent(event)
