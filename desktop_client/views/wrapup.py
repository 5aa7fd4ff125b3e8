"""Wrap-up (後処理): disposition and notes of the call, saved to the call record."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..models.forms import DISPOSITIONS, WrapUpModel
from . import shortcuts as keys
from .forms import StatusLine
from .labels import disposition_text, t


class WrapUpView(QWidget):
    submitted = Signal()

    def __init__(self, model: WrapUpModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.call = QLabel(self)
        self.disposition = QComboBox(self)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self.submit = QPushButton(self)
        self.status = StatusLine(self)
        self._labels = {k: QLabel(self) for k in ("disposition", "notes")}
        form = QFormLayout()
        form.addRow(self._labels["disposition"], self.disposition)
        form.addRow(self._labels["notes"], self.notes)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.call)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._rendering = False
        self.disposition.activated.connect(self._chosen)
        self.notes.textChanged.connect(self._typed)
        self.submit.clicked.connect(self._submit)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(keys.SUBMIT), self, self._submit, context=ctx)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self._submit, context=ctx)
        model.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self._labels["disposition"].setText(t("結果"))
        self._labels["notes"].setText(t("メモ"))
        self.submit.setText(keys.with_key(t("通話記録に保存"), keys.SUBMIT))
        self._rendering = True
        self.disposition.clear()
        self.disposition.addItem(t("（選んでください）"), "")
        for code in DISPOSITIONS:
            self.disposition.addItem(disposition_text(code), code)
        self._rendering = False
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def refresh(self) -> None:
        m = self.model
        self._rendering = True
        try:
            index = self.disposition.findData(m.disposition)
            self.disposition.setCurrentIndex(max(0, index))
            if self.notes.toPlainText() != m.notes:
                self.notes.setPlainText(m.notes)
        finally:
            self._rendering = False
        self.call.setText(t("通話 {id}").format(id=m.linkedid) if m.linkedid else t("通話なし"))
        self.submit.setEnabled(m.can_submit())
        self.status.show_state(m, t("通話記録に保存しました。"))

    def _chosen(self, _index: int) -> None:
        if not self._rendering:
            self.model.disposition = self.disposition.currentData() or ""
            self.submit.setEnabled(self.model.can_submit())

    def _typed(self) -> None:
        if not self._rendering:
            self.model.notes = self.notes.toPlainText()

    def _submit(self) -> None:
        if self.model.can_submit():
            self.submitted.emit()
