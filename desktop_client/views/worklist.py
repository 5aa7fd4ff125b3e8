"""The 折り返し section: the callback worklist. Operators take the next item (or the selected
one), click its number to dial (the PBX rings their phone, then the resident; the card pops as
for an incoming call) and record the outcome. Supervisors also see the size and age of the list
and change an item's priority. The view never touches the network: it emits signals and the
controller answers through the model."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cti_server.protocol import WorkItem

from ..i18n import QT_TRANSLATE_NOOP, translate
from ..models.dates import TOKYO
from ..models.worklist import WorklistModel
from .labels import refusal_text, when_text
from .language import Retranslating

REASONS = {
    "slot_changed": QT_TRANSLATE_NOOP("worklist", "予約枠の変更"),
    "no_show": QT_TRANSLATE_NOOP("worklist", "来場なし"),
    "web_request": QT_TRANSLATE_NOOP("worklist", "Web回答で連絡希望"),
    "callback_requested": QT_TRANSLATE_NOOP("worklist", "折り返し希望"),
    "abandoned": QT_TRANSLATE_NOOP("worklist", "待ち切れず切断"),
    "second_dose": QT_TRANSLATE_NOOP("worklist", "2回目接種の日程調整"),
}
CONFLICTS = {
    "over_capacity": QT_TRANSLATE_NOOP("worklist", "枠の定員を減らした"),
    "slot_closed": QT_TRANSLATE_NOOP("worklist", "枠を中止した"),
    "venue_closed": QT_TRANSLATE_NOOP("worklist", "会場を閉じた"),
    "day_moved": QT_TRANSLATE_NOOP("worklist", "日程を移した"),
}
ASKED = {
    "reschedule": QT_TRANSLATE_NOOP("worklist", "日時の変更を希望"),
    "cancel": QT_TRANSLATE_NOOP("worklist", "取消を希望"),
    "other": QT_TRANSLATE_NOOP("worklist", "その他の問い合わせ"),
}
OUTCOME_LABELS = (
    ("reached", QT_TRANSLATE_NOOP("worklist", "通話できた")),
    ("no_answer", QT_TRANSLATE_NOOP("worklist", "不在")),
    ("wrong_number", QT_TRANSLATE_NOOP("worklist", "番号違い")),
    ("call_later", QT_TRANSLATE_NOOP("worklist", "後でかけ直す")),
)


def reason_label(code: str) -> str:
    return translate("worklist", REASONS[code]) if code in REASONS else code


def phone_text(e164: str | None) -> str:
    """``0773-62-1234``, as the call header shows a number (the digits if it does not parse)."""
    if not e164:
        return "—"
    try:
        parsed = phonenumbers.parse(e164, "JP")
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code != 81:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def quoted(text: str, note: str) -> str:
    """``text「note」`` (``text "note"`` in English); ``text`` alone without a note."""
    note = note.strip()
    if not note:
        return text
    return translate("worklist", "%1「%2」").replace("%1", text).replace("%2", note)


def detail_lines(item: WorkItem) -> list[str]:
    """What the operator needs before calling: the appointment concerned and why, what the
    resident wrote, and how the last try went."""
    d, lines = item.detail, []
    where = " ".join(
        str(part) for part in (d.get("venue"), when_text(d.get("starts_at")) or None) if part
    )
    if d.get("conflict") in CONFLICTS:
        why = translate("worklist", CONFLICTS[d["conflict"]])
        lines.append(f"{where}: {why}" if where else why)
    elif where:
        lines.append(translate("worklist", "予約: %1").replace("%1", where))
    if d.get("kind") in ASKED:
        asked = translate("worklist", ASKED[d["kind"]])
        note = str(d.get("note") or "").strip()
        lines.append(quoted(asked, note))
    if item.reason == "abandoned":
        lines.append(translate("worklist", "着信 %1").replace("%1", when_text(item.created_at)))
    if item.history:
        last = item.history[-1]
        label = dict(OUTCOME_LABELS).get(last.outcome)
        text = translate("worklist", "前回 %1: %2").replace("%1", when_text(last.at))
        text = text.replace("%2", translate("worklist", label) if label else last.outcome)
        lines.append(quoted(text, last.note))
    return lines


class WorklistView(Retranslating, QWidget):
    take_next_requested = Signal()
    take_requested = Signal(int)  # item_id
    dial_requested = Signal()
    outcome_requested = Signal(str, object, str)  # outcome, local datetime or None, note
    release_requested = Signal()
    priority_requested = Signal(int, int)  # item_id, priority
    reload_requested = Signal()

    def __init__(self, model: WorklistModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.can_reprioritise = False
        self.summary = QLabel(self)
        self.table = QTableWidget(0, 7, self)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(120)
        self.table.currentCellChanged.connect(lambda row, *_: self.model.select(row))
        self.table.cellDoubleClicked.connect(lambda *_: self._take_selected())
        self.take_next = QPushButton(self)
        self.take_next.clicked.connect(self.take_next_requested.emit)
        self.take = QPushButton(self)
        self.take.clicked.connect(self._take_selected)
        self.priority = QSpinBox(self, minimum=-1000, maximum=1000)
        self.set_priority = QPushButton(self)
        self.set_priority.clicked.connect(self._priority)
        self.held = QGroupBox(self)
        self.who = QLabel(self.held)
        self.who.setWordWrap(True)
        self.dial = QPushButton(self.held)
        self.dial.clicked.connect(self.dial_requested.emit)
        self.outcomes: dict[str, QPushButton] = {}
        for code, _label in OUTCOME_LABELS:
            button = QPushButton(self.held)
            button.clicked.connect(lambda _c=False, o=code: self._outcome(o))
            self.outcomes[code] = button
        self.later = QDateTimeEdit(self.held)
        self.later.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.later.setCalendarPopup(True)
        self.note = QLineEdit(self.held)
        self.release = QPushButton(self.held)
        self.release.clicked.connect(self.release_requested.emit)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self._layout()
        self.setFocusProxy(self.table)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+N"), self, self.take_next_requested.emit, context=ctx)
        QShortcut(QKeySequence("Ctrl+D"), self, self.dial_requested.emit, context=ctx)
        QShortcut(QKeySequence("F5"), self, self.reload_requested.emit, context=ctx)
        model.subscribe(self.refresh)
        self.retranslate()

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        for w in (self.take_next, self.take, self.priority, self.set_priority):
            buttons.addWidget(w)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.summary)
        left.addWidget(self.table, 1)
        left.addLayout(buttons)
        grid = QGridLayout(self.held)
        grid.addWidget(self.who, 0, 0, 1, 4)
        grid.addWidget(self.dial, 1, 0, 1, 3)
        grid.addWidget(self.release, 1, 3)
        for i, (code, _label) in enumerate(OUTCOME_LABELS):
            grid.addWidget(self.outcomes[code], 2, i)
        grid.addWidget(self.note, 3, 0, 1, 3)
        grid.addWidget(self.later, 3, 3)
        side = QVBoxLayout()
        side.addWidget(self.held)
        side.addWidget(self.status)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.addLayout(left, 3)
        row.addLayout(side, 2)

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels(
            [self.tr("理由"), self.tr("氏名"), self.tr("電話番号"), self.tr("試行"),
             self.tr("次回"), self.tr("優先度"), self.tr("内容")]
        )  # fmt: skip
        self.take_next.setText(self.tr("次を取る (Ctrl+N)"))
        self.take.setText(self.tr("選択を取る"))
        self.set_priority.setText(self.tr("優先度を変更"))
        self.held.setTitle(self.tr("対応中"))
        for code, label in OUTCOME_LABELS:
            self.outcomes[code].setText(translate("worklist", label))
        self.note.setPlaceholderText(self.tr("メモ"))
        self.release.setText(self.tr("戻す"))
        self.refresh()

    def _take_selected(self) -> None:
        item = self.model.item
        if item is not None:
            self.take_requested.emit(item.item_id)

    def _priority(self) -> None:
        item = self.model.item
        if item is not None:
            self.priority_requested.emit(item.item_id, self.priority.value())

    def _outcome(self, code: str) -> None:
        later = None
        if code == "call_later":
            later = self.later.dateTime().toPython()
        self.outcome_requested.emit(code, later, self.note.text())

    def refresh(self) -> None:
        m = self.model
        self.table.blockSignals(True)
        self.table.setRowCount(len(m.items))
        for row, item in enumerate(m.items):
            cells = (reason_label(item.reason), item.resident_name or "—", phone_text(item.phone),
                     str(item.attempts), when_text(item.next_attempt_at) or self.tr("今すぐ"),
                     str(item.priority), " / ".join(detail_lines(item)))  # fmt: skip
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if m.current >= 0:
            self.table.setCurrentCell(m.current, 0)
        self.table.blockSignals(False)
        self.summary.setText(self._summary_text())
        for w in (self.priority, self.set_priority):
            w.setVisible(self.can_reprioritise)
        if m.item is not None and not self.priority.hasFocus():
            self.priority.setValue(m.item.priority)
        self._held()
        self.status.setText(self._status_text())

    def _held(self) -> None:
        m, held = self.model, self.model.held
        self.held.setEnabled(held is not None)
        if not self.later.hasFocus():  # in an hour by default (never a date of 2000)
            start = dt.datetime.now(TOKYO).replace(second=0, microsecond=0) + dt.timedelta(hours=1)
            self.later.setDateTime(QDateTime(start.replace(tzinfo=None)))
        if held is None:
            self.who.setText(self.tr("「次を取る」で折り返し先を1件取ります。"))
            self.dial.setText(self.tr("発信"))
            return
        name = held.resident_name or self.tr("（住民不明）")
        self.who.setText("\n".join([f"{name} — {reason_label(held.reason)}", *detail_lines(held)]))
        number = phone_text(held.phone)
        if m.linkedid:
            self.dial.setText(self.tr("%1 に発信中…").replace("%1", number))
        else:
            self.dial.setText(self.tr("%1 に発信 (Ctrl+D)").replace("%1", number))

    def _summary_text(self) -> str:
        s = self.model.summary
        if s is None:
            return ""
        text = self.tr("待ち %1 件（発信可 %2 件・対応中 %3 件）")
        text = text.replace("%1", str(s.open)).replace("%2", str(s.due))
        text = text.replace("%3", str(s.claimed))
        age = self.model.age_minutes(dt.datetime.now(dt.UTC))
        if age is not None:
            text += " " + self.tr("最古 %1 分").replace("%1", str(age))
        return text

    def _status_text(self) -> str:
        m = self.model
        if m.status == "busy":
            return self.tr("送信中…")
        if m.status == "empty":
            return self.tr("いま発信できる折り返しはありません。")
        if m.status == "failed":
            return self.tr("サーバーに接続できません。")
        if m.status == "refused":
            return refusal_text(m.error, m.message, m.details)
        if not m.items and m.held is None:
            return self.tr("折り返し待ちはありません。")
        return ""
