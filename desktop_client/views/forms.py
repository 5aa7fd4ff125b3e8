"""Shared parts of the forms: the status line that says what happened to a submission, and the
submit button with its keys (``FormView``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from ..models.forms import FormState
from . import shortcuts as keys
from .form_labels import call_ref_text, subject_text
from .labels import refusal_text
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
        refused = refusal_text(form.error, form.message, getattr(form, "details", {}))
        texts = {
            "": "",
            "sending": self.tr("送信中…"),
            "queued": self.tr("サーバーと切断中です。入力は保存され、接続が戻りしだい送信します。"),
            "done": done_text,
            "refused": refused,  # naming the field the server named
            "failed": self.tr("送信できませんでした: ") + refused,
        }
        if form.status == "queued" and getattr(form, "locked", lambda: False)():
            texts["queued"] = self.tr(
                "サーバーと切断中です。送信待ちの間は変更できません。接続が戻りしだい送信します。"
            )
        if getattr(form, "dirty", lambda: False)():
            self.show_text(
                self.tr("変更が保存されていません。もう一度保存してください。"), "#8a5a00"
            )
            return
        self.show_text(texts.get(form.status, form.status), COLORS.get(form.status, "#333333"))

    def show_text(self, text: str, color: str) -> None:
        self.setText(text)
        self.setStyleSheet(f"color: {color}; font-weight: bold;")
        self.setVisible(bool(self.text()))


class SubjectBar(QLabel):
    """Whom a form is for and during which call, on top of every form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("formSubject")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_form(self, form: FormState) -> None:
        who = subject_text(form.subject)
        call = form.call
        when = call_ref_text(call.at, call.caller) if call is not None and call.at else ""
        text = self.tr("対象: {who}").format(who=who)
        if when:
            text += "\n" + self.tr("通話: {call}").format(call=when)
        self.setText(text)
        bg = "#eef4ff" if form.subject is not None else "#fff4e5"
        self.setStyleSheet(f"background: {bg}; padding: 4px; font-weight: bold;")


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
    subject_bar: SubjectBar | None = None

    def _add_submit(self) -> None:
        form: Any = self
        self.submit = QPushButton(form)
        self.status = StatusLine(form)
        if hasattr(self.model, "subject"):
            self.subject_bar = SubjectBar(form)
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
        if self.subject_bar is not None:
            self.subject_bar.show_form(self.model)

    def _submit(self) -> None:
        if self.model.can_submit():
            self.submitted.emit()
