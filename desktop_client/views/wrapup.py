"""Wrap-up (後処理): the result codes (one or more) and notes of a call, saved to its record.

The call is named by its time and caller, never by its Linkedid. Wrap-ups of earlier calls not
saved yet stay listed (未保存の通話メモ) and can be finished beside the new call.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..models.wrapup import CallWrapUp, WrapUpModel
from . import shortcuts as keys
from .form_labels import call_ref_text, choice_text, subject_text
from .forms import FormView

COLUMNS = 3


class WrapUpView(FormView, QWidget):
    submitted = Signal()

    def __init__(self, model: WrapUpModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.call = QLabel(self, objectName="wrapupCall")
        self.call.setStyleSheet("background: #eef4ff; padding: 4px; font-weight: bold;")
        self.others = QComboBox(self, objectName="wrapupCalls")
        self.codes_box = QWidget(self)
        self._grid = QGridLayout(self.codes_box)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        self.notes = QPlainTextEdit(self)
        self.notes.setTabChangesFocus(True)
        self._add_submit()
        self._labels = {k: QLabel(self) for k in ("others", "codes", "notes")}
        form = QFormLayout()
        form.addRow(self._labels["others"], self.others)
        form.addRow(self._labels["codes"], self.codes_box)
        form.addRow(self._labels["notes"], self.notes)
        layout = QVBoxLayout(self)
        layout.addWidget(self.call)
        layout.addLayout(form)
        self._place_submit(layout)
        self._rendering = False
        self._codes: list[tuple[str, str, str]] = []
        self.others.activated.connect(self._switch)
        self.notes.textChanged.connect(self._typed)
        model.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self._labels["others"].setText(self.tr("通話の切替"))
        self._labels["codes"].setText(self.tr("結果（複数可）"))
        self._labels["notes"].setText(self.tr("メモ"))
        self.submit.setText(keys.with_key(self.tr("通話記録に保存"), keys.SUBMIT))
        self._codes = []  # relabel the boxes
        self.refresh()

    def _build_boxes(self) -> None:
        codes = [(c.code, c.ja, c.en) for c in self.model.choices]
        if codes == self._codes:
            return
        for box in self.boxes.values():
            self._grid.removeWidget(box)
            box.deleteLater()
        self.boxes = {}
        for i, choice in enumerate(self.model.choices):
            box = QCheckBox(choice_text(choice.code, choice.ja, choice.en), self.codes_box)
            box.toggled.connect(lambda on, code=choice.code: self._toggled(code, on))
            self._grid.addWidget(box, i // COLUMNS, i % COLUMNS)
            self.boxes[choice.code] = box
        self._codes = codes

    def refresh(self) -> None:
        m = self.model
        self._rendering = True
        try:
            self._build_boxes()
            chosen = set(m.codes)
            for code, box in self.boxes.items():
                box.setChecked(code in chosen)
                box.setEnabled(m.linkedid is not None)
            if self.notes.toPlainText() != m.notes:
                self.notes.setPlainText(m.notes)
            self.notes.setReadOnly(m.linkedid is None)
            self._fill_others()
        finally:
            self._rendering = False
        w = m.entry()
        text = (
            self.tr("通話: {call}").format(call=_call_text(w))
            if w is not None
            else self.tr("通話なし")
        )
        if w is not None and w.subject:
            text += "\n" + self.tr("対象: {who}").format(who=subject_text(w.person()))
        self.call.setText(text)
        self._show_state(self.tr("通話記録に保存しました。"))
        # why the button is greyed out: nothing says so on it otherwise
        needs_code = m.linkedid is not None and not m.codes
        self.submit.setToolTip(self.tr("結果を1つ以上選ぶと保存できます。") if needs_code else "")

    def _fill_others(self) -> None:
        m = self.model
        shown = [w for w in m.calls.values() if w.linkedid == m.current or w.unsaved()]
        self.others.clear()
        for w in shown:
            mark = self.tr("（表示中）") if w.linkedid == m.current else ""
            self.others.addItem(_call_text(w) + mark, w.linkedid)
        self.others.setCurrentIndex(max(0, self.others.findData(m.current)))
        self.others.setEnabled(len(shown) > 1)
        unsaved = len(m.others_unsaved())
        label = self._labels["others"]
        label.setText(
            self.tr("未保存の通話メモ（ほかに {n} 件）").format(n=unsaved)
            if unsaved
            else self.tr("通話の切替")
        )
        label.setStyleSheet("color: #b00020; font-weight: bold;" if unsaved else "")

    def _switch(self, index: int) -> None:
        linkedid = self.others.itemData(index)
        if linkedid and not self._rendering:
            self.model.show(str(linkedid))

    def _toggled(self, code: str, on: bool) -> None:
        if not self._rendering:
            self.model.toggle(code, on)

    def _typed(self) -> None:
        if not self._rendering:
            self.model.set_notes(self.notes.toPlainText())


def _call_text(w: CallWrapUp) -> str:
    return call_ref_text(w.at, w.caller())
