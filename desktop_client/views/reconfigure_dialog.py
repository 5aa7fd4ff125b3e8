"""The confirmation of a slot or venue change that touches bookings: the bookings affected (in
booking order, each with its conflict and the proposed slot), and the choice: move them to the
proposed slots, put them on the callback worklist, or leave everything as it is."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cti_server.protocol import ReconfigurePlan

from ..i18n import QT_TRANSLATE_NOOP, translate
from .labels import when_text

CONFLICTS = {
    "over_capacity": QT_TRANSLATE_NOOP("reconfigure", "定員超過"),
    "slot_closed": QT_TRANSLATE_NOOP("reconfigure", "枠の中止"),
    "venue_closed": QT_TRANSLATE_NOOP("reconfigure", "会場の中止"),
    "day_moved": QT_TRANSLATE_NOOP("reconfigure", "日程の変更"),
}


class ReconfigureDialog(QDialog):
    def __init__(self, plan: ReconfigurePlan, slot_text: Callable[[int | None], str],
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.choice: str | None = None
        self.setWindowTitle(self.tr("影響を受ける予約"))
        info = QLabel(self.tr("この変更で %1 件の予約に影響があります（予約順）。")
                      .replace("%1", str(len(plan.affected))))  # fmt: skip
        table = QTableWidget(len(plan.affected), 4, self)
        table.setHorizontalHeaderLabels(
            [self.tr("氏名"), self.tr("現在の枠"), self.tr("理由"), self.tr("提案する枠")]
        )
        for row, a in enumerate(plan.affected):
            cells = (a.resident_name, when_text(a.starts_at),
                     translate("reconfigure", CONFLICTS.get(a.conflict, a.conflict)),
                     slot_text(a.proposed_slot_id))  # fmt: skip
            for col, text in enumerate(cells):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.move = QPushButton(self.tr("提案の枠へ移す"), self)
        self.worklist = QPushButton(self.tr("折り返しリストへ"), self)
        for button, role, choice in ((self.move, QDialogButtonBox.ButtonRole.AcceptRole, "move"),
                                     (self.worklist, QDialogButtonBox.ButtonRole.AcceptRole,
                                      "worklist")):  # fmt: skip
            buttons.addButton(button, role)
            button.clicked.connect(lambda _c=False, ch=choice: self._chosen(ch))
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(info)
        box.addWidget(table)
        box.addWidget(buttons)

    def _chosen(self, choice: str) -> None:
        self.choice = choice
        self.accept()


def ask_reconfigure(
    parent: QWidget | None, plan: ReconfigurePlan, slot_text: Callable[[int | None], str]
) -> str | None:
    """``move``, ``worklist``, or None (cancelled)."""
    dialog = ReconfigureDialog(plan, slot_text, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    choice = dialog.choice if accepted else None
    dialog.deleteLater()
    return choice
