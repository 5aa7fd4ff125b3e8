"""Shared parts of the forms: the status line that says what happened to a submission, and the
submit button with its keys (``FormView``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from ..models.forms import FormState
from . import shortcuts as keys
from .labels import error_text
from .language import Retranslating

COLORS = {
    "refused": "#b00020",
    "failed": "#b00020",
    "queued": "#8a5a00",
    "done": "#1b5e20",
    "sending": "#333333",
}


class StatusLine(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("formStatus")

    def show_state(self, form: FormState, done_text: str) -> None:
        texts = {
            "": "",
            "sending": self.tr("送信中…"),
            "queued": self.tr("サーバーと切断中です。入力は保存され、接続が戻りしだい送信します。"),
            "done": done_text,
            "refused": error_text(form.error, form.message),
            "failed": self.tr("送信できませんでした: ") + error_text(form.error, form.message),
        }
        self.show_text(texts.get(form.status, form.status), COLORS.get(form.status, "#333333"))

    def show_text(self, text: str, color: str) -> None:
        self.setText(text)
        self.setStyleSheet(f"color: {color}; font-weight: bold;")
        self.setVisible(bool(self.text()))


class FormView(Retranslating):
    """Mixin of a form widget whose ``model`` is a ``FormState`` with ``can_submit()``.

    The class declares ``submitted = Signal()`` and calls ``_add_submit()`` where its button
    belongs in the tab order; the submit button and Ctrl+Enter (either Enter key) anywhere in
    the form emit ``submitted`` when the model allows it.
    """

    model: Any
    submitted: Any  # Signal()
    submit: QPushButton
    status: StatusLine

    def _add_submit(self) -> None:
        form: Any = self
        self.submit = QPushButton(form)
        self.status = StatusLine(form)
        self.submit.clicked.connect(self._submit)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key in (keys.SUBMIT, "Ctrl+Enter"):
            QShortcut(QKeySequence(key), form, self._submit, context=ctx)

    def _place_submit(self, layout: QBoxLayout, *left: QWidget) -> None:
        """The status line, then a row: ``left`` buttons, space, the submit button."""
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        for button in left:
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        layout.addLayout(buttons)

    def _show_state(self, done_text: str) -> None:
        self.submit.setEnabled(self.model.can_submit())
        self.status.show_state(self.model, done_text)

    def _submit(self) -> None:
        if self.model.can_submit():
            self.submitted.emit()
