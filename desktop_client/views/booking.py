"""Booking: venue -> day -> slots with remaining capacity (live), book / change / cancel."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..models.forms import BookingFormModel
from . import shortcuts as keys
from .forms import FormView
from .labels import day_text, when_text
from .slots import SlotTable

DAYS_AHEAD = 21


class BookingView(FormView, QWidget):
    venue_day_chosen = Signal(int, object)  # venue_id, datetime.date
    submitted = Signal()
    cancel_requested = Signal()

    def __init__(self, model: BookingFormModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.venue = QComboBox(self)
        self.day = QComboBox(self)
        self.slots = SlotTable(model, self, bookable=model.bookable)
        self.existing = QLabel(self)
        self.existing.setWordWrap(True)
        self._add_submit()
        self.cancel = QPushButton(self)
        self._labels = {k: QLabel(self) for k in ("venue", "day")}
        form = QFormLayout()
        form.addRow(self._labels["venue"], self.venue)
        form.addRow(self._labels["day"], self.day)
        layout = QVBoxLayout(self)
        if self.subject_bar is not None:
            layout.addWidget(self.subject_bar)
        layout.addWidget(self.existing)
        layout.addLayout(form)
        layout.addWidget(self.slots, 1)
        self._place_submit(layout, self.cancel)
        self.venue.activated.connect(self._chosen)
        self.day.activated.connect(self._chosen)
        self.slots.itemActivated.connect(lambda _item: self._submit())
        self.cancel.clicked.connect(self.cancel_requested.emit)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(keys.CANCEL_BOOKING), self, self.cancel_requested.emit, context=ctx)
        model.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self._labels["venue"].setText(self.tr("会場"))
        self._labels["day"].setText(self.tr("日付"))
        self.slots.retranslate()
        self.cancel.setText(keys.with_key(self.tr("予約を取り消す"), keys.CANCEL_BOOKING))
        self.refresh()

    def refresh(self) -> None:
        m = self.model
        self._fill_choices()
        self.slots.refresh()
        if m.existing is not None:
            self.existing.setText(
                self.tr("現在の予約: {venue} {when}（#{id}）").format(
                    venue=m.existing.venue_name,
                    when=when_text(m.existing.starts_at),
                    id=m.existing.booking_id,
                )
            )
        else:
            self.existing.setText(self.tr("予約はまだありません"))
        label = self.tr("予約を変更する") if m.existing is not None else self.tr("予約する")
        self.submit.setText(keys.with_key(label, keys.SUBMIT))
        self._show_state(self.tr("予約を受け付けました。"))
        self.cancel.setEnabled(m.existing is not None and not m.locked())
        armed = m.resident_id is not None and not m.locked()
        for widget in (self.venue, self.day, self.slots):
            widget.setEnabled(armed)

    def _fill_choices(self) -> None:
        m = self.model
        ids = [v.venue_id for v in m.venues]
        if [self.venue.itemData(i) for i in range(self.venue.count())] != ids:
            self.venue.clear()
            for v in m.venues:
                self.venue.addItem(v.name, v.venue_id)
        if m.venue_id in ids:
            self.venue.setCurrentIndex(ids.index(m.venue_id))
        today = dt.date.today()
        days = [today + dt.timedelta(days=i) for i in range(DAYS_AHEAD)]
        if m.day not in days:
            days.insert(0, m.day)
        self.day.clear()
        for d in days:
            self.day.addItem(day_text(d), d)
        self.day.setCurrentIndex(days.index(m.day))

    def _chosen(self, _index: int = 0) -> None:
        if not (self.venue.count() and self.day.count()):  # currentData() would be None
            return
        venue_id, day = self.venue.currentData(), self.day.currentData()
        if venue_id is not None and day is not None:
            self.venue_day_chosen.emit(int(venue_id), day)
