"""Shared parts of the forms: the status line that says what happened to a submission."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ..models.forms import FormState
from .labels import error_text, t

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
            "sending": t("送信中…"),
            "queued": t("サーバーと切断中です。入力は保存され、接続が戻りしだい送信します。"),
            "done": done_text,
            "refused": error_text(form.error, form.message),
            "failed": t("送信できませんでした: ") + error_text(form.error, form.message),
        }
        self.setText(texts.get(form.status, form.status))
        color = COLORS.get(form.status, "#333333")
        self.setStyleSheet(f"color: {color}; font-weight: bold;")
        self.setVisible(bool(self.text()))
