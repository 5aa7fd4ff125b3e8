"""Mobility support (移動支援): pickup address prefilled from the ledger, one checkbox per option
of the campaign setting ``mobility_options`` (labelled in the UI language), notes.

The boxes follow the setting as it changes (``CampaignOptions``): a new option appears, a removed
one goes, except one already ticked, which stays (by its code) until it is unticked or sent.
"""

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
from .form_labels import option_text
from .forms import FormView


class MobilityView(FormView, QWidget):
    submitted = Signal()

    def __init__(self, model: MobilityFormModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.tie = QLabel(self)
        self.tie.setWordWrap(True)
        self.pickup = QLineEdit(self)
        self.options_box = QWidget(self)
        self._options_layout = QVBoxLayout(self.options_box)
        self._options_layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        self._shown: list[tuple[str, str]] = []  # (code, label) the boxes were built for
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self._add_submit()
        self._labels = {k: QLabel(self) for k in ("pickup", "options", "notes")}
        form = QFormLayout()
        form.addRow(self._labels["pickup"], self.pickup)
        form.addRow(self._labels["options"], self.options_box)
        form.addRow(self._labels["notes"], self.notes)
        layout = QVBoxLayout(self)
        if self.subject_bar is not None:
            layout.addWidget(self.subject_bar)
        layout.addWidget(self.tie)
        layout.addLayout(form)
        self._place_submit(layout)
        layout.addStretch(1)
        self.pickup.textEdited.connect(lambda s: self._typed(pickup_address=s))
        self.notes.textChanged.connect(lambda: self._typed(notes=self.notes.toPlainText()))
        self._rendering = False
        model.subscribe(self.refresh)
        model.offered.subscribe(self.refresh)
        self.retranslate()

    @property
    def wheelchair(self) -> QCheckBox:
        return self.boxes["wheelchair"]

    @property
    def companion(self) -> QCheckBox:
        return self.boxes["companion"]

    def retranslate(self) -> None:
        self._labels["pickup"].setText(self.tr("迎え先の住所"))
        self._labels["options"].setText(self.tr("支援内容"))
        self._labels["notes"].setText(self.tr("メモ"))
        self.submit.setText(keys.with_key(self.tr("移動支援を登録"), keys.SUBMIT))
        self._shown = []  # relabel the boxes
        self.refresh()

    def _build_boxes(self) -> None:
        m = self.model
        shown = [(code, option_text(m.offered.choice(code))) for code in m.shown_options()]
        if shown == self._shown:
            return
        for box in self.boxes.values():
            self._options_layout.removeWidget(box)
            box.deleteLater()
        self.boxes = {}
        for code, label in shown:
            box = QCheckBox(label, self.options_box)
            box.setObjectName(f"option_{code}")
            box.toggled.connect(lambda on, c=code: self._toggled(c, on))
            self._options_layout.addWidget(box)
            self.boxes[code] = box
        self._shown = shown

    def refresh(self) -> None:
        m = self.model
        self._rendering = True
        try:
            self._build_boxes()
            if self.pickup.text() != m.pickup_address:
                self.pickup.setText(m.pickup_address)
            for code, box in self.boxes.items():
                box.setChecked(code in m.options)
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
        for box in self.boxes.values():
            box.setEnabled(editable)

    def _toggled(self, code: str, on: bool) -> None:
        if not self._rendering:
            self.model.set_option(code, on)
            self.submit.setEnabled(self.model.can_submit())

    def _typed(self, **fields: object) -> None:
        if not self._rendering:
            self.model.update(**fields)
            self.submit.setEnabled(self.model.can_submit())
