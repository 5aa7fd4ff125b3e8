"""A keyboard-first list of residents: household headers with their members, or flat results."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

from cti_server.protocol import Candidate, HouseholdGroup

from ..i18n import translate
from ..models.resident import full_width_kana
from .labels import (
    age_text,
    birth_short,
    birth_text,
    intent_text,
    joined,
    reasons_text,
    sex_text,
)

ROLE_ID = Qt.ItemDataRole.UserRole
# Every item carries ROLE_ID (0 on household headers): PySide6 6.12's QTreeWidgetItem.data()
# releases a reference to None each time it returns None, and crashes the client after a few
# thousand such calls. Never read a role that was not set.


def _rid(item: QTreeWidgetItem) -> int:
    return int(item.data(0, ROLE_ID))


FLAGS_COLUMN = 5
BOOKED_COLOUR = "#1b5e20"


def flags_text(flags: tuple[str, ...]) -> str:
    """The lookup's flags of a candidate (``booked``, ``attended``, ``mobility``, ``called``)."""
    words = {
        "booked": translate("candidates", "予約済"),
        "attended": translate("candidates", "接種済"),
        "mobility": translate("candidates", "移動支援"),
        "called": translate("candidates", "通話歴あり"),
    }
    return joined(words.get(f, f) for f in flags)


def situation_text(c: Candidate) -> str:
    """The 状況 column: the flags, then the latest intent answer with its channel and date."""
    parts = [flags_text(c.flags)] if c.flags else []
    if c.intent is not None:
        i = c.intent
        parts.append(
            translate("candidates", "意向: {text}").format(
                text=intent_text(i.wants_vaccination, i.needs_mobility, i.channel, i.recorded_at)
            )
        )
    return "　".join(parts)


class CandidateTree(QTreeWidget):
    """Enter confirms the current resident; 1-9 confirm the n-th; Up/Down move."""

    confirmed = Signal(int)  # resident_id
    picked = Signal(int)  # 1-based number typed
    moved = Signal(int)  # +1 / -1

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setColumnCount(6)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAllColumnsShowFocus(True)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.itemDoubleClicked.connect(self._double_clicked)
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self.retranslate()

    def retranslate(self) -> None:
        self.setHeaderLabels(
            [
                self.tr("番号"),
                self.tr("氏名（カナ）"),
                self.tr("一致理由"),
                self.tr("生年月日"),
                self.tr("年齢"),
                self.tr("状況"),
            ]
        )

    def show_households(self, groups: tuple[HouseholdGroup, ...] | list[HouseholdGroup]) -> None:
        """Rebuild the list: items are built detached and added in one go (one layout pass)."""
        self.setUpdatesEnabled(False)
        try:
            self.clear()
            n = 0
            heads = []
            for group in groups:
                head = QTreeWidgetItem()
                label = (
                    self.tr("世帯 {no}").format(no=group.household_no)
                    if group.household_no
                    else self.tr("世帯不明")
                )
                head.setText(0, f"{label}　{group.address}")
                head.setFont(0, self._bold)
                head.setFlags(Qt.ItemFlag.ItemIsEnabled)
                head.setData(0, ROLE_ID, 0)
                for member in group.members:
                    n += 1
                    head.addChild(self._member_item(None, member, n))
                heads.append(head)
            self.addTopLevelItems(heads)
            for head in heads:
                head.setFirstColumnSpanned(True)
                head.setExpanded(True)
        finally:
            self.setUpdatesEnabled(True)

    def show_flat(self, results: list[Candidate]) -> None:
        self.clear()
        for n, member in enumerate(results, 1):
            item = self._member_item(self, member, n)
            item.setToolTip(1, member.address)

    def _member_item(self, parent: object, c: Candidate, n: int) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent) if parent is not None else QTreeWidgetItem()  # type: ignore[call-overload]
        item.setText(0, str(n))
        kana = f"（{full_width_kana(c.name_kana)}）" if c.name_kana else ""
        item.setText(1, f"{full_width_kana(c.name)}{kana} {sex_text(c.sex)}")
        item.setText(2, reasons_text(c.reasons))
        item.setText(3, birth_short(c.birth_date))
        item.setText(4, age_text(c.age))
        item.setToolTip(3, birth_text(c.birth_date))
        if c.flags or c.intent is not None:
            text = situation_text(c)
            item.setText(FLAGS_COLUMN, text)
            item.setToolTip(FLAGS_COLUMN, text)  # the whole of it where the column is narrow
            if "booked" in c.flags or "attended" in c.flags:
                item.setForeground(FLAGS_COLUMN, QBrush(QColor(BOOKED_COLOUR)))
                item.setFont(FLAGS_COLUMN, self._bold)
        item.setData(0, ROLE_ID, c.resident_id)
        return item

    def member_items(self) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            if _rid(top):
                out.append(top)
            out.extend(top.child(j) for j in range(top.childCount()))
        return out

    def select_index(self, index: int) -> None:
        items = self.member_items()
        if 0 <= index < len(items):
            self.setCurrentItem(items[index])
            self.scrollToItem(items[index])

    def current_resident(self) -> int | None:
        item = self.currentItem()
        return (_rid(item) or None) if item is not None else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            rid = self.current_resident()
            if rid is None and self.member_items():
                rid = _rid(self.member_items()[0])
            if rid is not None:
                self.confirmed.emit(rid)
            return
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and not event.modifiers():
            self.picked.emit(key - Qt.Key.Key_0)
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not event.modifiers():
            self.moved.emit(1 if key == Qt.Key.Key_Down else -1)
            return
        super().keyPressEvent(event)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if _rid(item):
            self.confirmed.emit(_rid(item))
