"""The small 意向確認 form inside the resident card: two three-way answers and a note; the
mobility question only while the campaign setting asks it (``intent_questions``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from ..models.intent import IntentFormModel
from . import shortcuts as keys
from .forms import FormView

ANSWERS = (None, True, False)


class IntentFormView(FormView, QGroupBox):
    submitted = Signal()

    def __init__(self, model: IntentFormModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.wants = QComboBox(self)
        self.mobility = QComboBox(self)
        self.notes = QLineEdit(self)
        self._add_submit()
        self._labels = [QLabel(self) for _ in range(3)]
        grid = QGridLayout(self)
        if self.subject_bar is not None:
            grid.addWidget(self.subject_bar, 0, 0, 1, 4)
        grid.addWidget(self._labels[0], 1, 0)
        grid.addWidget(self.wants, 1, 1)
        grid.addWidget(self._labels[1], 1, 2)
        grid.addWidget(self.mobility, 1, 3)
        grid.addWidget(self._labels[2], 2, 0)
        grid.addWidget(self.notes, 2, 1, 1, 3)
        grid.addWidget(self.status, 3, 0, 1, 3)
        grid.addWidget(self.submit, 3, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.wants.activated.connect(lambda i: self.model.update(wants_vaccination=ANSWERS[i]))
        self.mobility.activated.connect(lambda i: self.model.update(needs_mobility=ANSWERS[i]))
        self.notes.textEdited.connect(lambda text: self.model.update(notes=text))
        self.notes.returnPressed.connect(self._submit)
        model.subscribe(self.refresh)
        model.offered.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(keys.with_key(self.tr("意向確認を記録（電話）"), keys.INTENT))
        for label, text in zip(
            self._labels, (self.tr("接種希望"), self.tr("移動支援"), self.tr("メモ")), strict=True
        ):
            label.setText(text)
        for combo in (self.wants, self.mobility):
            combo.clear()
            combo.addItems([self.tr("未回答"), self.tr("はい"), self.tr("いいえ")])
        self.notes.setPlaceholderText(self.tr("例: 家族と相談してから予約したい"))
        self.submit.setText(keys.with_key(self.tr("記録する"), keys.SUBMIT))
        self.refresh()

    def refresh(self) -> None:
        m = self.model
        self.wants.setCurrentIndex(ANSWERS.index(m.wants_vaccination))
        self.mobility.setCurrentIndex(ANSWERS.index(m.needs_mobility))
        if self.notes.text() != m.notes:
            self.notes.setText(m.notes)
        self._show_state(self.tr("意向を記録しました。"))
        editable = m.resident_id is not None and not m.locked()
        self.notes.setReadOnly(not editable)
        self.wants.setEnabled(editable)
        self.mobility.setEnabled(editable)
        asked = m.asks_mobility()
        self.mobility.setVisible(asked)
        self._labels[1].setVisible(asked)

    def focus_first(self) -> None:
        self.wants.setFocus()
