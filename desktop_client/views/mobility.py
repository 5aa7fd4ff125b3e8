"""Mobility support (移動支援): pickup address prefilled from the ledger, wheelchair, companion."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..models.forms import MobilityFormModel
from . import shortcuts as keys
from .forms import FormView


class MobilityView(FormView, QWidget):
    submitted = Signal()

    def __init__(self, model: MobilityFormModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.tie = QLabel(self)
        self.tie.setWordWrap(True)
        self.pickup = QLineEdit(self)
        self.wheelchair = QCheckBox(self)
        self.companion = QCheckBox(self)
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self._add_submit()
        self._labels = {k: QLabel(self) for k in ("pickup", "notes")}
        form = QFormLayout()
        form.addRow(self._labels["pickup"], self.pickup)
        form.addRow("", self.wheelchair)
        form.addRow("", self.companion)
        form.addRow(self._labels["notes"], self.notes)
        layout = QVBoxLayout(self)
        if self.subject_bar is not None:
            layout.addWidget(self.subject_bar)
        layout.addWidget(self.tie)
        layout.addLayout(form)
        self._place_submit(layout)
        layout.addStretch(1)
        self.pickup.textEdited.connect(lambda s: self._typed(pickup_address=s))
        self.wheelchair.toggled.connect(lambda b: self._typed(wheelchair=b))
        self.companion.toggled.connect(lambda b: self._typed(companion=b))
        self.notes.textChanged.connect(lambda: self._typed(notes=self.notes.toPlainText()))
        self._rendering = False
        model.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self._labels["pickup"].setText(self.tr("迎え先の住所"))
        self._labels["notes"].setText(self.tr("メモ"))
        self.wheelchair.setText(self.tr("車いすを使う(&W)"))
        self.companion.setText(self.tr("付き添いあり(&C)"))
        self.submit.setText(keys.with_key(self.tr("移動支援を登録"), keys.SUBMIT))
        self.refresh()

    def refresh(self) -> None:
        m = self.model
        self._rendering = True
        try:
            if self.pickup.text() != m.pickup_address:
                self.pickup.setText(m.pickup_address)
            self.wheelchair.setChecked(m.wheelchair)
            self.companion.setChecked(m.companion)
            if self.notes.toPlainText() != m.notes:
                self.notes.setPlainText(m.notes)
        finally:
            self._rendering = False
        if m.booking_id is not None:
            self.tie.setText(self.tr("予約 #{id} に紐づけます").format(id=m.booking_id))
        elif m.booking_key is not None:
            self.tie.setText(self.tr("送信待ちの予約に紐づけます（予約の登録後に送信）"))
        else:
            self.tie.setText(self.tr("予約なし（予約の前に登録することもできます）"))
        self._show_state(self.tr("移動支援を登録しました。"))
        editable = m.resident_id is not None and not m.locked()
        self.pickup.setReadOnly(not editable)
        self.notes.setReadOnly(not editable)
        self.wheelchair.setEnabled(editable)
        self.companion.setEnabled(editable)

    def _typed(self, **fields: object) -> None:
        if not self._rendering:
            self.model.update(**fields)
            self.submit.setEnabled(self.model.can_submit())
