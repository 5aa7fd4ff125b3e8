"""Wrap-up (後処理): disposition and notes of the call, saved to the call record."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..models.forms import DISPOSITIONS, WrapUpModel
from . import shortcuts as keys
from .forms import FormView
from .labels import disposition_text


class WrapUpView(FormView, QWidget):
    submitted = Signal()

    def __init__(self, model: WrapUpModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.call = QLabel(self)
        self.disposition = QComboBox(self)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self._add_submit()
        self._labels = {k: QLabel(self) for k in ("disposition", "notes")}
        form = QFormLayout()
        form.addRow(self._labels["disposition"], self.disposition)
        form.addRow(self._labels["notes"], self.notes)
        layout = QVBoxLayout(self)
        layout.addWidget(self.call)
        layout.addLayout(form)
        self._place_submit(layout)
        self._rendering = False
        self.disposition.activated.connect(self._chosen)
        self.notes.textChanged.connect(self._typed)
        model.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self._labels["disposition"].setText(self.tr("結果"))
        self._labels["notes"].setText(self.tr("メモ"))
        self.submit.setText(keys.with_key(self.tr("通話記録に保存"), keys.SUBMIT))
        self._rendering = True
        self.disposition.clear()
        self.disposition.addItem(self.tr("（選んでください）"), "")
        for code in DISPOSITIONS:
            self.disposition.addItem(disposition_text(code), code)
        self._rendering = False
        self.refresh()

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
        self.call.setText(
            self.tr("通話 {id}").format(id=m.linkedid) if m.linkedid else self.tr("通話なし")
        )
        self._show_state(self.tr("通話記録に保存しました。"))

    def _chosen(self, _index: int) -> None:
        if not self._rendering:
            self.model.disposition = self.disposition.currentData() or ""
            self.submit.setEnabled(self.model.can_submit())

    def _typed(self) -> None:
        if not self._rendering:
            self.model.notes = self.notes.toPlainText()
