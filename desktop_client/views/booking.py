"""Booking: venue -> day -> slots with remaining capacity (live), book / change / cancel."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..models.dates import today_local
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
    cannot_come_requested = Signal()

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
        self.cannot_come = QPushButton(self)
        self.offers = QLabel(self)
        self.offers.setWordWrap(True)
        self.later_doses = QLabel(self)  # what became of the later doses of a moved booking
        self.later_doses.setWordWrap(True)
        self._labels = {k: QLabel(self) for k in ("venue", "day")}
        form = QFormLayout()
        form.addRow(self._labels["venue"], self.venue)
        form.addRow(self._labels["day"], self.day)
        layout = QVBoxLayout(self)
        if self.subject_bar is not None:
            layout.addWidget(self.subject_bar)
        top = QHBoxLayout()
        top.addWidget(self.existing, 1)
        top.addWidget(self.cannot_come)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.slots, 1)
        layout.addWidget(self.later_doses)
        layout.addWidget(self.offers)
        self._place_submit(layout, self.cancel)
        self.venue.activated.connect(self._chosen)
        self.day.activated.connect(self._chosen)
        self.slots.itemActivated.connect(lambda _item: self._submit())
        self.cancel.clicked.connect(self.cancel_requested.emit)
        self.cannot_come.clicked.connect(self.cannot_come_requested.emit)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(keys.CANCEL_BOOKING), self, self.cancel_requested.emit, context=ctx)
        QShortcut(QKeySequence(keys.CANNOT_COME), self, self._cannot_come, context=ctx)
        model.subscribe(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self._labels["venue"].setText(self.tr("会場"))
        self._labels["day"].setText(self.tr("日付"))
        self.slots.retranslate()
        self.cancel.setText(keys.with_key(self.tr("予約を取り消す"), keys.CANCEL_BOOKING))
        self.cannot_come.setText(keys.with_key(self.tr("この日は来られない"), keys.CANNOT_COME))
        self.refresh()

    def _cannot_come(self) -> None:
        if self.cannot_come.isEnabled():
            self.cannot_come_requested.emit()

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
        self._show_state(self._done_text())
        self.cancel.setEnabled(m.existing is not None and not m.locked())
        self.cannot_come.setEnabled(m.existing is not None and not m.locked())
        self.offers.setText(self._offers_text())
        self.offers.setVisible(bool(m.offers))
        self.later_doses.setText(self._later_text())
        self.later_doses.setVisible(bool(m.later))
        armed = m.resident_id is not None and not m.locked()
        for widget in (self.venue, self.day, self.slots):
            widget.setEnabled(armed)

    def _done_text(self) -> str:
        return {
            "cancel": self.tr("予約を取り消しました。"),
            "cannot_come": self.tr("予約を取り消しました。この日には今後割り当てません。"),
        }.get(self.model.last_action, self.tr("予約を受け付けました。"))

    def _later_text(self) -> str:
        """One line per later dose: moved with the booking (where to), cancelled, or not moved
        (why, where it stays, and that it is on the callback worklist)."""
        lines = []
        for d in self.model.later:
            wanted = when_text(d.wanted_starts_at)
            why = {
                "no_slot": self.tr("{wanted} にこの会場の枠がありません"),
                "slot_full": self.tr("{wanted} の枠は満席です"),
                "no_transport_seat": self.tr("{wanted} の枠に送迎の空きがありません"),
            }.get(d.why or "", d.why or "")
            text = {
                "moved": self.tr("{dose}回目の接種も {when} {venue} に移しました。"),
                "cancelled": self.tr("{dose}回目の接種（{when}）も取り消しました。"),
            }.get(d.outcome) or self.tr(
                "{dose}回目は移せません（{why}）。{when} のまま折り返しリストに入れました。"
            )
            b = d.booking
            why = why.format(wanted=wanted)
            lines.append(
                text.format(dose=b.dose, when=when_text(b.starts_at), venue=b.venue_name, why=why)
            )
        return "\n".join(lines)

    def _offers_text(self) -> str:
        offers = self.model.offers
        if not offers:
            return ""
        lines = [self.tr("空きのある候補（近い会場から）:")]
        for o in offers[:5]:
            lines.append(
                self.tr("・{when} {venue}（残り {free}）").format(
                    when=when_text(o.starts_at), venue=o.venue_name, free=o.free
                )
            )
        return "\n".join(lines)

    def _fill_choices(self) -> None:
        m = self.model
        ids = [v.venue_id for v in m.venues]
        if [self.venue.itemData(i) for i in range(self.venue.count())] != ids:
            self.venue.clear()
            for v in m.venues:
                self.venue.addItem(v.name, v.venue_id)
        if m.venue_id in ids:
            self.venue.setCurrentIndex(ids.index(m.venue_id))
        today = today_local()
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
