"""The slots of one venue and day (time, capacity, booked, remaining), as the booking form and
the venue admin (会場・枠) show them; full slots are greyed. Picking a row selects the slot in the
model (a ``SlotChoice``). In the booking form (``bookable`` given) a slot that is full or has
already started is greyed and cannot be picked."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from cti_server.protocol import SlotInfo

from ..models.forms import SlotChoice
from .labels import slot_time_text

ROLE_ID = Qt.ItemDataRole.UserRole


def pick_rows(table: QTableWidget) -> QTableWidget:
    """A read-only table where one whole row is picked; columns share the width."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


class SlotTable(QTableWidget):
    def __init__(
        self,
        model: SlotChoice,
        parent: QWidget | None = None,
        bookable: Callable[[SlotInfo], bool] | None = None,
    ) -> None:
        super().__init__(0, 4, parent)
        self.choice = model  # not "model": QTableWidget.model() is the item model
        self.bookable = bookable
        self._filling = False
        pick_rows(self)
        self.itemSelectionChanged.connect(self._selected)

    def retranslate(self) -> None:
        self.setHorizontalHeaderLabels(
            [self.tr("時間"), self.tr("定員"), self.tr("予約済"), self.tr("残り")]
        )

    def refresh(self) -> None:
        m = self.choice
        slots = list(m.slots.values())
        self._filling = True
        try:
            self.setRowCount(len(slots))
            for r, s in enumerate(slots):
                closed = self.bookable is not None and not self.bookable(s)
                left = str(s.remaining) if s.remaining else self.tr("満員")
                if closed and s.remaining:
                    left = self.tr("受付終了")  # started or past
                cells = (
                    slot_time_text(s.starts_at, s.ends_at),
                    str(s.capacity),
                    str(s.booked),
                    left,
                )
                for c, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(ROLE_ID, s.slot_id)
                    if s.remaining == 0 or closed:
                        item.setForeground(QBrush(QColor("#888888")))
                    if closed:
                        item.setFlags(Qt.ItemFlag.NoItemFlags)
                    if c:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.setItem(r, c, item)
                if s.slot_id == m.slot_id:
                    self.selectRow(r)
            if m.slot_id is None:
                self.clearSelection()
        finally:
            self._filling = False

    def _selected(self) -> None:
        if self._filling:
            return
        rows = self.selectionModel().selectedRows()
        slot_id = self.item(rows[0].row(), 0).data(ROLE_ID) if rows else None
        if slot_id != self.choice.slot_id:
            self.choice.select_slot(slot_id)
