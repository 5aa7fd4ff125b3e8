"""会場・枠: venues (add, rename, address, deactivate/reactivate) and, per venue and day, the
slots with capacity / booked / remaining; slots added in bulk for a day; capacity changed.

The view only emits what the supervisor asked for; ``admin.VenueAdminController`` talks to the
server. What was typed stays in the fields after a refusal; the refused field is outlined.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, QObject, Qt, QTime, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ..models.dates import today_local
from ..models.venues import VenueAdminModel
from . import shortcuts as keys
from .forms import StatusLine
from .labels import day_text, venue_admin_status
from .language import Retranslating
from .slots import SlotTable, pick_rows

DAYS = 60
ROLE_ID = Qt.ItemDataRole.UserRole
BAD = "border: 2px solid #b00020;"


class VenueAdminView(Retranslating, QWidget):
    venue_chosen = Signal(int)
    day_chosen = Signal(object)  # datetime.date
    add_venue = Signal(str, str)  # name, address
    save_venue = Signal(int, str, str)  # venue_id, name, address
    toggle_venue = Signal(int, bool)  # venue_id, active
    add_slots = Signal(str, str, int, int)  # start "09:00", end "12:00", minutes, capacity
    set_capacity = Signal(int, int)  # slot_id, capacity
    delete_slot = Signal(int)
    reload_requested = Signal()

    def __init__(self, model: VenueAdminModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._filling = False
        self._fields_for: int | None = None  # venue whose name/address are in the fields
        self._capacity_for: int | None = None  # slot whose capacity is in the spin box
        self.venues = pick_rows(QTableWidget(0, 3))
        self.name, self.address = QLineEdit(self), QLineEdit(self)
        self.add_button, self.save_button = QPushButton(self), QPushButton(self)
        self.toggle_button = QPushButton(self)
        self.day = QComboBox(self)
        self.venue_title = QLabel(self)
        self.slots = SlotTable(model)
        self.totals = QLabel(self)
        self.capacity = QSpinBox(self, minimum=0, maximum=100_000)
        self.capacity_button, self.delete_button = QPushButton(self), QPushButton(self)
        self.start = QTimeEdit(QTime(9, 0), self, displayFormat="HH:mm")
        self.end = QTimeEdit(QTime(12, 0), self, displayFormat="HH:mm")
        self.minutes = QSpinBox(self, minimum=5, maximum=720, singleStep=5, value=30)
        self.bulk_capacity = QSpinBox(self, minimum=0, maximum=100_000, value=10)
        self.bulk_button = QPushButton(self)
        self.status = StatusLine(self)
        self._labels: dict[str, QLabel] = {}
        self.boxes = {k: QGroupBox(self) for k in ("venues", "slots", "bulk")}
        self._layout()
        self._wire()
        model.subscribe(self.refresh)
        self.retranslate()

    def _label(self, key: str) -> QLabel:
        self._labels[key] = QLabel(self)
        return self._labels[key]

    def _layout(self) -> None:
        left = QVBoxLayout(self.boxes["venues"])
        left.addWidget(self.venues, 1)
        form = QFormLayout()
        form.addRow(self._label("name"), self.name)
        form.addRow(self._label("address"), self.address)
        left.addLayout(form)
        row = QHBoxLayout()
        for b in (self.add_button, self.save_button, self.toggle_button):
            row.addWidget(b)
        left.addLayout(row)
        right = QVBoxLayout(self.boxes["slots"])
        head = QHBoxLayout()
        head.addWidget(self.venue_title, 1)
        head.addWidget(self._label("day"))
        head.addWidget(self.day)
        right.addLayout(head)
        right.addWidget(self.slots, 1)
        right.addWidget(self.totals)
        cap = QHBoxLayout()
        cap.addWidget(self._label("capacity"))
        cap.addWidget(self.capacity)
        cap.addWidget(self.capacity_button)
        cap.addStretch(1)
        cap.addWidget(self.delete_button)
        right.addLayout(cap)
        grid = QGridLayout(self.boxes["bulk"])
        pairs = (("start", self.start), ("end", self.end), ("minutes", self.minutes))
        for i, (key, widget) in enumerate((*pairs, ("bulk_capacity", self.bulk_capacity))):
            grid.addWidget(self._label(key), 0, i * 2)
            grid.addWidget(widget, 0, i * 2 + 1)
        grid.addWidget(self.bulk_button, 1, 0, 1, 8, Qt.AlignmentFlag.AlignRight)
        right.addWidget(self.boxes["bulk"])
        columns = QHBoxLayout()
        columns.addWidget(self.boxes["venues"], 2)
        columns.addWidget(self.boxes["slots"], 3)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.status)

    def _wire(self) -> None:
        self.venues.itemSelectionChanged.connect(self._venue_selected)
        self.day.activated.connect(self._day_chosen)
        self.add_button.clicked.connect(self._add_venue)
        self.save_button.clicked.connect(self._save_venue)
        self.toggle_button.clicked.connect(self._toggle_venue)
        self.capacity_button.clicked.connect(self._set_capacity)
        self.delete_button.clicked.connect(self._delete_slot)
        self.bulk_button.clicked.connect(self._add_slots)
        self.capacity.lineEdit().returnPressed.connect(self._set_capacity)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, slot in (
            (keys.VENUE_ADD, self._add_venue),
            (keys.VENUE_SAVE, self._save_venue),
            (keys.VENUE_TOGGLE, self._toggle_venue),
            (keys.CAPACITY, self._set_capacity),
            (keys.SUBMIT, self._add_slots),
            ("Ctrl+Enter", self._add_slots),
            (keys.RELOAD, self.reload_requested.emit),
        ):
            QShortcut(QKeySequence(key), self, slot, context=ctx)
        QShortcut(QKeySequence(keys.SLOT_DELETE), self.slots, self._delete_slot, context=ctx)
        for table in (self.venues, self.slots):
            table.setTabKeyNavigation(False)  # Tab leaves the table for the fields and buttons
        guard = _ShortcutGuard(self, (keys.VENUE_ADD, keys.VENUE_SAVE, keys.VENUE_TOGGLE,
                                      keys.CAPACITY, keys.RELOAD))  # fmt: skip
        for editor in (self.name, self.address, self.capacity, self.bulk_capacity, self.start,
                       self.end, self.minutes):  # fmt: skip
            editor.installEventFilter(guard)

    def retranslate(self) -> None:
        self.boxes["venues"].setTitle(self.tr("会場"))
        self.boxes["slots"].setTitle(self.tr("枠"))
        self.boxes["bulk"].setTitle(self.tr("枠を一括追加（この日）"))
        self.venues.setHorizontalHeaderLabels([self.tr("会場名"), self.tr("住所"), self.tr("状態")])
        self.slots.retranslate()
        words = {
            "name": self.tr("会場名"),
            "address": self.tr("住所"),
            "day": self.tr("日付"),
            "capacity": self.tr("定員"),
            "start": self.tr("開始時刻"),
            "end": self.tr("終了時刻"),
            "minutes": self.tr("1枠の長さ（分）"),
            "bulk_capacity": self.tr("1枠の定員"),
        }
        for key, text in words.items():
            self._labels[key].setText(text)
        self.add_button.setText(keys.with_key(self.tr("新しい会場として追加"), keys.VENUE_ADD))
        self.save_button.setText(keys.with_key(self.tr("会場名・住所を保存"), keys.VENUE_SAVE))
        self.capacity_button.setText(keys.with_key(self.tr("定員を変更"), keys.CAPACITY))
        self.delete_button.setText(keys.with_key(self.tr("枠を削除"), keys.SLOT_DELETE))
        self.bulk_button.setText(keys.with_key(self.tr("枠を追加"), keys.SUBMIT))
        self.name.setPlaceholderText(self.tr("例: 中総合会館"))
        self.address.setPlaceholderText(self.tr("例: 舞鶴市字浜 1"))
        self.refresh()

    # ------------------------------------------------------------------ rendering
    def refresh(self) -> None:
        m = self.model
        self._filling = True
        try:
            self._fill_venues()
            self._fill_days()
            self.slots.refresh()
        finally:
            self._filling = False
        venue, slot = m.venue(), m.selected()
        if venue is not None and self._fields_for != venue.venue_id:
            self.name.setText(venue.name)
            self.address.setText(venue.address)
            self._fields_for = venue.venue_id
        if slot is not None and self._capacity_for != slot.slot_id:
            self.capacity.setValue(slot.capacity)
            self._capacity_for = slot.slot_id
        title = self.tr("無効にする") if venue is None or venue.active else self.tr("有効に戻す")
        self.toggle_button.setText(keys.with_key(title, keys.VENUE_TOGGLE))
        self.venue_title.setText(
            f"<b>{venue.name}</b>" if venue else self.tr("会場を選んでください")
        )
        capacity, booked = m.totals()
        self.totals.setText(
            self.tr("この日: {n}枠　定員 {cap}　予約済 {booked}　残り {left}").format(
                n=len(m.slots), cap=capacity, booked=booked, left=capacity - booked
            )
        )
        idle = not m.busy
        for b in (self.save_button, self.toggle_button, self.bulk_button):
            b.setEnabled(idle and venue is not None)
        self.add_button.setEnabled(idle)
        self.capacity_button.setEnabled(idle and slot is not None)
        self.delete_button.setEnabled(idle and slot is not None and slot.booked == 0)
        self._show_status()

    def _fill_venues(self) -> None:
        m = self.model
        self.venues.setRowCount(len(m.venues))
        for r, v in enumerate(m.venues):
            state = self.tr("受付中") if v.active else self.tr("無効")
            for c, text in enumerate((v.name, v.address, state)):
                item = QTableWidgetItem(text)
                item.setData(ROLE_ID, v.venue_id)
                if not v.active:
                    item.setForeground(QBrush(QColor("#888888")))
                self.venues.setItem(r, c, item)
            if v.venue_id == m.venue_id:
                self.venues.selectRow(r)

    def _fill_days(self) -> None:
        today = today_local()
        days = [today + dt.timedelta(days=i) for i in range(DAYS)]
        if self.model.day not in days:
            days.insert(0, self.model.day)
        self.day.clear()
        for d in days:
            self.day.addItem(day_text(d), d)
        self.day.setCurrentIndex(days.index(self.model.day))

    def _show_status(self) -> None:
        m = self.model
        self.status.show_text(*venue_admin_status(m))
        widgets = {
            "name": self.name,
            "address": self.address,
            "capacity": self.capacity if m.action == "capacity" else self.bulk_capacity,
            "start": self.start,
            "end": self.end,
            "minutes": self.minutes,
        }
        bad = widgets.get(m.field())
        for widget in (*widgets.values(), self.capacity, self.bulk_capacity):
            widget.setStyleSheet(BAD if widget is bad else "")

    # ------------------------------------------------------------------ user actions
    def _venue_selected(self) -> None:
        if self._filling:
            return
        rows = self.venues.selectionModel().selectedRows()
        if rows:
            self.venue_chosen.emit(int(self.venues.item(rows[0].row(), 0).data(ROLE_ID)))

    def _day_chosen(self, _index: int = 0) -> None:
        day = self.day.currentData()
        if day is not None:
            self.day_chosen.emit(day)

    def _add_venue(self) -> None:
        if not self.model.busy:
            self.add_venue.emit(self.name.text().strip(), self.address.text().strip())

    def _save_venue(self) -> None:
        if not self.model.busy and self.model.venue_id is not None:
            self.save_venue.emit(
                self.model.venue_id, self.name.text().strip(), self.address.text().strip()
            )

    def _toggle_venue(self) -> None:
        venue = self.model.venue()
        if not self.model.busy and venue is not None:
            self.toggle_venue.emit(venue.venue_id, not venue.active)

    def _set_capacity(self) -> None:
        slot = self.model.selected()
        if not self.model.busy and slot is not None:
            self.capacity.interpretText()  # what is typed, even before Enter or leaving the box
            self.set_capacity.emit(slot.slot_id, self.capacity.value())

    def _delete_slot(self) -> None:
        slot = self.model.selected()
        if not self.model.busy and slot is not None:
            self.delete_slot.emit(slot.slot_id)

    def _add_slots(self) -> None:
        if not self.model.busy and self.model.venue_id is not None:
            self.add_slots.emit(
                self.start.time().toString("HH:mm"),
                self.end.time().toString("HH:mm"),
                self.minutes.value(),
                self.bulk_capacity.value(),
            )

    def focus_venues(self) -> None:
        self.venues.setFocus()


class _ShortcutGuard(QObject):
    """Keeps the view's shortcuts from being taken by the editor that has the focus: on X11,
    a line edit (also inside a spin box) claims Ctrl+E (end of line) and Ctrl+D (delete) as its
    own editing keys, so the button's shortcut never fired while the operator typed there."""

    def __init__(self, parent: QObject, sequences: tuple[str, ...]) -> None:
        super().__init__(parent)
        self._keys = {QKeySequence(s)[0].toCombined() for s in sequences}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.keyCombination().toCombined() in self._keys
        ):
            event.ignore()  # not the editor's: the shortcut map goes on to our QShortcut
            return True
        return False
