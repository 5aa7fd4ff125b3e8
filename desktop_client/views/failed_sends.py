"""The sends that failed (送信失敗), opened from the status bar's count: what each one was, why
it failed and what was typed (selectable, to copy), with the choice to send it again (the same
Idempotency-Key: nothing the server did store is stored twice) or to give it up.

The dialog asks through ``resend_requested`` / ``discard_requested``; the controller acts on
the outbox and sends. It follows the outbox while open (a resend that fails again comes back).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..i18n import translate
from ..models.outbox import Entry, Outbox
from .labels import error_text

KINDS = {
    "booking": QT_TRANSLATE_NOOP("failed_sends", "予約"),
    "booking_change": QT_TRANSLATE_NOOP("failed_sends", "予約の変更"),
    "booking_cancel": QT_TRANSLATE_NOOP("failed_sends", "予約の取消"),
    "booking_cannot_come": QT_TRANSLATE_NOOP("failed_sends", "来られない日の連絡"),
    "mobility": QT_TRANSLATE_NOOP("failed_sends", "移動支援"),
    "intent": QT_TRANSLATE_NOOP("failed_sends", "意向"),
    "disposition": QT_TRANSLATE_NOOP("failed_sends", "通話記録"),
    "call_resident": QT_TRANSLATE_NOOP("failed_sends", "発信"),
}


def kind_text(kind: str) -> str:
    return translate("failed_sends", KINDS[kind]) if kind in KINDS else kind


def reason_text(entry: Entry) -> str:
    if entry.error == "dependency_failed":
        return translate("failed_sends", "先に送った予約が登録されなかったため")
    return error_text(entry.error, entry.message)


def typed_text(entry: Entry) -> str:
    """What was sent, as JSON people can read (Japanese as it is)."""
    body: dict[str, Any] = entry.body or {}
    return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True)


class FailedSendsDialog(QDialog):
    resend_requested = Signal(str)  # the entry's key
    discard_requested = Signal(str)

    def __init__(self, outbox: Outbox, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outbox = outbox
        self.setObjectName("failedSends")
        self.setWindowTitle(translate("failed_sends", "送信できなかった入力"))
        self.intro = QLabel(
            translate(
                "failed_sends",
                "次の入力はサーバーに登録されていません。内容を確かめ、もう一度送るか破棄してください。",
            )
        )
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(
            [translate("failed_sends", "内容"), translate("failed_sends", "理由")]
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.typed = QPlainTextEdit()
        self.typed.setReadOnly(True)  # selectable: the text can be copied into a new form
        self.resend = QPushButton(translate("failed_sends", "もう一度送る"))
        self.discard = QPushButton(translate("failed_sends", "破棄"))
        self.close_button = QPushButton(translate("failed_sends", "閉じる"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.resend)
        buttons.addWidget(self.discard)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(translate("failed_sends", "入力した内容")))
        layout.addWidget(self.typed, 1)
        layout.addLayout(buttons)
        self.resize(720, 480)
        self._keys: list[str] = []
        self.table.itemSelectionChanged.connect(self._selected)
        self.resend.clicked.connect(lambda: self._ask(self.resend_requested))
        self.discard.clicked.connect(lambda: self._ask(self.discard_requested))
        self.close_button.clicked.connect(self.accept)
        outbox.subscribe(self.refresh)
        self.finished.connect(lambda _code: outbox.unsubscribe(self.refresh))
        self.refresh()

    def refresh(self) -> None:
        current = self.current()
        failed = self.outbox.failed()
        self._keys = [e.key for e in failed]
        self.table.setRowCount(len(failed))
        for row, entry in enumerate(failed):
            self.table.setItem(row, 0, QTableWidgetItem(kind_text(entry.kind)))
            self.table.setItem(row, 1, QTableWidgetItem(reason_text(entry)))
        self.table.resizeColumnToContents(0)
        row = self._keys.index(current) if current in self._keys else (0 if failed else -1)
        if row >= 0:
            self.table.selectRow(row)
        self._selected()

    def current(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._keys):
            return None
        return self._keys[rows[0].row()]

    def _selected(self) -> None:
        key = self.current()
        entry = self.outbox.entries.get(key) if key is not None else None
        self.typed.setPlainText(typed_text(entry) if entry is not None else "")
        for button in (self.resend, self.discard):
            button.setEnabled(entry is not None)

    def _ask(self, signal: Any) -> None:
        key = self.current()
        if key is not None:
            signal.emit(key)
