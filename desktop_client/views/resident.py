"""The resident card: identity, household, intent, bookings, mobility requests, previous calls."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..models.dates import age_on, today_local
from ..models.options import CampaignOptions
from ..models.resident import ResidentModel
from .form_labels import option_text
from .labels import (
    age_text,
    birth_text,
    channel_text,
    disposition_text,
    intent_text,
    joined,
    sex_text,
    slot_time_text,
    status_text,
    when_text,
    yes_no,
)
from .language import Retranslating


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    height = table.horizontalHeader().height() + 4
    height += (
        sum(table.rowHeight(r) for r in range(len(rows)))
        or table.verticalHeader().defaultSectionSize()
    )
    table.setFixedHeight(height)


class ResidentCardView(Retranslating, QScrollArea):
    def __init__(
        self,
        model: ResidentModel,
        options: CampaignOptions | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.options = options if options is not None else CampaignOptions()
        self.setWidgetResizable(True)
        body = QWidget(self)
        self.setWidget(body)
        self.name = QLabel(objectName="residentName")
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.5)
        big.setBold(True)
        self.name.setFont(big)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty = QLabel(self)
        self.facts = QFormLayout()
        facts = ("kana", "person_no", "birth", "age", "address", "phones", "hh", "intent")
        self.values = {k: QLabel(self) for k in facts}
        self._keys = {k: QLabel(self) for k in self.values}
        for k, value in self.values.items():
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(self._keys[k], value)
        self.boxes = {
            k: QGroupBox(self) for k in ("members", "intents", "bookings", "mobility", "calls")
        }
        self.tables = {
            "members": _table(4),
            "intents": _table(5),
            "bookings": _table(4),
            "mobility": _table(4),
            "calls": _table(3),
        }
        layout = QVBoxLayout(body)
        self._body = layout
        self.intent_form: QWidget | None = None
        layout.addWidget(self.empty)
        layout.addWidget(self.name)
        layout.addLayout(self.facts)
        for k, box in self.boxes.items():
            inner = QVBoxLayout(box)
            inner.addWidget(self.tables[k])
            layout.addWidget(box)
        layout.addStretch(1)
        self._shown: int | None = None  # the resident on screen: a new one starts at the top
        model.subscribe(self.refresh)
        self.retranslate()

    def set_intent_form(self, form: QWidget) -> None:
        """The 意向確認 form, under the intents on record (shown with a card only)."""
        self.intent_form = form
        self._body.insertWidget(self._body.indexOf(self.boxes["intents"]) + 1, form)
        form.setVisible(self.model.card is not None)

    def focus_intent(self) -> None:
        if self.intent_form is not None and self.model.card is not None:
            self.ensureWidgetVisible(self.intent_form)
            self.intent_form.focus_first()  # type: ignore[attr-defined]

    def retranslate(self) -> None:
        keys = {
            "kana": self.tr("カナ"),
            "person_no": self.tr("宛名番号"),
            "birth": self.tr("生年月日"),
            "age": self.tr("年齢"),
            "address": self.tr("住所"),
            "phones": self.tr("電話"),
            "hh": self.tr("世帯番号"),
            "intent": self.tr("最新の意向"),
        }
        for k, label in keys.items():
            self._keys[k].setText(label)
        titles = {
            "members": self.tr("世帯員"),
            "intents": self.tr("意向確認"),
            "bookings": self.tr("予約"),
            "mobility": self.tr("移動支援"),
            "calls": self.tr("過去の通話"),
        }
        for k, title in titles.items():
            self.boxes[k].setTitle(title)
        heads = {
            "members": [self.tr("氏名"), self.tr("カナ"), self.tr("生年月日"), self.tr("年齢")],
            "intents": [
                self.tr("接種希望"),
                self.tr("移動支援"),
                self.tr("経路"),
                self.tr("受付日時"),
                self.tr("メモ"),
            ],
            "bookings": [self.tr("会場"), self.tr("日時"), self.tr("状態"), self.tr("番号")],
            "mobility": [
                self.tr("迎え先"),
                self.tr("支援内容"),
                self.tr("状態"),
                self.tr("メモ"),
            ],
            "calls": [self.tr("日時"), self.tr("結果"), self.tr("メモ")],
        }
        for k, labels in heads.items():
            self.tables[k].setHorizontalHeaderLabels(labels)
        self.refresh()

    def refresh(self) -> None:
        card = self.model.card
        self.empty.setVisible(card is None)
        self.empty.setText(self.model.error or self.tr("候補を確定すると住民カードが表示されます"))
        shown = (self.name, *self.values.values(), *self._keys.values(), *self.boxes.values())
        for w in (*shown, *([self.intent_form] if self.intent_form else [])):
            w.setVisible(card is not None)
        if card is None:
            self._shown = None
            return
        if card.resident_id != self._shown:
            self._shown = card.resident_id
            self.verticalScrollBar().setValue(0)
        self.name.setText(f"{card.name}　{sex_text(card.sex)}")
        self.values["kana"].setText(card.name_kana)
        self.values["person_no"].setText(card.person_no or "—")
        self.values["birth"].setText(birth_text(card.birth_date))
        self.values["age"].setText(age_text(card.age()))
        self.values["address"].setText(card.address)
        self.values["phones"].setText(joined(card.phones) or "—")
        self.values["hh"].setText(card.household_no or "—")
        latest = card.latest_intent()
        self.values["intent"].setText(
            intent_text(
                latest.wants_vaccination, latest.needs_mobility, latest.channel, latest.recorded_at
            )
            if latest is not None
            else self.tr("まだ回答なし")
        )
        today = today_local()
        _fill(
            self.tables["members"],
            [
                [
                    m.name,
                    m.name_kana,
                    birth_text(m.birth_date),
                    age_text(age_on(m.birth_date, today) if m.birth_date else None),
                ]
                for m in card.members
            ],
        )
        _fill(
            self.tables["intents"],
            [
                [
                    yes_no(i.wants_vaccination),
                    yes_no(i.needs_mobility),
                    channel_text(i.channel),
                    when_text(i.recorded_at),
                    i.notes,
                ]
                for i in card.intents
            ],
        )
        _fill(
            self.tables["bookings"],
            [
                [
                    b.venue_name,
                    f"{when_text(b.starts_at)[:10]} {slot_time_text(b.starts_at, b.ends_at)}",
                    status_text(b.status),
                    f"#{b.booking_id}",
                ]
                for b in card.bookings
            ],
        )
        _fill(
            self.tables["mobility"],
            [
                [
                    m.pickup_address,
                    joined(option_text(self.options.choice(c)) for c in m.options),
                    status_text(m.status),
                    m.notes,
                ]
                for m in card.mobility
            ],
        )
        _fill(
            self.tables["calls"],
            [[when_text(c.at), disposition_text(c.disposition), c.notes] for c in card.calls],
        )
